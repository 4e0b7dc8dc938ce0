"""PyVRP adapter: the only module that imports ``pyvrp``.

Converts a :class:`~sendplan.routing.vrp.problem.Problem` to ``pyvrp.ProblemData``, runs PyVRP's
iterated local search and converts the best solution back to a :class:`Solution`.

PyVRP has no vehicle skills, so each skill a job needs becomes an extra load dimension: a job
needing the skill loads one unit of it; vehicles with the skill carry as many units as there are
such jobs, vehicles without it carry none. It has no ride-time limits for shipments either, so
problems with ``max_ride`` go to the OR-Tools adapter instead (see :func:`supports`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import pyvrp
import pyvrp.search
import pyvrp.stop

from sendplan.routing.vrp.problem import (
    InitialTour,
    Problem,
    Solution,
    Visit,
    engine_route,
    not_routed,
)
from sendplan.routing.vrp.stop import StopCriterion

ENGINE = "pyvrp"
# Late acceptance compares a candidate with the current solution of ``history_length``
# iterations ago, and with the starting one until that many have run: PyVRP's 300 suits long
# runs, but a school's search in a short budget runs a few thousand iterations (Leicester
# default AM: 1,100 a second with 150 children to route, 6,000 with 13). Measured there
# (``bench transport --anytime``, GBP a day): at 10 s, seeds 1-4, history 300 gave a mean of
# 21,071 and history 1 20,858 (-1.0%); at 120 s, seeds 1-3, 20,618 and 20,647 (+0.14%); at
# 1,000 iterations a school, 21,215 and 20,797 (-2.0%).
GREEDY_BELOW_ITERATIONS = 10_000
ITERATIONS_PER_S_SQRT_JOBS = 13_500
DEFAULT_HISTORY = pyvrp.IteratedLocalSearchParams().history_length
_INFEASIBLE = 2**63 - 1
_KIND = {
    pyvrp.ActivityType.CLIENT: "client",
    pyvrp.ActivityType.PICKUP: "pickup",
    pyvrp.ActivityType.DELIVERY: "delivery",
}


def supports(problem: Problem) -> bool:
    """True when PyVRP can express every rule of the problem."""
    return not problem.has_ride_limits()


def to_pyvrp(problem: Problem, *, prize: int | None = None) -> pyvrp.ProblemData:
    """The same problem as PyVRP data. With ``prize``, jobs become optional and leaving one
    out costs ``prize`` (used to find the largest routable subset of an over-full problem)."""
    skills = sorted({s for kind, i in problem.jobs() for s in problem.skills_of(kind, i)})
    needing = {s: sum(s in problem.skills_of(k, i) for k, i in problem.jobs()) for s in skills}

    def marks(job_skills: frozenset[str]) -> list[int]:
        return [int(s in job_skills) for s in skills]

    zeros = [0] * len(skills)
    coords = problem.coords or [(0.0, 0.0)] * problem.num_locations
    required = prize is None
    clients = [
        pyvrp.Client(
            location=c.location,
            delivery=[*c.delivery, *marks(c.skills)],
            pickup=[*c.pickup, *zeros],
            service_duration=c.service_duration,
            tw_early=c.tw_early,
            tw_late=c.tw_late,
            release_time=c.release_time,
            prize=prize or 0,
            required=required,
            name=c.name,
        )
        for c in problem.clients
    ]
    shipments = [
        pyvrp.Shipment(
            pickup_location=s.pickup.location,
            delivery_location=s.delivery.location,
            pickup_tw_early=s.pickup.tw_early,
            pickup_tw_late=s.pickup.tw_late,
            pickup_service_duration=s.pickup.service_duration,
            delivery_tw_early=s.delivery.tw_early,
            delivery_tw_late=s.delivery.tw_late,
            delivery_service_duration=s.delivery.service_duration,
            amount=[*s.amount, *marks(s.skills)],
            prize=prize or 0,
            required=required,
            name=s.name,
        )
        for s in problem.shipments
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=min(vt.num_available, max(problem.num_jobs, 1)),
            capacity=[*vt.capacity, *(needing[s] if s in vt.skills else 0 for s in skills)],
            start_depot=vt.start_depot,
            end_depot=vt.end_depot,
            fixed_cost=vt.fixed_cost,
            tw_early=vt.tw_early,
            tw_late=vt.tw_late,
            shift_duration=vt.max_duration,
            unit_distance_cost=vt.unit_distance_cost,
            unit_duration_cost=vt.unit_duration_cost,
            name=vt.name,
        )
        for vt in problem.vehicle_types
    ]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x, y) for x, y in coords],
        clients=clients,
        depots=[
            pyvrp.Depot(location=d.location, tw_early=d.tw_early, tw_late=d.tw_late, name=d.name)
            for d in problem.depots
        ],
        vehicle_types=vehicle_types,
        distance_matrices=[cast(Any, problem.distance)],
        duration_matrices=[cast(Any, problem.duration)],
        shipments=shipments,
    )


def from_pyvrp(
    problem: Problem,
    solution: pyvrp.Solution,
    *,
    seed: int,
    iterations: int,
    runtime_s: float,
    drop_infeasible: bool = False,
) -> Solution:
    """Our result for a PyVRP solution; jobs it left out are ``not_routed``. With
    ``drop_infeasible``, routes breaking a rule are dropped and their jobs left out too."""
    routes = []
    kept = [r for r in solution.routes() if r.is_feasible() or not drop_infeasible]
    for r in kept:
        visits, times = [], []
        for act in r.schedule():
            kind = _KIND.get(act.type)
            if kind is not None:
                visits.append(Visit(kind, act.idx))  # type: ignore[arg-type]
                times.append(int(act.start_time))
        routes.append(
            engine_route(
                problem,
                int(r.vehicle_type()),
                visits,
                times,
                start=int(r.start_time()),
                end=int(r.end_time()),
                distance=int(r.distance()),
            )
        )
    unassigned = not_routed(problem, routes)
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        cost=sum(r.cost for r in routes),
        distance=sum(r.distance for r in routes),
        feasible=all(r.is_feasible() for r in kept)
        and (drop_infeasible or bool(solution.is_feasible())),
        engine=ENGINE,
        seed=seed,
        iterations=iterations,
        runtime_s=runtime_s,
    )


class _Criterion:
    """Our stopping checker in PyVRP's ``StoppingCriterion`` shape, reporting new bests."""

    def __init__(self, check: Callable[[float], bool], on_best: Callable[[int], None] | None):
        self._check = check
        self._on_best = on_best
        self._best = 2**63

    def __call__(self, best_cost: int) -> bool:
        # PyVRP passes INT64_MAX while the best solution is infeasible
        if self._on_best is not None and best_cost < min(self._best, _INFEASIBLE):
            self._best = best_cost
            self._on_best(best_cost)
        return self._check(best_cost)


