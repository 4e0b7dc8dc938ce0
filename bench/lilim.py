"""Li & Lim PDPTW benchmark (100 tasks): our engine against the best distance-only results.

Same model as ``bench.solomon`` (distance only, the instance's fleet, hard windows, scaled
integer distances, costs recomputed in double precision), with each request a shipment picked up
and delivered by one vehicle. The reference per instance is the least distance among the
hierarchical BKS and the solvers measured in ``measured_baselines/li_lim_100_distance_objective``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sendplan.bench.instances import (
    LiLimInstance,
    benchmarks_dir,
    lilim_100_names,
    lilim_path,
    pick_names,
    read_lilim,
    read_lilim_reference,
)
from sendplan.bench.solomon import SCALE, add_pyvrp_baseline, euclidean, result_entry, summarise
from sendplan.routing.vrp.problem import Problem, ProblemBuilder, Stop
from sendplan.routing.vrp.solve import Engine, solve
from sendplan.routing.vrp.stop import work_limit


def lilim_problem(inst: LiLimInstance, *, scale: int = SCALE) -> Problem:
    """The instance as a routing problem: one shipment per request."""
    matrix = np.rint(euclidean(inst.xy) * scale).astype(np.int64)
    b = ProblemBuilder(distance=matrix, duration=matrix, load_names=["demand"], coords=inst.xy)
    b.add_depot(0, tw_early=inst.ready[0] * scale, tw_late=inst.due[0] * scale)

    def stop(node: int) -> Stop:
        return Stop(
            location=node,
            tw_early=inst.ready[node] * scale,
            tw_late=inst.due[node] * scale,
            service_duration=inst.service[node] * scale,
        )

    for p, d in inst.pairs:
        b.add_shipment(stop(p), stop(d), amount=[inst.demand[p]], name=f"{p}-{d}")
    b.add_vehicle_type(num_available=inst.vehicles, capacity=[inst.capacity])
    return b.build()


def bench_lilim(
    *,
    time_limit_s: float = 10.0,
    instances: Sequence[str] | None = None,
    baseline: str | None = None,
    seed: int = 1,
    workers: int | None = None,
    iterations: int | None = None,
    engine: Engine = "auto",
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Solve Li & Lim 100-task instances; per-instance results and summary figures."""
    if baseline not in (None, "pyvrp"):
        raise ValueError(f"unknown baseline {baseline!r}; expected pyvrp")
    folder = (root or benchmarks_dir()) / "li_lim" / "instances"
    names = pick_names(instances, lilim_100_names(root), folder)
    refs = read_lilim_reference(root)
    stop = work_limit(time_limit_s=time_limit_s, iterations=iterations)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, name in enumerate(names, start=1):
        if progress is not None:
            progress(f"{name} ({i}/{len(names)})")
        inst = read_lilim(lilim_path(name, root))
        problem = lilim_problem(inst)
        ref, ref_from = refs[inst.name]
        row: dict[str, Any] = {"instance": inst.name, "reference": ref, "reference_from": ref_from}
        result = solve(problem, stop, seed, workers=workers, engine=engine)
        row["engine"] = result.engine
        row.update(result_entry("", problem, result, inst.xy, ref))
        if baseline == "pyvrp":
            add_pyvrp_baseline(row, problem, inst.xy, ref, time_limit_s=time_limit_s)
        rows.append(row)
    return summarise("lilim", rows, time_limit_s, seed, workers, iterations, started)
