"""`sendplan routes SCENARIO --baseline ROUTES --changes CHANGES.csv`, the schools a change
sends a child to and the children who lose their seat: a school not open on the scenario's
as_of is exit 2 naming the row and school_id; one that would not admit the child (age, need) is
a warning line and a note in changes.json, and the child still rides there; a child on no route
after the changes says why (removed, no longer entitled and by which rule); the saving forgone
is worded by its sign."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.changes_cli import saving_words
from sendplan.api.cli import app
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario

AS_OF = date(2026, 1, 15)
HEADER = "change,child_id,route_id,lon,lat,school_id,age,sex,primary_need\n"


def sc() -> Scenario:
    """Children decided by the policy's rules, their schools S1 and S2 20 km away (beyond any
    walking distance); S3 stands at C000's home; S4 opens the day after as_of; S5, 20 km away
    too, takes ages 4-11."""
    kids = random_children(10, 5, schools=("S1", "S2"), flags=False)
    kids = [replace(c, transport_eligible=None, age=min(c.age, 15)) for c in kids]
    home = kids[0]
    near = replace(school("S3"), lon=home.lon, lat=home.lat)
    later = school("S4", 20, 1, opens=AS_OF + timedelta(days=1))
    primary = replace(school("S5", 20, 2), age_low=4, age_high=11)
    schools = [school("S1", 20, 0), school("S2", 20, -2), near, later, primary]
    return replace(scenario(kids, schools=schools), as_of=AS_OF)


def routes(*args: str) -> Any:
    return CliRunner().invoke(app, ["routes", *args])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base")
    write_scenario(sc(), folder / "s")
    got = routes(str(folder / "s"), "--out", str(folder / "plan"), "--iterations", "30")
    assert got.exit_code == 0, got.output
    return folder


def replan(base: Path, tmp: Path, rows: str) -> Any:
    (tmp / "changes.csv").write_text(HEADER + rows)
    return routes(
        str(base / "s"), "--out", str(tmp / "again"), "--iterations", "30",
        "--baseline", str(base / "plan" / "routes.json"), "--changes", str(tmp / "changes.csv"),
    )  # fmt: skip


def affected(tmp: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    report = json.loads((tmp / "again" / "changes.json").read_text())
    return report, {c["child_id"]: c for c in report["sessions"]["am"]["children"]}


def test_a_school_not_yet_open_is_exit_2_naming_row_and_school_id(
    base: Path, tmp_path: Path
) -> None:
    got = replan(base, tmp_path, "remove_child,C001,,,,,,,\nchange_school,C002,,,,S4,,,\n")
    assert got.exit_code == 2, got.output
    line = " ".join(got.output.split())
    assert "changes.csv row 3, field school_id" in line and "not open" in line, line
    assert not (tmp_path / "again").exists()


def test_an_open_school_that_would_not_admit_the_child_warns_and_notes(
    base: Path, tmp_path: Path
) -> None:
    kids = {c.child_id: c for c in sc().children}
    old = next(k for k, c in sorted(kids.items()) if c.age > 11)
    young = next(k for k, c in sorted(kids.items()) if 4 <= c.age <= 11)
    got = replan(base, tmp_path, f"change_school,{old},,,,S5,,,\nchange_school,{young},,,,S5,,,\n")
    assert got.exit_code == 0, got.output
    warned = [line for line in got.stderr.splitlines() if "would not admit" in line]
    assert len(warned) == 1 and f"'{old}'" in warned[0] and "row 2" in warned[0], got.stderr
    report, children = affected(tmp_path)
    assert [
        (u["child_id"], u["school_id"], u["row"]) for u in report["school_would_not_admit"]
    ] == [(old, "S5", 2)]
    assert f"age {kids[old].age}" in report["school_would_not_admit"][0]["why"]
    assert "would not admit" in children[old]["note"]
    assert children[young]["note"] is None
    # the panel's decision stands: transport takes the child to S5
    assert children[old]["new_route"] and children[old]["no_route"] is None


def test_a_child_who_loses_their_seat_says_why(base: Path, tmp_path: Path) -> None:
    # C000 now goes to the school at their door (within walking distance); C001 leaves
    got = replan(base, tmp_path, "change_school,C000,,,,S3,,,\nremove_child,C001,,,,,,,\n")
    assert got.exit_code == 0, got.output
    _, children = affected(tmp_path)
    assert children["C000"]["new_route"] is None and children["C000"]["old_route"]
    assert children["C000"]["no_route"]["reason"] == "no_longer_eligible"
    assert "within statutory walking distance" in children["C000"]["no_route"]["detail"]
    assert children["C001"]["no_route"] == {
        "reason": "removed", "detail": "removed by the changes file"
    }  # fmt: skip
    still = [c for c in children.values() if c["new_route"] is not None]
    assert all(c["no_route"] is None for c in still)


@pytest.mark.parametrize(
    ("forgone", "words"),
    [
        (476.94, "£476.94 a day dearer than a plan from scratch"),
        (-476.94, "£476.94 a day cheaper than a plan from scratch"),
        (0.004, "the same cost a day as a plan from scratch"),
        (-0.004, "the same cost a day as a plan from scratch"),
        (0.006, "£0.01 a day dearer"),
        (-0.006, "£0.01 a day cheaper"),
    ],
)
def test_the_saving_forgone_is_worded_by_its_sign(forgone: float, words: str) -> None:
    got = saving_words(forgone)
    assert got.startswith(words) and "£-" not in got
