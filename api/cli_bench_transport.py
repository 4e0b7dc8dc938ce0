"""`sendplan bench transport`: the default Leicester AM routes, timed and checked (one JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.cli_common import SeedOption, fail_cleanly


def bench_transport_cmd(
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario folder or workbook (default: Leicester)."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds of routing search.")
    ] = 60.0,
    seed: SeedOption = 1,
    iterations: Annotated[
        int | None, typer.Option("--iterations", help="Iterations per school instead.")
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
        from sendplan.api.errors import InputError
        from sendplan.bench.transport import run_transport_bench

        if session not in ("am", "pm"):
            raise InputError("command line", f"--session {session!r} is not am or pm")
        result = run_transport_bench(
            scenario_path=scenario,
            time_limit_s=time_limit,
            iterations=iterations,
            seed=seed,
            session="am" if session == "am" else "pm",
            mixed_schools=mixed_schools,
        )
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
