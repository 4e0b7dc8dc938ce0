"""Solve a scenario and write its outputs; shared by the CLI and (later) the job workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sendplan.api.outputs import write_placements_csv, write_summary
from sendplan.api.report import write_report
from sendplan.geo.straight_line import StraightLineModel
from sendplan.geo.travel import TravelModel
from sendplan.routing.kpis import Summary, summarise_placement
from sendplan.routing.model import Scenario
from sendplan.routing.placement import place


def default_travel_model(scenario: Scenario) -> TravelModel:
    """The straight-line model with the scenario's circuity factor."""
    return StraightLineModel(circuity_factor=scenario.policy.circuity_factor)


def run_placement(
    scenario: Scenario,
    out_dir: Path,
    *,
    travel: TravelModel | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Place every child; write summary.json, placements.csv and report.html to ``out_dir``."""
    say = progress or (lambda _msg: None)
    travel = travel or default_travel_model(scenario)
    say(f"placing {len(scenario.children):,} children in {len(scenario.schools)} schools")
    plan = place(scenario, travel, progress=progress)
    summary = summarise_placement(scenario, plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    say("writing outputs")
    write_summary(summary, out_dir / "summary.json")
    write_placements_csv(scenario, plan, out_dir / "placements.csv")
    write_report(scenario, plan, summary, out_dir / "report.html")
    return summary
