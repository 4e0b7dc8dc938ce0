"""Evaluate a council's existing routes: cost, ride times and every rule they break.

The routes arrive as stops, one per child in driving order (``api.existing_routes`` reads them
from a CSV, a council's workbook, our route_sheets.xlsx or our routes.json): the vehicle, the
child's school and, when given, the planned pick-up (AM) or drop-off (PM) time and the time of
the child's school call (AM: arrival; PM: departure).

**School calls.** When every stop of a route states its school time, the children of one school
at one time share a call, placed among the stops by the stated times. Otherwise the route calls
at its school(s) after every pick-up (AM) in bell order, or before every drop-off (PM) in finish
order: a route naming several schools is a mixed-school run. When its stops state times, other
readings are weighed too: calls between stops wherever the stated times leave room for the
drive (each child leaving at the first call at their school after boarding, AM, or boarding at
the last one before their drop-off, PM). The route is read the way that breaks the fewest rules,
then leaves the vehicle the least time waiting before a stated time (to the minute), then the
default way, then the cheapest: a run whose times show a detour to a school is read with that
call. Times of pick-ups alone cannot order the calls after the last pick-up, so a mixed run
without school times may be costed in another order than the one driven, and with no times at
all its calls follow every pick-up (may overload it): each such route gets a note naming the
call order inferred.

**Times.** A stop or call without a stated time follows the one before on a tight schedule
(boarding, then the drive; a morning call after another waits for its school's window to open,
an afternoon call for the policy's departure time); before the first stated time, each precedes
the next as tightly (an afternoon run leaves its schools as late as its first stated drop-off
allows). With no times at all, a morning run arrives at the latest time of the window
(later schools as soon as their windows open) and an afternoon run leaves school at the policy's
departure time (earlier schools as late as the next departure allows). A stated time stands
for any time within half its ``precision_min`` of it: ``HH:MM`` for the minute it rounds to
(+-30 s, as our route sheets round), routes.json's hundredths for +-0.3 s. The route gets the
benefit of that rounding: its schedule is the stated times, each moved by at most half the
precision, in driving order as little as keeping the most rules needs (the drive between stops
first, then windows, then ride limits), each kept well inside its rounding where the rules
leave room, so that it prints as stated again: a route read and written back shows the minutes
(hundredths) it was read with, as a re-plan's untouched routes must. From our routes.json a
route also takes back its layout, depot times, rides and the order of each call's children
where they hold. A rule that no such schedule keeps is broken, and the
independent checker reports it: a plan written to the minute reads back clean, while a ride a
whole minute over its limit or an arrival outside the window by more than the rounding is
reported. Each route is costed as the planner costs its own runs (every leg in whole metres), so
a plan read back costs the same to the penny. Children eligible for transport but on no route
are listed. :func:`saving` compares a new plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.transport.check import (
    TransportCheck,
    check_transport,
)
from sendplan.routing.transport.evaluate_run import _Run
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.plan import (
    Route,
    Session,
    TransportPlan,
    Unrouted,
    UnroutedReason,
)

__all__ = ["Evaluation", "ExistingStop", "evaluate_routes", "evaluate_sessions", "saving"]


@dataclass(frozen=True)
class Evaluation:
    """An existing session's routes rebuilt as a plan, and what the checker found."""

    plan: TransportPlan
    check: TransportCheck
    notes: tuple[str, ...] = ()
    """Per mixed-school route without school times: the inferred order of its school calls."""

    @property
    def cost_gbp(self) -> float:
        """Costed as the planner costs its runs (legs in whole metres); the checker recomputes
        it within its tolerance."""
        return self.plan.cost_gbp

    @property
    def violations(self) -> tuple[str, ...]:
        missing = tuple(
            f"child {u.child_id}: transport-eligible but on no existing route"
            for u in self.plan.unrouted
            if u.reason == UnroutedReason.NOT_ROUTED
        )
        return self.check.violations + missing


