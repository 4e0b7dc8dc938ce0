"""`sendplan bench solomon|lilim|sbrp`: the routing engine on the standard benchmark sets.

Each command prints one JSON object. Benchmark files are read in place from
``../shared/benchmarks`` (or ``--data DIR``, or ``$SENDPLAN_BENCHMARKS``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from sendplan.api.cli_common import (
    SeedOption,
    check_iterations,
    check_time_limit,
    fail_cleanly,
    progress,
)
from sendplan.errors import InputError

TimeLimitOption = Annotated[
    float,
    typer.Option(
        "--time-limit",
        callback=check_time_limit,
        help="Seconds of wall-clock time per instance.",
    ),
]
InstancesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--instances",
        help="'all' (default) or instance names; repeat the option or separate with commas.",
    ),
]
# Click options take one value each, so `--instances R101 C101` leaves C101 as an argument:
# gather those too, as the issue's `--instances NAME...` reads.
MoreNamesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="NAME",
        help="More instance names, e.g. --instances R101 C101.",
        show_default=False,
    ),
]
BaselineOption = Annotated[
    str | None,
    typer.Option("--baseline", help="Also run plain PyVRP (1 process, seed 1): 'pyvrp'."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Parallel solver processes (default: CPUs, at most 2)."),
]
IterationsOption = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        min=0,
        callback=check_iterations,
        help="Work limit per solver process instead of the time limit (reproducible).",
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Benchmarks folder (default: ../shared/benchmarks)."),
]


def _names(instances: list[str] | None, more: list[str] | None = None) -> list[str] | None:
    items = [*(instances or []), *(more or [])]
    names = [n.strip() for item in items for n in item.split(",") if n.strip()]
    return None if names in ([], ["all"]) else names


def _run(bench: Callable[..., dict[str, Any]], **kwargs: Any) -> None:
    # Imported here, as every command's library code is: `--help` and usage errors need none.
    from sendplan.bench.instances import InstanceError

    baseline = kwargs.get("baseline")
    if baseline not in (None, "pyvrp"):
        raise InputError("--baseline", f"unknown baseline {baseline!r}; expected pyvrp")
    try:
        with progress() as say:
            result = bench(progress=say, **kwargs)
    except InstanceError as err:
        raise InputError(str(err.path), err.message, row=err.line) from None
    typer.echo(json.dumps(result, indent=1))


def bench_solomon_cmd(
    time_limit: TimeLimitOption = 10.0,
    instances: InstancesOption = None,
    more_names: MoreNamesArgument = None,
    baseline: BaselineOption = None,
    seed: SeedOption = 1,
    workers: WorkersOption = None,
    iterations: IterationsOption = None,
    data: DataOption = None,
) -> None:
    """Solomon VRPTW (56 instances): cost, vehicles and gap to the distance-only BKS."""

    def run() -> None:
        from sendplan.bench.solomon import bench_solomon

        _run(
            bench_solomon,
            time_limit_s=time_limit,
            instances=_names(instances, more_names),
            baseline=baseline,
            seed=seed,
            workers=workers,
            iterations=iterations,
            root=data,
        )

    fail_cleanly(run)


def bench_lilim_cmd(
    time_limit: TimeLimitOption = 10.0,
    instances: InstancesOption = None,
    more_names: MoreNamesArgument = None,
    baseline: BaselineOption = None,
    engine: Annotated[
        str, typer.Option("--engine", help="auto (PyVRP here), pyvrp or ortools.")
    ] = "auto",
    seed: SeedOption = 1,
    workers: WorkersOption = None,
    iterations: IterationsOption = None,
    data: DataOption = None,
) -> None:
    """Li & Lim PDPTW (56 instances of 100 tasks): gap to the best distance-only results."""

    def run() -> None:
        from sendplan.bench.lilim import bench_lilim

        if engine not in ("auto", "pyvrp", "ortools"):
            raise InputError(
                "--engine", f"unknown engine {engine!r}; expected auto, pyvrp, ortools"
            )
        _run(
            bench_lilim,
            time_limit_s=time_limit,
            instances=_names(instances, more_names),
            baseline=baseline,
            engine=engine,
            seed=seed,
            workers=workers,
            iterations=iterations,
            root=data,
        )

    fail_cleanly(run)


def bench_sbrp_cmd(
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.0, help="Seconds per instance and ride limit."),
    ] = 20.0,
    instances: InstancesOption = None,
    more_names: MoreNamesArgument = None,
    max_ride: Annotated[
        list[float] | None,
        typer.Option("--max-ride", help="Maximum riding times in seconds (default 2700 and 5400)."),
    ] = None,
    seed: SeedOption = 1,
    workers: WorkersOption = None,
    iterations: IterationsOption = None,
    data: DataOption = None,
) -> None:
    """Park-Tae-Kim school buses (RSRB/CSCB 01-08): buses against the best published method."""

    def run() -> None:
        from sendplan.bench.sbrp import bench_sbrp

        _run(
            bench_sbrp,
            time_limit_s=time_limit,
            instances=_names(instances, more_names),
            max_ride_s=tuple(max_ride) if max_ride else (2700.0, 5400.0),
            seed=seed,
            workers=workers,
            iterations=iterations,
            root=data,
        )

    fail_cleanly(run)
