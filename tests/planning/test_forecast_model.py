"""The cohort forecast model: ageing conserves children, growth, bands, needs and places."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sendplan.routing.model import School
from sendplan.routing.planning.forecast import (
    AGE_BANDS,
    ForecastParams,
    age_on,
    band_of_age,
    fit_forecast,
    places_by_phase,
    project_cohort,
    special_demand,
    special_totals,
    sufficiency,
)

ORIGIN = {"under_5": 130.0, "5_10": 1350.0, "11_15": 1420.0, "16_19": 860.0, "20_25": 300.0}


def params(**changes: object) -> ForecastParams:
    base = ForecastParams(
        origin_year=2025,
        origin_plans=dict(ORIGIN),
        origin_special=1345.0,
        continuation={"under_5": 1.5, "5_10": 1.2, "11_15": 1.1, "16_19": 0.95, "20_25": 0.7},
        special_share={"under_5": 0.05, "5_10": 0.3, "11_15": 0.45, "16_19": 0.3, "20_25": 0.06},
        special_growth=0.05,
        need_share={"primary": {"ASD": 0.6, "SLCN": 0.4}},
        error_log_lo=(-0.05, -0.08),
        error_log_hi=(0.07, 0.12),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("damping", [0.0, 0.5, 0.9, 1.0])
def test_ageing_conserves_children_except_new_and_ceased(damping: float) -> None:
    cohort = project_cohort(params(damping=damping), years=6)
    previous = sum(ORIGIN.values())
    for _, year in cohort.groupby("year"):
        total = year["plans"].sum()
        assert total == pytest.approx(previous + year["new"].sum() - year["ceased"].sum())
        assert (year["new"] >= -1e-9).all() and (year["ceased"] >= -1e-9).all()
        # Everyone aged into a band came out of the band below: ageing alone moves, never adds.
        assert year["aged_in"].iloc[0] == 0
        previous = total


def test_age_on_moves_the_top_of_each_band_up_one() -> None:
    plans = np.array([10.0, 60.0, 50.0, 40.0, 60.0])
    stayed, aged_in, left = age_on(plans, np.array([0.5, 1 / 6, 0.2, 0.25, 1 / 6]))
    assert aged_in.tolist() == pytest.approx([0, 5, 10, 10, 10])
    assert stayed.sum() + aged_in.sum() + left == pytest.approx(plans.sum())
    assert left == pytest.approx(10)


def test_no_new_plans_when_continuation_only_replaces_the_ceased() -> None:
    rate = {b: 0.1 for b in AGE_BANDS}
    flat = params(continuation={b: 0.9 for b in AGE_BANDS}, ceased_rate=rate, damping=1.0)
    cohort = project_cohort(flat, years=3)
    assert cohort["new"].abs().max() == pytest.approx(0, abs=1e-9)
    assert cohort.groupby("year")["plans"].sum().is_monotonic_decreasing


def test_full_damping_holds_every_band_at_its_level() -> None:
    cohort = project_cohort(params(damping=0.0), years=4)
    for band, count in ORIGIN.items():
        assert cohort.loc[cohort["age_band"] == band, "plans"].to_numpy() == pytest.approx(count)


def test_special_total_follows_its_damped_growth_and_band_brackets_it() -> None:
    totals = special_totals(params(), years=4).set_index("year")
    assert totals.loc[2027, "special"] == pytest.approx(1345 * math.exp(0.10))
    damped = special_totals(params(growth_damping=0.5), years=2).set_index("year")
    assert damped.loc[2027, "special"] == pytest.approx(1345 * math.exp(0.05 * (0.5 + 0.25)))
    assert (totals["special_low"] <= totals["special"]).all()
    assert (totals["special"] <= totals["special_high"]).all()
    # Beyond the last back-test horizon the band widens with the square root of the horizon.
    width = np.log(totals["special_high"] / totals["special"])
    assert width[2029] == pytest.approx(0.12 * math.sqrt(2))


def test_demand_splits_the_total_by_phase_and_need() -> None:
    p = params()
    demand = special_demand(p, years=3)
    totals = special_totals(p, years=3).set_index("year")["special"]
    by_year = demand.groupby("year")["demand"].sum()
    assert by_year.to_numpy() == pytest.approx(totals.loc[[2026, 2027, 2028]].to_numpy())
    primary = demand[(demand["year"] == 2026) & (demand["phase"] == "primary")]
    assert set(primary["need"]) == {"ASD", "SLCN"}
    asd, slcn = primary.set_index("need")["demand"][["ASD", "SLCN"]]
    assert asd / slcn == pytest.approx(1.5)
    grown = special_demand(replace(p, need_growth={"ASD": 0.1}), years=3)
    later = grown[(grown["year"] == 2028) & (grown["phase"] == "primary")].set_index("need")
    assert later.loc["ASD", "demand"] / later.loc["SLCN", "demand"] > 1.5


def test_fit_reads_nothing_after_fit_to() -> None:
    years = range(2015, 2023)
    plans = pd.DataFrame(
        {b: [100.0 * 1.1 ** (y - 2015) for y in years] for b in AGE_BANDS}, index=list(years)
    )
    special = pd.Series([50.0 * 1.05 ** (y - 2015) for y in years], index=list(years))
    fitted = fit_forecast(plans, special, fit_to=2019)
    later_plans, later_special = plans.copy(), special.copy()
    later_plans.loc[2020:] *= 3
    later_special.loc[2020:] = 1.0
    assert fit_forecast(later_plans, later_special, fit_to=2019) == fitted
    assert fitted.special_growth == pytest.approx(math.log(1.05))
    assert fitted.origin_special == pytest.approx(special[2019])
    with pytest.raises(ValueError, match="2030"):
        fit_forecast(plans, special, fit_to=2030)


def test_params_refuse_missing_or_negative_values() -> None:
    with pytest.raises(ValueError, match="continuation"):
        params(continuation={"5_10": 1.0})
    with pytest.raises(ValueError, match="ceased_rate"):
        params(ceased_rate={b: 1.5 for b in AGE_BANDS})


def test_band_of_age() -> None:
    assert [band_of_age(a) for a in (0, 4, 5, 10, 11, 16, 19, 20, 25, 30)] == [
        "under_5",
        "under_5",
        "5_10",
        "5_10",
        "11_15",
        "16_19",
        "16_19",
        "20_25",
        "20_25",
        "20_25",
    ]


def school(
    school_id: str,
    *,
    low: int,
    high: int,
    capacity: int,
    opens: date | None = None,
    needs: frozenset[str] = frozenset({"ASD"}),
) -> School:
    return School(
        school_id=school_id,
        name=school_id,
        lon=-1.1,
        lat=52.6,
        la_code="856",
        type="la_maintained",
        age_low=low,
        age_high=high,
        designations=needs,
        capacity=capacity,
        annual_cost_gbp=0.0,
        opens=opens,
    )


def test_places_count_schools_open_that_january_split_by_phase() -> None:
    schools = [
        school("a", low=5, high=10, capacity=60),
        school("b", low=11, high=16, capacity=120, needs=frozenset({"ASD", "SEMH"})),
        school("c", low=5, high=10, capacity=30, opens=date(2027, 9, 1)),
    ]
    places = places_by_phase(schools, [2027, 2028]).set_index(["year", "phase", "need"])
    assert places.loc[(2027, "primary", "all"), "places"] == pytest.approx(60)
    assert places.loc[(2028, "primary", "all"), "places"] == pytest.approx(90)
    assert places.loc[(2027, "secondary", "all"), "places"] == pytest.approx(100)
    assert places.loc[(2027, "post_16", "SEMH"), "places"] == pytest.approx(20)
    demand = pd.DataFrame(
        {
            "year": [2027],
            "phase": ["primary"],
            "need": ["all"],
            "demand": [70.0],
            "demand_low": [65.0],
            "demand_high": [80.0],
        }
    )
    table = sufficiency(demand, places.reset_index())
    assert table.loc[0, "surplus"] == pytest.approx(-10)
    assert table.loc[0, "surplus_low"] == pytest.approx(-20)
