"""`sendplan bench transport`: the default Leicester AM routes, timed and checked (one JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.cli_common import ITERATIONS_MAX, SeedOption, check_time_limit, fail_cleanly
from sendplan.api.defaults import leicester_scenario
from sendplan.api.loader import load_scenario
from sendplan.bench.transport import run_transport_bench
from sendplan.errors import InputError


def bench_transport_cmd(
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario folder or workbook (default: Leicester)."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", callback=check_time_limit, help="Seconds of routing search."),
    ] = 60.0,
    seed: SeedOption = 1,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations", min=1, max=ITERATIONS_MAX, help="Iterations per school instead."
        ),
    ] = None,
    session: Annotated[str, typer.Option("--session", help="am or pm.")] = "am",
    mixed_schools: Annotated[
        bool,
        typer.Option(
            "--mixed-schools", help="Allow mixed-school runs; also plan single-school as baseline."
        ),
    ] = False,
) -> None:
    """Plan one session of routes and print children, routes, cost, rule checks and seconds."""

    def run() -> None:
        if session not in ("am", "pm"):
            raise InputError("command line", f"--session {session!r} is not am or pm")
        loaded = leicester_scenario() if scenario is None else load_scenario(scenario)
        result = run_transport_bench(
            loaded,
            time_limit_s=time_limit,
            iterations=iterations,
            seed=seed,
            session="am" if session == "am" else "pm",
            mixed_schools=mixed_schools,
        )
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
