"""The routing engine: exact optima on tiny instances, every rule, determinism, stop criteria."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.penalty import drop_penalty
from sendplan.routing.vrp.problem import (
    UNBOUNDED,
    Problem,
    ProblemBuilder,
    Solution,
    Stop,
    UnassignedReason,
    VrpError,
)
from sendplan.routing.vrp.solve import screen_jobs, solve
from sendplan.routing.vrp.stop import (
    AllOf,
    AnyOf,
    MaxIterations,
    MaxRuntime,
    NoImprovement,
)

WORK = MaxIterations(300)


def solved(problem: Problem, **kwargs: object) -> Solution:
    """Solve and run the independent checker on the result, as every test here does."""
    kwargs.setdefault("workers", 1)
    result = solve(problem, kwargs.pop("stop", WORK), **kwargs)  # type: ignore[arg-type]
    report = check_solution(problem, result)
    assert report.ok, report.violations
    return result


def grid_matrix(points: list[tuple[int, int]]) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    return np.rint(np.sqrt(((pts[:, None] - pts[None, :]) ** 2).sum(axis=2)) * 10).astype(np.int64)


# ------------------------------------------------------------------ brute-force oracle (VRPTW)


def route_cost_or_none(problem: Problem, order: tuple[int, ...]) -> int | None:
    """Distance of serving clients in this order with the single vehicle type, or None."""
    vt = problem.vehicle_types[0]
    depot = problem.depots[0]
    load = sum(problem.clients[i].delivery[0] for i in order)
    if load > vt.capacity[0]:
        return None
    t, loc, dist = depot.tw_early, depot.location, 0
    for i in order:
        c = problem.clients[i]
        t = max(t + int(problem.duration[loc, c.location]), c.tw_early)
        if t > c.tw_late:
            return None
        dist += int(problem.distance[loc, c.location])
        t, loc = t + c.service_duration, c.location
    if t + int(problem.duration[loc, depot.location]) > depot.tw_late:
        return None
    return dist + int(problem.distance[loc, depot.location])


def brute_force(problem: Problem) -> dict[int, list[float]]:
    """best[mask][k]: least distance serving exactly the clients in mask with k routes."""
    n = len(problem.clients)
    single = {}
    for mask in range(1, 1 << n):
        members = [i for i in range(n) if mask >> i & 1]
        costs = [route_cost_or_none(problem, p) for p in itertools.permutations(members)]
        feasible = [c for c in costs if c is not None]
        if feasible:
            single[mask] = min(feasible)
    k_max = problem.vehicle_types[0].num_available
    inf = float("inf")
    best = {0: [0.0] + [inf] * k_max}
    for mask in range(1, 1 << n):
        row = [inf] * (k_max + 1)
        low = mask & -mask
        sub = mask
        while sub:
            if sub & low and sub in single:
                rest = best[mask ^ sub]
                for k in range(1, k_max + 1):
                    row[k] = min(row[k], single[sub] + rest[k - 1])
            sub = (sub - 1) & mask
        best[mask] = row
    return best


@st.composite
def tiny_vrptw(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(1, 6))
    points = draw(
        st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=n + 1, max_size=n + 1)
    )
    m = grid_matrix(points)
    horizon = draw(st.integers(300, 900))
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0, tw_early=0, tw_late=horizon)
    for i in range(1, n + 1):
        early = draw(st.integers(0, horizon // 2))
        width = draw(st.integers(0, horizon))
        b.add_client(
            i,
            delivery=[draw(st.integers(0, 4))],
            service_duration=draw(st.integers(0, 30)),
            tw_early=early,
            tw_late=early + width,
        )
    b.add_vehicle_type(num_available=draw(st.integers(1, 3)), capacity=[draw(st.integers(4, 9))])
    return b.build()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_vrptw())
def test_tiny_vrptw_matches_brute_force_optimum(problem: Problem) -> None:
    best = brute_force(problem)
    n = len(problem.clients)
    result = solved(problem, stop=MaxIterations(400))
    optimum = min(best[(1 << n) - 1])
    if optimum < float("inf"):
        assert not result.unassigned
        assert result.distance == optimum
        return
    # Over-full: leaving a client out costs the drop penalty, so the most clients possible are
    # routed, then at the least distance. Screened-out clients can be on no route at all.
    screened = {i for _kind, i in screen_jobs(problem)}
    kept = [i for i in range(n) if i not in screened]
    penalty = drop_penalty(problem.restrict(clients=kept, shipments=[]))
    oracle = min(min(row) + penalty * (n - bin(mask).count("1")) for mask, row in best.items())
    assert result.unassigned
    assert result.distance + penalty * len(result.unassigned) == oracle


# ----------------------------------------------------------------------------- the rules


def line_problem(**vehicle: object) -> ProblemBuilder:
    """Depot at 0 and clients along a line, 10 units apart."""
    points = [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]
    m = grid_matrix(points)
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats", "wheelchair"])
    b.add_depot(0)
    return b


def test_wheelchair_client_rides_only_a_vehicle_with_the_skill() -> None:
    b = line_problem()
    b.add_client(1, pickup=[0, 1], skills=["wheelchair"])
    b.add_client(2, pickup=[1, 0])
    b.add_vehicle_type(num_available=2, capacity=[8, 0], fixed_cost=0, name="car")
    b.add_vehicle_type(num_available=1, capacity=[8, 1], fixed_cost=500, skills=["wheelchair"])
    result = solved(b.build())
    by_client = {v.index: r.vehicle_type for r in result.routes for v in r.visits}
    assert by_client[0] == 1


def test_no_vehicle_with_the_skill_leaves_the_client_out_with_that_reason() -> None:
    b = line_problem()
    b.add_client(1, pickup=[1, 0], skills=["assistant"])
    b.add_client(2, pickup=[1, 0])
    b.add_vehicle_type(num_available=1, capacity=[8, 0])
    result = solved(b.build())
    assert [(u.index, u.reason) for u in result.unassigned] == [
        (0, UnassignedReason.NO_COMPATIBLE_VEHICLE)
    ]
    assert [v.index for r in result.routes for v in r.visits] == [1]


def test_capacity_per_dimension_is_respected() -> None:
    b = line_problem()
    for loc in (1, 2, 3):
        b.add_client(loc, pickup=[1, 1])
    b.add_vehicle_type(num_available=3, capacity=[8, 2], fixed_cost=1000)
    result = solved(b.build())
    assert result.num_vehicles == 2  # wheelchair spaces, not seats, bind
    assert not result.unassigned


def test_unreachable_window_is_infeasible_alone() -> None:
    b = line_problem()
    b.add_client(4, tw_early=0, tw_late=5)  # 40 units away
    b.add_client(1)
    b.add_vehicle_type(num_available=1)
    result = solved(b.build())
    assert [(u.index, u.reason) for u in result.unassigned] == [
        (0, UnassignedReason.INFEASIBLE_ALONE)
    ]


def test_small_fleet_routes_what_fits_and_reports_the_rest() -> None:
    b = line_problem()
    for loc in (1, 2, 3, 4):
        b.add_client(loc, pickup=[1, 0])
    b.add_vehicle_type(num_available=1, capacity=[2, 0])
    result = solved(b.build())
    assert sum(len(r.visits) for r in result.routes) == 2
    assert [u.reason for u in result.unassigned] == [UnassignedReason.NOT_ROUTED] * 2
    # the two nearest clients are the cheapest to serve
    assert sorted(v.index for r in result.routes for v in r.visits) == [0, 1]


def test_release_time_delays_the_departure() -> None:
    b = line_problem()
    b.add_client(2, release_time=100)
    b.add_vehicle_type(num_available=1)
    (route,) = solved(b.build()).routes
    assert route.start_time >= 100


def test_max_duration_splits_a_route() -> None:
    b = line_problem()
    b.add_client(4, service_duration=10)
    b.add_client(4, service_duration=10)
    b.add_vehicle_type(num_available=2, max_duration=95, fixed_cost=0)
    result = solved(b.build())
    assert result.num_vehicles == 2  # together: 40 + 10 + 10 + 40 = 100 > 95


def test_cheaper_vehicle_type_is_chosen() -> None:
    b = line_problem()
    b.add_client(2, pickup=[3, 0])
    b.add_vehicle_type(num_available=1, capacity=[8, 0], fixed_cost=900)
    b.add_vehicle_type(num_available=1, capacity=[4, 0], fixed_cost=300)
    (route,) = solved(b.build()).routes
    assert route.vehicle_type == 1
    assert route.cost == 300 + 40


def shipments_problem(*, max_ride: int | None) -> Problem:
    # two passengers from 1 and 2 to the school at 4; sharing means a detour for the first one
    points = [(0, 0), (0, 3), (3, 0), (3, 3), (6, 6)]
    m = grid_matrix(points)
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0)
    school = Stop(4, tw_early=0, tw_late=1000)
    b.add_shipment(Stop(1), school, amount=[1], max_ride=max_ride)
    b.add_shipment(Stop(2), school, amount=[1], max_ride=max_ride)
    b.add_vehicle_type(num_available=2, capacity=[4], fixed_cost=10)
    return b.build()


def test_shipments_share_a_vehicle_without_ride_limits() -> None:
    result = solved(shipments_problem(max_ride=None))
    assert result.engine == "pyvrp"
    assert result.num_vehicles == 1


def test_ride_limit_stops_passengers_sharing_and_uses_ortools() -> None:
    # direct rides 1->4 and 2->4 take 67; sharing makes the first passenger ride 42 + 67 = 109
    problem = shipments_problem(max_ride=80)
    result = solved(problem)
    assert result.engine == "ortools"
    assert not result.unassigned
    for route in result.routes:
        kinds = [v.kind for v in route.visits]
        assert kinds in (["pickup", "delivery"], ["pickup", "delivery"] * 2), kinds
    loose = solved(
        replace(problem, shipments=tuple(replace(s, max_ride=200) for s in problem.shipments))
    )
    assert loose.engine == "ortools"
    (shared,) = loose.routes
    assert [v.kind for v in shared.visits][:2] == ["pickup", "pickup"]
    assert loose.cost < result.cost


def test_ortools_engine_matches_brute_force_on_a_small_vrptw() -> None:
    b = line_problem()
    for loc, early in ((1, 0), (2, 50), (3, 0), (4, 0)):
        b.add_client(loc, pickup=[1, 0], tw_early=early, tw_late=early + 200)
    b.add_vehicle_type(num_available=2, capacity=[3, 0])
    problem = b.build()
    result = solved(problem, engine="ortools", stop=MaxIterations(200))
    best = brute_force(
        replace(problem, clients=tuple(replace(c, delivery=c.pickup) for c in problem.clients))
    )
    assert result.distance == min(best[15])


# -------------------------------------------------------------------------- determinism


def random_problem(seed: int, n: int = 25) -> Problem:
    rng = np.random.default_rng(seed)
    points = [tuple(p) for p in rng.integers(0, 100, size=(n + 1, 2))]
    m = grid_matrix(points)  # type: ignore[arg-type]
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0, tw_late=20_000)
    for i in range(1, n + 1):
        early = int(rng.integers(0, 5000))
        b.add_client(
            i,
            delivery=[int(rng.integers(1, 5))],
            service_duration=50,
            tw_early=early,
            tw_late=early + 3000,
        )
    b.add_vehicle_type(num_available=8, capacity=[15])
    return b.build()


@pytest.mark.parametrize("workers", [1, 2])
def test_same_seed_and_work_limit_give_the_same_result(workers: int) -> None:
    problem = random_problem(3)
    first = solved(problem, stop=MaxIterations(200), seed=7, workers=workers)
    again = solved(problem, stop=MaxIterations(200), seed=7, workers=workers)
    assert first == again
    assert repr(first.routes) == repr(again.routes)


def test_two_workers_are_never_worse_than_one() -> None:
    problem = random_problem(5)
    one = solved(problem, stop=MaxIterations(150), seed=1, workers=1)
    two = solved(problem, stop=MaxIterations(150), seed=1, workers=2)
    assert two.cost <= one.cost


def test_ortools_is_deterministic_under_an_iteration_limit() -> None:
    problem = random_problem(4, n=12)
    runs = [solved(problem, engine="ortools", stop=MaxIterations(30)) for _ in range(2)]
    assert runs[0] == runs[1]


def test_progress_reports_improving_costs() -> None:
    seen: list[int] = []
    solved(random_problem(6), stop=MaxIterations(100), progress=seen.append)
    assert seen
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_inside_the_ortools_search_is_not_swallowed(
    interrupt: type[BaseException],
) -> None:
    # Python raises Ctrl-C (and atomic's SIGTERM exit) in whatever Python code runs next, and
    # during an OR-Tools search that is its solution callback, whose exceptions OR-Tools drops.
    calls: list[int] = []

    def interrupted(cost: int) -> None:
        calls.append(cost)
        raise interrupt

    with pytest.raises(interrupt):
        solve(
            random_problem(4, n=12),
            MaxIterations(500),
            engine="ortools",
            workers=1,
            progress=interrupted,
        )
    assert len(calls) == 1  # the search stopped at the interrupt


# ---------------------------------------------------------------------- problem validation


def test_builder_rejects_malformed_input() -> None:
    m = [[0, 1], [1, 0]]
    with pytest.raises(VrpError, match="square"):
        ProblemBuilder(distance=[[0, 1]], duration=m)
    with pytest.raises(VrpError, match="non-integer"):
        ProblemBuilder(distance=[[0, 1.5], [1, 0]], duration=m)
    with pytest.raises(VrpError, match="negative"):
        ProblemBuilder(distance=[[0, -1], [1, 0]], duration=m)
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    with pytest.raises(VrpError, match="client 0 delivery: 2 load values"):
        b.add_client(1, delivery=[1, 2])
    b.add_client(5)
    b.add_vehicle_type(num_available=1)
    with pytest.raises(VrpError, match="at least one depot"):
        b.build()
    b.add_depot(0)
    with pytest.raises(VrpError, match="client 0: location 5"):
        b.build()
    b2 = ProblemBuilder(distance=m, duration=m)
    b2.add_depot(0)
    b2.add_client(1, tw_early=10, tw_late=5)
    b2.add_vehicle_type(num_available=1)
    with pytest.raises(VrpError, match=r"client 0: time window \[10, 5\]"):
        b2.build()
    b3 = ProblemBuilder(distance=m, duration=m)
    b3.add_depot(0)
    b3.add_vehicle_type(num_available=1, end_depot=3)
    with pytest.raises(VrpError, match="end_depot 3"):
        b3.build()


def test_problem_is_immutable() -> None:
    b = line_problem()
    b.add_client(1)
    b.add_vehicle_type(num_available=1)
    problem = b.build()
    with pytest.raises(ValueError, match="read-only"):
        problem.distance[0, 1] = 5
    with pytest.raises(AttributeError):
        problem.clients = ()  # type: ignore[misc]


def test_empty_problem_gives_an_empty_feasible_result() -> None:
    b = line_problem()
    b.add_vehicle_type(num_available=1)
    result = solved(b.build())
    assert result.routes == () and result.unassigned == () and result.feasible


# --------------------------------------------------------------------------- stop criteria


def test_stop_criteria_compose() -> None:
    check = MaxIterations(3).start()
    assert [check(0) for _ in range(4)] == [False, False, False, True]
    check = NoImprovement(2).start()
    assert [check(c) for c in (9, 8, 8, 8)] == [False, False, False, True]
    both = MaxIterations(1) & NoImprovement(3)
    assert isinstance(both, AllOf)
    check = both.start()
    assert [check(5) for _ in range(4)] == [False, False, False, True]
    either = MaxRuntime(0) | MaxIterations(100)
    assert isinstance(either, AnyOf)
    assert either.start()(0)
    assert either.max_runtime_s() == 0 and either.max_iterations() == 100
    assert both.max_runtime_s() is None
    assert (MaxRuntime(2) & MaxRuntime(5)).max_runtime_s() == 5
    with pytest.raises(ValueError):
        MaxIterations(-1)
    with pytest.raises(ValueError):
        MaxRuntime(float("inf"))


def test_a_spent_runtime_limit_stops_the_search_at_once() -> None:
    """MaxRuntime reaches the engine (wall-clock speed itself is the benchmarks' business):
    with no time to spend, the search stops at its first check instead of iterating."""
    spent = solved(random_problem(2, n=40), stop=MaxRuntime(0), workers=1)
    counted = solved(random_problem(2, n=40), stop=MaxIterations(200), workers=1)
    assert spent.iterations < 5 < counted.iterations


def test_unbounded_defaults_are_large_but_safe() -> None:
    assert UNBOUNDED * 4 < 2**63
