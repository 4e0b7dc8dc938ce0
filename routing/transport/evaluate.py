"""Evaluate a council's existing routes: cost, ride times and every rule they break.

The routes arrive as stops (``api.transport_io.read_existing_routes`` reads them from CSV:
``route_id, vehicle_type, school_id, session, stop_order, child_id[, pickup_time]``). Each route
is rebuilt in real time: a stop with a planned time keeps it, a stop without one follows the
previous stop on a tight schedule (boarding, then the drive). A morning route with no planned
times arrives at the latest time of the policy window; an afternoon one leaves school at the
policy's departure time. A route naming several schools is a mixed-school run (schools called
after every pick-up in bell order, or before every drop-off in finish order). The independent
checker then reports every violation, and children eligible for transport but on no route are
listed. :func:`saving` compares a new plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.transport.check import (
    TransportCheck,
    boarding_min,
    check_transport,
    limit_min,
)
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    SchoolCall,
    Session,
    TransportPlan,
    Unrouted,
    UnroutedReason,
)


@dataclass(frozen=True, slots=True)
class ExistingStop:
    """One row of an existing-routes file; ``time_min`` is the planned pick-up (AM) or
    drop-off (PM) time when given."""

    route_id: str
    vehicle_type: str
    school_id: str
    session: Session
    stop_order: int
    child_id: str
    time_min: float | None = None


@dataclass(frozen=True)
class Evaluation:
    """An existing session's routes rebuilt as a plan, and what the checker found."""

    plan: TransportPlan
    check: TransportCheck

    @property
    def cost_gbp(self) -> float:
        return self.check.cost_gbp

    @property
    def violations(self) -> tuple[str, ...]:
        missing = tuple(
            f"child {u.child_id}: transport-eligible but on no existing route"
            for u in self.plan.unrouted
            if u.reason == UnroutedReason.NOT_ROUTED
        )
        return self.check.violations + missing


