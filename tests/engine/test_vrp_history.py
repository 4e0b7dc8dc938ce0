"""Late acceptance's history in the PyVRP adapter: greedy for short searches, PyVRP's default
for long ones, on both sides of the limit; benchmarks costed in time units keep the default."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sendplan.routing.vrp import pyvrp_engine
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import Problem, ProblemBuilder
from sendplan.routing.vrp.pyvrp_engine import (
    DEFAULT_HISTORY,
    GREEDY_BELOW_ITERATIONS,
    ITERATIONS_PER_S_SQRT_JOBS,
    history_length,
)
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import AnyOf, MaxIterations, MaxRuntime, NoImprovement, StopCriterion


def line(n: int, *, unit_distance_cost: int) -> Problem:
    """A depot and ``n`` clients 10 units apart on a line."""
    m = np.abs(np.subtract.outer(np.arange(n + 1), np.arange(n + 1))).astype(np.int64) * 10
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0)
    for i in range(1, n + 1):
        b.add_client(i, pickup=[1])
    b.add_vehicle_type(num_available=n, capacity=[3], unit_distance_cost=unit_distance_cost)
    return b.build()


def test_an_iteration_limit_below_the_bound_is_greedy_and_at_it_is_not() -> None:
    p = line(4, unit_distance_cost=1)
    assert history_length(p, MaxIterations(GREEDY_BELOW_ITERATIONS - 1)) == 1
    assert history_length(p, MaxIterations(GREEDY_BELOW_ITERATIONS)) == DEFAULT_HISTORY


@pytest.mark.parametrize("jobs", [1, 9, 100])
def test_a_runtime_limit_counts_iterations_at_the_rate_for_its_jobs(jobs: int) -> None:
    p = line(jobs, unit_distance_cost=1)
    edge_s = GREEDY_BELOW_ITERATIONS * jobs**0.5 / ITERATIONS_PER_S_SQRT_JOBS
    assert history_length(p, MaxRuntime(edge_s * 0.99)) == 1
    assert history_length(p, MaxRuntime(edge_s * 1.01)) == DEFAULT_HISTORY


def test_no_work_bound_keeps_the_default_and_the_least_bound_decides() -> None:
    p = line(4, unit_distance_cost=1)
    assert history_length(p, NoImprovement(10)) == DEFAULT_HISTORY
    assert history_length(p, AnyOf((MaxRuntime(1e6), MaxIterations(50)))) == 1
    assert history_length(p, AnyOf((MaxRuntime(1e-3), NoImprovement(10**9)))) == 1


def histories_run(problem: Problem, stop: StopCriterion, monkeypatch: Any) -> list[int]:
    """The history length each PyVRP search of ``solve`` was built with (a spy on the real
    class; the search itself runs), after checking the plan."""
    seen: list[int] = []
    real = pyvrp_engine.pyvrp.IteratedLocalSearch

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[4].history_length)
        return real(*args, **kwargs)

    monkeypatch.setattr(pyvrp_engine.pyvrp, "IteratedLocalSearch", spy)
    result = solve(problem, stop, seed=3, workers=1)
    assert check_solution(problem, result).ok
    return seen


def test_a_money_costed_search_runs_with_the_history_its_work_limit_gives(
    monkeypatch: Any,
) -> None:
    # Costs far above time units (as sendplan's 1e-5 GBP): the adapter's own set-up runs.
    p = line(5, unit_distance_cost=50_000)
    assert histories_run(p, MaxIterations(40), monkeypatch) == [1]
    assert histories_run(p, NoImprovement(40), monkeypatch) == [DEFAULT_HISTORY]


def test_a_time_costed_benchmark_keeps_pyvrps_own_solve(monkeypatch: Any) -> None:
    # ``pyvrp.solve`` with default parameters: the adapter builds no search of its own.
    assert histories_run(line(5, unit_distance_cost=1), MaxIterations(40), monkeypatch) == []
