"""One existing run rebuilt in real time for ``evaluate.py``: its school calls read from the
stated times, each stated time allowed to move within its rounding, and the rules kept in order
(drives, then windows, then ride limits) while some schedule still satisfies them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario, layout_label
from sendplan.routing.transport.check import (
    TIME_TOL_MIN,
    boarding_min,
    limit_min,
)
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    SchoolCall,
    Session,
)

# A reading of a run: its events in driving order, each a child's stop (the child's index on the
# route) or a school call (the school and the indices of the children it takes).
Call: TypeAlias = tuple[str, tuple[int, ...]]
Event: TypeAlias = int | Call

MAX_READINGS = 200
"""School-call readings of one run weighed at most (the default one first)."""
MAX_IDLE_MIN = 1.0
"""A call read between two stops must explain their stated times to within this waiting."""
INSIDE = 0.01
"""A time moved within its rounding stays this share of the half-precision inside it where the
rules allow, so that it prints as stated again (07:57 not as 07:57:30, which rounds to 07:58)."""
_EPS = 1e-9


class _Run:
    """One existing route: its children, school points and every leg between them."""

    def __init__(
        self,
        rows: Sequence[ExistingStop],
        scenario: Scenario,
        travel: TravelModel,
        session: Session,
    ) -> None:
        self.rows, self.am, self.policy = rows, session == "am", scenario.policy
        self.session = session
        children = {c.child_id: c for c in scenario.children}
        self.schools = {s.school_id: s for s in scenario.schools}
        self.vehicle = {v.name: v for v in scenario.fleet}[rows[0].vehicle_type]
        self.kids = [children[s.child_id] for s in rows]
        self.board = [boarding_min(c, self.policy) for c in self.kids]
        self.half = [s.precision_min / 2 for s in rows]
        # Each ride limit as a bound on call - pick-up (AM) or drop-off - call (PM).
        own = self.policy.ride_counts_own_boarding
        self.span = [
            limit_min(c, self.policy) + ((0.0 if own else b) if self.am else (-b if own else 0.0))
            for c, b in zip(self.kids, self.board, strict=True)
        ]
        self.school_ids = list(dict.fromkeys(s.school_id for s in rows))
        # What routes.json states of the route beyond its stops (the same on every row).
        first = rows[0]
        same = all(
            (r.layout, r.depot_start_min, r.depot_end_min)
            == (first.layout, first.depot_start_min, first.depot_end_min)
            for r in rows
        )
        self.depot = (first.depot_start_min, first.depot_end_min) if same else (None, None)
        self.stated_layout = first.layout if same else ""
        v = self.vehicle
        points = [(v.depot_lon, v.depot_lat), *((c.lon, c.lat) for c in self.kids)]
        points += [(self.schools[i].lon, self.schools[i].lat) for i in self.school_ids]
        self.minutes, self.metres = _leg_matrices(travel, points)
        limit = limit_min(self.kids[0], self.policy)
        self.excused = len(self.kids) == 1 and self._direct(0) > limit + TIME_TOL_MIN

    # -- points and legs -------------------------------------------------------------------

    def at(self, e: Event) -> int:
        """The point index of an event (0 is the depot)."""
        return 1 + e if isinstance(e, int) else 1 + len(self.kids) + self.school_ids.index(e[0])

    def legs(self, events: Sequence[Event]) -> tuple[list[float], list[float]]:
        path = [0, *(self.at(e) for e in events), 0]
        pairs = list(itertools.pairwise(path))
        return [self.minutes[a, b] for a, b in pairs], [self.metres[a, b] for a, b in pairs]

    def distance(self, events: Sequence[Event]) -> float:
        """In whole metres per leg, as the planner measures its runs."""
        return float(sum(round(m) for m in self.legs(events)[1]))

    def _direct(self, i: int) -> float:
        home, school = 1 + i, 1 + len(self.kids) + self.school_ids.index(self.rows[i].school_id)
        own = self.board[i] if self.policy.ride_counts_own_boarding else 0.0
        return float(self.minutes[home, school] if self.am else self.minutes[school, home]) + own

    def window(self, school_id: str) -> tuple[float, float]:
        """When a call may be made: AM the arrival window, PM not before finish."""
        s = self.schools[school_id]
        if self.am:
            lo, hi = self.policy.arrival_window_min
            return s.bell_am_min - hi, s.bell_am_min - lo
        return float(s.finish_pm_min), math.inf

    def stated(self, e: Event) -> tuple[float | None, float]:
        """An event's stated time and half its precision."""
        if isinstance(e, int):
            return self.rows[e].time_min, self.half[e]
        times = {self.rows[i].school_time_min for i in e[1]}
        return (times.pop() if len(times) == 1 else None), max(self.half[i] for i in e[1])

    # -- readings --------------------------------------------------------------------------

    def route(self, route_id: str) -> Route:
        """The route in its best reading: the fewest rules broken, then the least waiting
        between stated times (to the minute), then the first reading, then the cheapest."""
        best: tuple[int, int, bool, float, int] | None = None
        chosen: tuple[list[Event], list[float]] = ([], [])
        for n, events in enumerate(self.readings()):
            over, idle = self.overloaded(events), round(self.idle(events))
            fit = (idle, n > 0, self.distance(events))
            if best is not None and best[0] == 0 and (over or fit >= best[1:4]):
                continue  # no better than a clean reading already found
            times, broken = self.schedule(events)
            key = (broken + over, *fit, n)
            if best is None or key < best:
                best, chosen = key, (events, times)
        return self.build(route_id, *chosen)

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
            return strict and ta is not None and tb is not None and ta + ha < tb - hb - _EPS

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
                    if clock > self.window(s)[1] + _EPS:
                        return math.inf
                return clock + tt[len(seq) + 1]

            start = self.board[g - 1]
            early, late = arrive(t0 - h0 + start), arrive(t0 + h0 + start)
            return early <= t1 + h1 + _EPS and t1 - h1 - late <= MAX_IDLE_MIN

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

    # -- schedule --------------------------------------------------------------------------

    def schedule(self, events: Sequence[Event]) -> tuple[list[float], int]:
        """The events' times, and how many rules (drives, windows, rides) no schedule within
        the stated times' rounding keeps (see the module docstring)."""
        m = len(events)
        tt, _ = self.legs(events)
        service = [self.board[e] if isinstance(e, int) else 0.0 for e in events]
        nominal, ties = self.nominal(events, tt, service)
        if not ties and all(self.stated(e)[0] is None for e in events):
            return nominal, 0  # nothing stated: nothing to round
        # Node k is events[k - 1]; node 0 the clock's zero. add(i, j, w): t[j] - t[i] <= w.
        system = _Differences(m)
        for k, e in enumerate(events, start=1):
            t, h = self.stated(e)
            if t is not None:
                system.add(0, k, t + h)
                system.add(k, 0, -(t - h))
        for i, j, w in ties:
            system.add(i, j, w)
        broken = 0
        for k in range(1, m):  # the drive: t[k+1] >= t[k] + service + leg
            broken += not system.add(k + 1, k, -(service[k - 1] + tt[k]))
        for k, e in enumerate(events, start=1):
            if not isinstance(e, int):
                lo, hi = self.window(e[0])
                broken += not system.add(k, 0, -lo)
                broken += math.isfinite(hi) and not system.add(0, k, hi)
        if not self.excused:
            where = {e: k for k, e in enumerate(events, start=1) if isinstance(e, int)}
            for k, e in enumerate(events, start=1):
                for i in () if isinstance(e, int) else e[1]:
                    a, b = (where[i], k) if self.am else (k, where[i])
                    broken += not system.add(a, b, self.span[i])
        self._inside(system, events)
        self._depot_times(system, events, tt, service)
        self._rides(system, events)
        times = []
        for k, want in enumerate(nominal, start=1):
            lo, hi = system.bounds(k)
            t = max(min(want, hi), lo) if lo <= hi + 1e-6 else want  # lo > hi: float noise
            system.add(0, k, t)
            system.add(k, 0, -t)
            times.append(t)
        return times, broken

    def _inside(self, system: _Differences, events: Sequence[Event]) -> None:
        """Keep each stated time well inside its rounding (``INSIDE``) where the rules leave
        room: a time on the edge of it prints as another minute (hundredth) than the one
        stated. Added after the rules, so never a rule broken for it."""
        for k, e in enumerate(events, start=1):
            t, h = self.stated(e)
            if t is not None and h > 0:
                snug = h * (1.0 - INSIDE)
                system.add(0, k, t + snug)
                system.add(k, 0, -(t - snug))

    def _depot_times(
        self,
        system: _Differences,
        events: Sequence[Event],
        tt: Sequence[float],
        service: Sequence[float],
    ) -> None:
        """Leave room for the stated depot times (routes.json), where the rules allow: the
        first event late enough after the stated start, the last early enough before the stated
        return, each within its rounding. Never a rule broken: a stated depot time is read as
        given only where it fits (``build``)."""
        start, end = self.depot
        m = len(events)
        half = max(self.half) * (1.0 - INSIDE)  # as finely as the stops (routes.json)
        if start is not None:
            system.add(1, 0, -(start - half + tt[0]))
        if end is not None:
            system.add(0, m, end + half - service[m - 1] - tt[m])

    def _rides(self, system: _Differences, events: Sequence[Event]) -> None:
        """Keep each stated ride (routes.json) within its rounding where the rules and the
        stated times leave room, so that a route read back reports the rides it was read with."""
        own = self.policy.ride_counts_own_boarding
        where = {e: k for k, e in enumerate(events, start=1) if isinstance(e, int)}
        for k, e in enumerate(events, start=1):
            for i in () if isinstance(e, int) else e[1]:
                ride, half = self.rows[i].ride_min, self.half[i] * (1.0 - INSIDE)
                if ride is None:
                    continue
                # AM: call - pick-up = ride + boarding (less it if counted); PM: drop-off - call.
                b = self.board[i]
                gap = ride + (0.0 if own else b) if self.am else ride - (b if own else 0.0)
                a, z = (where[i], k) if self.am else (k, where[i])
                system.add(a, z, gap + half)
                system.add(z, a, -(gap - half))

    def nominal(
        self, events: Sequence[Event], tt: Sequence[float], service: Sequence[float]
    ) -> tuple[list[float], list[tuple[int, int, float]]]:
        """The times the module docstring describes before any rounding is given, and the ties
        ``(i, j, w)``, ``t[j] - t[i] <= w`` on nodes, that keep each unstated event tight to the
        one it follows (or, before the first stated time, precedes)."""
        stated = [self.stated(e)[0] for e in events]
        first = next((k for k, t in enumerate(stated) if t is not None), None)
        if first is None:
            return self._untimed(events, tt), []
        out: list[float] = [0.0] * len(events)
        ties: list[tuple[int, int, float]] = []
        for k in range(first, len(events)):
            t = stated[k]
            if t is None:
                gap = service[k - 1] + tt[k]
                t = out[k - 1] + gap
                e = events[k]
                opens = -math.inf
                # A call waits for its window after another call (AM), or for the departure
                # time (PM); the first call after a pick-up does not.
                if not isinstance(e, int) and not (self.am and isinstance(events[k - 1], int)):
                    opens = self.window(e[0])[0]
                    opens += 0.0 if self.am else self.policy.pm_departure_after_finish_min
                if opens > t:
                    t = opens
                else:
                    ties.append((k, k + 1, gap))
            out[k] = t
        for k in range(first - 1, -1, -1):
            out[k] = out[k + 1] - tt[k + 1] - service[k]
            ties.append((k + 1, k + 2, service[k] + tt[k + 1]))
        return out, ties

    def _untimed(self, events: Sequence[Event], tt: Sequence[float]) -> list[float]:
        """No stated time: AM calls (after the stops) as late as every window allows, each later
        school as soon as its window opens; PM calls (before the stops) from the policy's
        departure time, each earlier school left as late as the next allows; stops tight."""
        n, k = len(self.rows), len(events) - len(self.rows)
        calls = [e for e in events if not isinstance(e, int)]
        leg = tt[1:-1]  # leg[j]: event j -> event j + 1
        if self.am:
            opens = [self.window(c[0]) for c in calls]

            def calls_from(first: float) -> list[float]:
                out = [first]
                for j in range(1, k):
                    out.append(max(out[-1] + leg[n + j - 1], opens[j][0]))
                return out

            call_t = calls_from(opens[0][1])
            late = max(t - w[1] for w, t in zip(opens, call_t, strict=True))
            call_t = calls_from(call_t[0] - max(late, 0.0))
            times = [0.0] * n
            t = call_t[0] - leg[n - 1]
            for i in range(n - 1, -1, -1):
                t -= self.board[i]
                times[i] = t
                t -= leg[i - 1] if i else 0.0
            return times + call_t
        after = self.policy.pm_departure_after_finish_min
        call_t = [self.window(calls[0][0])[0] + after]
        for j in range(1, k):
            call_t.append(max(call_t[-1] + leg[j - 1], self.window(calls[j][0])[0] + after))
        for j in range(k - 2, -1, -1):
            call_t[j] = max(call_t[j], call_t[j + 1] - leg[j])
        times = [call_t[-1] + leg[k - 1]]
        for i in range(1, n):
            times.append(times[-1] + self.board[i - 1] + leg[k + i - 1])
        return call_t + times

    def idle(self, events: Sequence[Event]) -> float:
        """Minutes the vehicle must wait before its stated times, however they were rounded:
        driving on from each stated time (at its latest), calls waiting only for their window."""
        tt, _ = self.legs(events)
        total, clock = 0.0, -math.inf
        for k, e in enumerate(events):
            t, h = self.stated(e)
            clock += tt[k]
            if not isinstance(e, int) and clock > -math.inf:
                clock = max(clock, self.window(e[0])[0])
            if t is not None:
                total += max(0.0, t - h - clock) if clock > -math.inf else 0.0
                clock = t + h
            clock += self.board[e] if isinstance(e, int) else 0.0
        return total

    def overloaded(self, events: Sequence[Event]) -> int:
        """1 when the children on board at once ever exceed the seats or spaces of every layout
        of the vehicle."""
        return int(self.layout(events) is None)

    def layout(self, events: Sequence[Event], *, prefer: str = "") -> tuple[int, int] | None:
        """The vehicle's layout ``prefer`` (``14+1``, as stated) if it takes the most children on
        board at once, else its first layout that does."""
        aboard, peak = [0, 0], [0, 0]
        for e in events:
            sign = 1 if isinstance(e, int) == self.am else -1
            for i in (e,) if isinstance(e, int) else e[1]:
                aboard[self.kids[i].wheelchair] += sign
            peak = [max(p, a) for p, a in zip(peak, aboard, strict=True)]
        fits = [
            lay for lay in self.vehicle.layout_options if lay[0] >= peak[0] and lay[1] >= peak[1]
        ]
        chosen = [lay for lay in fits if layout_label(lay) == prefer]
        return next(iter(chosen or fits), None)

    # -- the route -------------------------------------------------------------------------

    def _listed(self, members: Sequence[int]) -> list[int]:
        """A call's children in the order the file lists them (routes.json), else driving."""
        if all(self.rows[i].call_rank is not None for i in members):
            return sorted(members, key=lambda i: _rank(self.rows[i]))
        return list(members)

    def build(self, route_id: str, events: Sequence[Event], times: Sequence[float]) -> Route:
        policy, kids, am = self.policy, self.kids, self.am
        tt, _ = self.legs(events)
        stop_t = {e: t for e, t in zip(events, times, strict=True) if isinstance(e, int)}
        calls: list[SchoolCall] = []
        call_t: dict[int, float] = {}
        after = 0
        for e, t in zip(events, times, strict=True):
            if isinstance(e, int):
                after += 1
            else:
                members = tuple(self.rows[i].child_id for i in self._listed(e[1]))
                calls.append(SchoolCall(e[0], t, after, members))
                call_t.update(dict.fromkeys(e[1], t))
        own = policy.ride_counts_own_boarding
        stops = []
        for i, child in enumerate(kids):
            t, b = stop_t[i], self.board[i]
            ride = call_t[i] - (t + b) if am else t - call_t[i]
            stops.append(RouteStop(child.child_id, t, ride + (b if own else 0.0), b))
        flags = []
        if len(kids) == 1:
            if kids[0].travel_alone:
                flags.append(RouteFlag.TRAVEL_ALONE.value)
            if self.excused:
                flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
        last = events[-1]
        distance = self.distance(events)
        v = self.vehicle
        fitted = self.layout(events, prefer=self.stated_layout)
        start_min = times[0] - tt[0]
        end_min = times[-1] + (self.board[last] if isinstance(last, int) else 0.0) + tt[-1]
        # A stated depot time stands where it leaves room for the legs (leaving earlier or back
        # later always does); else the tight one, which ``_depot_times`` kept within its rounding.
        stated_start, stated_end = self.depot
        if stated_start is not None and stated_start <= start_min + _EPS:
            start_min = min(stated_start, start_min)
        if stated_end is not None and stated_end >= end_min - _EPS:
            end_min = max(stated_end, end_min)
        return Route(
            route_id=route_id,
            vehicle_type=v.name,
            school_id=calls[0].school_id,
            session=self.session,
            stops=tuple(stops),
            start_min=start_min,
            school_time_min=calls[0].time_min,
            end_min=end_min,
            distance_m=distance,
            cost_gbp=v.fixed_cost_gbp + v.cost_per_km_gbp * distance / 1000.0,
            assistant=v.has_assistant,
            solo=bool(flags),
            flags=tuple(flags),
            calls=tuple(calls) if len(calls) > 1 else (),
            # A council's routes state no layout: the first that takes the load (none: overfull).
            layout="" if fitted is None else layout_label(fitted),
        )


