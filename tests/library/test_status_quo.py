"""Issue 12: the status quo (every child at their current school) measured beside the optimised
plan, recomputed here by hand from the current schools."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import make_child, make_school
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.report import render_report
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario, VehicleType
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.status_quo import (
    COMPARISON_KEYS,
    DIGITS,
    compare,
    difference,
    status_quo_plan,
)
from sendplan.routing.travel import straight_line_model

RUNNER = CliRunner()
AS_OF = date(2025, 1, 16)
SCHOOLS = (
    make_school("NEAR", 1.0, capacity=30, annual_cost_gbp=20_000.0),
    make_school("ACAD", 4.0, capacity=30, type="academy", annual_cost_gbp=24_000.0),
    make_school("FAR", 25.0, capacity=30, type="independent", la_code="855", in_area=False,
                annual_cost_gbp=60_000.0),
    make_school("SMALL", 2.0, capacity=1, annual_cost_gbp=22_000.0),
)  # fmt: skip
CURRENT = {
    "C01": ("FAR", 6), "C02": ("FAR", 9), "C03": ("FAR", 13), "C04": ("ACAD", 8),
    "C05": ("SMALL", 12), "C06": ("SMALL", 14), "C07": ("NEAR", 4), "C08": ("FAR", 11),
}  # fmt: skip
FLEET = (
    VehicleType(name="taxi", seats=4, wheelchair_spaces=0, has_assistant=False,
                fixed_cost_gbp=60.0, cost_per_km_gbp=1.2, available=10,
                depot_lon=-1.13, depot_lat=52.64),
)  # fmt: skip


def scenario() -> Scenario:
    kids = tuple(
        make_child(cid, 0.3 * k, current_school=school, age=age)
        for k, (cid, (school, age)) in enumerate(CURRENT.items())
    )
    return Scenario(name="sq", children=kids, schools=SCHOOLS, fleet=FLEET, as_of=AS_OF)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def straight_line_minutes(metres: float) -> float:
    """20 km/h for the first 2 km, 32 km/h to 10 km, 60 km/h beyond (the model's bands)."""
    bands = ((2_000.0, 20.0), (10_000.0, 32.0), (math.inf, 60.0))
    seconds, lower = 0.0, 0.0
    for upper, kmh in bands:
        seconds += max(0.0, min(metres, upper) - lower) / (kmh / 3.6)
        lower = upper
    return seconds / 60.0


@pytest.fixture(scope="module")
def result() -> sendplan.Result:
    return sendplan.solve(scenario(), sessions=("am",), stop=sendplan.MaxIterations(20))


def test_status_quo_figures_equal_a_recomputation_from_current_schools(
    result: sendplan.Result,
) -> None:
    sc = scenario()
    schools = {s.school_id: s for s in sc.schools}
    minutes = [
        straight_line_minutes(
            1.3 * haversine_m(c.lon, c.lat, schools[c.current_school].lon,  # type: ignore[index]
                              schools[c.current_school].lat)  # type: ignore[index]
        )
        for c in sc.children
    ]  # fmt: skip
    at = [schools[str(c.current_school)] for c in sc.children]
    out = sum(1 for s in at if not s.in_area)
    assert result.summary.comparison is not None
    sq = result.summary.comparison["status_quo"]
    assert sq["children"] == sq["placed"] == 8 and sq["unplaced"] == 0
    assert sq["placement_cost_gbp_per_year"] == pytest.approx(sum(s.annual_cost_gbp for s in at))
    assert sq["mean_travel_min"] == pytest.approx(sum(minutes) / len(minutes), abs=0.006)
    assert sq["max_travel_min"] == pytest.approx(max(minutes), abs=0.006)
    assert sq["placed_out_of_area"] == out == 4 and sq["placed_in_area"] == 4
    assert sq["out_of_area_share"] == pytest.approx(0.5)
    assert sq["placed_independent"] == 4 and sq["placed_academy_free"] == 1
    assert sq["placed_la_maintained"] == 3 and sq["placed_non_maintained"] == 0
    # SMALL holds two children in one place.
    assert sq["over_capacity_schools"] == 1 and sq["over_capacity_places"] == 1
    assert sq["transported"] == 8 and sq["routes"] > 0
    assert sq["transport_cost_gbp_per_year"] > 0


def test_status_quo_plan_uses_the_drive_model() -> None:
    sc = scenario()
    plan = status_quo_plan(sc, straight_line_model(sc))
    assert [a.school_id for a in plan.assignments] == [s for s, _ in CURRENT.values()]
    assert plan.solver == "status-quo" and plan.unplaced == ()
    missing = Scenario(name="x", children=(make_child("Z"),), schools=SCHOOLS)
    with pytest.raises(ValueError, match="no current school"):
        status_quo_plan(missing, straight_line_model(missing))


def test_difference_is_optimised_minus_status_quo_key_by_key(result: sendplan.Result) -> None:
    block = result.summary.comparison
    assert block is not None
    sq, opt, diff = block["status_quo"], block["optimised"], block["difference"]
    assert list(sq) == list(opt) == list(diff) == list(COMPARISON_KEYS)
    for key in COMPARISON_KEYS:
        if sq[key] is None or opt[key] is None:
            assert diff[key] is None, key
        else:
            # Within a unit of the last place: the difference is of the unrounded figures.
            unit = 10.0 ** -DIGITS.get(key, 0)
            assert diff[key] == pytest.approx(opt[key] - sq[key], abs=unit * 1.001), key
    # The optimised side is the run's own summary.
    s = result.summary
    assert opt["placed"] == s.placed and opt["transported"] == s.transported
    assert opt["placement_cost_gbp_per_year"] == s.placement_cost_gbp_per_year
    assert opt["transport_cost_gbp_per_year"] == s.transport_cost_gbp_per_year
    # Phase transfer: C07 (Reception) and C08 (Year 7) move, the rest stay; the optimised plan
    # is no dearer in placements than the status quo, and fills SMALL no further.
    assert s.movers == 2 and s.movers_rule == "phase_transfer"
    assert diff["placement_cost_gbp_per_year"] <= 0
    assert opt["over_capacity_places"] == 1


def test_the_difference_is_of_unrounded_figures_rounded_once() -> None:
    # The demo's out-of-area shares: 270 and 245 of 1,345. Rounded first (0.2007, 0.1822) they
    # differ by 0.0185; the true difference, -25/1345 = -0.018587..., rounds to -0.0186.
    sq = {key: None for key in COMPARISON_KEYS} | {"out_of_area_share": 270 / 1345}
    opt = {key: None for key in COMPARISON_KEYS} | {"out_of_area_share": 245 / 1345}
    rounded_first = round(round(245 / 1345, 4) - round(270 / 1345, 4), 4)
    assert rounded_first == -0.0185
    assert difference(sq, opt)["out_of_area_share"] == round(-25 / 1345, 4) == -0.0186
    block = compare(sq, opt)
    assert block["status_quo"]["out_of_area_share"] == 0.2007
    assert block["optimised"]["out_of_area_share"] == 0.1822
    assert block["difference"]["out_of_area_share"] == -0.0186
    # Minutes to 2 places: 16.444 - 15.756 = -0.688 -> -0.69, not 15.76 - 16.44 = -0.68.
    sq["mean_travel_min"], opt["mean_travel_min"] = 16.444, 15.756
    assert difference(sq, opt)["mean_travel_min"] == -0.69


@given(
    st.sampled_from(sorted(DIGITS)),
    st.floats(0, 1e7, allow_nan=False),
    st.floats(0, 1e7, allow_nan=False),
)
def test_every_difference_is_rounded_once_to_its_figure_places(
    key: str, before: float, after: float
) -> None:
    block = compare({key: before}, {key: after})
    digits = DIGITS[key]
    assert block["difference"][key] == round(after - before, digits)
    assert block["status_quo"][key] == round(before, digits)
    assert block["optimised"][key] == round(after, digits)


def test_the_solved_difference_is_of_the_plans_unrounded_figures(
    result: sendplan.Result,
) -> None:
    assert result.placement is not None and result.status_quo is not None
    block = result.summary.comparison
    assert block is not None

    def figures(plan: PlacementPlan) -> tuple[float, float, float]:
        minutes = [a.travel_s / 60 for a in plan.assignments]
        out = sum(not a.in_area for a in plan.assignments)
        cost = sum(a.annual_cost_gbp for a in plan.assignments)
        return sum(minutes) / len(minutes), out / len(plan.assignments), cost

    (m_sq, share_sq, cost_sq), (m_opt, share_opt, cost_opt) = (
        figures(result.status_quo),
        figures(result.placement),
    )
    diff = block["difference"]
    assert diff["mean_travel_min"] == pytest.approx(round(m_opt - m_sq, 2), abs=1e-9)
    assert diff["out_of_area_share"] == pytest.approx(round(share_opt - share_sq, 4), abs=1e-9)
    assert diff["placement_cost_gbp_per_year"] == pytest.approx(
        round(cost_opt - cost_sq, 2), abs=1e-6
    )
    days = result.scenario.policy.school_days_per_year
    year_sq = sum(p.cost_gbp for p in result.status_quo_transport) * 2 * days
    year_opt = sum(p.cost_gbp for p in result.transport) * 2 * days
    assert diff["transport_cost_gbp_per_year"] == pytest.approx(
        round(year_opt - year_sq, 2), abs=1e-6
    )


def test_all_movers_clear_the_over_capacity_and_cut_the_cost() -> None:
    s = sendplan.solve(scenario(), sessions=(), movers="all").summary
    assert s.comparison is not None
    diff, opt = s.comparison["difference"], s.comparison["optimised"]
    assert opt["over_capacity_places"] == 0 and diff["over_capacity_places"] == -1
    assert diff["placement_cost_gbp_per_year"] < 0 and diff["placed_out_of_area"] < 0
    assert opt["transported"] is None and diff["transport_cost_gbp_per_year"] is None


def test_report_and_console_show_both_and_the_difference(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(scenario(), folder)
    outcome = RUNNER.invoke(app, ["place", str(folder), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.stdout.splitlines()
    assert any("status quo" in ln and "optimised" in ln and "difference" in ln for ln in lines)
    assert any(ln.startswith("Placement cost per year") for ln in lines)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["comparison"]) == {"status_quo", "optimised", "difference"}
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "Status quo and optimised plan" in html and "Difference" in html


def test_no_comparison_section_without_a_status_quo(result: sendplan.Result) -> None:
    bare = sendplan.solve(
        Scenario(name="b", children=(make_child("Z"),), schools=SCHOOLS), sessions=()
    )
    assert bare.placement is not None and bare.summary.comparison is None
    assert "Status quo and optimised" not in render_report(bare)
    assert result.placement is not None
    assert "Status quo and optimised" in render_report(result)


def test_status_quo_false_skips_the_comparison() -> None:
    scenario = sendplan.leicester_scenario(n_children=30)
    assert sendplan.solve(scenario, sessions=()).summary.comparison is not None
    skipped = sendplan.solve(scenario, sessions=(), status_quo=False)
    assert skipped.summary.comparison is None and skipped.status_quo is None
