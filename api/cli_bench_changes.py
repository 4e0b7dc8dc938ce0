"""`sendplan bench changes`: random mid-year changes re-planned with continuity on the Leicester
default, one JSON object (``bench/changes.py``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sendplan.api.cli_common import SeedOption, fail_cleanly


def bench_changes_cmd(
    changes: Annotated[
        int, typer.Option("--changes", min=1, help="Random changes, applied one at a time.")
    ] = 20,
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations",
            min=1,
            help="Search iterations per school for every solve (the plan, each plan from "
            "scratch): reproducible.",
        ),
    ] = 100,
    session: Annotated[str, typer.Option("--session", help="am or pm.")] = "am",
    seed: SeedOption = 1,
) -> None:
    """Re-plan N random mid-year changes with continuity; print one JSON object."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.defaults import leicester_scenario
        from sendplan.bench.changes import run_changes_bench

        if session not in ("am", "pm"):
            raise typer.BadParameter("am or pm", param_hint="--session")
        figures = run_changes_bench(
            leicester_scenario(seed=seed), changes=changes, seed=seed, iterations=iterations,
            session="am" if session == "am" else "pm",
        )  # fmt: skip
        typer.echo(json.dumps(figures, sort_keys=True))

    fail_cleanly(run)
