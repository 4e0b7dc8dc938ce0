"""The front door's forecast: the tables the CLI writes, from a Scenario in Python."""

from __future__ import annotations

from datetime import date

import pytest

import sendplan
from sendplan.errors import InputError


def test_forecast_is_on_the_front_door_and_counts_special_places_only() -> None:
    scenario = sendplan.leicester_scenario(n_children=10)
    result = sendplan.forecast(scenario, years=(2026, 2028))
    assert result.years == (2026, 2028)
    assert list(result.totals["year"]) == [2026, 2027, 2028]
    for year, places in zip(result.totals["year"], result.totals["places"], strict=True):
        day = date(int(year), 1, 16)
        special = sum(
            s.capacity for s in scenario.schools
            if s.open_on(day) and s.type != "resourced_provision"
        )  # fmt: skip
        assert places == pytest.approx(special)
    low, mid, high = (result.totals[c] for c in ("special_low", "special", "special_high"))
    assert ((low <= mid) & (mid <= high)).all()
    table = result.sufficiency
    expected = (table["places"] - table["demand"]).tolist()
    assert table["surplus"].tolist() == pytest.approx(expected, abs=0.11)


def test_forecast_refuses_years_before_the_data_ends() -> None:
    with pytest.raises(InputError, match="forecasts start after"):
        sendplan.forecast(sendplan.leicester_scenario(n_children=5), years=(2024, 2026))


@pytest.mark.parametrize("years", [(2031, 2026), range(2026, 2032), (2026, "x")])
def test_forecast_years_must_be_first_and_last(years: object) -> None:
    with pytest.raises(InputError, match="years"):
        sendplan.forecast(sendplan.leicester_scenario(n_children=5), years=years)  # type: ignore[arg-type]
