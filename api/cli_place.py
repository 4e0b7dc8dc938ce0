"""`sendplan demo` and `sendplan place`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.cli_common import OutOption, SeedOption, fail_cleanly, progress

ScenarioArgument = Annotated[
    Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
]


def demo(out: OutOption = Path("sendplan-demo"), seed: SeedOption = 1) -> None:
    """Run the embedded Leicester default end to end on a synthetic cohort."""

    def run() -> None:
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.pipeline import run_placement
        from sendplan.api.writer import write_scenario

        with progress() as say:
            say("generating the synthetic Leicester cohort")
            scenario = leicester_scenario(seed=seed)
            write_scenario(scenario, out / "scenario")
            summary = run_placement(scenario, out, progress=say)
        typer.echo(f"placed {summary.placed} of {summary.children} children; outputs in {out}")

    fail_cleanly(run)


def place(scenario_path: ScenarioArgument, out: OutOption = Path("sendplan-out")) -> None:
    """Place the children of a scenario in school places."""

    def run() -> None:
        from sendplan.api.loader import load_scenario
        from sendplan.api.pipeline import run_placement

        with progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_scenario(scenario_path)
            summary = run_placement(scenario, out, progress=say)
        typer.echo(f"placed {summary.placed} of {summary.children} children; outputs in {out}")

    fail_cleanly(run)
