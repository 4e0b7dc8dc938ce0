"""`sendplan sweep` and `sendplan bench sweep`: many variants of a scenario on Dask.

Rows are written as variants finish (:mod:`sendplan.api.sweep_output`); Ctrl-C cancels the
pending variants, closes the cluster, keeps every finished row and exits with code 130.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from sendplan.api.atomic import check_inputs_outside
from sendplan.api.cli_common import PostcodesOption, fail_cleanly, load_with_postcodes, stderr
from sendplan.api.cli_place import ScenarioArgument
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.routing.planning.sweep import Row

EXIT_CANCELLED = 130  # as a shell reports a command stopped by Ctrl-C (128 + SIGINT)
WORKERS_MAX = 1024
# bench/sweep.py's default, repeated so that `--help` imports no solver (a test checks they agree).
BENCH_ROUTE_ITERATIONS = 200

GridOption = Annotated[
    Path, typer.Option("--grid", metavar="GRID.toml", help="The axes to sweep (see README).")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="A running Dask scheduler (tcp://host:8786) instead of a local cluster.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, max=WORKERS_MAX, help="Local cluster processes (default: one per core)."
    ),
]


def sweep_cmd(
    scenario_path: ScenarioArgument,
    grid: GridOption,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the sweep's files (new, empty or a sweep's).")
    ] = Path("sendplan-sweep"),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    routes: Annotated[
        bool, typer.Option("--routes", help="Also plan each variant's morning routes.")
    ] = False,
    postcodes: PostcodesOption = None,
) -> None:
    """Solve every variant of a grid (options x growth x policy values) on Dask; write a
    results table, sweep.json and sweep.html with the Pareto front."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.loader import with_input_files
        from sendplan.api.sweep_grid import read_grid, sweep_input_error
        from sendplan.api.sweep_output import (
            RESULTS_CSV,
            RowStream,
            check_sweep_folder,
            write_final,
        )
        from sendplan.routing.planning.sweep import SweepCancelled, SweepError, check_grid, sweep

        if scheduler is not None and workers is not None:
            raise InputError("--workers", "give --workers or --scheduler, not both")
        check_inputs_outside(out, {"scenario": scenario_path, "--grid file": grid})
        axes = read_grid(grid)  # first: a mistyped grid fails before the scenario loads
        scenario = with_input_files(
            load_with_postcodes(scenario_path, postcodes), (grid, postcodes)
        )
        inputs = dict(scenario.sources)
        if routes:
            axes = dataclasses.replace(axes, routes=True)
        try:
            total = len(check_grid(scenario, axes))
        except SweepError as err:
            raise sweep_input_error(err, grid.name) from None
        # Only now, with every input read and checked: bad input leaves no new folder behind.
        folder = check_sweep_folder(out)
        with RowStream(folder) as stream, _progress(total) as advance:

            def on_result(row: Row) -> None:
                stream.append(row)
                advance()

            try:
                result = sweep(
                    scenario, axes, workers=workers, scheduler=scheduler, on_result=on_result
                )
            except SweepCancelled as cancelled:
                write_final(folder, cancelled.result, title=scenario.name, inputs=inputs)
                stderr.print(Text.assemble(
                    ("cancelled:", "yellow"), f" {len(cancelled.result.rows)} of {total} "
                    f"variants finished; their rows are in {folder / RESULTS_CSV}",
                ), soft_wrap=True)  # fmt: skip
                raise typer.Exit(EXIT_CANCELLED) from None
        write_final(folder, result, title=scenario.name, inputs=inputs)
        typer.echo(
            f"swept {len(result.rows)} variants in {result.seconds:.1f} s; "
            f"{len(result.front)} on the Pareto front; outputs in {out}"
        )

    fail_cleanly(run)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar of finished variants on a terminal; silence when piped."""
    bar = Progress(
        TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=stderr, disable=not stderr.is_terminal, transient=False,
    )  # fmt: skip
    with bar:
        task = bar.add_task("sweep", total=total)
        yield lambda: bar.advance(task)


def bench_sweep_cmd(
    variants: Annotated[int, typer.Option("--variants", min=1, max=1000, help="Variants.")] = 8,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=WORKERS_MAX, help="Workers of the parallel run.")
    ] = 2,
    iterations: Annotated[
        int, typer.Option("--iterations", min=1, max=100_000, help="Route iterations per school.")
    ] = BENCH_ROUTE_ITERATIONS,
) -> None:
    """Time the same sweep of the Leicester default on 1 worker and on W; print one JSON
    object (seconds, seconds_one_worker, speedup)."""

    def run() -> None:
        from sendplan.api.defaults import leicester_scenario
        from sendplan.bench.sweep import bench_sweep

        figures = bench_sweep(
            leicester_scenario(seed=1), variants=variants, workers=workers,
            route_iterations=iterations,
        )  # fmt: skip
        typer.echo(json.dumps(figures, sort_keys=True))

    fail_cleanly(run)
