"""OR-Tools routing adapter: the only module that imports ``ortools.constraint_solver``.

Used for pickup-and-delivery with ride-time limits (which PyVRP cannot express) and as the
fallback engine. Every job is a disjunction with a penalty, so the search always has a solution
and jobs it cannot fit come back as ``not_routed``. First solution by parallel cheapest
insertion (feasible on all Solomon instances where path-cheapest-arc is not), then guided local
search. Iteration limits count solutions found, which makes a run reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from sendplan.routing.vrp.penalty import drop_penalty
from sendplan.routing.vrp.problem import (
    UNBOUNDED,
    InitialTour,
    Problem,
    Solution,
    Unassigned,
    UnassignedReason,
    Visit,
    VisitKind,
    engine_route,
    job_kind,
    not_routed,
    route_distance,
)
from sendplan.routing.vrp.stop import StopCriterion, now

ENGINE = "ortools"
_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic
# Different seeds start from different constructions: OR-Tools routing has no random seed.
# Not SAVINGS: on pickup-and-delivery with ride limits it built plans 48% dearer than either
# insertion, or left jobs out (the mixed phase's two largest groups on the Leicester default AM,
# 193 and 230 jobs, 15 s each), so every third seed's second search was wasted.
_FIRST_BY_SEED = (
    _FIRST.PARALLEL_CHEAPEST_INSERTION,
    _FIRST.LOCAL_CHEAPEST_INSERTION,
)
_UNBOUNDED_RUNTIME_S = 3600 * 24


def _node_table(problem: Problem) -> tuple[list[int], list[int], list[Visit | None]]:
    """Per node: location, service duration and the visit it stands for (None for depots)."""
    locs = [d.location for d in problem.depots]
    service = [0] * len(problem.depots)
    visits: list[Visit | None] = [None] * len(problem.depots)
    for i, c in enumerate(problem.clients):
        locs.append(c.location)
        service.append(c.service_duration)
        visits.append(Visit("client", i))
    ends: tuple[VisitKind, VisitKind] = ("pickup", "delivery")
    for end in ends:
        for j, s in enumerate(problem.shipments):
            stop = s.pickup if end == "pickup" else s.delivery
            locs.append(stop.location)
            service.append(stop.service_duration)
            visits.append(Visit(end, j))
    return locs, service, visits


def _horizon(problem: Problem) -> int:
    """A finite bound on every time, so OR-Tools' int64 arithmetic cannot overflow."""
    finite = [0]
    for d in problem.depots:
        finite += [d.tw_early] + ([d.tw_late] if d.tw_late < UNBOUNDED else [])
    for vt in problem.vehicle_types:
        finite += [vt.tw_early] + ([vt.tw_late] if vt.tw_late < UNBOUNDED else [])
    for c in problem.clients:
        finite += [c.tw_early, c.release_time] + ([c.tw_late] if c.tw_late < UNBOUNDED else [])
    for s in problem.shipments:
        for stop in (s.pickup, s.delivery):
            finite += [stop.tw_early] + ([stop.tw_late] if stop.tw_late < UNBOUNDED else [])
    travel = int(problem.duration.max()) * (problem.num_jobs * 2 + 2)
    service = sum(c.service_duration for c in problem.clients) + sum(
        s.pickup.service_duration + s.delivery.service_duration for s in problem.shipments
    )
    return max(finite) + travel + service + 1


