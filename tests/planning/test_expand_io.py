"""The options CSV (row and field errors), the default 2023 options and the expand commands."""

from __future__ import annotations

import csv
import json
import math
from importlib.resources import files
from pathlib import Path

import pytest
from compare_cases import two_school_scenario
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.cli_expand import parse_years
from sendplan.api.defaults import leicester_scenario
from sendplan.api.options_io import default_options, read_options
from sendplan.errors import InputError
from sendplan.routing.planning.expand import DEFAULT_GROWTH_PER_YEAR
from sendplan.routing.planning.options import annex_school

HEADER = "option_id,school_id,places,capital_gbp,earliest_year,requires,lon,lat"


@pytest.fixture(scope="module")
def leicester():  # type: ignore[no-untyped-def]
    return leicester_scenario(seed=1)


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "options.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_default_options_are_the_2023_report(leicester) -> None:  # type: ignore[no-untyped-def]
    options = default_options(leicester)
    assert len(options) == 7
    assert sum(o.places for o in options) == 296  # the June 2023 report's total
    assert all(o.source for o in options)
    by_id = {o.option_id: o for o in options}
    assert by_id["WG-80"].requires == "WG-32"
    # Capital per place: GBP 51,000 in school, GBP 80,000 on a satellite (data/SOURCES.md).
    assert {o.capital_gbp / o.places for o in options} == {51_000.0, 80_000.0}


def test_default_growth_is_the_sen2_cagr() -> None:
    path = files("sendplan.data") / "cohort_profile.csv"
    with path.open(encoding="utf-8") as handle:
        rows = {
            r["year"]: int(r["count"])
            for r in csv.DictReader(handle)
            if r["table"] == "special_total" and r["area"] == "Leicester"
        }
    cagr = (rows["202425"] / rows["201819"]) ** (1 / 6) - 1
    assert math.isclose(DEFAULT_GROWTH_PER_YEAR, cagr, abs_tol=5e-5)


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("X,131099,ten,1000,2026,,,", "row 2, field places"),
        ("X,131099,10,-5,2026,,,", "row 2, field capital_gbp"),
        ("X,NOPE,10,1000,2026,,,", "row 2, field school_id"),
        ("X,131099,10,1000,2026,Y,,", "row 2, field requires"),
        ("X,,10,1000,2026,,-1.1,52.6", "row 2, field designations"),  # a new site
        ("X,131099,10,1000,2026,X,,", "row 2, field requires"),  # requires itself
        ("131099,131099,10,1000,2026,,,", "row 2, field option_id"),
    ],
)
def test_bad_rows_name_row_and_field(tmp_path: Path, leicester, row: str, where: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        read_options(_write(tmp_path, row), leicester)
    assert f"options.csv {where}" in str(caught.value)


SITE = "option_id,places,capital_gbp,earliest_year,lon,lat,designations,age_low,age_high"


def test_a_new_site_needs_its_fee(tmp_path: Path, leicester) -> None:  # type: ignore[no-untyped-def]
    site = "N,60,4800000,2027,-1.1,52.6,ASD,4,19"
    with pytest.raises(InputError, match="row 2, field revenue_gbp_per_place"):
        read_options(_write(tmp_path, site, header=SITE), leicester)
    (option,) = read_options(
        _write(tmp_path, site + ",25000", header=SITE + ",revenue_gbp_per_place"), leicester
    )
    assert annex_school(option, leicester).annual_cost_gbp == 25_000.0


def test_a_requires_cycle_names_its_row(tmp_path: Path, leicester) -> None:  # type: ignore[no-untyped-def]
    rows = ("A,131099,10,1000,2026,,,", "B,131099,10,1000,2026,C,,", "C,131099,10,1000,2026,B,,")
    with pytest.raises(InputError, match="row 3, field requires: option B: its requires form"):
        read_options(_write(tmp_path, *rows), leicester)


def test_duplicate_and_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="row 3, field option_id"):
        read_options(_write(tmp_path, "X,131099,10,1,2026,,,", "X,131099,10,1,2026,,,"))
    with pytest.raises(InputError, match="unknown column"):
        read_options(_write(tmp_path, "X,1", header="option_id,colour"))


