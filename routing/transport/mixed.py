"""Mixed-school runs: merge nearby schools' single-school runs where that is cheaper.

Runs after the single-school plan when the policy sets ``mixed_school_routes``. Two schools can
share a vehicle when the drive between them is at most ``mixed_max_school_gap_min`` and their
windows let one vehicle reach both: AM, arriving at the first inside its arrival window leaves
time to reach the second inside its own; PM, the same with each school's departure window (from
``finish + pm_departure_after_finish_min``, as wide as the arrival window). Such schools are
grouped, nearest pairs first, up to ``MAX_SCHOOLS`` schools and ``MAX_JOBS`` jobs a group.

Each group is one pickup-and-delivery problem with ride limits, which OR-Tools expresses: every
job (a child, or a sibling group as in the single-school planner) is carried between home and
school within its ride limit, and vehicles start and end at their depots, so every leg is costed
as it will be driven. The group's single-school runs are first merged in pairs where that is
cheaper (``mixed_merge.py``); one search goes on from them, only accepting better solutions,
while the other builds its own plan by cheapest insertion. Both are needed: on the Leicester
default AM (15 s each), the group of four schools and 193 jobs ended 15% cheaper from a plan of
its own, the group of two schools and 230 jobs 29% dearer. The group's runs are replaced only
when the new ones cost less and route every job. Solo runs (travel alone, direct ride over the
limit, never-together repairs) and runs carrying a child of a never-together pair are left as
they are.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy, School, VehicleType
from sendplan.routing.transport.layouts import kind_key, layout_of
from sendplan.routing.transport.mixed_group import Group, build_group, engine_costs, school_window
from sendplan.routing.transport.mixed_merge import merge_group_runs
from sendplan.routing.transport.plan import Route, RouteStop, SchoolCall, Session
from sendplan.routing.transport.rules import (
    ASSISTANT,
    LOAD_NAMES,
    Job,
    boarding_s,
    reported_ride_s,
    route_cost_gbp,
)
from sendplan.routing.vrp.problem import InitialTour, ProblemBuilder, Stop, Tour, Visit
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import StopCriterion, now, with_runtime

MAX_SCHOOLS = 4
# Large enough for the largest school to join a group: at 150, the Leicester default's three
# largest schools (150, 80 and 70 jobs, half the cost of the runs that may merge) were never
# grouped. Measured on its AM at 120 s (seed 1, the merge's share at 0.35, runs back to back):
# the merge saved 6.5% of its single-school runs' cost at 250, 3.9% at 150; at 30 s it saves
# less at 250 (2.2% against 3.1%), the larger groups needing longer searches.
MAX_JOBS = 250
MIN_GROUP_RUNTIME_S = 0.2
# OR-Tools searches every vehicle it is offered, used or not; offering each kind only its runs'
# vehicles and this share of the group's run count more made the search find more solutions
# in its time (on the Leicester default AM, seed 2 at 120 s: 83-93 on the largest group, 139
# vehicles offered, against 55, 548 offered).
SPARE_VEHICLE_SHARE = 0.25


def group_schools(
    schools: Sequence[School],
    jobs_at: Mapping[str, int],
    travel: TravelModel,
    *,
    policy: Policy,
    session: Session,
) -> list[list[str]]:
    """Groups (of two or more schools) whose runs may be merged, nearest pairs first."""
    ids = sorted(s.school_id for s in schools if jobs_at.get(s.school_id, 0) > 0)
    by_id = {s.school_id: s for s in schools}
    if len(ids) < 2:
        return []
    points = np.array([(by_id[i].lon, by_id[i].lat) for i in ids], dtype=np.float64)
    seconds, _ = travel.matrix(points, points)
    drive = np.asarray(seconds, dtype=np.float64)
    win = [school_window(by_id[i], policy, session) for i in ids]
    gap_s = policy.mixed_max_school_gap_min * 60
    edges = []
    for a, b in itertools.combinations(range(len(ids)), 2):
        # Leaving one school inside its window reaches the other inside its window.
        reach = (
            win[a].early_s + drive[a, b] <= win[b].late_s
            and win[a].late_s + drive[a, b] >= win[b].early_s
        )
        back = (
            win[b].early_s + drive[b, a] <= win[a].late_s
            and win[b].late_s + drive[b, a] >= win[a].early_s
        )
        near = min(drive[a, b], drive[b, a])
        if near <= gap_s and (reach or back):
            edges.append((near, a, b))
    parent = list(range(len(ids)))

    def root(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    members = {a: [a] for a in range(len(ids))}
    for _near, a, b in sorted(edges):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        merged = members[ra] + members[rb]
        if len(merged) > MAX_SCHOOLS or sum(jobs_at[ids[k]] for k in merged) > MAX_JOBS:
            continue
        parent[rb] = ra
        members[ra] = merged
        del members[rb]
    return sorted(sorted(ids[k] for k in m) for m in members.values() if len(m) > 1)


def _problem(
    g: Group, types: Sequence[tuple[VehicleType, int]], *, policy: Policy, session: Session
) -> ProblemBuilder:
    b = ProblemBuilder(distance=g.dist, duration=g.dur, load_names=LOAD_NAMES)
    for d in range(len(g.depots)):
        b.add_depot(len(g.schools) + d, name=f"depot{d}")
    for j, job in enumerate(g.jobs):
        w = g.windows[g.school_of_job[j]]
        at_school = Stop(g.school_of_job[j], tw_early=w.early_s, tw_late=w.late_s)
        at_home = Stop(g.job_loc(j), service_duration=job.service_s)
        b.add_shipment(
            at_home if session == "am" else at_school,
            at_school if session == "am" else at_home,
            amount=(job.seats, job.chairs),
            max_ride=job.limit_s,
            skills=(ASSISTANT,) if job.assistant else (),
            name="+".join(c.child_id for c in job.kids),
        )
    for v, count in types:
        depot = g.depots.index((v.depot_lon, v.depot_lat))
        fixed, per_m = engine_costs(v)
        b.add_vehicle_type(
            num_available=count,
            capacity=(v.seats, v.wheelchair_spaces),
            start_depot=depot,
            end_depot=depot,
            fixed_cost=fixed,
            unit_distance_cost=per_m,
            skills=(ASSISTANT,) if v.has_assistant else (),
            name=v.name,
        )
    return b


def _initial(runs: Sequence[tuple[int, list[int]]]) -> list[InitialTour]:
    """Single-school runs as pickup-and-delivery routes: collect everyone, then drop off."""
    return [
        (kind, tuple(Visit("pickup", j) for j in jobs) + tuple(Visit("delivery", j) for j in jobs))
        for kind, jobs in runs
    ]


def _route(
    g: Group,
    route: Tour,
    vehicle: VehicleType,
    *,
    policy: Policy,
    session: Session,
) -> Route:
    """A real-time Route from an engine route: consecutive visits to one school are one call
    (AM: at the first arrival; PM: at the last departure, so no ride is understated)."""
    stops: list[RouteStop] = []
    calls: list[SchoolCall] = []
    call_time: dict[str, float] = {}  # child -> the time of their school call (minutes)
    pending: list[tuple[int, int]] = []  # (school, time) of the school visits being merged
    kids_at_call: list[str] = []

    def close() -> None:
        if not pending:
            return
        school = pending[0][0]
        t = pending[0][1] if session == "am" else pending[-1][1]
        calls.append(
            SchoolCall(g.schools[school].school_id, t / 60, len(stops), tuple(kids_at_call))
        )
        for child_id in kids_at_call:
            call_time[child_id] = t / 60
        pending.clear()
        kids_at_call.clear()

    path = [g.depot_loc(vehicle)]
    for visit, t in zip(route.visits, route.times, strict=True):
        job = g.jobs[visit.index]
        school = g.school_of_job[visit.index]
        at_school = (visit.kind == "delivery") == (session == "am")
        if at_school:
            if pending and pending[-1][0] != school:
                close()
            pending.append((school, t))
            kids_at_call += [c.child_id for c in job.kids]
            path.append(school)
            continue
        close()
        path.append(g.job_loc(visit.index))
        clock = t
        for n, child in enumerate(job.kids):
            board = boarding_s(child, policy)
            stops.append(RouteStop(child.child_id, clock / 60, 0.0, board / 60))
            if n + 1 < len(job.kids):
                clock += board + job.drives_s[n]
    close()
    path.append(g.depot_loc(vehicle))
    rides = []
    for s in stops:
        if session == "am":
            rides.append(call_time[s.child_id] - (s.time_min + s.boarding_min))
        else:
            rides.append(s.time_min - call_time[s.child_id])
    stops = [
        RouteStop(
            s.child_id,
            s.time_min,
            reported_ride_s(ride * 60, s.boarding_min * 60, policy) / 60,
            s.boarding_min,
        )
        for s, ride in zip(stops, rides, strict=True)
    ]
    legs = sum(int(g.dist[a, b]) for a, b in itertools.pairwise(path))
    distance = legs + sum(g.jobs[v.index].inner_m for v in route.visits if v.kind == "pickup")
    single = len(calls) == 1 and calls[0].after_stops == (len(stops) if session == "am" else 0)
    return Route(
        route_id="",
        vehicle_type=vehicle.name,
        school_id=calls[0].school_id,
        session=session,
        stops=tuple(stops),
        start_min=route.start_time / 60,
        school_time_min=calls[0].time_min,
        end_min=route.end_time / 60,
        distance_m=float(distance),
        cost_gbp=route_cost_gbp(vehicle, distance),
        assistant=vehicle.has_assistant,
        calls=() if single else tuple(calls),
        layout=layout_of(vehicle),
    )


def improve_with_mixed_runs(
    routes: Sequence[Route],
    jobs_by_child: Mapping[str, Job],
    schools: Sequence[School],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    remaining: dict[str, int],
    *,
    paired: set[str],
    policy: Policy,
    session: Session,
    stop: StopCriterion,
    seed: int,
    workers: int | None = None,
) -> tuple[list[Route], dict[str, float]]:
    """Routes with groups of single-school runs replaced by cheaper mixed-school runs, and
    per-group facts. ``paired`` holds every child of a never-together pair; ``remaining``
    (vehicles left per type) is updated."""
    t0 = now()
    movable = [
        r
        for r in routes
        if not r.flags and not r.calls and not any(i in paired for i in r.child_ids)
    ]
    jobs_at: dict[str, int] = {}
    for r in movable:
        jobs_at[r.school_id] = jobs_at.get(r.school_id, 0) + len(
            {id(jobs_by_child[i]) for i in r.child_ids}
        )
    groups = group_schools(schools, jobs_at, travel, policy=policy, session=session)
    by_id = {s.school_id: s for s in schools}
    kept = list(routes)
    facts: dict[str, float] = {"groups": len(groups), "groups_improved": 0, "mixed_runs": 0}
    saving = 0.0
    total_jobs = sum(jobs_at[s] for grp in groups for s in grp)
    for grp in groups:
        runs = [r for r in movable if r.school_id in grp]
        group_jobs: list[tuple[int, Job]] = []
        index: dict[int, int] = {}
        run_jobs: list[tuple[tuple[str, str], list[int]]] = []
        for r in runs:
            order: list[int] = []
            for child_id in r.child_ids:
                job = jobs_by_child[child_id]
                if id(job) not in index:
                    index[id(job)] = len(group_jobs)
                    group_jobs.append((grp.index(r.school_id), job))
                    order.append(index[id(job)])
            run_jobs.append(((r.vehicle_type, r.layout), order))
        g = build_group(
            [by_id[s] for s in grp], group_jobs, fleet, travel, policy=policy, session=session
        )
        used = Counter(r.vehicle_type for r in runs)
        available = {v.name: remaining[v.name] + used[v.name] for v in fleet}
        types = [(v, n) for v in fleet if (n := _offered(v, runs, available[v.name])) > 0]
        type_index = {kind_key(v): k for k, (v, _n) in enumerate(types)}
        problem = _problem(g, types, policy=policy, session=session).build()
        own = [(type_index[vehicle], jobs) for vehicle, jobs in run_jobs]
        merged = merge_group_runs(g, types, own, available=available, session=session)
        share = _group_stop(stop, t0, len(group_jobs), total_jobs)
        total_jobs -= len(group_jobs)
        result = solve(
            problem,
            share,
            seed,
            engine="ortools",
            workers=workers,
            initial=_initial(own) if merged is None else [(m.kind, m.tour.visits) for m in merged],
        )
        tours = result.routes
        if merged is not None and (
            result.unassigned or not tours or result.cost >= sum(m.cost for m in merged)
        ):
            tours = tuple(m.tour for m in merged)
        # Each kind was offered all of its type's vehicles: its layouts together may not use more.
        by_type = Counter(types[r.vehicle_type][0].name for r in tours)
        if (
            not tours
            or sum(len(r.visits) for r in tours) < 2 * len(group_jobs)
            or any(n > available[name] for name, n in by_type.items())
        ):
            continue
        new = [
            _route(g, r, types[r.vehicle_type][0], policy=policy, session=session) for r in tours
        ]
        gain = sum(r.cost_gbp for r in runs) - sum(r.cost_gbp for r in new)
        if gain <= 0.005:
            continue
        saving += gain
        facts["groups_improved"] += 1
        facts["mixed_runs"] += sum(r.mixed for r in new)
        gone = {id(r) for r in runs}
        for r in runs:
            remaining[r.vehicle_type] += 1
        # Vehicles the later new runs hold stay theirs while each run looks for a cheaper type.
        held = Counter(r.vehicle_type for r in new)
        cheaper = []
        for r in new:
            held[r.vehicle_type] -= 1
            free = {v.name: remaining[v.name] - held[v.name] for v in fleet}
            cheaper.append(_cheapest_type(r, jobs_by_child, fleet, free))
            remaining[cheaper[-1].vehicle_type] -= 1
        new = cheaper
        kept = [r for r in kept if id(r) not in gone] + new
    facts["saving_gbp"] = round(saving, 2)
    return kept, facts


def _cheapest_type(
    route: Route,
    jobs_by_child: Mapping[str, Job],
    fleet: Sequence[VehicleType],
    free: Mapping[str, int],
) -> Route:
    """The run on the cheapest type with a ``free`` vehicle at the same depot that takes its
    peak load and skills (same path, so same times and distance).

    The engine seldom changes a run's vehicle type once chosen, as in the single-school plan.
    """
    kids = {c.child_id: c for i in route.child_ids for c in jobs_by_child[i].kids}
    am = route.session == "am"
    aboard, peak = [0, 0], [0, 0]
    for n in range(len(route.stops) + 1):
        for call in route.school_calls:
            if call.after_stops == n:
                for i in call.child_ids:
                    aboard[kids[i].wheelchair] += -1 if am else 1
        peak = [max(p, a) for p, a in zip(peak, aboard, strict=True)]
        if n < len(route.stops):
            aboard[kids[route.stops[n].child_id].wheelchair] += 1 if am else -1
            peak = [max(p, a) for p, a in zip(peak, aboard, strict=True)]
    assist = any(c.needs_assistant for c in kids.values())
    now_type = next(v for v in fleet if kind_key(v) == (route.vehicle_type, route.layout))
    depot = (now_type.depot_lon, now_type.depot_lat)
    fits = [
        v
        for v in fleet
        if (v.depot_lon, v.depot_lat) == depot
        and free[v.name] > 0
        and v.seats >= peak[0]
        and v.wheelchair_spaces >= peak[1]
        and (v.has_assistant or not assist)
    ]
    best = min(fits, key=lambda v: (route_cost_gbp(v, route.distance_m), v.name), default=now_type)
    if best is now_type:
        return route
    return replace(
        route,
        vehicle_type=best.name,
        cost_gbp=route_cost_gbp(best, route.distance_m),
        assistant=best.has_assistant,
        layout=layout_of(best),
    )


def _offered(vehicle: VehicleType, runs: Sequence[Route], available: int) -> int:
    """How many of a kind's vehicles a group's search is offered: those its runs use now and
    a share of their number more, within what its type has free."""
    now_used = sum(kind_key(vehicle) == (r.vehicle_type, r.layout) for r in runs)
    return min(available, now_used + max(2, math.ceil(len(runs) * SPARE_VEHICLE_SHARE)))


def _group_stop(stop: StopCriterion, t0: float, n_jobs: int, jobs_left: int) -> StopCriterion:
    """This group's share of the mixed phase's work limit."""
    budget = stop.max_runtime_s()
    if budget is None:
        return with_runtime(stop, None)
    left = max(budget - (now() - t0), 0.0)
    return with_runtime(stop, max(left * n_jobs / max(jobs_left, 1), MIN_GROUP_RUNTIME_S))