def solve_ortools(
    problem: Problem,
    stop: StopCriterion,
    *,
    seed: int,
    t0: float | None = None,
    prize: int | None = None,
    on_best: Callable[[int], None] | None = None,
    initial: Sequence[InitialTour] = (),
) -> Solution:
    """Solve with OR-Tools routing until ``stop`` says stop (checked at each new solution).

    With ``initial`` routes the search starts from them when they are feasible (else from its
    own construction, as without them)."""
    t_start = now()
    locs, service, visits = _node_table(problem)
    n_dep = len(problem.depots)
    n_cli = len(problem.clients)
    n_ship = len(problem.shipments)
    loc = np.asarray(locs, dtype=np.int64)
    horizon = _horizon(problem)

    vehicle_type_of: list[int] = []
    for k, vt in enumerate(problem.vehicle_types):
        vehicle_type_of += [k] * min(vt.num_available, max(problem.num_jobs, 1))
    starts = [problem.vehicle_types[k].start_depot for k in vehicle_type_of]
    ends = [problem.vehicle_types[k].end_depot for k in vehicle_type_of]
    manager = pywrapcp.RoutingIndexManager(len(locs), len(vehicle_type_of), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    index_of = manager.NodeToIndex
    # A depot no vehicle starts or ends at would be an ordinary, mandatory node to OR-Tools.
    for d in sorted(set(range(n_dep)) - set(starts) - set(ends)):
        routing.ActiveVar(index_of(d)).SetValue(0)

    # arc costs, one matrix per distinct unit distance cost
    dist_nodes = problem.distance[np.ix_(loc, loc)]
    cost_cb: dict[int, int] = {}
    for v, k in enumerate(vehicle_type_of):
        unit = problem.vehicle_types[k].unit_distance_cost
        if unit not in cost_cb:
            cost_cb[unit] = routing.RegisterTransitMatrix((dist_nodes * unit).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[unit], v)
        routing.SetFixedCostOfVehicle(problem.vehicle_types[k].fixed_cost, v)

    # time: service at the origin plus travel
    time_nodes = problem.duration[np.ix_(loc, loc)] + np.asarray(service, dtype=np.int64)[:, None]
    time_cb = routing.RegisterTransitMatrix(time_nodes.tolist())
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node in range(n_dep, len(locs)):
        visit = visits[node]
        assert visit is not None
        if visit.kind == "client":
            c = problem.clients[visit.index]
            early, late = c.tw_early, c.tw_late
        else:
            s = problem.shipments[visit.index]
            st = s.pickup if visit.kind == "pickup" else s.delivery
            early, late = st.tw_early, st.tw_late
        time_dim.CumulVar(index_of(node)).SetRange(early, min(late, horizon))
    for v, k in enumerate(vehicle_type_of):
        vt = problem.vehicle_types[k]
        dep, arr = problem.depots[vt.start_depot], problem.depots[vt.end_depot]
        start_var = time_dim.CumulVar(routing.Start(v))
        start_var.SetRange(max(vt.tw_early, dep.tw_early), min(dep.tw_late, horizon))
        end_var = time_dim.CumulVar(routing.End(v))
        end_var.SetRange(arr.tw_early, min(vt.tw_late, arr.tw_late, horizon))
        if vt.max_duration < horizon:
            time_dim.SetSpanUpperBoundForVehicle(vt.max_duration, v)
        if vt.unit_duration_cost:
            time_dim.SetSpanCostCoefficientForVehicle(vt.unit_duration_cost, v)
        # the schedule reported is the tightest one: leave late, return early
        routing.AddVariableMaximizedByFinalizer(start_var)
        routing.AddVariableMinimizedByFinalizer(end_var)
    for i, c in enumerate(problem.clients):
        if c.release_time > 0:
            idx = index_of(n_dep + i)
            for v in range(len(vehicle_type_of)):
                on_v = solver.IsEqualCstVar(routing.VehicleVar(idx), v)
                solver.Add(time_dim.CumulVar(routing.Start(v)) >= on_v * c.release_time)

    # loads: per dimension, transit at a node = what it adds to the load on board
    dims = len(problem.load_names)
    for d in range(dims):
        transit = [0] * len(locs)
        delivered = [0] * len(locs)
        for i, c in enumerate(problem.clients):
            transit[n_dep + i] = c.pickup[d] - c.delivery[d]
            delivered[n_dep + i] = c.delivery[d]
        for j, s in enumerate(problem.shipments):
            transit[n_dep + n_cli + j] = s.amount[d]
            transit[n_dep + n_cli + n_ship + j] = -s.amount[d]
        caps = [problem.vehicle_types[k].capacity[d] for k in vehicle_type_of]
        name = f"load{d}"
        cb = routing.RegisterUnaryTransitVector(transit)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
        load = routing.GetDimensionOrDie(name)
        if any(delivered):
            # the load leaving the depot is everything the route's clients receive
            dcb = routing.RegisterUnaryTransitVector(delivered)
            routing.AddDimensionWithVehicleCapacity(dcb, 0, caps, True, name + "_delivered")
            dl = routing.GetDimensionOrDie(name + "_delivered")
            for v in range(len(vehicle_type_of)):
                solver.Add(load.CumulVar(routing.Start(v)) == dl.CumulVar(routing.End(v)))
        else:
            for v in range(len(vehicle_type_of)):
                load.CumulVar(routing.Start(v)).SetValue(0)

    # skills, pairs, ride times, optional jobs
    penalty = prize if prize is not None else _big_penalty(problem)
    for node in range(n_dep, len(locs)):
        visit = visits[node]
        assert visit is not None
        skills = problem.skills_of(job_kind(visit), visit.index)
        if skills:
            # (SetAllowedVehiclesForIndex is unusable from Python in OR-Tools 9.15)
            barred = [
                v
                for v, k in enumerate(vehicle_type_of)
                if not skills <= problem.vehicle_types[k].skills
            ]
            routing.VehicleVar(index_of(node)).RemoveValues(barred)
        routing.AddDisjunction([index_of(node)], penalty)
    for j, s in enumerate(problem.shipments):
        p_idx, d_idx = index_of(n_dep + n_cli + j), index_of(n_dep + n_cli + n_ship + j)
        routing.AddPickupAndDelivery(p_idx, d_idx)
        solver.Add(routing.VehicleVar(p_idx) == routing.VehicleVar(d_idx))
        solver.Add(time_dim.CumulVar(p_idx) <= time_dim.CumulVar(d_idx))
        if s.max_ride is not None:
            ride_bound = s.max_ride + s.pickup.service_duration
            solver.Add(time_dim.CumulVar(d_idx) - time_dim.CumulVar(p_idx) <= ride_bound)

    # search
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = _FIRST_BY_SEED[(seed - 1) % len(_FIRST_BY_SEED)]
    params.local_search_metaheuristic = _META.GUIDED_LOCAL_SEARCH
    limit = stop.max_runtime_s()
    if t0 is not None and limit is not None:
        limit -= max(0.0, t_start - t0)
    params.time_limit.FromMilliseconds(int(1000 * max(0.05, limit or _UNBOUNDED_RUNTIME_S)))
    check = stop.start(t0)
    found = [0]
    best = [2**63]
    raised: list[BaseException] = []

    def at_solution() -> None:
        try:
            found[0] += 1
            cost = int(routing.CostVar().Value())
            if cost < best[0]:
                best[0] = cost
                if on_best is not None:
                    on_best(cost)
            if check(cost):
                solver.FinishCurrentSearch()
        except BaseException as exc:
            # OR-Tools swallows what a callback raises and searches on: Ctrl-C (raised here by
            # Python's handler, as the search calls back often) would be lost, and the run end
            # as if never interrupted. So the search stops and it is raised once Solve returns.
            raised.append(exc)
            solver.FinishCurrentSearch()

    routing.AddAtSolutionCallback(at_solution)
    start = _read_routes(routing, manager, params, problem, vehicle_type_of, initial)
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = routing.SolveWithParameters(params)
    if raised:
        raise raised[0]
    runtime = now() - t_start
    if solution is None:
        return _empty(problem, seed, found[0], runtime)
    return _extract(
        problem,
        routing,
        manager,
        solution,
        time_dim,
        vehicle_type_of,
        visits,
        seed=seed,
        iterations=found[0],
        runtime_s=runtime,
    )


def _read_routes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    params: object,
    problem: Problem,
    vehicle_type_of: list[int],
    initial: Sequence[InitialTour],
) -> pywrapcp.Assignment | None:
    """The initial routes as an assignment, or None when there are none or they break a rule."""
    if not initial:
        return None
    n_dep, n_cli, n_ship = len(problem.depots), len(problem.clients), len(problem.shipments)
    offset = {"client": n_dep, "pickup": n_dep + n_cli, "delivery": n_dep + n_cli + n_ship}
    free = {k: [v for v, t in enumerate(vehicle_type_of) if t == k] for k in set(vehicle_type_of)}
    routes: list[list[int]] = [[] for _ in vehicle_type_of]
    for vehicle_type, visits in initial:
        if not free.get(vehicle_type):
            return None
        v = free[vehicle_type].pop(0)
        routes[v] = [manager.NodeToIndex(offset[x.kind] + x.index) for x in visits]
    routing.CloseModelWithParameters(params)
    assignment: pywrapcp.Assignment | None = routing.ReadAssignmentFromRoutes(routes, True)
    return assignment


