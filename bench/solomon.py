"""Solomon VRPTW benchmark: our engine against the distance-only best known solutions.

Model (as in ``measured_baselines``): minimise total Euclidean distance; the instance's fleet of
K vehicles with capacity Q; hard time windows with waiting; service time at each customer;
vehicles back at the depot by its due time. The solver works on integer distances and times
scaled by ``SCALE`` and rounded; reported costs are recomputed in double precision.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sendplan.bench.instances import (
    SolomonInstance,
    benchmarks_dir,
    pick_names,
    read_solomon,
    read_solomon_bks,
    solomon_names,
    solomon_path,
)
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import Problem, ProblemBuilder, Solution, visit_location
from sendplan.routing.vrp.pyvrp_engine import solve_plain
from sendplan.routing.vrp.solve import default_workers, solve
from sendplan.routing.vrp.stop import work_limit

SCALE = 1000


def euclidean(xy: Sequence[tuple[float, float]]) -> np.ndarray:
    pts = np.asarray(xy, dtype=float)
    return np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))


def solomon_problem(inst: SolomonInstance, *, scale: int = SCALE) -> Problem:
    """The instance as a routing problem with integer (scaled, rounded) distances and times."""
    matrix = np.rint(euclidean(inst.xy) * scale).astype(np.int64)
    b = ProblemBuilder(distance=matrix, duration=matrix, load_names=["demand"], coords=inst.xy)
    b.add_depot(0, tw_early=inst.ready[0] * scale, tw_late=inst.due[0] * scale)
    for i in range(1, len(inst.xy)):
        b.add_client(
            i,
            delivery=[inst.demand[i]],
            service_duration=inst.service[i] * scale,
            tw_early=inst.ready[i] * scale,
            tw_late=inst.due[i] * scale,
            name=str(i),
        )
    b.add_vehicle_type(num_available=inst.vehicles, capacity=[inst.capacity])
    return b.build()


def exact_distance(problem: Problem, result: Solution, xy: Sequence[tuple[float, float]]) -> float:
    """Total route length in the instance's units, in double precision."""
    exact = euclidean(xy)
    total = 0.0
    for route in result.routes:
        vt = problem.vehicle_types[route.vehicle_type]
        path = [problem.depots[vt.start_depot].location]
        path += [visit_location(problem, v) for v in route.visits]
        path.append(problem.depots[vt.end_depot].location)
        total += sum(float(exact[a, b]) for a, b in itertools.pairwise(path))
    return total


def gap_pct(cost: float, reference: float) -> float:
    return 100.0 * (cost - reference) / reference


def result_entry(
    prefix: str, problem: Problem, result: Solution, xy: Any, bks: float
) -> dict[str, Any]:
    report = check_solution(problem, result)
    feasible = result.feasible and not result.unassigned and report.ok
    cost = exact_distance(problem, result, xy)
    return {
        f"{prefix}cost": round(cost, 3),
        f"{prefix}vehicles": result.num_vehicles,
        f"{prefix}feasible": feasible,
        f"{prefix}checker_ok": report.ok,
        f"{prefix}gap_pct": round(gap_pct(cost, bks), 3) if feasible else None,
        f"{prefix}seconds": round(result.runtime_s, 2),
    }


def bench_solomon(
    *,
    time_limit_s: float = 10.0,
    instances: Sequence[str] | None = None,
    baseline: str | None = None,
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Solve Solomon instances; per-instance results and the summary figures of issue 5.

    ``iterations`` replaces the time limit by a per-worker iteration limit (reproducible).
    ``baseline="pyvrp"`` also runs plain PyVRP (one process, seed 1, same time limit).
    """
    if baseline not in (None, "pyvrp"):
        raise ValueError(f"unknown baseline {baseline!r}; expected pyvrp")
    folder = (root or benchmarks_dir()) / "solomon" / "instances"
    names = pick_names(instances, solomon_names(root), folder)
    bks = read_solomon_bks(root)
    stop = work_limit(time_limit_s=time_limit_s, iterations=iterations)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, name in enumerate(names, start=1):
        if progress is not None:
            progress(f"{name} ({i}/{len(names)})")
        inst = read_solomon(solomon_path(name, root))
        problem = solomon_problem(inst)
        ref = bks[inst.name][1]
        row: dict[str, Any] = {"instance": inst.name, "bks_distance": ref}
        result = solve(problem, stop, seed, workers=workers)
        row.update(result_entry("", problem, result, inst.xy, ref))
        if baseline == "pyvrp":
            add_pyvrp_baseline(row, problem, inst.xy, ref, time_limit_s=time_limit_s)
        rows.append(row)
    return summarise("solomon", rows, time_limit_s, seed, workers, iterations, started)


def add_pyvrp_baseline(
    row: dict[str, Any], problem: Problem, xy: Any, ref: float, *, time_limit_s: float
) -> None:
    """Plain PyVRP on the same problem (one process, seed 1, same time limit) into ``row``,
    with our cost over its cost when both are feasible."""
    base = solve_plain(problem, max_runtime_s=time_limit_s, seed=1)
    row.update(result_entry("baseline_", problem, base, xy, ref))
    if row["feasible"] and row["baseline_feasible"]:
        row["ratio_vs_baseline"] = round(row["cost"] / row["baseline_cost"], 6)


def summarise(
    benchmark: str,
    rows: list[dict[str, Any]],
    time_limit_s: float,
    seed: int,
    workers: int | None,
    iterations: int | None,
    started: float,
) -> dict[str, Any]:
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    out: dict[str, Any] = {
        "benchmark": benchmark,
        "time_limit_s": time_limit_s if iterations is None else None,
        "iterations": iterations,
        "seed": seed,
        "workers": workers or default_workers(),
        "count": len(rows),
        "infeasible": sum(not r["feasible"] for r in rows),
        "mean_gap_pct": _mean(gaps),
        "max_gap_pct": round(max(gaps), 3) if gaps else None,
    }
    if any("baseline_cost" in r for r in rows):
        base = [r["baseline_gap_pct"] for r in rows if r.get("baseline_gap_pct") is not None]
        ratios = [r["ratio_vs_baseline"] for r in rows if "ratio_vs_baseline" in r]
        out["baseline"] = "pyvrp, 1 process, seed 1, same time limit"
        out["baseline_infeasible"] = sum(not r["baseline_feasible"] for r in rows)
        out["baseline_mean_gap_pct"] = _mean(base)
        out["mean_ratio_vs_baseline"] = round(statistics.fmean(ratios), 6) if ratios else None
    out["total_seconds"] = round(time.perf_counter() - started, 1)
    out["instances"] = rows
    return out


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None
