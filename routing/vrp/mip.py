"""A thin adapter over OR-Tools' linear solver: CBC for choosing routes (cover every item with
the fewest vehicles), GLOP for the covering linear programme of a column generation.

This is the only module that imports ``ortools.linear_solver``. The cover model: from
candidate routes (each covers some items and belongs to a group, such as the school it serves),
choose routes so that every item is covered at least once with the fewest vehicles, where a
vehicle released by a chosen route of group ``a`` may run a chosen route ``j`` next if the pair
``(a, j)`` is a link. Vehicles = chosen routes - links used; a chosen route has at most one
predecessor, and group ``a`` releases as many vehicles as it has chosen routes. For fixed routes
the links form a bipartite flow, so an integral one always exists; the links are still integer
variables, because an objective of integers with integer weights tells CBC that no cover beats
the best found by less than one vehicle, which prunes most of the search (on the school-bus
bench, proofs that took 10-15 s take about 3 s).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import pywraplp


class CoverError(RuntimeError):
    """The solver returned no cover (none exists, or none found within the time limit)."""


@dataclass(frozen=True)
class CoverChoice:
    """The chosen routes (indices, ascending), their vehicle count by the model, the solver's
    lower bound on it, and whether the choice was proved optimal."""

    chosen: tuple[int, ...]
    vehicles: int
    bound: float
    optimal: bool


def choose_cover(
    *,
    covers: Sequence[Sequence[int]],
    n_items: int,
    group: Sequence[int],
    links: NDArray[np.integer],
    time_limit_s: float | None = None,
) -> CoverChoice:
    """Choose routes covering ``0 .. n_items - 1`` for the fewest vehicles.

    ``covers[r]`` lists the items route r covers and ``group[r]`` is its group; ``links`` is a
    (k, 2) array of (group a, route j) pairs. Without ``time_limit_s`` the answer is optimal and
    reproducible; with it, the best cover found in about that time from the call, building the
    model included (CBC may overrun it by the time its root node takes; at least 1 s).
    Raises CoverError when no cover comes back.
    """
    started = time.perf_counter()
    n_routes = len(covers)
    if len(group) != n_routes:
        raise ValueError("covers and group must have the same length")
    pairs = np.asarray(links, dtype=np.int64).reshape(-1, 2)
    solver = pywraplp.Solver.CreateSolver("CBC")
    if solver is None:
        raise CoverError("CBC is not available in this OR-Tools build")
    x = [solver.BoolVar(f"x{r}") for r in range(n_routes)]
    y = [solver.BoolVar(f"y{k}") for k in range(len(pairs))]
    at_item: list[list[int]] = [[] for _ in range(n_items)]
    for r, items in enumerate(covers):
        for i in items:
            at_item[i].append(r)
    for i, routes in enumerate(at_item):
        if not routes:
            raise CoverError(f"no route covers item {i}")
        solver.Add(solver.Sum([x[r] for r in routes]) >= 1)
    n_groups = max(max(group, default=-1), int(pairs[:, 0].max(initial=-1))) + 1
    routes_of: list[list[int]] = [[] for _ in range(n_groups)]
    for r, g in enumerate(group):
        routes_of[g].append(r)
    out_of: list[list[int]] = [[] for _ in range(n_groups)]
    into: list[list[int]] = [[] for _ in range(n_routes)]
    for k, (a, j) in enumerate(pairs.tolist()):
        out_of[a].append(k)
        into[j].append(k)
    for a in range(n_groups):
        if out_of[a]:
            solver.Add(
                solver.Sum([y[k] for k in out_of[a]]) <= solver.Sum(x[r] for r in routes_of[a])
            )
    for j in range(n_routes):
        if into[j]:
            solver.Add(solver.Sum([y[k] for k in into[j]]) <= x[j])
    solver.Minimize(solver.Sum(x) - solver.Sum(y))
    if time_limit_s is not None:
        left_s = time_limit_s - (time.perf_counter() - started)
        solver.SetTimeLimit(max(1000, int(left_s * 1000)))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise CoverError(f"CBC returned status {status}")
    chosen = tuple(r for r in range(n_routes) if x[r].solution_value() > 0.5)
    vehicles = round(solver.Objective().Value())
    bound = solver.Objective().BestBound()
    proved = status == pywraplp.Solver.OPTIMAL or proves_optimal(bound=bound, vehicles=vehicles)
    return CoverChoice(chosen, vehicles, bound, proved)


def proves_optimal(*, bound: float, vehicles: int) -> bool:
    """Whether a lower ``bound`` proves a cover of ``vehicles`` optimal: vehicles are whole,
    so a bound less than one vehicle below does (with a little slack for round-off)."""
    return math.ceil(bound - 1e-6) >= vehicles


_FROM_SCRATCH = pywraplp.MPSolverParameters()
_FROM_SCRATCH.SetIntegerParam(
    pywraplp.MPSolverParameters.INCREMENTALITY, pywraplp.MPSolverParameters.INCREMENTALITY_OFF
)


class CoverLP:
    """The linear programme min c·x over x ≥ 0 with Σ a_ir x_r ≥ 1 for every item i and
    Σ x_r ≤ limit_g over the columns r of each group g, grown column by column (GLOP).

    Every item starts with an uncovered slack column of cost ``uncovered_cost``, so the
    programme is always feasible; a plan that covers everything is still a solution, so the
    value stays a relaxation of it.
    """

    def __init__(self, *, n_items: int, limits: Sequence[float], uncovered_cost: float) -> None:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:
            raise CoverError("GLOP is not available in this OR-Tools build")
        self._solver = solver
        self._cover = [solver.Constraint(1.0, solver.infinity()) for _ in range(n_items)]
        self._limit = [solver.Constraint(-solver.infinity(), float(c)) for c in limits]
        self._objective = solver.Objective()
        self._objective.SetMinimization()
        self._columns: list[pywraplp.Variable] = []
        for row in self._cover:
            slack = solver.NumVar(0.0, solver.infinity(), "")
            self._objective.SetCoefficient(slack, uncovered_cost)
            row.SetCoefficient(slack, 1.0)

    @property
    def n_columns(self) -> int:
        return len(self._columns)

    def add_column(self, cost: float, items: Sequence[int], group: int) -> None:
        """A column of ``cost`` covering ``items`` (an item listed twice counts twice)."""
        x = self._solver.NumVar(0.0, self._solver.infinity(), "")
        self._objective.SetCoefficient(x, cost)
        for i, times in Counter(items).items():
            self._cover[i].SetCoefficient(x, float(times))
        self._limit[group].SetCoefficient(x, 1.0)
        self._columns.append(x)

    def solve(self) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        """The optimum, the items' duals (≥ 0) and the groups' (≤ 0)."""
        status = self._solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            # GLOP warm-starts from the last basis and, on long degenerate programmes, has
            # given up there (ABNORMAL); solved from scratch the same programme may not.
            status = self._solver.Solve(_FROM_SCRATCH)
        if status != pywraplp.Solver.OPTIMAL:
            raise CoverError(f"GLOP returned status {status}")
        items = np.array([max(row.dual_value(), 0.0) for row in self._cover])
        groups = np.array([min(row.dual_value(), 0.0) for row in self._limit])
        return float(self._objective.Value()), items, groups


@dataclass(frozen=True)
class CoverCost:
    """The cheapest cover CBC found, its proven lower bound on any cover's cost, and whether
    the two meet (the cover is optimal)."""

    value: float
    bound: float
    optimal: bool


def cheapest_cover(
    *,
    costs: Sequence[float],
    covers: Sequence[Sequence[int]],
    group: Sequence[int],
    n_items: int,
    limits: Sequence[float],
    uncovered_cost: float,
    time_limit_s: float,
) -> CoverCost:
    """min Σ costs[r] x_r over binary x with every item covered at least once (or left
    uncovered at ``uncovered_cost``) and at most ``limits[g]`` chosen columns of each group:
    the integer form of :class:`CoverLP`. CBC runs for at most ``time_limit_s`` (at least
    1 s); without a proof, ``bound`` is CBC's best bound, still a bound on every cover.
    Raises CoverError when CBC returns no cover."""
    if not len(costs) == len(covers) == len(group):
        raise ValueError("costs, covers and group must have the same length")
    solver = pywraplp.Solver.CreateSolver("CBC")
    if solver is None:
        raise CoverError("CBC is not available in this OR-Tools build")
    rows = [solver.Constraint(1.0, solver.infinity()) for _ in range(n_items)]
    caps = [solver.Constraint(-solver.infinity(), float(c)) for c in limits]
    objective = solver.Objective()
    objective.SetMinimization()
    for row in rows:
        slack = solver.BoolVar("")
        objective.SetCoefficient(slack, uncovered_cost)
        row.SetCoefficient(slack, 1.0)
    for cost, items, g in zip(costs, covers, group, strict=True):
        x = solver.BoolVar("")
        objective.SetCoefficient(x, float(cost))
        for i in set(items):
            rows[i].SetCoefficient(x, 1.0)
        caps[g].SetCoefficient(x, 1.0)
    solver.SetTimeLimit(max(1000, int(time_limit_s * 1000)))
    status = solver.Solve()
    if status == pywraplp.Solver.OPTIMAL:
        return CoverCost(objective.Value(), objective.Value(), True)
    if status == pywraplp.Solver.FEASIBLE:
        return CoverCost(objective.Value(), objective.BestBound(), False)
    raise CoverError(f"CBC returned status {status}")