def _big_penalty(problem: Problem) -> int:
    return drop_penalty(problem)


def _empty(problem: Problem, seed: int, iterations: int, runtime_s: float) -> Solution:
    unassigned = tuple(
        Unassigned(kind, i, UnassignedReason.NOT_ROUTED) for kind, i in problem.jobs()
    )
    return Solution((), unassigned, 0, 0, False, ENGINE, seed, iterations, runtime_s)


def _extract(
    problem: Problem,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    solution: pywrapcp.Assignment,
    time_dim: pywrapcp.RoutingDimension,
    vehicle_type_of: list[int],
    visits: list[Visit | None],
    *,
    seed: int,
    iterations: int,
    runtime_s: float,
) -> Solution:
    routes = []
    for v, k in enumerate(vehicle_type_of):
        idx = solution.Value(routing.NextVar(routing.Start(v)))
        if routing.IsEnd(idx):
            continue
        route_visits, times = [], []
        while not routing.IsEnd(idx):
            visit = visits[manager.IndexToNode(idx)]
            assert visit is not None
            route_visits.append(visit)
            times.append(int(solution.Min(time_dim.CumulVar(idx))))
            idx = solution.Value(routing.NextVar(idx))
        start = int(solution.Min(time_dim.CumulVar(routing.Start(v))))
        end = int(solution.Min(time_dim.CumulVar(routing.End(v))))
        routes.append(
            engine_route(
                problem,
                k,
                route_visits,
                times,
                start=start,
                end=end,
                distance=route_distance(problem, k, route_visits),
            )
        )
    unassigned = not_routed(problem, routes)
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        cost=sum(r.cost for r in routes),
        distance=sum(r.distance for r in routes),
        feasible=True,
        engine=ENGINE,
        seed=seed,
        iterations=iterations,
        runtime_s=runtime_s,
    )
