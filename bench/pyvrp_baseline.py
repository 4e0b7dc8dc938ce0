"""Plain PyVRP per school: the transport benchmark's baseline (issue 17).

Each school is one textbook VRPTW in real time, solved by PyVRP through the project's adapter
(``routing/vrp/solve.py`` with ``engine="pyvrp"``: PyVRP's own iterated local search, no
sendplan operators, no reversed-time formulation, no post-processing).

*Morning.* A vehicle leaves its depot, picks children up and ends at the school (an end depot
closing at the planned arrival ``A``). A child's ride limit is a time window: boarding starts no
earlier than ``A - limit - boarding``, so however long the vehicle waits, the child (who only
waits at home) is on board at most ``limit``. The school is reported reached at ``A``.
*Afternoon.* The vehicle leaves school at ``D`` (a start depot open only then) and drops each
child by ``D + limit``. The other dead-heading leg (school to depot in the morning, depot to
school in the afternoon) is the same for every run of a vehicle type, so it is in the type's
fixed cost, as the real route's cost has it.

*Rules.* The same vehicle kinds (one per type and layout) and availability as sendplan (schools
solved largest first, each with what the earlier ones left); seats and wheelchair spaces are two
load dimensions; passenger-assistant children need the ``assistant`` skill (the adapter makes it a
third load dimension); travel-alone children, and children whose direct journey already breaks
their limit, ride alone on the cheapest suitable vehicle. Sibling groups and never-together pairs
are not modelled (the synthetic cohorts have none): the checker reports them if present.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType
from sendplan.routing.transport.layouts import engine_shares, kinds_used, layout_of, vehicle_kinds
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    Session,
    TransportPlan,
    Unrouted,
    UnroutedReason,
)
from sendplan.routing.transport.rules import (
    ASSISTANT,
    COST_UNITS_PER_GBP,
    LOAD_NAMES,
    boarding_s,
    int_matrices,
    load_of,
    max_ride_s,
    reported_ride_s,
    route_cost_gbp,
    school_time_min,
    suits,
)
from sendplan.routing.vrp.problem import (
    UNBOUNDED,
    Problem,
    ProblemBuilder,
    Solution,
    UnassignedReason,
)
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import StopCriterion, now, with_runtime

ENGINE = "pyvrp-baseline"
MIN_SCHOOL_RUNTIME_S = 0.05


@dataclass(frozen=True)
class SchoolCase:
    """One school's children and matrices over [school, depots..., homes...] (seconds rounded
    up, metres rounded); ``school_s`` is the planned arrival (AM) or departure (PM)."""

    school: School
    kids: tuple[Child, ...]
    depot_of: dict[str, int]  # vehicle type name -> location index of its depot
    dur: NDArray[np.int64]
    dist: NDArray[np.int64]
    session: Session
    policy: Policy
    school_s: int

    def home(self, i: int) -> int:
        return 1 + len(set(self.depot_of.values())) + i

    def direct_s(self, i: int) -> int:
        h = self.home(i)
        return int(self.dur[h, 0] if self.session == "am" else self.dur[0, h])


def school_case(
    school: School,
    kids: Sequence[Child],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    session: Session,
    policy: Policy,
) -> SchoolCase:
    depots: list[tuple[float, float]] = []
    depot_of: dict[str, int] = {}
    for v in fleet:
        point = (v.depot_lon, v.depot_lat)
        if point not in depots:
            depots.append(point)
        depot_of[v.name] = 1 + depots.index(point)
    points = np.array(
        [(school.lon, school.lat), *depots, *((c.lon, c.lat) for c in kids)], dtype=np.float64
    )
    dur, dist = int_matrices(travel, points)
    school_s = round(school_time_min(school, policy, session) * 60)
    return SchoolCase(school, tuple(kids), depot_of, dur, dist, session, policy, school_s)


def school_problem(
    case: SchoolCase,
    shared: Sequence[int],
    kinds: Sequence[VehicleType],
    available: Sequence[int],
) -> Problem:
    """The school's VRPTW in real time over the children ``shared`` (indices into ``kids``)."""
    am, t = case.session == "am", case.school_s
    b = ProblemBuilder(distance=case.dist, duration=case.dur, load_names=LOAD_NAMES)
    # Depot 0 is the school: the morning's end (closing at A), the afternoon's start (at D).
    b.add_depot(0, tw_early=0 if am else t, tw_late=t, name=case.school.school_id)
    garages = sorted(set(case.depot_of.values()))
    for loc in garages:
        b.add_depot(loc, name=f"depot{loc}")
    for i in shared:
        child = case.kids[i]
        board, limit = boarding_s(child, case.policy), max_ride_s(child, case.policy)
        load = load_of(child)
        if am:  # boarding starts in [A - limit - boarding, A - direct - boarding]
            late = t - case.direct_s(i) - board
            window = (max(0, min(t - limit - board, late)), late)
        else:  # dropped off (vehicle arrives) in [D, D + limit]
            window = (t, t + limit)
        b.add_client(
            case.home(i),
            pickup=load if am else None,
            delivery=None if am else load,
            service_duration=board,
            tw_early=window[0],
            tw_late=window[1],
            skills=(ASSISTANT,) if child.needs_assistant else (),
            name=child.child_id,
        )
    for v, n in zip(kinds, available, strict=True):
        garage = garages.index(case.depot_of[v.name]) + 1
        loc = case.depot_of[v.name]
        per_m = round(v.cost_per_km_gbp * COST_UNITS_PER_GBP / 1000)
        leg_m = int(case.dist[0, loc] if am else case.dist[loc, 0])
        b.add_vehicle_type(
            num_available=n,
            capacity=(v.seats, v.wheelchair_spaces),
            start_depot=garage if am else 0,
            end_depot=0 if am else garage,
            fixed_cost=round(v.fixed_cost_gbp * COST_UNITS_PER_GBP) + per_m * leg_m,
            unit_distance_cost=per_m,
            tw_early=0 if am else t,
            tw_late=t if am else UNBOUNDED,
            skills=(ASSISTANT,) if v.has_assistant else (),
            name=v.name,
        )
    return b.build()