def _rank(row: ExistingStop) -> int:
    assert row.call_rank is not None
    return row.call_rank


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


class _Differences:
    """A system of constraints ``t[j] - t[i] <= w`` (node 0 is the clock's zero), kept as all
    shortest paths so a constraint is accepted only if the system stays consistent."""

    def __init__(self, events: int) -> None:
        self.d = np.full((events + 1, events + 1), np.inf)
        np.fill_diagonal(self.d, 0.0)

    def add(self, i: int, j: int, w: float) -> bool:
        """Accept the constraint unless it contradicts the others by more than float noise. One
        within the noise is eased to agree exactly: a negative cycle, however tiny, would grow
        threefold with every constraint added after it, and the times fixed last (PM: the last
        drop-offs) would no longer keep the drives the system had accepted."""
        back = self.d[j, i]
        if back + w < -_EPS:
            return False
        w = max(w, -back)
        self.d = np.minimum(self.d, self.d[:, i : i + 1] + w + self.d[j : j + 1, :])
        np.fill_diagonal(self.d, 0.0)
        return True

    def bounds(self, k: int) -> tuple[float, float]:
        return float(-self.d[k, 0]), float(self.d[0, k])


def _leg_matrices(
    travel: TravelModel, points: Sequence[tuple[float, float]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Minutes and metres between every ordered pair of points (0 between equal points)."""
    n = len(points)
    pairs = [(a, b) for a in range(n) for b in range(n) if points[a] != points[b]]
    minutes, metres = np.zeros((n, n)), np.zeros((n, n))
    if pairs:
        o = np.array([points[a] for a, _ in pairs], dtype=np.float64)
        d = np.array([points[b] for _, b in pairs], dtype=np.float64)
        secs, dist = travel.pairs(o, d)
        for (a, b), s, m in zip(pairs, secs, dist, strict=True):
            minutes[a, b], metres[a, b] = float(s) / 60.0, float(m)
    return minutes, metres
