"""An independent SEND route checker: recomputes a transport plan from the inputs alone.

It trusts nothing the planner reports. From the scenario, each child's school, the travel model
and the session it re-derives: coverage (each eligible child on exactly one route or unrouted
with a valid reason), seats and wheelchair spaces per vehicle type, the passenger assistant,
travel-alone children riding alone, the school arrival window (AM) or departure after finish
(PM), boarding times, the planned times against real travel times, every child's ride (own
boarding included when ``policy.ride_counts_own_boarding``) against their limit (a child whose
direct journey already exceeds it may ride alone, flagged), vehicles used per type against
availability, distances and costs, never-together pairs sharing a vehicle, and flagged siblings
(same group and school) split over routes without a reason or not picked up (dropped off) one
after another. Route flags must be known and have their reason on the route (a flagged solo
ride over the limit may last the direct journey, no longer). The rules that need no travel times
(coverage, vehicle fit, travel alone, never-together) are in ``check_rules.py``; the times,
rides, distances, costs and siblings are here. The checker shares no code with the planner
(``planner.py`` and its modules, ``rules.py``, ``mixed.py``, the engine in ``routing/vrp``)
beyond the domain types; ``tests/transport/test_transport_check.py`` holds it to that.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType, is_primary
from sendplan.routing.transport.check_rules import coverage, never_together, vehicle_rules
from sendplan.routing.transport.plan import Route, RouteFlag, Session, TransportPlan

TIME_TOL_MIN = 1e-6
# Planners time each leg in whole seconds, rounded up (so a plan stays feasible on the exact
# times): a flagged solo run's one leg may take up to a second longer than the direct journey.
SOLO_LEG_ROUNDING_MIN = 1.0 / 60.0
DIST_TOL_M_PER_LEG = 1.0
COST_TOL_GBP = 0.01


@dataclass(frozen=True)
class TransportCheck:
    """Every violation (one line each, naming the route and child) and recomputed figures."""

    violations: tuple[str, ...]
    cost_gbp: float
    distance_m: float
    rides_min: dict[str, float] = field(default_factory=dict)
    rides_over_limit: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


def limit_min(child: Child, policy: Policy) -> float:
    """The child's ride limit (own override, else by phase)."""
    if child.ride_limit_min is not None:
        return child.ride_limit_min
    primary = is_primary(child.age)
    return policy.ride_limit_min_primary if primary else policy.ride_limit_min_secondary


def boarding_min(child: Child, policy: Policy) -> float:
    return policy.boarding_wheelchair_min if child.wheelchair else policy.boarding_walk_on_min


def forward_rides(
    session: Session, legs: Sequence[float], boarding: Sequence[float]
) -> list[float]:
    """Each child's ride on a tight schedule (no waiting), evaluated forwards in real time.

    AM: ``legs`` are the times stop0->stop1, ..., last stop->school; PM: school->stop0,
    stop0->stop1, ... (one per child). ``boarding`` per stop in driving order.
    """
    rides: list[float] = []
    if session == "am":
        after = 0.0
        for i in reversed(range(len(boarding))):
            after += legs[i]
            rides.append(after)
            after += boarding[i]
        return rides[::-1]
    t = 0.0
    for i in range(len(boarding)):
        t += legs[i]
        rides.append(t)
        t += boarding[i]
    return rides


