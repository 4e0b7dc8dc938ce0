"""One existing run as stated, for ``evaluate_run.py``: its children, vehicle and school points,
every leg between them (minutes and metres), each event's stated time and rounding, each school
call's window and the layouts that take the load. ``evaluate_readings.py`` reads its school calls
and ``evaluate_schedule.py`` times them on this."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario, layout_label
from sendplan.routing.transport.check import (
    SOLO_LEG_ROUNDING_MIN,
    TIME_TOL_MIN,
    boarding_min,
    limit_min,
)
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.plan import Session

# A reading of a run: its events in driving order, each a child's stop (the child's index on the
# route) or a school call (the school and the indices of the children it takes).
Call: TypeAlias = tuple[str, tuple[int, ...]]
Event: TypeAlias = int | Call

EPS = 1e-9
"""Float noise: times that differ by less are the same time."""


class RunLegs:
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
        if self.excused:  # the flag excuses a ride as long as the direct journey (as the
            # checker reads it: with a planner's rounding of its one leg), no longer
            self.span[0] += self._direct(0) + SOLO_LEG_ROUNDING_MIN - limit

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