def evaluate_routes(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    stops: Sequence[ExistingStop],
    *,
    session: Session,
) -> Evaluation:
    """Rebuild one session's existing routes and check them against every rule."""
    grouped: dict[str, list[ExistingStop]] = {}
    for s in stops:
        if s.session == session:
            grouped.setdefault(s.route_id, []).append(s)
    routes, notes = [], []
    for route_id in sorted(grouped):
        rows = sorted(grouped[route_id], key=lambda s: s.stop_order)
        routes.append(_Run(rows, scenario, travel, session).route(route_id))
        note = _inferred(routes[-1], rows)
        if note is not None:
            notes.append(note)
    on_routes = {c for r in routes for c in r.child_ids}
    unrouted = [
        Unrouted(c, UnroutedReason.NOT_PLACED if s is None else UnroutedReason.NOT_ROUTED)
        for c, s in sorted(school_of.items())
        if c not in on_routes
    ]
    plan = TransportPlan(
        session=session,
        routes=tuple(routes),
        unrouted=tuple(unrouted),
        travel_model=travel.name,
        seed=0,
        engine="existing",
    )
    return Evaluation(plan, check_transport(scenario, school_of, travel, plan), tuple(notes))


def _inferred(route: Route, rows: Sequence[ExistingStop]) -> str | None:
    """A note for a mixed-school route read without every school time: the call order used."""
    if len({r.school_id for r in rows}) < 2 or all(r.school_time_min is not None for r in rows):
        return None
    order = " > ".join(c.school_id for c in route.school_calls)
    am = route.session == "am"
    where = "after the last pick-up" if am else "before the first drop-off"
    how = (
        f"placed where the stated times leave room, the rest {where} as fewest rules break"
        if any(r.time_min is not None for r in rows)
        else f"with no times, all {where} in {'bell' if am else 'finish'} order"
    )
    return (
        f"route {route.route_id}: mixed-school run without school_time: school call order "
        f"inferred ({order}; {how}), so its seats, rides and cost are judged on that order, "
        "not necessarily the one driven"
    )


def saving(existing: Evaluation, new: TransportPlan, *, days_per_year: int) -> dict[str, float]:
    """What the new plan saves against the existing routes of the same session."""
    old, now = existing.cost_gbp, new.cost_gbp
    return {
        "existing_cost_gbp_per_session": round(old, 2),
        "new_cost_gbp_per_session": round(now, 2),
        "saving_gbp_per_session": round(old - now, 2),
        "saving_gbp_per_year": round((old - now) * days_per_year, 2),
        "saving_pct": round(100.0 * (old - now) / old, 2) if old > 0 else 0.0,
        "existing_routes": len(existing.plan.routes),
        "new_routes": len(new.routes),
        "existing_rides_over_limit": len(existing.check.rides_over_limit),
        "existing_violations": len(existing.violations),
    }


def evaluate_sessions(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    stops: Sequence[ExistingStop],
    *,
    plans: Sequence[TransportPlan] = (),
) -> dict[str, dict[str, object]]:
    """Per session of the existing routes: cost, longest ride, breaches, and the new plan's saving.

    Existing routes take each child to the school of ``school_of`` (the placement, or the
    child's current school), so a child routed elsewhere is a violation.
    """
    report: dict[str, dict[str, object]] = {}
    for session in sorted({s.session for s in stops}):
        ev = evaluate_routes(scenario, school_of, travel, stops, session=session)
        entry: dict[str, object] = {
            "cost_gbp": round(ev.cost_gbp, 2),
            "routes": len(ev.plan.routes),
            "longest_ride_min": round(max(ev.check.rides_min.values(), default=0.0), 2),
            "rides_over_limit": list(ev.check.rides_over_limit),
            "violations": list(ev.violations),
            "notes": list(ev.notes),
            # Each route's cost, for contract prices beside it (``contracts.py``).
            "routes_costed": [
                {"route_id": r.route_id, "cost_gbp": round(r.cost_gbp, 2)} for r in ev.plan.routes
            ],
        }
        new = next((p for p in plans if p.session == session), None)
        if new is not None:
            entry["saving"] = saving(ev, new, days_per_year=scenario.policy.school_days_per_year)
        report[session] = entry
    return report