def test_parse_years() -> None:
    assert parse_years("2026-2028") == [2026, 2027, 2028]
    assert parse_years("2030") == [2030]
    for bad in ("2028-2026", "26-31", "next year"):
        with pytest.raises(InputError, match="--years"):
            parse_years(bad)


def test_expand_command_writes_outputs(tmp_path: Path) -> None:
    options = _write(tmp_path, "WG,131099,40,2040000,2026,,,")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(
        app, ["expand", "leicester", "--options", str(options), "--years", "2026-2027",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((out / "expansion.json").read_text())
    rows = list(csv.DictReader((out / "expansion.csv").open()))
    assert [r["year"] for r in rows] == ["2026", "2027"]
    assert sum(int(r["cost_gbp"]) for r in rows) == document["cost_gbp"]
    assert sum(int(r["do_nothing_cost_gbp"]) for r in rows) == document["do_nothing_gbp"]
    assert set(document["marginal_gbp"]) == {"WG"}
    assert (out / "manifest.json").exists()
    again = runner.invoke(
        app, ["expand", "leicester", "--options", str(options), "--years", "2026",
              "--out", str(out)],
    )  # fmt: skip
    assert again.exit_code == 0, again.output  # our own folder may be replaced


def test_expand_command_bad_input_is_one_line(tmp_path: Path) -> None:
    options = _write(tmp_path, "WG,NOPE,40,2040000,2026,,,")
    result = CliRunner().invoke(
        app, ["expand", "leicester", "--options", str(options), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "options.csv row 2, field school_id" in result.output
    assert "Traceback" not in result.output


def test_bench_expand_recomputes_its_objective(leicester) -> None:  # type: ignore[no-untyped-def]
    from sendplan.bench.expand import bench_expand

    result = bench_expand(leicester, default_options(leicester), n_options=2, n_years=2)
    assert result["gap"] == 0.0 and result["feasible_sets"] == 3  # {}, {WG-32}, {WG-32, WG-80}
    assert result["objective_recomputed"] == result["objective"]
    assert result["objective"] <= result["do_nothing"]
    with pytest.raises(ValueError, match="--options"):
        bench_expand(leicester, default_options(leicester), n_options=99, n_years=1)


def test_expand_command_records_its_rule_seed_and_cash_figures(tmp_path: Path) -> None:
    options = _write(tmp_path, "WG,131099,40,2040000,2026,,,")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(
        app, ["expand", "leicester", "--options", str(options), "--years", "2026",
              "--seed", "3", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((out / "expansion.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert document["movers"] == manifest["movers"] == "phase_transfer"  # place's default
    assert document["seed"] == manifest["seed"] == 3
    assert document["capital_one_off_gbp"] == document["capital_gbp"]
    rows = list(csv.DictReader((out / "expansion.csv").open()))
    for row, year, base in zip(rows, document["years"], document["do_nothing"], strict=True):
        assert row["capital_annualised_gbp"] == row["capital_gbp"] == str(year["capital_gbp"])
        assert int(row["fees_gbp"]) == year["fees_gbp"] > 0
        assert int(row["do_nothing_fees_gbp"]) == base["fees_gbp"]
        assert int(row["do_nothing_placement_gbp"]) == base["placement_gbp"]
        # Under phase_transfer only some children are placed; the rest stay where they are.
        assert 0 < int(row["movers"]) < int(row["children"])
    assert document["fees_gbp"] == sum(y["fees_gbp"] for y in document["years"])
    bad = runner.invoke(app, ["expand", "--movers", "some", "--out", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "--movers" in bad.output and "Traceback" not in bad.output


def test_another_councils_scenario_without_options_names_the_option(tmp_path: Path) -> None:
    scenario = two_school_scenario(tmp_path / "other")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["expand", str(scenario), "--years", "2026", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: --options: the shipped Leicester options")
    assert "unknown school" in result.output and not out.exists()


def test_years_before_the_scenarios_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    past = runner.invoke(app, ["expand", "--years", "2024-2026", "--out", str(tmp_path / "a")])
    assert past.exit_code == 2 and past.output.startswith("error: --years: plans start in")
    assert "2025" in past.output and not (tmp_path / "a").exists()
    first = runner.invoke(app, ["expand", "--years", "2025", "--out", str(tmp_path / "b")])
    assert first.exit_code == 0, first.output