class _Travel:
    """Leg times (minutes) and distances (metres) from the travel model, cached by point pair."""

    def __init__(self, travel: TravelModel) -> None:
        self.travel = travel
        self.cache: dict[tuple[tuple[float, float], tuple[float, float]], tuple[float, float]] = {}

    def legs(self, points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
        pairs = list(itertools.pairwise(points))
        todo = sorted({p for p in pairs if p not in self.cache and p[0] != p[1]})
        if todo:
            # Coordinates are floats, so these arrays are float64.
            secs, metres = self.travel.pairs(np.array([a for a, _ in todo]),
                                             np.array([b for _, b in todo]))  # fmt: skip
            for k, p in enumerate(todo):
                self.cache[p] = (float(secs[k]) / 60.0, float(metres[k]))
        out = [self.cache.get(p, (0.0, 0.0)) for p in pairs]
        return [t for t, _ in out], [m for _, m in out]


def check_transport(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    plan: TransportPlan,
    *,
    check_fleet: bool = True,
) -> TransportCheck:
    """Every rule the plan breaks. ``school_of`` maps each transport-eligible child to their
    school (None when unplaced)."""
    policy = scenario.policy
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    fleet = {v.name: v for v in scenario.fleet}
    out = coverage(plan, school_of, fleet, children, check_fleet=check_fleet)
    if check_fleet:
        used = Counter(r.vehicle_type for r in plan.routes)
        for name, count in sorted(used.items()):
            if name in fleet and count > fleet[name].available:
                out.append(f"vehicle type {name}: {count} routes but {fleet[name].available} exist")
    legs = _Travel(travel)
    rides: dict[str, float] = {}
    over: list[str] = []
    total_cost = total_distance = 0.0
    for route in plan.routes:
        where = f"route {route.route_id}"
        vehicle = fleet.get(route.vehicle_type)
        unknown = [c.school_id for c in route.school_calls if c.school_id not in schools]
        if vehicle is None or unknown:
            what = "vehicle type" if vehicle is None else f"school {unknown[0]}"
            out.append(f"{where}: unknown {what}")
            continue
        if route.session != plan.session:
            out.append(f"{where}: session {route.session} in a {plan.session} plan")
        known = [children[s.child_id] for s in route.stops if s.child_id in children]
        if len(known) != len(route.stops):
            continue  # reported by coverage
        if not known:
            out.append(f"{where}: has no children")
            continue
        out += [f"{where}: {v}" for v in vehicle_rules(route, vehicle, known)]
        problems, route_rides, cost, distance = _times_and_costs(
            route, vehicle, schools, known, policy, legs
        )
        out += [f"{where}: {p}" for p in problems]
        total_cost += cost
        total_distance += distance
        for k, child in enumerate(known):
            rides[child.child_id] = ride = route_rides[k]
            if ride > limit_min(child, policy) + TIME_TOL_MIN:
                over.append(child.child_id)
    out += never_together(plan, children)
    out += _siblings(plan, school_of, children, fleet, schools, policy, legs)
    return TransportCheck(
        violations=tuple(out),
        cost_gbp=total_cost,
        distance_m=total_distance,
        rides_min=rides,
        rides_over_limit=tuple(sorted(over)),
    )


def _siblings(
    plan: TransportPlan,
    school_of: Mapping[str, str | None],
    children: Mapping[str, Child],
    fleet: Mapping[str, VehicleType],
    schools: Mapping[str, School],
    policy: Policy,
    legs: _Travel,
) -> list[str]:
    """Siblings of one group at one school share a route, picked up (dropped off) one after
    another, unless a rule keeps them apart: one travels alone, two must never ride together,
    one is unrouted or on a flagged solo route, no vehicle type carries them all, or picking
    them all up (in child id order) already breaks a ride limit."""
    route_of = {i: r for r in plan.routes for i in r.child_ids}
    groups: dict[tuple[str, str], list[Child]] = {}
    for child_id, school_id in sorted(school_of.items()):
        child = children.get(child_id)
        if child is not None and child.sibling_group and school_id is not None:
            groups.setdefault((child.sibling_group, school_id), []).append(child)
    out: list[str] = []
    verb = "picked up" if plan.session == "am" else "dropped off"
    for (group, school_id), kids in sorted(groups.items()):
        routed = [route_of[c.child_id] for c in kids if c.child_id in route_of]
        on = sorted({r.route_id for r in routed})
        if len(routed) < 2:
            continue  # nothing to keep together
        ids = {c.child_id for c in kids}
        chairs = sum(c.wheelchair for c in kids)
        assist = any(c.needs_assistant for c in kids)
        school = schools.get(school_id)
        # The same rules that may keep them on two runs may keep them apart on one.
        excused = (
            len(routed) < len(kids)
            or any(c.travel_alone or ids & set(c.never_with) for c in kids)
            or any(r.flags for r in routed)
            or not any(
                seats >= len(kids) - chairs and spaces >= chairs and (v.has_assistant or not assist)
                for v in fleet.values()
                for seats, spaces in v.layout_options
            )
            or school is None
            or _joint_ride_over(kids, school, plan.session, policy, legs)
        )
        if excused:
            continue
        if len(on) > 1:
            out.append(f"sibling group {group} at {school_id}: split over routes {on}")
            continue
        at = [k for k, stop in enumerate(routed[0].stops) if stop.child_id in ids]
        if at[-1] - at[0] + 1 != len(at):
            out.append(f"route {on[0]}: sibling group {group} not {verb} one after another")
    return out


def _joint_ride_over(
    kids: Sequence[Child], school: School, session: Session, policy: Policy, legs: _Travel
) -> bool:
    homes = [(c.lon, c.lat) for c in kids]
    here = (school.lon, school.lat)
    tt, _ = legs.legs([*homes, here] if session == "am" else [here, *homes])
    board = [boarding_min(c, policy) for c in kids]
    rides = forward_rides(session, tt, board)
    own = policy.ride_counts_own_boarding
    return any(
        rides[k] + (board[k] if own else 0.0) > limit_min(c, policy) + TIME_TOL_MIN
        for k, c in enumerate(kids)
    )


def _times_and_costs(
    route: Route,
    vehicle: VehicleType,
    schools: Mapping[str, School],
    kids: Sequence[Child],
    policy: Policy,
    legs: _Travel,
) -> tuple[list[str], list[float], float, float]:
    """Times, rides, distance and cost of one run, on the events in driving order: each child's
    stop (its boarding is its service time) and each school call (no service time)."""
    out: list[str] = []
    calls = route.school_calls
    am = route.session == "am"
    board = [boarding_min(c, policy) for c in kids]
    for i, b in enumerate(board):
        stop = route.stops[i]
        if not math.isclose(stop.boarding_min, b, abs_tol=TIME_TOL_MIN):
            out.append(f"child {stop.child_id}: boarding {stop.boarding_min} min, policy says {b}")
    call_of: dict[str, int] = {}
    for k, call in enumerate(calls):
        for child_id in call.child_ids:
            call_of[child_id] = k
    # (label, point, time, service, call index or None), in driving order.
    events: list[tuple[str, tuple[float, float], float, float, int | None]] = []
    for i in range(len(kids) + 1):
        for k, call in enumerate(calls):
            if call.after_stops == i:
                sch = schools[call.school_id]
                events.append((f"school {call.school_id}", (sch.lon, sch.lat), call.time_min, 0, k))
        if i < len(kids):
            c = kids[i]
            events.append(
                (f"child {c.child_id}", (c.lon, c.lat), route.stops[i].time_min, board[i], None)
            )
    if len(events) != len(kids) + len(calls):
        out.append("a school call's position is outside the run")
    if (route.school_id, route.school_time_min) != (calls[0].school_id, calls[0].time_min):
        out.append("school_id and school_time_min are not those of the first school call")
    for call in calls:
        sch = schools[call.school_id]
        if am:
            lo, hi = policy.arrival_window_min
            first, last = sch.bell_am_min - hi - TIME_TOL_MIN, sch.bell_am_min - lo + TIME_TOL_MIN
            if not first <= call.time_min <= last:
                out.append(
                    f"arrives at {call.school_id} at {_hhmm(call.time_min)}, outside {lo:g}-{hi:g} "
                    f"min before the {_hhmm(sch.bell_am_min)} bell"
                )
        elif call.time_min < sch.finish_pm_min - TIME_TOL_MIN:
            out.append(
                f"leaves {call.school_id} at {_hhmm(call.time_min)}, "
                f"before {_hhmm(sch.finish_pm_min)}"
            )
    depot = (vehicle.depot_lon, vehicle.depot_lat)
    tt, metres = legs.legs([depot, *(e[1] for e in events), depot])
    # Each planned time must leave room for the previous service and the drive.
    for k in range(1, len(events)):
        (_, _, t_prev, s_prev, _), (label, _, t_next, _, _) = events[k - 1], events[k]
        need = t_prev + s_prev + tt[k]
        if t_next < need - TIME_TOL_MIN:
            out.append(f"{label} at {_hhmm(t_next)}: cannot be reached before {_hhmm(need)}")
    if events:
        if route.start_min > events[0][2] - tt[0] + TIME_TOL_MIN:
            what = "for the first pick-up" if events[0][4] is None else "to reach school"
            out.append(f"leaves the depot too late {what}")
        if route.end_min < events[-1][2] + events[-1][3] + tt[-1] - TIME_TOL_MIN:
            out.append("back at the depot before it can be")
    rides: list[float] = []
    position = {id(e): n for n, e in enumerate(events)}
    child_event = [e for e in events if e[4] is None]
    call_event = {e[4]: e for e in events if e[4] is not None}
    for i, child in enumerate(kids):
        which = call_of.get(child.child_id)
        if which is None or which not in call_event:
            out.append(f"child {child.child_id}: no school call takes them")
            rides.append(0.0)
            continue
        mine, theirs = child_event[i], call_event[which]
        if am != (theirs in events[position[id(mine)] + 1 :]):
            out.append(
                f"child {child.child_id}: school call {calls[which].school_id} is on the wrong side"
            )
        ride = theirs[2] - (mine[2] + board[i]) if am else mine[2] - theirs[2]
        rides.append(ride + (board[i] if policy.ride_counts_own_boarding else 0.0))
    for call in calls:
        stray = [i for i in call.child_ids if i not in {c.child_id for c in kids}]
        if stray:
            out.append(
                f"school call {call.school_id} lists child {stray[0]}, who is not on the run"
            )
    # Rides: reported = recomputed, and within each child's limit unless flagged solo.
    flagged = RouteFlag.DIRECT_RIDE_OVER_LIMIT.value in route.flags
    over_direct = False
    for i, child in enumerate(kids):
        stop, ride = route.stops[i], rides[i]
        if not math.isclose(stop.ride_min, ride, abs_tol=1e-4):
            out.append(f"child {child.child_id}: ride {stop.ride_min:.2f} min reported, {ride:.2f}")
        limit = limit_min(child, policy)
        if child.child_id not in call_of or (ride <= limit + TIME_TOL_MIN and not flagged):
            continue
        sch = schools[calls[call_of[child.child_id]].school_id]
        home, here = (child.lon, child.lat), (sch.lon, sch.lat)
        direct = legs.legs([home, here] if am else [here, home])[0][0]
        if policy.ride_counts_own_boarding:
            direct += boarding_min(child, policy)
        over_direct |= direct > limit - SOLO_LEG_ROUNDING_MIN
        if ride <= limit + TIME_TOL_MIN:
            continue
        # The flag excuses a ride over the limit only as long as the direct journey itself:
        # no waiting or detour with the child aboard.
        excused = (
            len(kids) == 1
            and flagged
            and direct > limit + TIME_TOL_MIN
            and ride <= direct + SOLO_LEG_ROUNDING_MIN + TIME_TOL_MIN
        )
        if not excused:
            out.append(f"child {child.child_id}: ride {ride:.1f} min exceeds limit {limit:g} min")
    if flagged and not over_direct:
        out.append(
            "flagged direct_ride_over_limit but no child's direct journey breaks their limit"
        )
    if route.solo != bool(route.flags):
        out.append(f"solo={route.solo} but flags={list(route.flags)}")
    distance, dist_tol = sum(metres), DIST_TOL_M_PER_LEG * len(metres)
    if abs(distance - route.distance_m) > dist_tol:
        out.append(f"distance {route.distance_m:.0f} m reported, {distance:.0f} m recomputed")
    cost = vehicle.fixed_cost_gbp + vehicle.cost_per_km_gbp * distance / 1000.0
    tol = COST_TOL_GBP + vehicle.cost_per_km_gbp * dist_tol / 1000.0
    if abs(cost - route.cost_gbp) > tol:
        out.append(f"cost £{route.cost_gbp:.2f} reported, £{cost:.2f} recomputed")
    return out, rides, cost, distance


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"
