"""Plan SEND home-to-school routes for one session (AM or PM) on the generic routing engine.

The formulation
---------------
Each school is solved on its own (single-school routes; mixed-school routes are not planned).

*Morning, reversed in time.* A morning run ends at the school at a fixed time ``A`` (the latest
arrival in the policy window, ``bell - arrival_window_min[0]``). Read backwards it is a VRPTW:
start at the school at time 0, visit the children in reverse pick-up order on the transposed
duration and distance matrices (one-way streets make them asymmetric), finish at the operator's
depot (the dead-heading leg to the first pick-up). The engine's service start time ``tau`` at a
child's stop is then exactly the child's ride (vehicle leaves their stop -> arrives at school),
so the child's maximum ride becomes the time window ``[0, max_ride]``. Boarding times are the
service durations. In real time the child boards at ``A - tau - boarding``.

*Afternoon, forwards.* The run leaves school at ``D = finish_pm + pm_departure_after_finish_min``
(time 0 in the engine), drops children off, and ends at the depot; a child's ride is again the
engine's service start time, within ``[0, max_ride]``.

The other dead-heading leg (depot -> school before a PM run, school -> depot after an AM run)
is the same for every run of a vehicle type at a school, so it is folded into the fixed cost.

*Vehicles.* One engine vehicle type per fleet type: loads (seats, wheelchair spaces) where a
wheelchair user takes a space and no seat; the skill ``assistant`` on types with a passenger
assistant, required by children who need one (the assistant's cost is in the type's fixed
cost). Costs are integers in 1e-5 GBP (a thousandth of a penny), so that the per-metre cost of
a per-km price in pence is whole; durations are seconds rounded up (so planned times stay
feasible on the travel model's exact times) and distances metres rounded.

*Solo routes.* ``travel_alone`` children and children whose direct journey already exceeds
their limit ride alone, on the cheapest suitable vehicle, flagged. They are planned first.

*Siblings and never-together pairs.* A flagged sibling group (same school) is one engine job:
its members are picked up (dropped off) one after another in child-id order, so the job arrives
at the first member's home and leaves from the last one's; its load and skills are the sums,
its service time is every boarding plus the drives between the homes, and its time window the
tightest member limit less that member's extra ride inside the job. The route expands it back
into one stop per child. A group is planned apart when one member travels alone, two members
must never ride together, no vehicle type carries them all, or their joint pick-up already
breaks a limit. Never-together pairs are kept apart by the exact search; after an engine solve
a run carrying a pair drops the later child's job, which rides on its own (flagged
``never_together``), the rest of the run keeping its vehicle (``_part_never_together``).

*Availability* is per fleet type across all schools of the session (one vehicle does one run
per session): schools are solved one after another, largest first, each with what the earlier
ones left, so the plan never uses more vehicles than exist; a child left without a suitable
vehicle is ``fleet_exhausted``.

*Work limits.* A runtime budget is shared among schools in proportion to their children (what
a school leaves unused goes to the next); an iteration limit applies to each school's solve,
which makes the plan deterministic for a given seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.transport.mixed import improve_with_mixed_runs
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
    Job,
    boarding_s,
    build_job,
    int_matrices,
    route_cost_gbp,
    school_time_min,
    sibling_groups,
    suits,
)
from sendplan.routing.vrp.problem import ProblemBuilder, Solution, UnassignedReason
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import (
    AnyOf,
    MaxIterations,
    MaxRuntime,
    StopCriterion,
    now,
    with_runtime,
)

MIN_SCHOOL_RUNTIME_S = 0.05
MIXED_SHARE = 0.2
# OR-Tools counts solutions, each far dearer than a PyVRP iteration on pickup-and-delivery with
# ride limits (measured: ~0.3 s each on a 70-job group), so the merge gets fewer of them.
MIXED_ITERATION_DIVISOR = 10
EXACT_MAX_CHILDREN = 5

Progress = Callable[[str], None]


__all__ = ["int_matrices", "plan_transport", "school_of_children"]


def school_of_children(
    scenario: Scenario, placement: PlacementPlan | None
) -> dict[str, str | None]:
    """Each transport-eligible child's school: from the placement, else ``current_school``."""
    out: dict[str, str | None] = {}
    for child in sorted(scenario.children, key=lambda c: c.child_id):
        if not child.transport_eligible:
            continue
        if placement is None:
            out[child.child_id] = child.current_school
        else:
            a = placement.assignment(child.child_id)
            out[child.child_id] = None if a is None else a.school_id
    return out


