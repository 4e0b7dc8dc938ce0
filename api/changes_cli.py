"""The ``--baseline``/``--changes`` run of ``sendplan routes``: read, re-plan with continuity,
write the usual outputs plus ``changes.json`` (atomically, one folder), and say what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import typer

from sendplan.api.atomic import check_inputs_outside
from sendplan.api.cli_common import progress
from sendplan.api.json_files import write_json
from sendplan.api.keep_contracted import replan_with_contracts
from sendplan.api.loader import load_scenario, with_input_files
from sendplan.api.outputs import write_outputs
from sendplan.geo.postcodes import load_postcodes
from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import Session
from sendplan.routing.travel import TravelModels, travel_models
from sendplan.routing.vrp.stop import StopCriterion

CHANGES_REPORT = "changes.json"


def run_changes(
    scenario_path: Path,
    baseline: Path,
    changes: Path | None,
    *,
    contracts: Path | None = None,
    out: Path,
    network: Path | None,
    matrix: Path | None,
    postcodes: Path | None,
    seed: int,
    mixed_schools: bool | None,
    sessions: Sequence[Session],
    stop: StopCriterion,
) -> None:
    """Re-plan the baseline routes of ``scenario_path`` after ``changes`` (None: none) and write
    the outputs; with ``contracts`` (--keep-contracted) keeping the routes whose contract is in
    force as they are."""
    check_inputs_outside(out, {
        "scenario": scenario_path, "--baseline file": baseline, "--changes file": changes,
        "--network file": network, "--matrix file": matrix, "--postcodes file": postcodes,
        "--contracts file": contracts,
    })  # fmt: skip
    with progress() as say:
        say(f"reading {scenario_path.name}")
        lookup = None if postcodes is None else load_postcodes(postcodes).lookup
        scenario = load_scenario(scenario_path, postcodes=lookup)
        if mixed_schools is not None:
            policy = replace(scenario.policy, mixed_school_routes=mixed_schools)
            scenario = replace(scenario, policy=policy)
        scenario = with_input_files(
            scenario, (baseline, changes, matrix, network, postcodes, contracts)
        )

        def models(of: Scenario) -> TravelModels:
            return travel_models(of, network=network, matrix=matrix)

        replanned, report = replan_with_contracts(
            scenario, baseline, changes, contracts, models=models, sessions=sessions,
            stop=stop, seed=seed, postcodes=lookup, progress=say,
        )  # fmt: skip
        say("writing outputs")
        write_outputs(
            replanned.result, out, extra=lambda folder: write_json(report, folder / CHANGES_REPORT)
        )
    s = replanned.result.summary
    kept = ""
    if s.kept_contracted is not None and s.contracts is not None:
        k, c = s.kept_contracted, s.contracts
        kept = (
            f"{k['routes_kept']} contracted routes kept ({k['children_on_kept_routes']} children, "
            f"£{c['contract_cost_gbp_per_day']:,.2f} a day by contract, "
            f"£{c['model_cost_gbp_per_day']:,.2f} by the model); "
        )
    typer.echo(
        f"{s.transported} children on {s.routes} routes, "
        f"£{s.transport_cost_gbp_per_day or 0:,.2f} a day ({s.transport_cost_basis}); {kept}"
        f"{replanned.moved} children moved to another vehicle, "
        f"{saving_words(replanned.saving_forgone_gbp)}; "
        f"checker {'ok' if s.transport_checker_ok else 'FAILED'}; outputs in {out} "
        f"({CHANGES_REPORT} lists every affected child and route)"
    )


def saving_words(forgone_gbp: float) -> str:
    """The saving forgone per day in words: a negative one is a saving found (the plan from
    scratch, same seed and work limit, is a heuristic's and may cost more)."""
    pence = round(forgone_gbp * 100)
    if pence > 0:
        return f"£{pence / 100:,.2f} a day dearer than a plan from scratch (the saving forgone)"
    if pence < 0:
        return f"£{-pence / 100:,.2f} a day cheaper than a plan from scratch"
    return "the same cost a day as a plan from scratch"