def _tt(travel: TravelModel, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    if a == b:
        return 0.0, 0.0
    secs, metres = travel.pairs(np.array([a], dtype=np.float64), np.array([b], dtype=np.float64))
    return float(secs[0]) / 60.0, float(metres[0])


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
    routes = []
    for route_id in sorted(grouped):
        rows = sorted(grouped[route_id], key=lambda s: s.stop_order)
        routes.append(_rebuild(route_id, rows, scenario, travel, session=session))
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
    return Evaluation(plan, check_transport(scenario, school_of, travel, plan))


def _rebuild(
    route_id: str,
    rows: Sequence[ExistingStop],
    scenario: Scenario,
    travel: TravelModel,
    *,
    session: Session,
) -> Route:
    """One existing route in real time. A route naming several schools is a mixed-school run:
    it is assumed to call at them after every pick-up (AM, in bell order) or before every
    drop-off (PM, in finish order), waiting where a window asks it to: AM reaching each later
    school as soon as its window opens, PM leaving each school as late as the next departure
    allows, so that no child waits longer than the windows require."""
    policy = scenario.policy
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    vehicle = {v.name: v for v in scenario.fleet}[rows[0].vehicle_type]
    kids = [children[s.child_id] for s in rows]
    am = session == "am"
    order = sorted(
        dict.fromkeys(s.school_id for s in rows),
        key=lambda i: schools[i].bell_am_min if am else schools[i].finish_pm_min,
    )
    calls_at = [schools[i] for i in order]
    homes = [(c.lon, c.lat) for c in kids]
    here = [(s.lon, s.lat) for s in calls_at]
    depot = (vehicle.depot_lon, vehicle.depot_lat)
    board = [boarding_min(c, policy) for c in kids]
    path = [depot, *homes, *here, depot] if am else [depot, *here, *homes, depot]
    legs = [_tt(travel, a, b) for a, b in itertools.pairwise(path)]
    tt = [t for t, _ in legs]
    given = [s.time_min for s in rows]
    n, k = len(kids), len(calls_at)
    lo = policy.arrival_window_min[0]
    after = policy.pm_departure_after_finish_min
    hi = policy.arrival_window_min[1]
    if am:

        def calls_from(first: float) -> list[float]:
            """Each later school as soon as its window opens (children wait least)."""
            out = [first]
            for j in range(1, k):
                out.append(max(out[-1] + tt[n + j], calls_at[j].bell_am_min - hi))
            return out

        times: list[float] = []
        if all(g is None for g in given):
            # The first school as late as every window allows, pick-ups tight before it.
            call_t = calls_from(calls_at[0].bell_am_min - lo)
            late = max(t - (s.bell_am_min - lo) for s, t in zip(calls_at, call_t, strict=True))
            call_t = calls_from(call_t[0] - max(late, 0.0))
            t = call_t[0] - tt[n]
            for i in range(n - 1, -1, -1):
                t -= board[i]
                times.insert(0, t)
                t -= tt[i]
        else:
            for i, g in enumerate(given):
                tight = 0.0 if i == 0 else times[-1] + board[i - 1] + tt[i]
                times.append(g if g is not None else tight)
            call_t = calls_from(times[-1] + board[-1] + tt[n])
        start, end = times[0] - tt[0], call_t[-1] + tt[-1]
    else:
        call_t = [calls_at[0].finish_pm_min + after]
        for j in range(1, k):
            call_t.append(max(call_t[-1] + tt[j], calls_at[j].finish_pm_min + after))
        for j in range(k - 2, -1, -1):  # leave each school as late as the next one allows
            call_t[j] = max(call_t[j], call_t[j + 1] - tt[j + 1])
        if given[0] is not None:  # the first drop-off time fixes the last departure
            shift = given[0] - tt[k] - call_t[-1]
            call_t = [t + shift for t in call_t]
        times = []
        for i, g in enumerate(given):
            prev = call_t[-1] if i == 0 else times[-1] + board[i - 1]
            times.append(g if g is not None else prev + tt[k + i])
        start, end = call_t[0] - tt[0], times[-1] + board[-1] + tt[-1]
    when = {sch.school_id: t for sch, t in zip(calls_at, call_t, strict=True)}
    mine = [when[s.school_id] for s in rows]
    if am:
        rides = [c - (t + b) for c, t, b in zip(mine, times, board, strict=True)]
    else:
        rides = [t - c for c, t in zip(mine, times, strict=True)]
    distance = sum(m for _, m in legs)
    flags = []
    if n == 1:
        direct = _tt(travel, homes[0], here[0]) if am else _tt(travel, here[0], homes[0])
        if kids[0].travel_alone:
            flags.append(RouteFlag.TRAVEL_ALONE.value)
        if direct[0] > limit_min(kids[0], policy):
            flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
    calls = tuple(
        SchoolCall(
            sch.school_id,
            t,
            n if am else 0,
            tuple(s.child_id for s in rows if s.school_id == sch.school_id),
        )
        for sch, t in zip(calls_at, call_t, strict=True)
    )
    return Route(
        route_id=route_id,
        vehicle_type=vehicle.name,
        school_id=calls[0].school_id,
        session=session,
        stops=tuple(
            RouteStop(c.child_id, t, r, b)
            for c, t, r, b in zip(kids, times, rides, board, strict=True)
        ),
        start_min=start,
        school_time_min=calls[0].time_min,
        end_min=end,
        distance_m=distance,
        cost_gbp=vehicle.fixed_cost_gbp + vehicle.cost_per_km_gbp * distance / 1000.0,
        assistant=vehicle.has_assistant,
        solo=bool(flags),
        flags=tuple(flags),
        calls=calls if k > 1 else (),
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
            "max_ride_min": round(max(ev.check.rides_min.values(), default=0.0), 2),
            "rides_over_limit": list(ev.check.rides_over_limit),
            "violations": list(ev.violations),
        }
        new = next((p for p in plans if p.session == session), None)
        if new is not None:
            entry["saving"] = saving(ev, new, days_per_year=scenario.policy.school_days_per_year)
        report[session] = entry
    return report
