"""`sendplan demo` and `sendplan place`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sendplan.api.cli_common import (
    MatrixOption,
    NetworkOption,
    OutOption,
    PostcodesOption,
    SeedOption,
    fail_cleanly,
    load_with_postcodes,
    progress,
)
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.plan import PlacementPlan

# An iteration limit rather than a time limit keeps the demo's routes identical run to run.
DEMO_ITERATIONS_PER_SCHOOL = 300

ScenarioArgument = Annotated[
    Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
]


def demo(
    out: OutOption = Path("sendplan-demo"),
    seed: SeedOption = 1,
    routes: Annotated[
        bool, typer.Option("--routes/--no-routes", help="Also plan the morning routes.")
    ] = True,
) -> None:
    """Run the embedded Leicester default end to end on a synthetic cohort."""

    def run() -> None:
        from sendplan.api.cli_routes import run_transport
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.pipeline import run_placement
        from sendplan.api.writer import write_scenario
        from sendplan.routing.stop import MaxIterations

        with progress() as say:
            say("generating the synthetic Leicester cohort")
            scenario = leicester_scenario(seed=seed)
            write_scenario(scenario, out / "scenario")

            def plan_am_routes(
                scenario: Scenario, plan: PlacementPlan, travel: TravelModel
            ) -> dict[str, Any]:
                say("planning the morning routes")
                return run_transport(
                    scenario, plan, out, travel=travel, sessions=("am",),
                    stop=MaxIterations(DEMO_ITERATIONS_PER_SCHOOL), seed=seed, progress=say,
                )  # fmt: skip

            summary = run_placement(
                scenario, out, progress=say, transport=plan_am_routes if routes else None
            )
        typer.echo(f"placed {summary.placed} of {summary.children} children; outputs in {out}")

    fail_cleanly(run)


ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="weighted (policy weights) or lexicographic (most placed, then most in area, "
        "then least cost, then least travel).",
    ),
]
MustAdmitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--must-admit",
        metavar="SCHOOL_ID",
        help="What if: this school must admit (soft capacity, over-capacity penalised and "
        "reported). Repeatable.",
    ),
]


def place(
    scenario_path: ScenarioArgument,
    out: OutOption = Path("sendplan-out"),
    mode: ModeOption = "weighted",
    must_admit: MustAdmitOption = None,
    network: NetworkOption = None,
    matrix: MatrixOption = None,
    postcodes: PostcodesOption = None,
) -> None:
    """Place the children of a scenario in school places."""

    def run() -> None:
        from sendplan.api.cli_routes import travel_model_for
        from sendplan.api.errors import InputError
        from sendplan.api.pipeline import run_placement
        from sendplan.routing.placement import MODES

        if mode not in MODES:
            raise InputError("--mode", f"unknown mode {mode!r}; use {' or '.join(MODES)}")
        with progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_with_postcodes(scenario_path, postcodes)
            travel, _walk = travel_model_for(scenario, network=network, matrix=matrix)
            known = {s.school_id for s in scenario.schools}
            for school_id in must_admit or ():
                if school_id not in known:
                    raise InputError("--must-admit", f"school {school_id!r} is not in the scenario")
            summary = run_placement(
                scenario, out, travel=travel, progress=say, mode=mode,
                must_admit=tuple(must_admit or ()),
            )  # fmt: skip
        typer.echo(f"placed {summary.placed} of {summary.children} children; outputs in {out}")

    fail_cleanly(run)