# ---------------------------------------------------------------------------- one school


@dataclass
class _SchoolInstance:
    """A school's children, its jobs and the integer matrices over [school, depots..., jobs...].

    A job's row is its last member's home (where the vehicle leaves) and its column its first
    member's (where the vehicle arrives), so a job is one engine client.
    """

    school: School
    children: list[Child]
    jobs: list[Job]
    depot_index: dict[str, int]  # vehicle type name -> location index of its depot
    dur: NDArray[np.int64]
    dist: NDArray[np.int64]

    def loc(self, k: int) -> int:
        """Location index of the k-th job."""
        return 1 + len(set(self.depot_index.values())) + k

    def metres(self, path: Sequence[int], ks: Sequence[int]) -> int:
        """A run's distance: its legs plus the drives inside its sibling jobs."""
        legs = sum(int(self.dist[a, b]) for a, b in itertools.pairwise(path))
        return legs + sum(self.jobs[k].inner_m for k in ks)


def _instance(
    school: School,
    children: list[Child],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    session: Session,
    policy: Policy,
    split: Sequence[int] = (),
) -> _SchoolInstance:
    """The school's instance; sibling groups holding a child in ``split`` are not merged."""
    depots: list[tuple[float, float]] = []
    depot_index: dict[str, int] = {}
    for v in fleet:
        point = (v.depot_lon, v.depot_lat)
        if point not in depots:
            depots.append(point)
        depot_index[v.name] = 1 + depots.index(point)
    points = np.array(
        [(school.lon, school.lat), *depots, *((c.lon, c.lat) for c in children)], dtype=np.float64
    )
    pdur, pdist = int_matrices(travel, points)
    head = 1 + len(depots)
    groups: list[tuple[int, ...]] = []
    for g in sibling_groups(children):
        groups += [(i,) for i in g] if set(g) & set(split) else [g]
    jobs = [
        build_job(g, tuple(children[i] for i in g), pdur, pdist, head, session, policy)
        for g in groups
    ]
    fixed = list(range(head))
    leave = np.array(fixed + [head + j.members[-1] for j in jobs])
    arrive = np.array(fixed + [head + j.members[0] for j in jobs])
    dur, dist = pdur[np.ix_(leave, arrive)].copy(), pdist[np.ix_(leave, arrive)].copy()
    np.fill_diagonal(dur, 0)
    np.fill_diagonal(dist, 0)
    return _SchoolInstance(school, children, jobs, depot_index, dur, dist)


def _legs(inst: _SchoolInstance, session: Session, vehicle: str, order: Sequence[int]) -> list[int]:
    """Location indices of a run in driving order, depot to depot."""
    depot = inst.depot_index[vehicle]
    stops = [inst.loc(k) for k in order]
    if session == "am":
        return [depot, *stops, 0, depot]
    return [depot, 0, *stops, depot]


def _build_route(
    inst: _SchoolInstance,
    *,
    session: Session,
    vehicle: VehicleType,
    order: Sequence[int],
    rides_s: Sequence[int],
    policy: Policy,
    flags: tuple[str, ...] = (),
) -> Route:
    """A Route in real time from the jobs' driving order and engine times, one stop a child."""
    school_s = round(school_time_min(inst.school, policy, session) * 60)
    kids: list[Child] = []
    rides: list[int] = []
    for k, tau in zip(order, rides_s, strict=True):
        job = inst.jobs[k]
        kids += job.kids
        rides += [tau + o for o in job.offsets_s]
    board = [boarding_s(c, policy) for c in kids]
    path = _legs(inst, session, vehicle.name, order)
    if session == "am":
        times = [school_s - r - b for r, b in zip(rides, board, strict=True)]
        start = times[0] - int(inst.dur[path[0], path[1]])
        end = school_s + int(inst.dur[0, path[-1]])
    else:
        times = [school_s + r for r in rides]
        start = school_s - int(inst.dur[path[0], 0])
        end = times[-1] + board[-1] + int(inst.dur[path[-2], path[-1]])
    distance = inst.metres(path, order)
    stops = tuple(
        RouteStop(child_id=c.child_id, time_min=t / 60, ride_min=r / 60, boarding_min=b / 60)
        for c, t, r, b in zip(kids, times, rides, board, strict=True)
    )
    return Route(
        route_id="",
        vehicle_type=vehicle.name,
        school_id=inst.school.school_id,
        session=session,
        stops=stops,
        start_min=start / 60,
        school_time_min=school_s / 60,
        end_min=end / 60,
        distance_m=float(distance),
        cost_gbp=route_cost_gbp(vehicle, distance),
        assistant=vehicle.has_assistant,
        solo=bool(flags),
        flags=flags,
    )


