"""One solve's independent searches: in parallel processes or one after another, one plan."""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
import pytest

from sendplan.routing.vrp import solve as vrp_solve
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import Problem, ProblemBuilder, Solution
from sendplan.routing.vrp.solve import SEARCHES, solve
from sendplan.routing.vrp.stop import MaxIterations, MaxRuntime, StopCriterion


def _problem(seed: int, n: int = 20) -> Problem:
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 100, size=(n + 1, 2))
    m = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(np.int64) * 10
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats"])
    b.add_depot(0, tw_late=20_000)
    for i in range(1, n + 1):
        early = int(rng.integers(0, 5000))
        b.add_client(i, delivery=[int(rng.integers(1, 5))], service_duration=50,
                     tw_early=early, tw_late=early + 3000)  # fmt: skip
    b.add_vehicle_type(num_available=8, capacity=[15])
    return b.build()


def _key(problem: Problem, result: Solution) -> tuple[str, int, str]:
    assert check_solution(problem, result).ok
    return repr(result.routes), result.cost, repr(result.unassigned)


def _plan_in_child(seed: int, iterations: int) -> tuple[str, int, str]:
    problem = _problem(seed)
    return _key(problem, solve(problem, MaxIterations(iterations), 1))


def test_a_daemonic_worker_finds_the_parents_plan() -> None:
    """A pool (or Dask) worker may not start processes, so its searches run in turn; the plan
    must be the one the parent finds with its searches in parallel."""
    here = _plan_in_child(5, 150)
    with mp.get_context("fork").Pool(1) as pool:
        assert pool.apply(_plan_in_child, (5, 150)) == here


def test_the_plan_does_not_depend_on_the_core_count(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _problem(6)
    many = _key(problem, solve(problem, MaxIterations(150), 3))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not vrp_solve._in_parallel(SEARCHES)
    assert _key(problem, solve(problem, MaxIterations(150), 3)) == many


def test_two_searches_are_the_default_and_the_best_is_kept() -> None:
    problem = _problem(7)
    default = solve(problem, MaxIterations(120), 2)
    ones = [solve(problem, MaxIterations(120), 2 + w, workers=1) for w in range(SEARCHES)]
    assert SEARCHES == 2
    assert _key(problem, default) == _key(problem, min(ones, key=lambda r: (r.cost, 0)))


def test_searches_in_turn_share_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    limits: list[float | None] = []
    real = vrp_solve._run_engine

    def spy(problem: Problem, stop: StopCriterion, *args: object) -> Solution:
        limits.append(stop.max_runtime_s())
        return real(problem, stop, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(vrp_solve, "_run_engine", spy)
    monkeypatch.setattr(vrp_solve, "_in_parallel", lambda _workers: False)
    solve(_problem(3, n=12), MaxRuntime(0.6), 1, workers=3)
    first = [x for x in limits[:3] if x is not None]
    assert len(first) == 3
    assert first[0] <= 0.6 / 3 and sum(first) <= 0.6


def test_a_criterion_checked_here_keeps_the_searches_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A criterion reading this process's state (a service job's cancel flag) would only see a
    copy in a forked search: its searches run in turn here, and they stop when it says so."""
    seen: list[int] = []

    class Local(MaxIterations):
        def in_process(self) -> bool:
            return True

        def start(self, t0: float | None = None):  # type: ignore[no-untyped-def]
            check = super().start(t0)
            seen.append(os.getpid())
            return check

    monkeypatch.setattr(vrp_solve, "_in_parallel", lambda _workers: True)
    problem = _problem(8)
    here = solve(problem, Local(100), 4)
    assert len(seen) >= SEARCHES and set(seen) == {os.getpid()}
    assert _key(problem, here) == _key(problem, solve(problem, MaxIterations(100), 4))
    assert not MaxIterations(1).in_process() and (MaxIterations(1) | Local(1)).in_process()
