"""`sendplan routes SCENARIO --baseline ROUTES --changes CHANGES.csv`: a plan we wrote is
re-planned after mid-year changes; changes.json lists every affected child and route and the
saving forgone; with disruption weights 0 the cost is that of `routes` on the changed scenario
(same seed and work limit); bad rows of CHANGES.csv exit 2 naming the row and field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario

SC = scenario(
    random_children(14, 6, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
)
HEADER = "change,child_id,route_id,lon,lat,school_id,age,sex,primary_need\n"


def routes(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(app, ["routes", *args])
    return got.exit_code, got.output


def planned(tmp_path: Path, sc: Scenario = SC) -> Path:
    write_scenario(sc, tmp_path / "s")
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "plan"), "--iterations", "40"
    )
    assert code == 0, output
    return tmp_path / "plan" / "routes.json"


def replan(tmp_path: Path, base: Path, rows: str, out: str = "again") -> tuple[int, str]:
    """Re-plan the scenario beside ``base``'s plan folder after ``rows``, into tmp_path/out."""
    (tmp_path / "changes.csv").write_text(HEADER + rows)
    return routes(
        str(base.parent.parent / "s"), "--out", str(tmp_path / out), "--iterations", "40",
        "--baseline", str(base), "--changes", str(tmp_path / "changes.csv"),
    )  # fmt: skip


def am_routes(path: Path) -> list[dict[str, object]]:
    got: list[dict[str, object]] = json.loads(path.read_text())["sessions"]["am"]["routes"]
    return got


def first_child(route: dict[str, object]) -> str:
    steps: list[dict[str, str]] = route["steps"]  # type: ignore[assignment]
    return next(s["child_id"] for s in steps if "child_id" in s)


def test_a_replan_reports_every_affected_child_and_route(tmp_path: Path) -> None:
    base = planned(tmp_path)
    first = am_routes(base)[0]
    gone = first_child(first)
    code, output = replan(
        tmp_path, base, f"remove_child,{gone},,,,,,,\nadd_child,N1,,-1.12,52.63,S1,9,F,ASD\n"
    )
    assert code == 0, output
    report = json.loads((tmp_path / "again" / "changes.json").read_text())
    am = report["sessions"]["am"]
    affected = {c["child_id"]: c for c in am["children"]}
    assert affected[gone]["new_route"] is None and affected[gone]["old_route"] == first["route_id"]
    assert affected["N1"]["old_route"] is None and affected["N1"]["new_route"]
    assert report["children_removed"] == [gone] and report["children_added"] == ["N1"]
    assert am["saving_forgone_gbp"] == pytest.approx(
        am["cost_gbp"] - am["from_scratch_cost_gbp"], abs=0.011
    )
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary["transport_checker_ok"] is True
    assert "moved to another vehicle" in output


def test_disruption_weight_zero_costs_what_a_plan_from_scratch_costs(tmp_path: Path) -> None:
    zero = replace(SC, policy=replace(SC.policy, disruption_move_gbp=0.0, disruption_time_gbp=0.0))
    base = planned(tmp_path, zero)
    gone = first_child(am_routes(base)[0])
    code, output = replan(tmp_path, base, f"remove_child,{gone},,,,,,,\n")
    assert code == 0, output
    changed = replace(zero, children=tuple(c for c in zero.children if c.child_id != gone))
    write_scenario(changed, tmp_path / "changed")
    code, output = routes(str(tmp_path / "changed"), "--out", str(tmp_path / "fresh"),
                          "--iterations", "40")  # fmt: skip
    assert code == 0, output
    got = json.loads((tmp_path / "again" / "summary.json").read_text())
    fresh = json.loads((tmp_path / "fresh" / "summary.json").read_text())
    assert got["transport_cost_gbp_per_day"] == fresh["transport_cost_gbp_per_day"]


@pytest.fixture(scope="module")
def shared_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planned(tmp_path_factory.mktemp("plan"))


@pytest.mark.parametrize(
    ("rows", "row", "field"),
    [
        ("move_house,C000,,,,,,,\n", 2, "change"),
        ("remove_child,C000,,,,,,,\nadd_child,N1,,-1.12,52.63,S1,,F,ASD\n", 3, "age"),
        ("remove_child,NOPE,,,,,,,\n", 2, "child_id"),
        ("remove_child,C000,,,,,,,\nchange_school,C000,,,,S2,,,\n", 3, "child_id"),
        ("change_school,C001,,,,NOSCHOOL,,,\n", 2, "school_id"),
        ("change_address,C001,,,,,,,\n", 2, "lon"),
        ("route_handed_back,,NO-ROUTE,,,,,,\n", 2, "route_id"),
        ("add_child,C001,,-1.12,52.63,S1,9,F,ASD\n", 2, "child_id"),
        ("add_child,N1,,-1.12,52.63,S1,9,X,ASD\n", 2, "sex"),
    ],
)
def test_bad_rows_exit_2_naming_row_and_field(
    tmp_path: Path, shared_plan: Path, rows: str, row: int, field: str
) -> None:
    code, output = replan(tmp_path, shared_plan, rows)
    assert code == 2, output
    line = " ".join(output.split())
    assert f"changes.csv row {row}, field {field}" in line
    assert not (tmp_path / "again").exists()


def test_baseline_and_changes_go_together(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    (tmp_path / "changes.csv").write_text(HEADER)
    code, output = routes(str(tmp_path / "s"), "--changes", str(tmp_path / "changes.csv"))
    assert code == 2
    assert "--baseline" in output


def test_a_baseline_planned_for_other_schools_is_named(tmp_path: Path) -> None:
    base = planned(tmp_path)
    rows = am_routes(base)
    on_route = first_child(rows[0])
    # The scenario now has that child at the other school: the baseline was not planned for it.
    moved = [
        replace(c, current_school="S2" if c.current_school == "S1" else "S1")
        if c.child_id == on_route
        else c
        for c in SC.children
    ]
    write_scenario(replace(SC, children=tuple(moved)), tmp_path / "s")
    keep = next(c.child_id for c in SC.children if c.child_id != on_route)
    code, output = replan(tmp_path, base, f"remove_child,{keep},,,,,,,\n")
    assert code == 0, output
    report = json.loads((tmp_path / "again" / "changes.json").read_text())
    assert report["baseline_at_other_school"] == [on_route]


def test_a_baseline_planned_for_the_scenario_names_no_one(tmp_path: Path) -> None:
    base = planned(tmp_path)
    keep = SC.children[0].child_id
    code, output = replan(tmp_path, base, f"remove_child,{keep},,,,,,,\n")
    assert code == 0, output
    report = json.loads((tmp_path / "again" / "changes.json").read_text())
    assert report["baseline_at_other_school"] == []