def _solo_ride_s(inst: _SchoolInstance, session: Session, k: int) -> int:
    loc = inst.loc(k)
    return int(inst.dur[loc, 0] if session == "am" else inst.dur[0, loc])


def _cheapest_solo(
    inst: _SchoolInstance,
    session: Session,
    k: int,
    fleet: Sequence[VehicleType],
    remaining: Mapping[str, int],
) -> VehicleType | None:
    job = inst.jobs[k]
    best: tuple[float, str, VehicleType] | None = None
    for v in fleet:
        if remaining[v.name] < 1 or not job.suits(v):
            continue
        distance = inst.metres(_legs(inst, session, v.name, [k]), [k])
        key = (route_cost_gbp(v, distance), v.name, v)
        if best is None or key[:2] < best[:2]:
            best = key
    return None if best is None else best[2]


def _shared_problem(
    inst: _SchoolInstance,
    session: Session,
    ks: Sequence[int],
    types: Sequence[VehicleType],
    remaining: Mapping[str, int],
    policy: Policy,
) -> ProblemBuilder:
    """The engine problem: AM reversed on transposed matrices, PM forwards."""
    dur = inst.dur.T if session == "am" else inst.dur
    dist = inst.dist.T if session == "am" else inst.dist
    b = ProblemBuilder(distance=dist, duration=dur, load_names=LOAD_NAMES)
    b.add_depot(0, tw_early=0, tw_late=0, name=inst.school.school_id)
    for loc in sorted(set(inst.depot_index.values())):
        b.add_depot(loc, name=f"depot{loc}")
    for k in ks:
        job = inst.jobs[k]
        b.add_client(
            inst.loc(k),
            pickup=(job.seats, job.chairs),
            service_duration=job.service_s,
            tw_early=0,
            tw_late=job.limit_s,
            skills=(ASSISTANT,) if job.assistant else (),
            name="+".join(c.child_id for c in job.kids),
        )
    for v in types:
        depot_loc = inst.depot_index[v.name]
        # The dead-heading leg between school and depot that every run of this type makes.
        fixed_leg_m = int(inst.dist[0, depot_loc] if session == "am" else inst.dist[depot_loc, 0])
        per_m = round(v.cost_per_km_gbp * COST_UNITS_PER_GBP / 1000)
        b.add_vehicle_type(
            num_available=remaining[v.name],
            capacity=(v.seats, v.wheelchair_spaces),
            start_depot=0,
            end_depot=sorted(set(inst.depot_index.values())).index(depot_loc) + 1,
            fixed_cost=round(v.fixed_cost_gbp * COST_UNITS_PER_GBP) + per_m * fixed_leg_m,
            unit_distance_cost=per_m,
            skills=(ASSISTANT,) if v.has_assistant else (),
            name=v.name,
        )
    return b


def _school_stop(
    stop: StopCriterion, t0: float, children_left: int, n_school: int
) -> StopCriterion:
    """This school's share of the work limit."""
    budget = stop.max_runtime_s()
    if budget is None:
        return with_runtime(stop, None)
    left = max(budget - (now() - t0), 0.0)
    return with_runtime(stop, max(left * n_school / max(children_left, 1), MIN_SCHOOL_RUNTIME_S))


# ---------------------------------------------------------------------------- the planner


