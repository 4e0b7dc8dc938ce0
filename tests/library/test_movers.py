"""Issue 12: who is placed this year (phase transfer, new plans, closed or unsuitable schools)
and who stays at their current school."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from strategies import make_child, make_school
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.placement.movers import PHASE_TRANSFER_AGES, lock_non_movers, movers

AS_OF = date(2025, 1, 16)
RUNNER = CliRunner()

# Near: cheap and close, with room. Far: dear and 20 km away, where the ordinary children are
# today, so a fresh plan ("all") would move them all to Near. Primary: ages 4-10 only.
# Closed: shut before as_of. Secondary: 11-19.
SCHOOLS = (
    make_school("NEAR", 1.0, capacity=30, annual_cost_gbp=20_000.0),
    make_school("FAR", 20.0, capacity=30, annual_cost_gbp=60_000.0),
    make_school("PRIMARY", 2.0, age_high=10, capacity=10),
    make_school("CLOSED", 1.5, capacity=10, closes=date(2024, 9, 1)),
    make_school("SECONDARY", 3.0, age_low=11, capacity=10),
)
MOVERS = {
    "RECEPTION": dict(age=4, current_school="FAR"),
    "YEAR7": dict(age=11, current_school="FAR"),
    "YEAR12": dict(age=16, current_school="FAR"),
    "NEWPLAN": dict(age=8, current_school="FAR", new_plan=True),
    "SHUT": dict(age=8, current_school="CLOSED"),
    "AGEDOUT": dict(age=12, current_school="PRIMARY"),
    "NOSCHOOL": dict(age=9),
}
STAYERS = {
    "ORD1": dict(age=6, current_school="FAR"),
    "ORD2": dict(age=9, current_school="FAR"),
    "ORD3": dict(age=13, current_school="FAR"),
    "ORD4": dict(age=14, current_school="SECONDARY"),
    # Reception age, but the council locked them: they stay (never a mover).
    "LOCKED4": dict(age=4, current_school="FAR", locked=True),
}


def scenario(**overrides: object) -> Scenario:
    kids = [make_child(cid, 0.0, **kw) for cid, kw in {**MOVERS, **STAYERS}.items()]
    values: dict[str, object] = {
        "name": "movers", "children": tuple(kids), "schools": SCHOOLS, "as_of": AS_OF,
    }  # fmt: skip
    values.update(overrides)
    return Scenario(**values)  # type: ignore[arg-type]


def test_phase_transfer_ages_are_reception_year7_year12() -> None:
    assert PHASE_TRANSFER_AGES == (4, 11, 16)


def test_phase_transfer_movers_are_exactly_the_children_who_must_move() -> None:
    assert movers(scenario(), rule="phase_transfer") == frozenset(MOVERS)


def test_all_moves_everyone_but_the_locked() -> None:
    every = {c.child_id for c in scenario().children} - {"LOCKED4"}
    assert movers(scenario(), rule="all") == frozenset(every)


def test_a_school_open_before_as_of_keeps_its_children() -> None:
    """The closed school only makes movers when it is closed on as_of."""
    earlier = scenario(as_of=date(2024, 6, 1))
    assert "SHUT" not in movers(earlier, rule="phase_transfer")
    # With no date every school is open: SHUT stays.
    assert "SHUT" not in movers(scenario(as_of=None), rule="phase_transfer")


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown movers rule"):
        movers(scenario(), rule="some")  # type: ignore[arg-type]


def test_lock_non_movers_locks_only_stayers_with_a_school() -> None:
    locked = lock_non_movers(scenario(), movers(scenario(), rule="phase_transfer"))
    assert {c.child_id for c in locked.children if c.locked} == set(STAYERS)
    assert locked.as_of == AS_OF and locked.schools == SCHOOLS


def test_phase_transfer_keeps_the_ordinary_children_where_they_are() -> None:
    result = sendplan.solve(scenario(), sessions=())
    assert result.placement is not None
    where = {a.child_id: a.school_id for a in result.placement.assignments}
    for cid, kw in STAYERS.items():
        assert where[cid] == kw["current_school"], cid
    # The movers went where the plan put them: none stays at the closed or outgrown school,
    # and the cheap near school takes the movers it admits.
    assert where["SHUT"] != "CLOSED" and where["AGEDOUT"] != "PRIMARY"
    assert where["RECEPTION"] == where["YEAR7"] == where["NOSCHOOL"] == "NEAR"
    s = result.summary
    assert s.movers_rule == "phase_transfer" and s.movers == len(MOVERS)


def test_all_moves_the_ordinary_children_to_the_better_school() -> None:
    result = sendplan.solve(scenario(), sessions=(), movers="all")
    assert result.placement is not None
    where = {a.child_id: a.school_id for a in result.placement.assignments}
    for cid in ("ORD1", "ORD2", "ORD3"):
        assert where[cid] == "NEAR", cid
    assert where["LOCKED4"] == "FAR"
    assert result.summary.movers_rule == "all" and result.summary.movers == 11


def test_without_current_schools_everyone_is_placed_as_before() -> None:
    bare = scenario(
        children=tuple(
            dataclasses.replace(c, current_school=None, locked=False, new_plan=False)
            for c in scenario().children
        )
    )
    phase = sendplan.solve(bare, sessions=())
    every = sendplan.solve(bare, sessions=(), movers="all")
    assert phase.placement == every.placement
    assert phase.summary.movers == every.summary.movers == len(bare.children)
    assert phase.summary.comparison is None and phase.summary.notes == (
        "transport not planned: transport figures are null",
    )


@pytest.mark.parametrize("rule", ["phase_transfer", "all"])
def test_place_command_takes_movers(rule: str, tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(scenario(), folder)
    argv = ["place", str(folder), "--out", str(tmp_path / "o"), "--movers", rule]
    outcome = RUNNER.invoke(app, argv)
    assert outcome.exit_code == 0, outcome.output
    assert f"{rule} movers" in outcome.stdout


def test_place_command_refuses_an_unknown_rule(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(scenario(), folder)
    argv = ["place", str(folder), "--out", str(tmp_path / "o"), "--movers", "everyone"]
    outcome = RUNNER.invoke(app, argv)
    assert outcome.exit_code == 2 and "--movers" in outcome.stderr
