"""PyVRP searches going on from initial routes: a partial or complete plan in, a plan at
least as good out, every job routed, and the same plan for the same seed and work limit."""

from __future__ import annotations

import numpy as np
import pytest

from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import (
    InitialTour,
    Problem,
    ProblemBuilder,
    Stop,
    Visit,
    VrpError,
)
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import MaxIterations


def _problem(seed: int, n: int = 24) -> Problem:
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 100, size=(n + 1, 2))
    m = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(np.int64) * 10
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0, tw_late=50_000)
    for i in range(1, n + 1):
        b.add_client(i, delivery=[int(rng.integers(1, 4))], service_duration=30, tw_late=50_000)
    b.add_vehicle_type(num_available=10, capacity=[8], fixed_cost=500, name="small")
    b.add_vehicle_type(num_available=3, capacity=[16], fixed_cost=900, name="big")
    return b.build()


def _tours(problem: Problem, seed: int, iterations: int) -> tuple[int, tuple[InitialTour, ...]]:
    found = solve(problem, MaxIterations(iterations), seed, engine="pyvrp", workers=1)
    return found.cost, tuple((r.vehicle_type, r.visits) for r in found.routes)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_search_from_a_plan_is_never_worse_than_the_plan(seed: int) -> None:
    problem = _problem(seed)
    cost, tours = _tours(problem, seed, 30)
    again = solve(problem, MaxIterations(1), seed + 7, engine="pyvrp", initial=tours)
    assert check_solution(problem, again).ok
    assert not again.unassigned
    assert again.cost <= cost


def test_jobs_the_initial_routes_leave_out_are_routed() -> None:
    problem = _problem(4)
    _, tours = _tours(problem, 4, 30)
    partial = tours[: len(tours) // 2]
    assert sum(len(v) for _, v in partial) < problem.num_jobs
    result = solve(problem, MaxIterations(5), 4, engine="pyvrp", initial=partial)
    assert check_solution(problem, result).ok
    assert not result.unassigned


def test_the_same_initial_routes_seed_and_limit_give_the_same_plan() -> None:
    problem = _problem(5)
    _, tours = _tours(problem, 5, 20)
    first = solve(problem, MaxIterations(40), 9, engine="pyvrp", initial=tours)
    second = solve(problem, MaxIterations(40), 9, engine="pyvrp", initial=tours)
    assert first.routes == second.routes


def test_a_long_search_from_a_poor_start_finds_what_a_fresh_one_does() -> None:
    """The start matters to the path, not to where a long search ends up: one route a client
    (as poor a start as there is) and a fresh start end within 2% of each other."""
    problem = _problem(6)
    poor = tuple((0, (Visit("client", i),)) for i in range(10))
    fresh = solve(problem, MaxIterations(3000), 6, engine="pyvrp")
    started = solve(problem, MaxIterations(3000), 6, engine="pyvrp", initial=poor)
    assert check_solution(problem, started).ok
    assert started.cost <= fresh.cost * 1.02


def test_initial_routes_with_shipments_are_refused_for_pyvrp() -> None:
    m = np.array([[0, 10, 20], [10, 0, 10], [20, 10, 0]], dtype=np.int64)
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0, tw_late=1000)
    b.add_shipment(Stop(1), Stop(2), amount=[1])
    b.add_vehicle_type(num_available=1, capacity=[4])
    problem = b.build()
    with pytest.raises(VrpError, match="clients only"):
        solve(problem, MaxIterations(5), 1, engine="pyvrp",
              initial=((0, (Visit("pickup", 0), Visit("delivery", 0))),))  # fmt: skip
