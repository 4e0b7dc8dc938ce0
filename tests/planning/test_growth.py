"""expand's demand growth: the trend, the forecast (central and its band) or a yearly rate."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.growth import MAX_FACTOR, Growth, growth_factors, parse_growth
from sendplan.data.forecast_params import DEFAULT_PARAMS, read_params
from sendplan.errors import InputError
from sendplan.routing.planning.forecast import demand_factors, special_totals
from sendplan.routing.planning.year_cohort import DEFAULT_GROWTH_PER_YEAR

PARAMS = read_params(DEFAULT_PARAMS)
ORIGIN = PARAMS.origin_year


@pytest.mark.parametrize(
    ("text", "rule", "rate"),
    [
        ("trend", "trend", None), ("forecast", "forecast", None),
        ("Forecast_High", "forecast-high", None), (" forecast-low ", "forecast-low", None),
        ("0.05", "rate", 0.05), ("5%", "rate", 0.05), ("-0.5", "rate", -0.5),
        ("1", "rate", 1.0), ("0", "rate", 0.0),
    ],
)  # fmt: skip
def test_growth_rules_and_rates(text: str, rule: str, rate: float | None) -> None:
    growth = parse_growth(text)
    assert growth.rule == rule
    assert growth.rate == pytest.approx(rate) if rate is not None else growth.rate is None


@pytest.mark.parametrize(
    "text",
    ["-0.51", "1.01", "101%", "nan", "inf", "1e400", "", "=1+1", "trend\x1b[2J", "forecasts"],
)
def test_bad_growth_names_the_option(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_growth(text, field="--growth")
    assert caught.value.file == "--growth"
    assert "\x1b" not in caught.value.message


def test_a_rate_compounds_from_the_scenarios_year() -> None:
    years = [2025, 2026, 2030]
    factors = growth_factors(Growth("rate", 0.1), years, base_year=2025)
    assert factors == pytest.approx({2025: 1.0, 2026: 1.1, 2030: 1.1**5})
    # The trend rule leaves expand its own default (the same 3.55% a year).
    assert growth_factors(Growth(), years, base_year=2025) is None
    trend = growth_factors(Growth("rate", DEFAULT_GROWTH_PER_YEAR), years, base_year=2025)
    assert trend is not None and trend[2030] == pytest.approx(1.0355**5)


@settings(max_examples=25, deadline=None)
@given(
    base=st.integers(ORIGIN, ORIGIN + 4),
    ahead=st.lists(st.integers(0, 8), min_size=1, max_size=5, unique=True),
)
def test_forecast_factors_are_its_totals_over_the_base_year(base: int, ahead: list[int]) -> None:
    years = [base + a for a in sorted(ahead)]
    totals = special_totals(PARAMS, years=max(years) - ORIGIN).set_index("year")
    factors = {band: demand_factors(PARAMS, years, base_year=base, band=band)
               for band in ("central", "low", "high")}  # fmt: skip
    for year in years:
        for band, column in (("central", "special"), ("low", "special_low"),
                             ("high", "special_high")):  # fmt: skip
            assert factors[band][year] * totals.at[base, "special"] == pytest.approx(
                totals.at[year, column]
            )
        assert factors["low"][year] <= factors["central"][year] <= factors["high"][year]
    if base in years:
        assert factors["central"][base] == pytest.approx(1.0)


def test_factors_above_the_cap_are_refused_with_their_year() -> None:
    # 100% a year: 2^6 = 64 is allowed, 2^7 = 128 is not (MAX_FACTOR 100).
    assert growth_factors(Growth("rate", 1.0), [2031], base_year=2025) == {2031: 64.0}
    with pytest.raises(InputError) as caught:
        growth_factors(Growth("rate", 1.0), [2026, 2032], base_year=2025)
    assert caught.value.file == "--growth" and "2032" in caught.value.message
    assert "128" in caught.value.message
    # Shrinking demand: -50% a year for 7 years is above 0, so allowed.
    assert growth_factors(Growth("rate", -0.5), [2032], base_year=2025) == {2032: 0.5**7}
    steep = replace(PARAMS, special_growth=1.0)  # e^1 a year: e^4.6 > 100 by year 5
    assert (
        growth_factors(Growth("forecast"), [ORIGIN + 4], base_year=ORIGIN, params=steep) is not None
    )
    with pytest.raises(InputError, match="at most 100 times"):
        growth_factors(Growth("forecast"), [ORIGIN + 5], base_year=ORIGIN, params=steep)
    assert MAX_FACTOR == 100


def test_forecast_factors_refuse_years_it_cannot_give() -> None:
    with pytest.raises(ValueError, match=f"starts in {ORIGIN}"):
        demand_factors(PARAMS, [ORIGIN + 1], base_year=ORIGIN - 1)
    with pytest.raises(ValueError, match="before the scenario's year"):
        demand_factors(PARAMS, [ORIGIN + 1], base_year=ORIGIN + 2)
    with pytest.raises(ValueError, match="band"):
        demand_factors(PARAMS, [ORIGIN + 1], base_year=ORIGIN, band="middle")
    with pytest.raises(InputError) as caught:
        growth_factors(Growth("forecast"), [ORIGIN + 1], base_year=ORIGIN - 1, params=PARAMS)
    assert caught.value.file == "--growth"


def _options(tmp_path: Path) -> Path:
    path = tmp_path / "options.csv"
    path.write_text(
        "option_id,school_id,places,capital_gbp,earliest_year\nWG,131099,40,2040000,2026\n",
        encoding="utf-8",
    )
    return path


def test_expand_plans_for_the_forecasts_demand(tmp_path: Path) -> None:
    runner = CliRunner()
    options = _options(tmp_path)
    documents = {}
    for rule in ("forecast-low", "forecast-high"):
        out = tmp_path / rule
        result = runner.invoke(
            app, ["expand", "leicester", "--options", str(options), "--years", "2026",
                  "--growth", rule, "--out", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        documents[rule] = json.loads((out / "expansion.json").read_text())
        manifest = json.loads((out / "manifest.json").read_text())
        assert documents[rule]["growth_rule"] == manifest["growth_rule"] == rule
        # The console says what demand was planned for, as the page does.
        factor = documents[rule]["growth"]["2026"]
        assert f"demand growth {rule}: 2026 x{factor:.3f}" in result.output
        band = rule.removeprefix("forecast-")
        expected = demand_factors(PARAMS, [2026], base_year=2025, band=band)
        assert documents[rule]["growth"] == pytest.approx({str(y): f for y, f in expected.items()})
    low, high = (documents[r]["years"] for r in ("forecast-low", "forecast-high"))
    assert all(a["children"] < b["children"] for a, b in zip(low, high, strict=True))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--growth", "lots"], "--growth"),
        (["--la", "855"], "--la"),
        (["--growth", "0.05", "--forecast-params", "p.csv"], "--forecast-params"),
    ],
)
def test_bad_growth_options_are_one_line(tmp_path: Path, args: list[str], named: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["expand", *args, "--years", "2026", "--out", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {named}: ") and not out.exists()
