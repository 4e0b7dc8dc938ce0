"""Each child's objective terms in placements.csv and placements.xlsx: they re-add the plan's
objective to the pound, each term is what the scenario's data says it is (recomputed here from
the inputs, not through the solver's cost functions), the workbook's cells are typed, its bytes
repeat and text from the inputs stays text."""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from strategies import make_child, make_school, tiny_scenarios

from sendplan.api.defaults import leicester_scenario
from sendplan.api.outputs import write_placements_csv
from sendplan.api.placement_rows import PLACEMENT_COLUMNS
from sendplan.api.placements_xlsx import write_placements_xlsx
from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Policy, Scenario
from sendplan.routing.placement.place import MODES, place
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.placement.terms import TERM_COLUMNS, objective_terms
from sendplan.routing.solve import solve

TRAVEL = StraightLineModel()
PLACEMENT_TERMS = ("fee_gbp", "travel_gbp", "preference_gbp", "out_of_area_gbp")
NUMERIC = {"travel_min", "distance_km", "annual_cost_gbp", "travel_s", "distance_m", *TERM_COLUMNS}
BOOLEAN = {"in_area", "residential", "cross_border"}


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_terms(scenario: Scenario, plan: PlacementPlan) -> dict[str, tuple[float, ...]]:
    """Per placed child, (fee, travel, preference, out of area) from the inputs alone: the
    policy's weights, the school's fee and area, the child's preferences and the journey
    recomputed with the travel model."""
    policy = scenario.policy
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    out: dict[str, tuple[float, ...]] = {}
    for a in plan.assignments:
        child, school = children[a.child_id], schools[a.school_id]
        seconds, _ = TRAVEL.pairs(
            np.array([[child.lon, child.lat]]), np.array([[school.lon, school.lat]])
        )
        named = child.preferences
        if not named:
            preference = 0.0
        elif school.school_id in named:
            preference = named.index(school.school_id) * policy.preference_gbp_per_rank
        else:
            preference = policy.not_preferred_gbp
        out[a.child_id] = (
            policy.weight_placement_cost * school.annual_cost_gbp,
            policy.travel_gbp_per_min * float(seconds[0]) / 60.0,
            preference,
            0.0 if school.in_area else policy.out_of_area_gbp,
        )
    return out


def assert_terms_add_up(scenario: Scenario, plan: PlacementPlan) -> None:
    terms = objective_terms(scenario, plan)
    assert set(terms) == {a.child_id for a in plan.assignments} | {
        u.child_id for u in plan.unplaced
    }
    assert sum(t.objective_gbp for t in terms.values()) == plan.objective
    policy = scenario.policy
    over_places = sum(n for _, n in plan.over_capacity)
    carried = [t.over_capacity_gbp for t in terms.values() if t.over_capacity_gbp is not None]
    assert sum(carried) == round(policy.over_capacity_gbp) * over_places
    for child_id, truth in expected_terms(scenario, plan).items():
        t = terms[child_id]
        got = (t.fee_gbp, t.travel_gbp, t.preference_gbp, t.out_of_area_gbp)
        for value, want in zip(got, truth, strict=True):
            assert value is not None and math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-6)
        assert t.unplaced_gbp is None and t.rounding_gbp is not None
        placement_gbp = t.objective_gbp - (t.over_capacity_gbp or 0)
        assert abs(placement_gbp - sum(truth)) <= 0.5 + 1e-6
        assert math.isclose(sum(got) + t.rounding_gbp, placement_gbp, abs_tol=1e-6)
    for u in plan.unplaced:
        t = terms[u.child_id]
        assert t.fee_gbp is None and t.travel_gbp is None and t.rounding_gbp is None
        assert t.unplaced_gbp == t.objective_gbp == round(policy.unplaced_gbp)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, PlacementPlan, Path]:
    result = solve(leicester_scenario(seed=1), sessions=())
    assert result.placement is not None
    out = tmp_path_factory.mktemp("terms")
    write_placements_csv(result.scenario, result.placement, out / "p.csv", result.explanations)
    write_placements_xlsx(result.scenario, result.placement, out / "p.xlsx", result.explanations)
    return result.scenario, result.placement, out


def test_the_demo_plans_terms_add_up_to_its_objective(
    demo: tuple[Scenario, PlacementPlan, Path],
) -> None:
    scenario, plan, _ = demo
    assert plan.objective > 0 and plan.assignments
    assert_terms_add_up(scenario, plan)


def test_the_csv_re_adds_the_objective_to_the_pound(
    demo: tuple[Scenario, PlacementPlan, Path],
) -> None:
    _, plan, out = demo
    rows = read_csv_rows(out / "p.csv")
    assert tuple(rows[0]) == PLACEMENT_COLUMNS
    assert sum(int(r["objective_gbp"]) for r in rows) == plan.objective
    parts = [*PLACEMENT_TERMS, "rounding_gbp", "over_capacity_gbp", "unplaced_gbp"]
    total = sum(float(r[c]) for r in rows for c in parts if r[c])
    assert math.isclose(total, plan.objective, abs_tol=1e-6 * len(rows))
    by_id = {a.child_id: a for a in plan.assignments}
    for r in rows:
        a = by_id[r["child_id"]]
        # Unrounded and exact: the shortest text that reads back as the same float.
        assert float(r["travel_s"]) == a.travel_s and float(r["distance_m"]) == a.distance_m
        assert r["travel_min"] == f"{a.travel_s / 60.0:.1f}"


