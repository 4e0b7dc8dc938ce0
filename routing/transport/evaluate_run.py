"""One existing run rebuilt in real time for ``evaluate.py``: read the way that breaks the
fewest rules (``evaluate_readings.py``), timed within the stated times' rounding
(``evaluate_schedule.py``) on its legs (``evaluate_legs.py``), and built as a route."""

from __future__ import annotations

from collections.abc import Sequence

from sendplan.routing.model import layout_label
from sendplan.routing.transport.evaluate_legs import EPS, Event
from sendplan.routing.transport.evaluate_readings import RunReadings
from sendplan.routing.transport.evaluate_schedule import RunSchedule
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    SchoolCall,
)


class _Run(RunReadings, RunSchedule):
    """One existing route, read, timed and built as a route."""

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
        if stated_start is not None and stated_start <= start_min + EPS:
            start_min = min(stated_start, start_min)
        if stated_end is not None and stated_end >= end_min - EPS:
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
