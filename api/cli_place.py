"""`sendplan demo` and `sendplan place`: parse the options, call the library, write the outputs
(atomically, with a manifest.json: :func:`sendplan.api.outputs.write_outputs`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sendplan.api.atomic import check_inputs_outside
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
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.routing.placement.movers import MoversRule
    from sendplan.routing.result import Result

# An iteration limit rather than a time limit keeps the demo's routes identical run to run.
DEMO_ITERATIONS_PER_SCHOOL = 300

ScenarioArgument = Annotated[
    Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
]
MoversOption = Annotated[
    str,
    typer.Option(
        "--movers",
        help="Who is placed this year: phase_transfer (children entering Reception, Year 7 or "
        "Year 12, new plans, no current school, school closed or no longer suitable; the rest "
        "stay at their current school) or all.",
    ),
]


def movers_rule(value: str) -> MoversRule:
    """--movers, checked: phase_transfer or all."""
    # Imported here, as every command's library code is: `--help` and usage errors need none.
    from sendplan.routing.placement.movers import MOVERS_RULES

    for rule in MOVERS_RULES:
        if value == rule:
            return rule
    raise InputError("--movers", f"unknown rule {value!r}; use {' or '.join(MOVERS_RULES)}")


def report_result(result: Result, out: Path) -> None:
    """The closing lines on stdout: who was placed, where the outputs are, and the status quo
    beside the optimised plan when it was measured."""
    from sendplan.api.report import comparison_text

    s = result.summary
    moved = f" ({s.movers:,} {s.movers_rule} movers)" if s.movers is not None else ""
    typer.echo(f"placed {s.placed} of {s.children} children{moved}; outputs in {out}")
    if s.comparison:
        typer.echo(comparison_text(s.comparison))


def demo(
    out: OutOption = Path("sendplan-demo"),
    seed: SeedOption = 1,
    routes: Annotated[
        bool,
        typer.Option("--routes/--no-routes", help="Also plan the morning and afternoon routes."),
    ] = True,
    movers: MoversOption = "phase_transfer",
) -> None:
    """Run the embedded Leicester default end to end on a synthetic cohort."""

    def run() -> None:
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.outputs import write_outputs
        from sendplan.api.writer import write_scenario
        from sendplan.routing.solve import solve
        from sendplan.routing.vrp.stop import MaxIterations

        rule = movers_rule(movers)
        with progress() as say:
            say("generating the synthetic Leicester cohort")
            scenario = leicester_scenario(seed=seed)
            result = solve(
                scenario, sessions=("am", "pm") if routes else (), seed=seed,
                stop=MaxIterations(DEMO_ITERATIONS_PER_SCHOOL), progress=say, movers=rule,
            )  # fmt: skip
            say("writing outputs")
            write_outputs(
                result, out, extra=lambda folder: write_scenario(scenario, folder / "scenario")
            )
        report_result(result, out)

    fail_cleanly(run)


ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="weighted (policy weights), lexicographic (most placed, then most in area, "
        "then least cost, then least travel) or lexicographic_preferences (preference ranks "
        "before cost).",
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
    movers: MoversOption = "phase_transfer",
) -> None:
    """Place the children of a scenario in school places."""

    def run() -> None:
        from sendplan.api.loader import with_input_files
        from sendplan.api.outputs import write_outputs
        from sendplan.routing.placement.place import MODES
        from sendplan.routing.solve import solve
        from sendplan.routing.travel import travel_models

        rule = movers_rule(movers)
        if mode not in MODES:
            raise InputError("--mode", f"unknown mode {mode!r}; use {' or '.join(MODES)}")
        check_inputs_outside(out, {
            "scenario": scenario_path, "--network file": network, "--matrix file": matrix,
            "--postcodes file": postcodes,
        })  # fmt: skip
        with progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_with_postcodes(scenario_path, postcodes)
            known = {s.school_id for s in scenario.schools}
            for school_id in must_admit or ():
                if school_id not in known:
                    raise InputError("--must-admit", f"school {school_id!r} is not in the scenario")
            travel = travel_models(scenario, network=network, matrix=matrix)
            # Every file the run reads is named with its hash in the summary and manifest.
            scenario = with_input_files(scenario, (network, matrix, postcodes))
            result = solve(
                scenario, sessions=(), travel=travel, mode=mode,
                must_admit=tuple(must_admit or ()), progress=say, movers=rule,
            )  # fmt: skip
            say("writing outputs")
            write_outputs(result, out)
        report_result(result, out)

    fail_cleanly(run)
