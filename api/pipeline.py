"""Solve a scenario and write its outputs; shared by the CLI and (later) the job workers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sendplan.api.outputs import write_explanations_json, write_placements_csv, write_summary
from sendplan.api.report import write_report
from sendplan.geo.straight_line import StraightLineModel
from sendplan.geo.travel import TravelModel
from sendplan.routing.explain import explain_plan
from sendplan.routing.kpis import Summary, summarise_placement
from sendplan.routing.model import Scenario
from sendplan.routing.placement import place
from sendplan.routing.plan import PlacementPlan

TransportStep = Callable[[Scenario, PlacementPlan, TravelModel], dict[str, Any]]
"""Plans routes for a placed scenario (writing its own files) and returns transport KPIs."""

TRANSPORT_SUMMARY_KEYS = (
    "transported", "vehicles", "routes", "transport_cost_gbp_per_day",
    "transport_cost_gbp_per_year", "max_ride_min", "rides_over_limit", "solo_routes",
)  # fmt: skip


def default_travel_model(scenario: Scenario) -> TravelModel:
    """The straight-line model with the scenario's circuity factor."""
    return StraightLineModel(circuity_factor=scenario.policy.circuity_factor)


def run_placement(
    scenario: Scenario,
    out_dir: Path,
    *,
    travel: TravelModel | None = None,
    progress: Callable[[str], None] | None = None,
    mode: str = "weighted",
    must_admit: Sequence[str] = (),
    transport: TransportStep | None = None,
) -> Summary:
    """Place every child; write summary.json, placements.csv, explanations.json and
    report.html to ``out_dir``. ``mode`` and ``must_admit`` as in ``placement.place``;
    ``transport``, when given, plans routes after placement and fills the transport KPIs."""
    say = progress or (lambda _msg: None)
    travel = travel or default_travel_model(scenario)
    say(f"placing {len(scenario.children):,} children in {len(scenario.schools)} schools")
    plan = place(scenario, travel, mode=mode, must_admit=must_admit, progress=progress)
    say("explaining the placements")
    explanations = explain_plan(scenario, travel, plan)
    summary = summarise_placement(scenario, plan, explanations)
    out_dir.mkdir(parents=True, exist_ok=True)
    if transport is not None:
        kpis = transport(scenario, plan, travel)
        summary = dataclasses.replace(
            summary,
            **{key: kpis[key] for key in TRANSPORT_SUMMARY_KEYS},
            notes=(
                f"transport: {', '.join(kpis['sessions'])} planned; cost per day basis "
                f"{kpis['transport_cost_basis']}; route checker "
                f"{'ok' if kpis['checker_ok'] else 'FAILED'}; {kpis['unrouted']} unrouted",
            ),
        )
    say("writing outputs")
    write_summary(summary, out_dir / "summary.json")
    write_placements_csv(scenario, plan, out_dir / "placements.csv", explanations)
    write_explanations_json(explanations, out_dir / "explanations.json")
    write_report(scenario, plan, summary, out_dir / "report.html")
    return summary