def baseline_route(
    case: SchoolCase,
    vehicle: VehicleType,
    order: Sequence[int],
    times_s: Sequence[int],
    *,
    flags: tuple[str, ...] = (),
) -> Route:
    """A run in real time: children ``order`` (indices into ``kids``) with their planned stop
    times (AM: boarding starts; PM: the vehicle arrives); rides follow from the times."""
    am, t, policy = case.session == "am", case.school_s, case.policy
    kids = [case.kids[i] for i in order]
    board = [boarding_s(c, policy) for c in kids]
    homes = [case.home(i) for i in order]
    garage = case.depot_of[vehicle.name]
    if am:
        rides = [t - (s + b) for s, b in zip(times_s, board, strict=True)]
        path = [garage, *homes, 0, garage]
        start, end = times_s[0] - int(case.dur[garage, homes[0]]), t + int(case.dur[0, garage])
    else:
        rides = [s - t for s in times_s]
        path = [garage, 0, *homes, garage]
        start = t - int(case.dur[garage, 0])
        end = times_s[-1] + board[-1] + int(case.dur[homes[-1], garage])
    distance = sum(int(case.dist[a, b]) for a, b in itertools.pairwise(path))
    stops = tuple(
        RouteStop(
            child_id=c.child_id,
            time_min=s / 60,
            ride_min=reported_ride_s(r, b, policy) / 60,
            boarding_min=b / 60,
        )
        for c, s, r, b in zip(kids, times_s, rides, board, strict=True)
    )
    return Route(
        route_id="",
        vehicle_type=vehicle.name,
        school_id=case.school.school_id,
        session=case.session,
        stops=stops,
        start_min=start / 60,
        school_time_min=t / 60,
        end_min=end / 60,
        distance_m=float(distance),
        cost_gbp=route_cost_gbp(vehicle, distance),
        assistant=vehicle.has_assistant,
        solo=bool(flags),
        flags=flags,
        layout=layout_of(vehicle),
    )


def _solo(
    case: SchoolCase, i: int, fleet: Sequence[VehicleType], remaining: dict[str, int]
) -> Route | None:
    """Child i alone on the cheapest suitable vehicle left (flagged), or None if none is left."""
    child, am = case.kids[i], case.session == "am"
    flags = [RouteFlag.TRAVEL_ALONE.value] if child.travel_alone else []
    if case.direct_s(i) > max_ride_s(child, case.policy):
        flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
    board = boarding_s(child, case.policy)
    time_s = case.school_s - case.direct_s(i) - board if am else case.school_s + case.direct_s(i)
    options = [
        baseline_route(case, v, [i], [time_s], flags=tuple(flags))
        for v in fleet
        if remaining[v.name] > 0 and suits(v, child)
    ]
    if not options:
        return None
    best = min(options, key=lambda r: (r.cost_gbp, r.vehicle_type))
    remaining[best.vehicle_type] -= 1
    return best