def solve_pyvrp(
    problem: Problem,
    stop: StopCriterion,
    *,
    seed: int,
    t0: float | None = None,
    prize: int | None = None,
    on_best: Callable[[int], None] | None = None,
    initial: Sequence[InitialTour] = (),
) -> Solution:
    """Run PyVRP's default iterated local search until ``stop`` says stop; with ``initial``
    routes (clients only, each at most once, within every type's availability) it starts from
    them, the jobs they leave out inserted by the local search."""
    data = to_pyvrp(problem, prize=prize)
    res = _run(
        data,
        _Criterion(stop.start(t0), on_best),
        seed,
        penalty_params(problem),
        cost_per_time=cost_per_time_unit(problem),
        history=history_length(problem, stop),
        initial=initial,
    )
    return from_pyvrp(
        problem,
        res.best,
        seed=seed,
        iterations=res.num_iterations,
        runtime_s=res.runtime,
        drop_infeasible=prize is not None,
    )


def penalty_params(problem: Problem) -> pyvrp.PenaltyParams:
    """PyVRP's penalty parameters, with the ceiling raised when costs are large.

    PyVRP caps the penalty per unit of excess load or time warp at 1e5. When one vehicle's
    fixed cost (or one arc) costs more than that, overloading a vehicle stays cheaper than
    opening another and the search never becomes feasible, so the cap follows the costs.
    """
    default = pyvrp.PenaltyParams()
    arc = int(problem.distance.max()) * max(vt.unit_distance_cost for vt in problem.vehicle_types)
    arc += int(problem.duration.max()) * max(vt.unit_duration_cost for vt in problem.vehicle_types)
    scale = max([arc] + [vt.fixed_cost for vt in problem.vehicle_types])
    if 10 * scale <= default.max_penalty:
        return default
    return pyvrp.PenaltyParams(max_penalty=float(10 * scale))


def cost_per_time_unit(problem: Problem) -> float:
    """What a vehicle's driving costs per time unit, at its average speed (the most of any type).

    PyVRP's default penalties assume costs on the scale of durations (Solomon: distance = time,
    one cost unit per unit); sendplan's transport costs are in 1e-5 GBP against seconds, about
    2,000 cost units per second of driving.
    """
    jobs = problem.duration > 0
    speed = (
        float(problem.distance[jobs].mean() / problem.duration[jobs].mean()) if jobs.any() else 1.0
    )
    return max(
        vt.unit_distance_cost * speed + vt.unit_duration_cost for vt in problem.vehicle_types
    )


