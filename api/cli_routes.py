"""`sendplan routes`: plan AM/PM transport for a scenario, write outputs, evaluate old routes."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sendplan.api.atomic import check_inputs_outside
from sendplan.api.cli_common import (
    IterationsOption,
    OutOption,
    PostcodesOption,
    SeedOption,
    TimeLimitOption,
    fail_cleanly,
    load_with_postcodes,
    progress,
)
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.routing.transport.plan import Session


class SessionChoice(StrEnum):
    am = "am"
    pm = "pm"
    both = "both"


def sessions_of(choice: str) -> tuple[Session, ...]:
    return ("am", "pm") if choice == "both" else (("am",) if choice == "am" else ("pm",))


def routes(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
    ],
    out: OutOption = Path("sendplan-routes"),
    network: Annotated[
        Path | None, typer.Option("--network", help="A road network built by `network build`.")
    ] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(
            "--matrix",
            help="Another router's times and distances: a CSV from_id,to_id,seconds,metres, or an "
            "OSRM /table or Valhalla sources_to_targets JSON answer (points order: "
            "`sendplan network points`).",
        ),
    ] = None,
    time_limit: TimeLimitOption = 60.0,
    session: Annotated[
        SessionChoice, typer.Option("--session", help="Which runs to plan.")
    ] = SessionChoice.am,
    evaluate: Annotated[
        Path | None,
        typer.Option(
            "--evaluate",
            help="The current routes to check and compare: a CSV, a workbook (.xlsx: a council "
            "sheet with one row per child, or our route_sheets.xlsx) or our routes.json.",
        ),
    ] = None,
    contracts: Annotated[
        Path | None,
        typer.Option(
            "--contracts",
            help="With --evaluate: a CSV route_id,operator,price_gbp,per (day or session: a "
            "session price counts once per session the route id runs in the evaluated routes), "
            "start_date,end_date pricing the current routes by contract, beside the model's "
            "estimate in the summary and report. With --baseline and --keep-contracted: the "
            "contracts whose routes to keep.",
        ),
    ] = None,
    keep_contracted: Annotated[
        bool,
        typer.Option(
            "--keep-contracted",
            help="With --baseline and --contracts: keep every baseline route whose contract is "
            "in force (the scenario's as_of) as it is (vehicle, layout, riders, order, times) "
            "and re-plan only the other children, with continuity (with or without --changes; "
            "from scratch only when the policy's disruption_move_gbp and disruption_time_gbp "
            "are both 0: kept_contracted.rest_planned says which). summary.json and "
            "changes.json say what became of each contracted route.",
        ),
    ] = False,
    columns: Annotated[
        Path | None,
        typer.Option(
            "--columns",
            help='With --evaluate: a TOML (child_id = "Pupil Ref") or field,column CSV '
            "mapping our field names to the council's column headings.",
        ),
    ] = None,
    seed: SeedOption = 1,
    postcodes: PostcodesOption = None,
    iterations: IterationsOption = None,
    mixed_schools: Annotated[
        bool | None,
        typer.Option(
            "--mixed-schools/--single-school",
            help="Allow runs serving several nearby schools when cheaper (default: the "
            "scenario's policy mixed_school_routes).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="With --changes or --keep-contracted: the current routes (a plan folder's "
            "routes.json or route_sheets.xlsx, or a council's current-routes CSV/workbook, as "
            "--evaluate reads) to re-plan: after --changes with continuity (only the routes "
            "that must change change); with --keep-contracted around the contracted routes.",
        ),
    ] = None,
    changes: Annotated[
        Path | None,
        typer.Option(
            "--changes",
            help="With --baseline: a CSV of mid-year changes, one a row: change (add_child, "
            "remove_child, change_address, change_school, route_handed_back), child_id, "
            "route_id, lon,lat or postcode, school_id, and for a new child age, sex, "
            "primary_need (README: mid-year changes).",
        ),
    ] = None,
) -> None:
    """Plan home-to-school routes for every transport-eligible child of a scenario.

    Which schools: when every child has a current_school, to those schools (the status quo; no
    placement is solved and no placements.csv written); when any child has none, the
    phase-transfer movers (those children, children entering Reception, Year 7 or Year 12, with
    a new plan, or whose school is closed or no longer admits them) are placed first, as `place`
    does, and the routes go to that placement (placements.csv written). summary.json's
    movers_rule says which: null for the status quo, phase_transfer for a placement.
    """

    def check_options() -> None:
        """Options that go together, as one-line errors naming the option (exit 2)."""
        if columns is not None and evaluate is None:
            raise InputError("--columns", "maps the columns of --evaluate FILE: give --evaluate")
        if keep_contracted and contracts is None:
            raise InputError(
                "--keep-contracted", "keeps the routes whose contract is in force: give --contracts"
            )
        if keep_contracted and baseline is None:
            raise InputError(
                "--keep-contracted",
                "keeps the contracted routes of --baseline FILE and re-plans the rest: give "
                "--baseline" + (" (--evaluate only compares)" if evaluate is not None else ""),
            )
        if contracts is not None and evaluate is None and not keep_contracted:
            raise InputError(
                "--contracts",
                "prices the current routes of --evaluate FILE: give --evaluate (or --baseline "
                "with --keep-contracted to keep the contracted routes)",
            )
        if changes is not None and baseline is None:
            raise InputError("--changes", "needs --baseline")
        if baseline is not None and changes is None and not keep_contracted:
            raise InputError("--baseline", "needs --changes (or --keep-contracted)")
        if baseline is not None and evaluate is not None:
            raise InputError(
                "--baseline", "re-plans the current routes; --evaluate compares them: give one"
            )

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.changes_cli import run_changes
        from sendplan.api.contracts import read_contracts, with_contract_prices
        from sendplan.api.existing_routes import read_existing_routes
        from sendplan.api.loader import with_input_files
        from sendplan.api.measures import with_evaluated_measures
        from sendplan.api.outputs import write_result
        from sendplan.routing.solve import solve
        from sendplan.routing.travel import travel_models
        from sendplan.routing.vrp.stop import work_limit

        check_options()
        if baseline is not None:
            run_changes(
                scenario_path, baseline, changes, out=out, network=network, matrix=matrix,
                contracts=contracts if keep_contracted else None,
                postcodes=postcodes, seed=seed, mixed_schools=mixed_schools,
                sessions=sessions_of(session.value),
                stop=work_limit(time_limit_s=time_limit, iterations=iterations),
            )  # fmt: skip
            return
        check_inputs_outside(out, {
            "scenario": scenario_path, "--evaluate file": evaluate, "--columns file": columns,
            "--network file": network, "--matrix file": matrix, "--postcodes file": postcodes,
            "--contracts file": contracts,
        })  # fmt: skip
        with progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_with_postcodes(scenario_path, postcodes)
            if mixed_schools is not None:
                policy = replace(scenario.policy, mixed_school_routes=mixed_schools)
                scenario = replace(scenario, policy=policy)
            travel = travel_models(scenario, network=network, matrix=matrix)
            existing = (
                None
                if evaluate is None
                else read_existing_routes(evaluate, scenario, columns=columns)
            )
            priced = None if contracts is None else read_contracts(contracts)
            # Every file the run reads is named with its hash in the summary and manifest.
            scenario = with_input_files(
                scenario, (evaluate, columns, matrix, network, postcodes, contracts)
            )
            result = solve(
                scenario, sessions=sessions_of(session.value), travel=travel, seed=seed,
                stop=work_limit(time_limit_s=time_limit, iterations=iterations),
                placement="auto", existing_routes=existing,
                progress=say,
            )  # fmt: skip
            if existing is not None:
                result = with_evaluated_measures(result, existing)
            if priced is not None:
                result = with_contract_prices(result, priced)
            say("writing outputs")
            write_result(result, out)
        s = result.summary
        typer.echo(
            f"{s.transported} children on {s.routes} routes, "
            f"£{s.transport_cost_gbp_per_day or 0:,.2f} a day ({s.transport_cost_basis}), "
            f"checker {'ok' if s.transport_checker_ok else 'FAILED'}; outputs in {out}"
        )

    fail_cleanly(run)