def plan_baseline(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    seed: int,
    workers: int | None = None,
) -> TransportPlan:
    """Plain PyVRP's plan for ``session``; a time limit is shared among schools in proportion
    to their children (what a school leaves goes to the next), an iteration limit is per school."""
    t0 = now()
    policy, fleet = scenario.policy, vehicle_kinds(scenario.fleet)
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    remaining = {v.name: v.available for v in fleet}
    unrouted: list[Unrouted] = []
    by_school: dict[str, list[Child]] = {}
    for child_id, school_id in sorted(school_of.items()):
        if school_id is None:
            unrouted.append(Unrouted(child_id, UnroutedReason.NOT_PLACED, "no school place"))
        else:
            by_school.setdefault(school_id, []).append(children[child_id])

    def lost(child: Child) -> Unrouted:
        suitable = any(suits(v, child) for v in fleet)
        why = UnroutedReason.FLEET_EXHAUSTED if suitable else UnroutedReason.NO_SUITABLE_VEHICLE
        return Unrouted(child.child_id, why)

    order = sorted(by_school, key=lambda s: (-len(by_school[s]), s))
    cases = {
        s: school_case(schools[s], by_school[s], fleet, travel, session=session, policy=policy)
        for s in order
    }
    routes: list[Route] = []
    shared: dict[str, list[int]] = {}
    for s in order:  # solo runs are forced: planned first, they use vehicles too
        case, shared[s] = cases[s], []
        for i, child in enumerate(case.kids):
            if child.travel_alone or case.direct_s(i) > max_ride_s(child, policy):
                solo = _solo(case, i, fleet, remaining)
                if solo is None:
                    unrouted.append(lost(child))
                else:
                    routes.append(solo)
            else:
                shared[s].append(i)
    left = sum(len(ks) for ks in shared.values())
    budget = stop.max_runtime_s()
    for s in order:
        case, ks = cases[s], shared[s]
        if not ks:
            continue
        if budget is None:
            school_stop = stop
        else:
            share = max(budget - (now() - t0), 0.0) * len(ks) / max(left, 1)
            school_stop = with_runtime(stop, max(share, MIN_SCHOOL_RUNTIME_S))
        left -= len(ks)
        kinds = [v for v in fleet if remaining[v.name] > 0]
        if not kinds:
            unrouted += [lost(case.kids[i]) for i in ks]
            continue
        available = [remaining[v.name] for v in kinds]
        result = solve(school_problem(case, ks, kinds, available), school_stop, seed,
                       engine="pyvrp", workers=workers)  # fmt: skip
        shares = engine_shares(kinds, kinds_used(kinds, (r.vehicle_type for r in result.routes)),
                               remaining)  # fmt: skip
        if shares is not None:  # a type's layouts together used more vehicles than are left
            kinds = [v for v, n in zip(kinds, shares, strict=True) if n > 0]
            available = [n for n in shares if n > 0]
            result = solve(school_problem(case, ks, kinds, available), school_stop, seed,
                           engine="pyvrp", workers=workers)  # fmt: skip
        routes += _routes_of(case, ks, kinds, result, remaining)
        for u in result.unassigned:
            child = case.kids[ks[u.index]]
            if u.reason == UnassignedReason.NO_COMPATIBLE_VEHICLE:
                unrouted.append(lost(child))
            else:
                unrouted.append(Unrouted(child.child_id, UnroutedReason.NOT_ROUTED, u.reason))
    return TransportPlan(
        session=session,
        routes=tuple(_numbered(routes, session)),
        unrouted=tuple(sorted(unrouted, key=lambda u: u.child_id)),
        travel_model=travel.name,
        seed=seed,
        engine=ENGINE,
        figures={"schools": len(order), "seconds": round(now() - t0, 2)},
    )


def _routes_of(
    case: SchoolCase,
    ks: Sequence[int],
    kinds: Sequence[VehicleType],
    result: Solution,
    remaining: dict[str, int],
) -> list[Route]:
    out = []
    for tour in result.routes:
        vehicle = kinds[tour.vehicle_type]
        remaining[vehicle.name] -= 1
        order = [ks[v.index] for v in tour.visits]
        out.append(baseline_route(case, vehicle, order, tour.times))
    return out


def _numbered(routes: Sequence[Route], session: Session) -> list[Route]:
    """Route ids ``AM-<school>-001``..., in a stable order."""
    out: list[Route] = []
    counts: dict[str, int] = {}
    ranked = sorted(routes, key=lambda r: (r.school_id, r.solo, r.vehicle_type, r.child_ids))
    for r in ranked:
        counts[r.school_id] = n = counts.get(r.school_id, 0) + 1
        out.append(replace(r, route_id=f"{session.upper()}-{r.school_id}-{n:03d}"))
    return out