def test_the_workbook_has_typed_cells_and_the_same_totals(
    demo: tuple[Scenario, PlacementPlan, Path],
) -> None:
    _, plan, out = demo
    rows = read_csv_rows(out / "p.csv")
    book = load_workbook(out / "p.xlsx")
    assert book.sheetnames == ["placements", "objective"]
    sheet = book["placements"]
    header = [c.value for c in sheet[1]]
    assert tuple(header) == PLACEMENT_COLUMNS
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == f"A1:AD{len(rows) + 1}"
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(cells) == len(rows)
    for values, row in zip(cells, rows, strict=True):
        for column, value in zip(header, values, strict=True):
            text = row[column]
            if not text:
                assert value is None, (column, value)
            elif column in NUMERIC:
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert math.isclose(value, float(text), rel_tol=1e-15, abs_tol=1e-9), column
            elif column in BOOLEAN:
                assert value is (text == "true")
    at = {c: header.index(c) for c in TERM_COLUMNS}
    assert sum(v[at["objective_gbp"]] or 0 for v in cells) == plan.objective
    objective = {r[0]: r[1:] for r in book["objective"].iter_rows(values_only=True)}
    letter = {c: re.sub(r"\d", "", sheet.cell(row=1, column=at[c] + 1).coordinate) for c in at}
    for column in TERM_COLUMNS:
        formula, figure = objective[column]
        n = len(rows) + 1
        assert formula == f"=SUM('placements'!{letter[column]}2:{letter[column]}{n})"
        column_sum = sum(v[at[column]] or 0 for v in cells)
        assert math.isclose(figure, column_sum, abs_tol=1e-6 * len(rows))
    assert objective["objective_gbp"][1] == objective["plan objective (GBP per year)"][1]
    assert objective["plan objective (GBP per year)"][1] == plan.objective


def test_the_workbook_bytes_repeat(
    demo: tuple[Scenario, PlacementPlan, Path], tmp_path: Path
) -> None:
    scenario, plan, out = demo
    write_placements_xlsx(scenario, plan, tmp_path / "again.xlsx")
    write_placements_xlsx(scenario, plan, tmp_path / "again2.xlsx")
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "again2.xlsx").read_bytes()
    # Explanations change the alternatives column, so the demo's file differs from these two.
    assert (tmp_path / "again.xlsx").read_bytes() != (out / "p.xlsx").read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tiny_scenarios(), mode=st.sampled_from(MODES), data=st.data())
def test_tiny_plans_terms_add_up(scenario: Scenario, mode: str, data: st.DataObject) -> None:
    ids = sorted(s.school_id for s in scenario.schools)
    must_admit = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    over_gbp = data.draw(st.sampled_from((0.0, 1_000.0, 100_000.0)))
    scenario = dataclasses.replace(
        scenario, policy=dataclasses.replace(scenario.policy, over_capacity_gbp=over_gbp)
    )
    plan = place(scenario, TRAVEL, mode=mode, must_admit=must_admit)
    assert_terms_add_up(scenario, plan)


def test_over_capacity_is_carried_by_children_at_the_school(tmp_path: Path) -> None:
    kids = [make_child("C1", 0.0), make_child("C2", 0.1), make_child("C3", 0.2)]
    schools = [make_school("A", 0.5, capacity=1, annual_cost_gbp=20_000.0),
               make_school("B", 8.0, capacity=5, annual_cost_gbp=60_000.0)]  # fmt: skip
    scenario = Scenario(name="what-if", children=tuple(kids), schools=tuple(schools),
                        policy=Policy(over_capacity_gbp=1_000.0))  # fmt: skip
    plan = place(scenario, TRAVEL, must_admit=("A",))
    assert dict(plan.over_capacity) == {"A": 2}
    assert_terms_add_up(scenario, plan)
    write_placements_csv(scenario, plan, tmp_path / "p.csv")
    carried = {r["child_id"]: r["over_capacity_gbp"] for r in read_csv_rows(tmp_path / "p.csv")}
    assert carried == {"C1": "", "C2": "1000", "C3": "1000"}


def test_hostile_text_stays_text_in_the_workbook(tmp_path: Path) -> None:
    names = ('=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3")
    schools = tuple(make_school(f"S{k}", k * 2.0, name=n) for k, n in enumerate(names))
    kids = tuple(make_child(f"C{i}", i * 1.5) for i in range(6))
    scenario = Scenario(name="hostile", children=kids, schools=schools)
    plan = place(scenario, TRAVEL)
    write_placements_xlsx(scenario, plan, tmp_path / "p.xlsx")
    sheet = load_workbook(tmp_path / "p.xlsx")["placements"]
    column = PLACEMENT_COLUMNS.index("school_name") + 1
    seen = {sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row + 1)}
    assert seen <= set(names) and seen
    for r in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=r, column=column)
        assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(tmp_path / "p.xlsx") as archive:
        formulas = [
            (name, f)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
            for f in re.findall(rb"<f>([^<]*)</f>", archive.read(name))
        ]
    # The only formulas are the objective sheet's own sums and differences.
    assert formulas and all(n == "xl/worksheets/sheet2.xml" for n, _ in formulas)
    assert all(re.fullmatch(rb"SUM\('placements'!\w+:\w+\)|[BC]\d+-C\d+", f) for _, f in formulas)