def history_length(problem: Problem, stop: StopCriterion) -> int:
    """How many iterations back late acceptance compares with: 1 (a candidate is kept only
    when it beats the current solution or the last one kept) when the search is expected to
    run fewer than ``GREEDY_BELOW_ITERATIONS`` iterations, else PyVRP's default.

    The expected count is the iteration limit, or the runtime limit at
    ``ITERATIONS_PER_S_SQRT_JOBS / sqrt(jobs)`` iterations a second, whichever is less."""
    iterations = stop.max_iterations()
    expected = math.inf if iterations is None else float(iterations)
    if (runtime_s := stop.max_runtime_s()) is not None:
        rate = ITERATIONS_PER_S_SQRT_JOBS / max(problem.num_jobs, 1) ** 0.5
        expected = min(expected, runtime_s * rate)
    return 1 if expected < GREEDY_BELOW_ITERATIONS else DEFAULT_HISTORY


def _run(
    data: pyvrp.ProblemData,
    criterion: _Criterion,
    seed: int,
    penalty: pyvrp.PenaltyParams,
    *,
    cost_per_time: float = 1.0,
    history: int = DEFAULT_HISTORY,
    initial: Sequence[InitialTour] = (),
) -> pyvrp.Result:
    """``pyvrp.solve`` with the default parameters except ``penalty`` and late acceptance's
    ``history``.

    The initial penalties are the default midpoint scaled by ``cost_per_time`` when costs run
    faster than time (a raised ceiling alone would start the search at the ceiling). Unscaled, a
    second of time warp on the Leicester default costs less than a few metres of driving: the
    search spends thousands of iterations infeasible and keeps its first plan (the school with
    309 children: 69 routes at 100 and 1,000 iterations, 34 at 10,000); scaled, 51 routes at
    1,000 and 24 at 3,000. Problems costed in their time units keep the default start (the
    school-bus benchmark, whose fixed route costs raise the ceiling) or go to ``pyvrp.solve``
    itself, ``history`` included (Solomon, Li-Lim: default penalties)."""
    if penalty == pyvrp.PenaltyParams() and cost_per_time <= 1.0 and not initial:
        return pyvrp.solve(data, criterion, seed=seed, collect_stats=False, display=False)
    ils = pyvrp.IteratedLocalSearchParams(history_length=history)
    params = pyvrp.SolveParams(penalty=penalty, ils=ils)
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    perturbation = pyvrp.search.PerturbationManager(params.perturbation)
    ls = pyvrp.search.LocalSearch(data, rng, neighbours, perturbation)
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    loads, warp, dist = pyvrp.PenaltyParams().midpoint_penalties(data)
    scale = max(1.0, cost_per_time)
    top = penalty.max_penalty

    def scaled(x: float) -> float:
        return min(x * scale, top)

    pm = pyvrp.PenaltyManager(([scaled(x) for x in loads], scaled(warp), scaled(dist)), penalty)
    start = _solution_of(data, initial) if initial else pyvrp.Solution.make_random(data, rng)
    init = ls(start, pm.max_cost_evaluator(), exhaustive=True)
    algo = pyvrp.IteratedLocalSearch(data, pm, ls, init, params.ils)
    return algo.run(criterion, collect_stats=False)


def _solution_of(data: pyvrp.ProblemData, initial: Sequence[InitialTour]) -> pyvrp.Solution:
    """The initial routes as a PyVRP solution (client visits only)."""
    routes = []
    for vehicle_type, visits in initial:
        if any(v.kind != "client" for v in visits):
            raise ValueError("initial routes for PyVRP visit clients only")
        acts = [pyvrp.Activity(pyvrp.ActivityType.CLIENT, v.index) for v in visits]
        routes.append(pyvrp.Route(data, acts, vehicle_type))
    return pyvrp.Solution(data, routes)


def solve_plain(problem: Problem, *, max_runtime_s: float, seed: int = 1) -> Solution:
    """Plain PyVRP as its documentation shows it: one process, ``MaxRuntime``, default params.

    The benchmarks' baseline, so that "ours" is compared with PyVRP on identical data.
    """
    res = pyvrp.solve(
        to_pyvrp(problem), pyvrp.stop.MaxRuntime(max_runtime_s), seed=seed, display=False
    )
    return from_pyvrp(
        problem, res.best, seed=seed, iterations=res.num_iterations, runtime_s=res.runtime
    )