def plan_transport(
    scenario: Scenario,
    placement: PlacementPlan | None,
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    seed: int,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransportPlan:
    """Routes for every transport-eligible child for one session; the rest unrouted with reasons.

    ``placement`` None means every child goes to their ``current_school``.
    """
    say = progress or (lambda _msg: None)
    t0 = now()
    policy, fleet = scenario.policy, tuple(sorted(scenario.fleet, key=lambda v: v.name))
    budget = stop.max_runtime_s()
    mixed_stop = None
    if policy.mixed_school_routes:
        # Single-school runs first, then the merge, each with its share of the runtime.
        mixed_stop = with_runtime(stop, None if budget is None else budget * MIXED_SHARE)
        iterations = stop.max_iterations()
        if iterations is not None:
            fewer = MaxIterations(max(1, iterations // MIXED_ITERATION_DIVISOR))
            mixed_stop = (
                fewer if budget is None else AnyOf((MaxRuntime(budget * MIXED_SHARE), fewer))
            )
        stop = with_runtime(stop, None if budget is None else budget * (1 - MIXED_SHARE))
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    remaining = {v.name: v.available for v in fleet}
    unrouted: list[Unrouted] = []
    by_school: dict[str, list[Child]] = {}
    for child_id, school_id in school_of_children(scenario, placement).items():
        if school_id is None:
            unrouted.append(Unrouted(child_id, UnroutedReason.NOT_PLACED, "no school place"))
        else:
            by_school.setdefault(school_id, []).append(children[child_id])

    def no_vehicle(child: Child) -> Unrouted:
        if not any(suits(v, child) for v in fleet):
            return Unrouted(child.child_id, UnroutedReason.NO_SUITABLE_VEHICLE, _needs(child))
        return Unrouted(child.child_id, UnroutedReason.FLEET_EXHAUSTED, _needs(child))

    order = sorted(by_school, key=lambda s: (-len(by_school[s]), s))
    instances = {
        s: _instance_for(schools[s], by_school[s], fleet, travel, session=session, policy=policy)
        for s in order
    }
    routes: dict[str, list[Route]] = {s: [] for s in order}
    shared: dict[str, list[int]] = {s: [] for s in order}

    # Solo routes first: they are forced, and they use vehicles too.
    for s in order:
        inst = instances[s]
        for k, job in enumerate(inst.jobs):
            ride = _solo_ride_s(inst, session, k)
            flags = []
            if job.travel_alone:
                flags.append(RouteFlag.TRAVEL_ALONE.value)
            if ride > job.limit_s:
                flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
            if not flags:
                shared[s].append(k)
                continue
            vehicle = _cheapest_solo(inst, session, k, fleet, remaining)
            if vehicle is None:
                unrouted += [no_vehicle(c) for c in job.kids]
                continue
            remaining[vehicle.name] -= 1
            routes[s].append(
                _build_route(
                    inst,
                    session=session,
                    vehicle=vehicle,
                    order=[k],
                    rides_s=[ride],
                    policy=policy,
                    flags=tuple(flags),
                )
            )

    engines: set[str] = set()
    children_left = sum(len(shared[s]) for s in order)
    for number, s in enumerate(order, start=1):
        inst, ks = instances[s], shared[s]
        if not ks:
            continue
        types = [v for v in fleet if remaining[v.name] > 0]
        routable = [k for k in ks if any(inst.jobs[k].suits(v) for v in types)]
        unrouted += [no_vehicle(c) for k in ks if k not in routable for c in inst.jobs[k].kids]
        if not routable:
            children_left -= len(ks)
            continue
        if len(routable) <= EXACT_MAX_CHILDREN and all(
            remaining[v.name] >= len(routable) for v in types
        ):
            routes[s] += _exact_routes(inst, session, routable, types, remaining, policy)
            engines.add("exact")
            children_left -= len(ks)
            continue
        problem = _shared_problem(inst, session, routable, types, remaining, policy).build()
        label = f"{session.upper()} routes: school {number}/{len(order)} ({len(routable)} children)"
        say(label)

        def report(cost: int, label: str = label) -> None:
            say(f"{label}, best £{cost / COST_UNITS_PER_GBP:,.2f}")

        result = solve(
            problem,
            _school_stop(stop, t0, children_left, len(ks)),
            seed,
            workers=workers,
            progress=report,
        )
        children_left -= len(ks)
        engines.add(result.engine)
        routes[s] += _routes_from(inst, session, result, routable, types, remaining, policy)
        unrouted += _unassigned(inst, result, routable, types, no_vehicle)

    for s in order:
        routes[s], lost = _part_never_together(
            instances[s], session, routes[s], fleet, remaining, policy
        )
        unrouted += [no_vehicle(c) for c in lost]
    mixed: dict[str, float] = {}
    if mixed_stop is not None:
        say(f"{session.upper()} routes: merging nearby schools' runs")
        flat, mixed = improve_with_mixed_runs(
            [r for s in order for r in routes[s]],
            {c.child_id: job for s in order for job in instances[s].jobs for c in job.kids},
            [schools[s] for s in order],
            fleet,
            travel,
            remaining,
            paired={
                i for c in scenario.children if c.never_with for i in (c.child_id, *c.never_with)
            },
            policy=policy,
            session=session,
            stop=mixed_stop,
            seed=seed,
            workers=workers,
        )
        routes = {s: [r for r in flat if r.school_id == s] for s in order}
        if mixed.get("groups_improved"):
            engines.add("ortools")
    out: list[Route] = []
    for s in sorted(order):
        ranked = sorted(routes[s], key=lambda r: (r.solo, r.vehicle_type, r.child_ids))
        for n, r in enumerate(ranked, start=1):
            out.append(_with_id(r, f"{session.upper()}-{s}-{n:03d}"))
    used = {v.name: v.available - remaining[v.name] for v in fleet}
    return TransportPlan(
        session=session,
        routes=tuple(out),
        unrouted=tuple(sorted(unrouted, key=lambda u: u.child_id)),
        travel_model=travel.name,
        seed=seed,
        engine="+".join(sorted(engines)) or "none",
        figures={
            "schools": len(order),
            "vehicles_used_by_type": used,
            "vehicles_available_by_type": {v.name: v.available for v in fleet},
            "mixed_school_routes": policy.mixed_school_routes,
            **{f"mixed_{k}": v for k, v in mixed.items()},
        },
    )


def _needs(child: Child) -> str:
    parts = ["wheelchair space" if child.wheelchair else "seat"]
    if child.needs_assistant:
        parts.append("passenger assistant")
    return "needs " + " and ".join(parts)


def _with_id(route: Route, route_id: str) -> Route:
    from dataclasses import replace

    return replace(route, route_id=route_id)


def _routes_from(
    inst: _SchoolInstance,
    session: Session,
    result: Solution,
    routable: Sequence[int],
    types: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> list[Route]:
    """Real-time routes from the engine's; ``remaining`` is updated for the vehicles used.

    Each run then gets the cheapest vehicle type that suits all its children and is still
    available: the engine's search rarely changes a route's vehicle type (measured: on tiny
    instances it kept a wheelchair taxi with assistant where a taxi with assistant was cheaper),
    and with the order fixed the choice is exact and cannot break a ride limit.
    """
    runs = []
    for r in result.routes:
        ks = [routable[v.index] for v in r.visits]
        rides = list(r.times)
        if session == "am":  # the engine drove backwards from school
            ks, rides = ks[::-1], rides[::-1]
        remaining[types[r.vehicle_type].name] -= 1
        runs.append((ks, rides, types[r.vehicle_type]))
    out = []
    for ks, rides, engine_type in runs:
        remaining[engine_type.name] += 1
        run = _merged(inst, ks)

        def fits(v: VehicleType, run: Job = run) -> bool:
            return remaining[v.name] > 0 and run.suits(v)

        def cost(v: VehicleType, ks: list[int] = ks) -> tuple[float, str]:
            metres = inst.metres(_legs(inst, session, v.name, ks), ks)
            return (route_cost_gbp(v, metres), v.name)

        best = min((v for v in types if fits(v)), key=cost, default=engine_type)
        remaining[best.name] -= 1
        out.append(
            _build_route(
                inst, session=session, vehicle=best, order=ks, rides_s=rides, policy=policy
            )
        )
    return out


def _exact_routes(
    inst: _SchoolInstance,
    session: Session,
    ks: Sequence[int],
    types: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> list[Route]:
    """The proven cheapest runs for a handful of children: every partition, order and type.

    Used for schools with at most ``EXACT_MAX_CHILDREN`` children to share runs, so that their
    plans are proven optimal. (The engine alone used to miss the optimum on about one such
    instance in four, where the choice between vehicle types dominates; with PyVRP's penalties
    scaled to our costs it reaches it on those instances, see ``tests/test_transport.py``.)
    """

    def rides_of(order: tuple[int, ...]) -> list[int] | None:
        return _feasible_taus(inst, session, [ks[i] for i in order])

    best_block: dict[int, tuple[float, tuple[int, ...], list[int], VehicleType] | None] = {}
    for mask in range(1, 1 << len(ks)):
        members = tuple(i for i in range(len(ks)) if mask >> i & 1)
        merged = _merged(inst, [ks[i] for i in members])
        fitting = [v for v in types if merged.suits(v)]
        found = None
        if _clashes(merged.kids):
            fitting = []  # never-together children may not share this run
        for order in itertools.permutations(members):
            rides = rides_of(order)
            if rides is None:
                continue
            for v in fitting:
                run = [ks[i] for i in order]
                metres = inst.metres(_legs(inst, session, v.name, run), run)
                key = (route_cost_gbp(v, metres), order, rides, v)
                if found is None or key[:2] < found[:2]:
                    found = key
        best_block[mask] = found
    # best[mask]: cheapest cover of mask, the block holding its lowest child chosen first
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for mask in range(1, 1 << len(ks)):
        low = mask & -mask
        rest, sub = mask & ~low, mask & ~low
        choice: tuple[float, list[int]] | None = None
        while True:
            block = sub | low
            found = best_block[block]
            if found is not None and best.get(mask & ~block) is not None:
                total = found[0] + best[mask & ~block][0]
                if choice is None or total < choice[0] - 1e-9:
                    choice = (total, [block, *best[mask & ~block][1]])
            if sub == 0:
                break
            sub = (sub - 1) & rest
        if choice is not None:
            best[mask] = choice
    out = []
    for block in best[(1 << len(ks)) - 1][1]:
        found = best_block[block]
        assert found is not None
        _cost, order, rides, v = found
        remaining[v.name] -= 1
        out.append(
            _build_route(
                inst,
                session=session,
                vehicle=v,
                order=[ks[i] for i in order],
                rides_s=rides,
                policy=policy,
            )
        )
    return out


def _unassigned(
    inst: _SchoolInstance,
    result: Solution,
    routable: Sequence[int],
    types: Sequence[VehicleType],
    no_vehicle: Callable[[Child], Unrouted],
) -> list[Unrouted]:
    out = []
    for u in result.unassigned:
        for child in inst.jobs[routable[u.index]].kids:
            if u.reason == UnassignedReason.NO_COMPATIBLE_VEHICLE:
                out.append(no_vehicle(child))
            else:
                detail = f"engine: {u.reason.value}; {len(types)} vehicle types left"
                out.append(Unrouted(child.child_id, UnroutedReason.NOT_ROUTED, detail))
    return out


# ------------------------------------------------------------------ siblings, never together


def _instance_for(
    school: School,
    children: list[Child],
    fleet: Sequence[VehicleType],
    travel: TravelModel,
    *,
    session: Session,
    policy: Policy,
) -> _SchoolInstance:
    """The school's instance, sibling groups split when no vehicle type carries them all or
    their joint pick-up already breaks a member's ride limit (each sibling is then planned
    on their own, as the route checker accepts)."""
    inst = _instance(school, children, fleet, travel, session=session, policy=policy)
    split = [
        i
        for k, job in enumerate(inst.jobs)
        if len(job.members) > 1
        and (not any(job.suits(v) for v in fleet) or _solo_ride_s(inst, session, k) > job.limit_s)
        for i in job.members
    ]
    if not split:
        return inst
    return _instance(school, children, fleet, travel, session=session, policy=policy, split=split)


def _merged(inst: _SchoolInstance, ks: Sequence[int]) -> Job:
    """The loads and needs of several jobs together (times not meaningful)."""
    jobs = [inst.jobs[k] for k in ks]
    return Job(
        members=tuple(i for j in jobs for i in j.members),
        kids=tuple(c for j in jobs for c in j.kids),
        seats=sum(j.seats for j in jobs),
        chairs=sum(j.chairs for j in jobs),
        assistant=any(j.assistant for j in jobs),
        travel_alone=any(j.travel_alone for j in jobs),
        service_s=0,
        offsets_s=(),
        limit_s=0,
        inner_m=0,
    )


def _clashes(kids: Sequence[Child]) -> list[tuple[str, str]]:
    """Never-together pairs among these children (either naming the other)."""
    ids = {c.child_id for c in kids}
    pairs = {tuple(sorted((c.child_id, o))) for c in kids for o in c.never_with if o in ids}
    return sorted((a, b) for a, b in pairs)


def _feasible_taus(
    inst: _SchoolInstance, session: Session, order: Sequence[int]
) -> list[int] | None:
    """Each job's engine time on a tight run in this driving order, or None if a ride limit
    breaks."""
    locs = [inst.loc(k) for k in order]
    taus = [0] * len(order)
    if session == "am":
        after = 0
        for pos in range(len(order) - 1, -1, -1):
            nxt = 0 if pos == len(order) - 1 else locs[pos + 1]
            after += int(inst.dur[locs[pos], nxt])
            taus[pos] = after
            after += inst.jobs[order[pos]].service_s
    else:
        t, prev = 0, 0
        for pos, loc in enumerate(locs):
            t += int(inst.dur[prev, loc])
            taus[pos] = t
            t += inst.jobs[order[pos]].service_s
            prev = loc
    ok = all(tau <= inst.jobs[k].limit_s for tau, k in zip(taus, order, strict=True))
    return taus if ok else None


def _part_never_together(
    inst: _SchoolInstance,
    session: Session,
    routes: list[Route],
    fleet: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> tuple[list[Route], list[Child]]:
    """Repair runs that carry a never-together pair; also returns children left without a
    vehicle.

    The engines know nothing of these pairs (the exact search already avoids them). A run with
    a clash drops the job holding the later child of each clashing pair; the rest keep their
    vehicle and order (re-timed; if a ride limit would then break, every job of the run goes
    on its own). Each dropped job rides on its own run, unflagged, in the cheapest vehicle
    left: rare in practice, and always valid, at the price of optimality.
    """
    job_of = {c.child_id: k for k, j in enumerate(inst.jobs) for c in j.kids}
    vehicles = {v.name: v for v in fleet}
    out: list[Route] = []
    alone: list[int] = []
    for route in routes:
        ks = list(dict.fromkeys(job_of[i] for i in route.child_ids))
        if not _clashes(_merged(inst, ks).kids):
            out.append(route)
            continue
        keep: list[int] = []
        for k in ks:
            trial = _merged(inst, [*keep, k])
            if _clashes(trial.kids):
                alone.append(k)
            else:
                keep.append(k)
        taus = _feasible_taus(inst, session, keep)
        if taus is None:
            alone += keep
            remaining[route.vehicle_type] += 1
            continue
        out.append(
            _build_route(
                inst,
                session=session,
                vehicle=vehicles[route.vehicle_type],
                order=keep,
                rides_s=taus,
                policy=policy,
            )
        )
    lost: list[Child] = []
    paired = {i for c in inst.children for i in (c.child_id, *c.never_with) if c.never_with}
    for k in alone:
        vehicle = _cheapest_solo(inst, session, k, fleet, remaining)
        if vehicle is None:
            lost += inst.jobs[k].kids
            continue
        remaining[vehicle.name] -= 1
        tau = _solo_ride_s(inst, session, k)
        out.append(
            _build_route(
                inst,
                session=session,
                vehicle=vehicle,
                order=[k],
                rides_s=[tau],
                policy=policy,
                # Only a job holding one of a pair says why; others were split off with it.
                flags=(RouteFlag.NEVER_TOGETHER.value,)
                if any(c.child_id in paired for c in inst.jobs[k].kids)
                else (),
            )
        )
    return out, lost
