"""`sendplan bench sweep`: the same sweep on one worker and on W, timed in one run.

Each variant is the scenario given (the CLI passes the Leicester default, seed 1) placed and
given its morning routes with a fixed iteration limit; variants differ only in the route
search's seed, so each costs about the same (over a second on a laptop core). ``seconds`` and
``seconds_one_worker`` time the sweep from a ready cluster to its last row (``speedup`` is their
ratio); the ``wall_`` figures also count starting and closing the local cluster, as a user's
sweep does.
"""

from __future__ import annotations

import os
from typing import Any

from sendplan.routing.model import Scenario
from sendplan.routing.planning.sweep import Grid, sweep

BENCH_ROUTE_ITERATIONS = 200
"""Route iterations per school: about 2 s a variant, so scheduling is a small share of it."""


def bench_sweep(
    base: Scenario, *, variants: int, workers: int, route_iterations: int = BENCH_ROUTE_ITERATIONS
) -> dict[str, Any]:
    """Sweep ``variants`` route-planning variants of ``base`` on 1 worker, then on ``workers``;
    check both give the same rows and return the timings."""
    if variants < 1 or workers < 1:
        raise ValueError("variants and workers must be at least 1")
    grid = Grid(seeds=tuple(range(1, variants + 1)), routes=True, route_iterations=route_iterations)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # others' use of the cores
    one = sweep(base, grid, workers=1)
    many = sweep(base, grid, workers=workers)
    if _figures(one.rows) != _figures(many.rows):
        raise RuntimeError("the sweep on one worker and on several gave different rows")
    work_one = one.seconds - one.startup_seconds
    work_many = many.seconds - many.startup_seconds
    return {
        "variants": variants,
        "workers": workers,
        "seconds": round(work_many, 3),
        "seconds_one_worker": round(work_one, 3),
        "speedup": round(work_one / work_many, 3),
        "wall_seconds": round(many.seconds, 3),
        "wall_seconds_one_worker": round(one.seconds, 3),
        "wall_speedup": round(one.seconds / many.seconds, 3),
        "cpu_count": os.cpu_count(),
        "load_average_before": None if load is None else round(load, 2),
        "route_iterations": route_iterations,
        # Each variant's own time, alone and beside the others: a rise in the second means the
        # workers compete for cores (another program running), not scheduling overhead.
        "mean_variant_seconds_one_worker": round(_mean_seconds(one.rows), 3),
        "mean_variant_seconds": round(_mean_seconds(many.rows), 3),
    }


def _mean_seconds(rows: Any) -> float:
    return float(sum(r["seconds"] for r in rows) / len(rows))


def _figures(rows: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
