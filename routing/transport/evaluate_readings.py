"""The readings of an existing run's school calls for ``evaluate_run.py``: calls as stated
(one per school and time) merged with the stops in every order the stated times allow, or, with
no school times, the default order (AM after every pick-up, PM before every drop-off) and then
calls between stops wherever the stated times leave room for the drive."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

from sendplan.routing.transport.evaluate_legs import EPS, Event, RunLegs

MAX_READINGS = 200
"""School-call readings of one run weighed at most (the default one first)."""
MAX_IDLE_MIN = 1.0
"""A call read between two stops must explain their stated times to within this waiting."""


class RunReadings(RunLegs):
    """An existing run's readings of its school calls, the preferred one first."""

    def readings(self) -> Iterator[list[Event]]:
        """The readings of the run's school calls to weigh, the preferred one first."""
        if all(r.school_time_min is not None for r in self.rows):
            stated = list(itertools.islice(self._stated_readings(strict=True), MAX_READINGS))
            yield from stated or itertools.islice(self._stated_readings(strict=False), 1)
            return
        order = sorted(
            self.school_ids,
            key=lambda i: self.schools[i].bell_am_min if self.am else self.schools[i].finish_pm_min,
        )
        n = len(self.rows)
        calls: list[Event] = [
            (i, tuple(k for k in range(n) if self.rows[k].school_id == i)) for i in order
        ]
        stops: list[Event] = list(range(n))
        default = stops + calls if self.am else calls + stops
        yield default
        if any(r.time_min is not None for r in self.rows):
            found = sorted(
                (self.distance(r), k, r) for k, r in enumerate(self._gap_readings()) if r != default
            )
            yield from (r for _d, _k, r in found[: MAX_READINGS - 1])

    def _stated_readings(self, *, strict: bool) -> Iterator[list[Event]]:
        """Calls as stated (one per school and time), merged with the stops in every order the
        stated times allow within their rounding (``strict``), the time order first."""
        groups: dict[tuple[str, float], list[int]] = {}
        for k, r in enumerate(self.rows):
            assert r.school_time_min is not None
            groups.setdefault((r.school_id, r.school_time_min), []).append(k)
        calls: list[Event] = [(s, tuple(m)) for (s, _t), m in sorted(groups.items(), key=_by_time)]

        def when(e: Event) -> float:
            t = self.stated(e)[0]
            return -math.inf if t is None else t

        def before(a: Event, b: Event) -> bool:
            """Whether the stated times put ``a`` certainly before ``b``."""
            (ta, ha), (tb, hb) = self.stated(a), self.stated(b)
            return strict and ta is not None and tb is not None and ta + ha < tb - hb - EPS

        def grow(done: list[Event], left: list[Event]) -> Iterator[list[Event]]:
            if not left:
                yield done
                return
            picked = sum(isinstance(e, int) for e in done)
            called = {i for e in done if not isinstance(e, int) for i in e[1]}
            for e in sorted(left, key=when):
                if isinstance(e, int):
                    ok = e == picked and (self.am or e in called)
                else:
                    ok = not self.am or all(i < picked for i in e[1])
                if ok and not any(before(o, e) for o in left if o != e):
                    yield from grow([*done, e], [o for o in left if o != e])

        yield from grow([], [*range(len(self.rows)), *calls])

    def _gap_readings(self) -> Iterator[list[Event]]:
        """Mixed-school readings with calls between stops where the stated times leave room."""
        n, am = len(self.rows), self.am
        school = [r.school_id for r in self.rows]

        def fits(g: int, seq: Sequence[str]) -> bool:
            """Whether the calls ``seq`` between stops g-1 and g match their stated times: the
            drive through them (each call in its window) reaches stop g in time, and leaves at
            most ``MAX_IDLE_MIN`` of waiting unexplained. No call goes where no time says so."""
            if not 0 < g < n:
                return True
            (t0, h0), (t1, h1) = self.stated(g - 1), self.stated(g)
            if t0 is None or t1 is None or not seq:
                return not seq
            tt, _ = self.legs([g - 1, *((s, (0,)) for s in seq), g])

            def arrive(clock: float) -> float:
                for leg, s in zip(tt[1:], seq, strict=False):
                    clock = max(clock + leg, self.window(s)[0])
                    if clock > self.window(s)[1] + EPS:
                        return math.inf
                return clock + tt[len(seq) + 1]

            start = self.board[g - 1]
            early, late = arrive(t0 - h0 + start), arrive(t0 + h0 + start)
            return early <= t1 + h1 + EPS and t1 - h1 - late <= MAX_IDLE_MIN

        def grow(g: int, done: list[Event]) -> Iterator[list[Event]]:
            if am:
                aboard = sorted({school[i] for i in range(g)} - _dropped_after(done, school))
                options = itertools.permutations(aboard) if g == n else _sequences(aboard)
            else:
                wanted = sorted({school[i] for i in range(g, n)})
                options = iter([()]) if g == n else _sequences(wanted)
            for seq in options:
                if not fits(g, seq):
                    continue
                here = [*done, *((s, ()) for s in seq)]
                if (
                    not am
                    and g < n
                    and school[g] not in {e[0] for e in here if not isinstance(e, int)}
                ):
                    continue
                if g == n:
                    yield here
                else:
                    yield from grow(g + 1, [*here, g])

        for events in itertools.islice(grow(0, []), 20 * MAX_READINGS):
            full = _assign(events, school, am)
            if full is not None:
                yield full


def _by_time(item: tuple[tuple[str, float], list[int]]) -> tuple[float, int]:
    (_school, t), members = item
    return t, members[0]


def _sequences(schools: Sequence[str]) -> Iterator[tuple[str, ...]]:
    """Every ordered selection of distinct schools, the empty one first."""
    for size in range(len(schools) + 1):
        yield from itertools.permutations(schools, size)


def _dropped_after(done: Sequence[Event], school: Sequence[str]) -> set[str]:
    """Schools whose every child picked up so far has had a call since (AM)."""
    picked = [e for e in done if isinstance(e, int)]
    out = set()
    for s in set(school[i] for i in picked):
        last_pick = max(k for k, e in enumerate(done) if isinstance(e, int) and school[e] == s)
        if any(not isinstance(e, int) and e[0] == s for e in done[last_pick:]):
            out.add(s)
    return out


def _assign(events: Sequence[Event], school: Sequence[str], am: bool) -> list[Event] | None:
    """A call sequence with its children: AM each child leaves at the first call at their
    school after boarding, PM boards at the last one before their drop-off; None when a call
    takes nobody or a child no call."""
    where = {e: k for k, e in enumerate(events) if isinstance(e, int)}
    at = {k: e[0] for k, e in enumerate(events) if not isinstance(e, int)}
    members: dict[int, list[int]] = {k: [] for k in at}
    for i, k_i in where.items():
        ks = [k for k, s in at.items() if s == school[i] and (k > k_i if am else k < k_i)]
        if not ks:
            return None
        members[min(ks) if am else max(ks)].append(i)
    if any(not m for m in members.values()):
        return None
    return [e if isinstance(e, int) else (e[0], tuple(members[k])) for k, e in enumerate(events)]
