"""`sendplan forecast` and `sendplan bench forecast` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from sendplan.api.cli import app

ROOT = Path(__file__).resolve().parents[2]
SEN2 = ROOT.parent / "shared" / "data" / "sen_statistics"
RUNNER = CliRunner()


def test_forecast_writes_the_table_json_and_a_chart(tmp_path: Path) -> None:
    out = tmp_path / "fc"
    result = RUNNER.invoke(
        app, ["forecast", str(ROOT / "data"), "--years", "2026-2028", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "forecast.csv",
        "forecast.json",
        "forecast.html",
        "manifest.json",
    }
    document = json.loads((out / "forecast.json").read_text())
    totals = document["totals"]
    assert [t["year"] for t in totals] == [2026, 2027, 2028]
    assert all(t["special_low"] < t["special"] < t["special_high"] for t in totals)
    assert totals[0]["places"] > 1000  # the default scenario's special places open in 2026
    rows = (out / "forecast.csv").read_text().splitlines()
    assert rows[0] == (
        "year,phase,need,demand,demand_low,demand_high,places,surplus,surplus_low,surplus_high"
    )
    page = (out / "forecast.html").read_text()
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    ElementTree.fromstring(svg)  # well-formed, inline
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained
    # A second run may replace the folder it wrote.
    again = RUNNER.invoke(
        app, ["forecast", str(ROOT / "data"), "--years", "2026", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output


def test_forecast_params_file_changes_the_forecast(tmp_path: Path) -> None:
    override = tmp_path / "p.csv"
    override.write_text("parameter,key,value\nspecial_growth,,0\n")
    out = tmp_path / "fc"
    result = RUNNER.invoke(
        app,
        [
            "forecast",
            str(ROOT / "data"),
            "--years",
            "2026",
            "--params",
            str(override),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    totals = json.loads((out / "forecast.json").read_text())["totals"]
    assert totals[0]["special"] == pytest.approx(1345, abs=0.1)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--years", "next"], "--years: 'next' is not a year"),
        # The library's check, named as the option the user typed.
        (["--years", "2024-2026"], "--years: forecasts start after the data's last January, 2025"),
        (["--years", "2026", "--sen2-dir", "/nonexistent/sen2"], "--sen2-dir"),
    ],
)
def test_forecast_bad_input_is_one_line(tmp_path: Path, argv: list[str], message: str) -> None:
    result = RUNNER.invoke(
        app, ["forecast", str(ROOT / "data"), *argv, "--out", str(tmp_path / "fc")]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "fc").exists()


def test_bench_forecast_refuses_predicting_the_past(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app,
        ["bench", "forecast", "--fit-to", "2022", "--predict", "2020", "--sen2-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "--predict" in result.output


@pytest.mark.skipif(not SEN2.is_dir(), reason="shared/data/sen_statistics absent")
def test_bench_forecast_prints_one_json_for_leicester() -> None:
    result = RUNNER.invoke(
        app,
        [
            "bench",
            "forecast",
            "--la",
            "856",
            "--fit-to",
            "2022",
            "--predict",
            "2025",
            "--sen2-dir",
            str(SEN2),
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["mape_pct"] == figures["median_mape_pct"] == 6.86 and figures["la"] == "856"
    assert figures["linear_median_mape_pct"] == 2.45
    unknown = RUNNER.invoke(
        app,
        [
            "bench",
            "forecast",
            "--la",
            "000",
            "--fit-to",
            "2022",
            "--predict",
            "2025",
            "--sen2-dir",
            str(SEN2),
        ],
    )
    assert unknown.exit_code == 2 and "--la" in unknown.output


def test_forecast_names_the_bad_row_of_a_params_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("parameter,key,value\ncontinuation,5_10,1.1\ncontinuation,6_9,1.0\n")
    result = RUNNER.invoke(
        app,
        [
            "forecast",
            str(ROOT / "data"),
            "--years",
            "2026",
            "--params",
            str(bad),
            "--out",
            str(tmp_path / "fc"),
        ],
    )
    assert result.exit_code == 2
    assert "p.csv row 3, field key" in " ".join(result.output.split())


def test_forecast_of_a_missing_scenario_is_one_line(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app,
        ["forecast", str(tmp_path / "nowhere"), "--years", "2026", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.skipif(not SEN2.is_dir(), reason="shared/data/sen_statistics absent")
def test_forecast_fits_another_la_from_sen2(tmp_path: Path) -> None:
    out = tmp_path / "fc"
    result = RUNNER.invoke(
        app,
        [
            "forecast",
            str(ROOT / "data"),
            "--years",
            "2026-2027",
            "--la",
            "855",
            "--sen2-dir",
            str(SEN2),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads((out / "forecast.json").read_text())
    assert document["la_code"] == "855" and document["origin_year"] == 2025
    # Leicestershire had 2,403 children in special schools in January 2025 (SEN2 2025).
    assert document["parameters"]["origin_special"] == 2403
