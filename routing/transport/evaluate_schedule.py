"""An existing run's schedule for ``evaluate_run.py``: the times of one reading of its events.
Each stated time may move within its rounding, and the rules are kept in order (drives, then
windows, then ride limits) while some schedule still satisfies them; a rule none keeps is
broken. Unstated times follow the one before on a tight schedule (see ``evaluate.py``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sendplan.routing.transport.evaluate_legs import EPS, Event, RunLegs

INSIDE = 0.01
"""A time moved within its rounding stays this share of the half-precision inside it where the
rules allow, so that it prints as stated again (07:57 not as 07:57:30, which rounds to 07:58)."""


class RunSchedule(RunLegs):
    """An existing run's times in one reading, the rules it breaks and the waiting it leaves."""

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
        """The times ``evaluate.py``'s docstring describes before any rounding is given, and
        the ties ``(i, j, w)``, ``t[j] - t[i] <= w`` on nodes, that keep each unstated event tight
        to the one it follows (or, before the first stated time, precedes)."""
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
        if back + w < -EPS:
            return False
        w = max(w, -back)
        self.d = np.minimum(self.d, self.d[:, i : i + 1] + w + self.d[j : j + 1, :])
        np.fill_diagonal(self.d, 0.0)
        return True

    def bounds(self, k: int) -> tuple[float, float]:
        return float(-self.d[k, 0]), float(self.d[0, k])
