"""Issue 13, `sendplan.compare`: KPIs with deltas, per-school fill and who moves (the library)."""

from __future__ import annotations

from pathlib import Path

import pytest
from compare_cases import solve_folder, two_school_scenario

import sendplan
from sendplan.routing.planning.compare import (
    ChildChange,
    ResultView,
    compare,
    compare_kpis,
    kpi_values,
)


def test_front_door_exposes_compare() -> None:
    assert sendplan.compare is compare
    assert "compare" in sendplan.__all__ and "read_result" in sendplan.__all__


def test_compare_of_a_scenario_with_itself_shows_zero_deltas(tmp_path: Path) -> None:
    folder = two_school_scenario(tmp_path / "base")
    first, second = solve_folder(folder), solve_folder(folder)
    comparison = compare([first, second], names=("one", "two"))
    assert comparison.kpis, "no figure was compared"
    keys = {r.key for r in comparison.kpis}
    assert {"placed", "placement_cost_gbp_per_year", "mean_travel_min", "objective"} <= keys
    assert "seed" not in keys  # a setting of the run, reported in runs
    for row in comparison.kpis:
        assert row.values[0] == row.values[1], row.key
        assert row.deltas[1] == 0 and row.relative[1] == 0.0, row.key
    assert comparison.changes == ()
    assert comparison.changed_counts() == {"one": 0, "two": 0}
    for school in comparison.schools:
        assert school.placed[0] == school.placed[1] and school.capacity[0] == school.capacity[1]


def test_capacity_drop_moves_exactly_the_child_nearest_the_other_school(tmp_path: Path) -> None:
    base = solve_folder(two_school_scenario(tmp_path / "base", near_capacity=3))
    tight = solve_folder(two_school_scenario(tmp_path / "tight", near_capacity=2))
    comparison = compare([base, tight], names=("base", "tight"))
    # C3 lives east of Near, towards Far: moving it costs the least travel.
    assert comparison.changes == (ChildChange("tight", "C3", "NEAR", "FAR", "moved"),)
    fill = {s.school_id: s for s in comparison.schools}
    assert fill["NEAR"].placed == (3, 2) and fill["NEAR"].capacity == (3, 2)
    assert fill["NEAR"].fill == (1.0, 1.0)
    assert fill["FAR"].placed == (0, 1) and fill["FAR"].capacity == (3, 3)
    assert fill["FAR"].fill == (0.0, round(1 / 3, 4))
    assert comparison.kpi("placed").deltas == (0, 0)
    travel = comparison.kpi("mean_travel_min")
    assert travel.deltas[1] is not None and travel.deltas[1] > 0
    assert travel.deltas[1] == pytest.approx(travel.values[1] - travel.values[0], abs=1e-6)
    assert travel.relative[1] == pytest.approx(travel.deltas[1] / travel.values[0], abs=1e-6)


def test_changes_name_newly_unplaced_added_and_removed_children() -> None:
    summary = {"children": 3}
    base = ResultView(summary, {"a": "S1", "b": None, "c": "S1"}, capacities={"S1": 2})
    other = ResultView(summary, {"a": None, "b": "S1", "d": "S2"}, capacities={"S1": 2, "S2": 1})
    comparison = compare([base, other])
    assert [(c.child_id, c.change) for c in comparison.changes] == [
        ("a", "newly_unplaced"), ("b", "newly_placed"), ("c", "removed"), ("d", "added"),
    ]  # fmt: skip
    fill = {s.school_id: s for s in comparison.schools}
    assert fill["S1"].placed == (2, 1) and fill["S2"].capacity == (0, 1)
    assert fill["S2"].fill == (None, 1.0)  # no places at S2 in the baseline: no share


def test_relative_delta_against_zero_and_missing_figures() -> None:
    rows = {
        r.key: r
        for r in compare_kpis([
            {"unplaced": 0, "routes": None, "placed": 10, "unplaced_by_reason": {"full": 2}},
            {"unplaced": 3, "routes": 5, "placed": 10, "unplaced_by_reason": {"full": 1}},
            {"unplaced": 0, "routes": 4, "placed": 12, "unplaced_by_reason": {}},
        ])
    }  # fmt: skip
    assert rows["unplaced"].deltas == (0, 3, 0)
    assert rows["unplaced"].relative == (0.0, None, 0.0)  # no ratio to a baseline of 0
    assert rows["routes"].deltas == (None, None, None)
    assert rows["placed"].relative == (0.0, 0.0, 0.2)
    # A count the summary's dict lacks is 0 (no child had that reason), so it has a delta.
    assert rows["unplaced_by_reason.full"].values == (2, 1, 0)
    assert rows["unplaced_by_reason.full"].deltas == (0, -1, -2)
    absent = {r.key: r for r in compare_kpis([{"placed": 1}, {"placed": 1, "by": {"x": 4}}])}
    assert absent["by.x"].values == (None, 4)  # no dict at all: unknown, not zero
    assert list(rows)[:3] == ["placed", "unplaced", "unplaced_by_reason.full"]  # Summary order


def test_kpi_values_skip_flags_text_and_nested_blocks() -> None:
    values = kpi_values({
        "placed": 4, "optimal": True, "solver": "x", "seed": 7, "comparison": {"a": {"b": 1}},
        "versions": {"sendplan": "0.1"}, "over_capacity_by_school": {"S": 2},
    })  # fmt: skip
    assert values == {"placed": 4, "over_capacity_by_school.S": 2}


def test_compare_refuses_one_result_and_repeated_names(tmp_path: Path) -> None:
    view = ResultView({"children": 0}, {})
    with pytest.raises(ValueError, match="at least two"):
        compare([view])
    with pytest.raises(ValueError, match="distinct"):
        compare([view, view], names=("x", "x"))
    with pytest.raises(ValueError, match="2 names for 3"):
        compare([view, view, view], names=("x", "y"))
