"""Issue 12 edge cases at the front door: a current school that is not open, scenarios without
an as_of date, DSP-cohort children at special schools, and per-need places beside residential
places on the command line."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from strategies import make_child, make_school
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.placement.movers import movers
from sendplan.routing.status_quo import status_quo_plan
from sendplan.routing.travel import travel_models

AS_OF = date(2025, 9, 1)
SCHOOLS = (
    make_school("OPEN", 1.0, capacity=10),
    make_school("SHUT", 2.0, capacity=10, closes=date(2025, 6, 1)),
    make_school("DSP", 1.5, capacity=5, type="resourced_provision"),
)


def _scenario(**overrides: object) -> Scenario:
    kids = (
        make_child("AT_OPEN", 0.0, age=8, current_school="OPEN"),
        make_child("AT_SHUT", 0.0, age=8, current_school="SHUT"),
    )
    values: dict[str, object] = {"name": "dates", "children": kids, "schools": SCHOOLS,
                                 "as_of": AS_OF}  # fmt: skip
    values.update(overrides)
    return Scenario(**values)  # type: ignore[arg-type]


def test_the_status_quo_leaves_a_child_at_a_closed_school_unplaced() -> None:
    sc = _scenario()
    plan = status_quo_plan(sc, travel_models(sc).drive)
    assert [a.child_id for a in plan.assignments] == ["AT_OPEN"]
    assert [(u.child_id, u.reason.value) for u in plan.unplaced] == [
        ("AT_SHUT", "no_open_school_meets_need")
    ]
    comparison = sendplan.solve(sc, sessions=()).summary.comparison
    assert comparison is not None
    assert comparison["status_quo"]["unplaced"] == 1 and comparison["optimised"]["unplaced"] == 0
    # Open the school again (before its closing date): the child is placed where they are.
    before = status_quo_plan(
        dataclasses.replace(sc, as_of=date(2025, 5, 31)), travel_models(sc).drive
    )
    assert not before.unplaced and len(before.assignments) == 2


def test_without_as_of_the_summary_says_dates_are_not_applied() -> None:
    notes = sendplan.solve(_scenario(as_of=None), sessions=()).summary.notes
    assert any("opens and closes are not applied" in n for n in notes)
    dated = sendplan.solve(_scenario(), sessions=()).summary.notes
    assert not any("opens and closes" in n for n in dated)


def test_a_dsp_child_at_a_special_school_moves_and_a_special_child_there_stays() -> None:
    kids = (
        make_child("DSPKID", 0.0, age=8, current_school="OPEN", cohort="dsp"),
        make_child("SPECIAL", 0.0, age=8, current_school="OPEN"),
        make_child("IN_DSP", 0.0, age=8, current_school="DSP", cohort="dsp"),
    )
    sc = _scenario(children=kids)
    assert movers(sc, rule="phase_transfer") == {"DSPKID"}
    placed = {
        a.child_id: a.school_id for a in sendplan.solve(sc, sessions=()).placement.assignments
    }
    assert placed == {"DSPKID": "DSP", "SPECIAL": "OPEN", "IN_DSP": "DSP"}


def test_per_need_places_beside_residential_places_is_exit_2_naming_the_school(
    tmp_path: Path,
) -> None:
    school = make_school("MIXED", 1.0, capacity=10, residential_places=2,
                         capacity_by_designation=(("ASD", 4),))  # fmt: skip
    sc = Scenario(name="mix", children=(make_child("K1", 0.0, age=8),), schools=(school,))
    folder = tmp_path / "scenario"
    write_scenario(sc, folder)
    outcome = CliRunner().invoke(app, ["place", str(folder), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 2, outcome.output
    assert "MIXED" in outcome.stderr and "residential" in outcome.stderr
    assert "internal error" not in outcome.stderr and "Traceback" not in outcome.stderr
