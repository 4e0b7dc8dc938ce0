"""`sendplan demo` and `sendplan place` end to end, through the real CLI."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.routing.result import Result

SUMMARY_KEYS = {
    "children", "placed", "unplaced", "placed_in_area", "placed_out_of_area",
    "placement_cost_gbp_per_year", "mean_travel_min", "p95_travel_min", "transported", "vehicles",
    "routes", "transport_cost_gbp_per_day", "transport_cost_gbp_per_year", "max_ride_min",
    "rides_over_limit", "solo_routes", "seed", "versions", "travel_model", "movers_rule", "movers",
    "comparison",
}  # fmt: skip
OUTPUTS = (
    "summary.json", "placements.csv", "placements.xlsx", "report.html", "routes.json",
    "routes.geojson", "route_sheets.xlsx",
)  # fmt: skip

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, Result, str]) -> Path:
    return demo_run[0]


def test_demo_plans_morning_and_afternoon(demo_run: tuple[Path, Result, str]) -> None:
    out, solved, _stdout = demo_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sessions"] == ["am", "pm"] and summary["transport_cost_basis"] == "am+pm"
    routes = json.loads((out / "routes.json").read_text())["sessions"]
    assert set(routes) == {"am", "pm"} and all(routes[s]["routes"] for s in ("am", "pm"))
    assert summary["routes"] == len(routes["am"]["routes"]) + len(routes["pm"]["routes"])
    day = sum(r["cost"] for s in ("am", "pm") for r in routes[s]["routes"])
    # Each route's cost is written to the penny: allow half a penny per route.
    tolerance = 0.005 * summary["routes"] + 0.01
    assert summary["transport_cost_gbp_per_day"] == pytest.approx(day, abs=tolerance)
    index = load_workbook(out / "route_sheets.xlsx").worksheets[0]
    rows = list(index.iter_rows(values_only=True))
    at = rows[0].index("session")
    assert {str(row[at]).lower() for row in rows[1:]} == {"am", "pm"}
    # The status quo beside it is measured on the same two runs.
    assert [p.session for p in solved.transport] == ["am", "pm"]
    assert [p.session for p in solved.status_quo_transport] == ["am", "pm"]
    sq_routes = sum(len(p.routes) for p in solved.status_quo_transport)
    assert summary["comparison"]["status_quo"]["routes"] == sq_routes
    assert summary["comparison"]["optimised"]["routes"] == summary["routes"]


def test_placements_re_add_the_objective(demo_run: tuple[Path, Result, str]) -> None:
    out, solved, _stdout = demo_run
    with (out / "placements.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    summary = json.loads((out / "summary.json").read_text())
    assert solved.placement is not None
    total = sum(int(r["objective_gbp"]) for r in rows)
    assert total == solved.placement.objective == summary["objective"] > 0


def test_demo_writes_every_output(demo_dir: Path) -> None:
    for name in OUTPUTS:
        assert (demo_dir / name).stat().st_size > 0, name
    assert (demo_dir / "scenario" / "children.csv").exists()


def test_summary_keys_and_accounting(demo_dir: Path) -> None:
    summary = json.loads((demo_dir / "summary.json").read_text())
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["placed"] + summary["unplaced"] == summary["children"]
    assert summary["placed_in_area"] + summary["placed_out_of_area"] == summary["placed"]
    assert summary["travel_model"] == "straight-line"
    assert summary["seed"] == 7
    assert set(summary["versions"]) >= {"sendplan", "ortools"}
    assert 1_200 <= summary["children"] <= 1_500
    assert summary["optimal"] is True
    assert summary["routes"] > 0 and summary["transported"] > 0
    assert summary["transport_cost_gbp_per_year"] > summary["transport_cost_gbp_per_day"]
    assert summary["transport_checker_ok"] is True and summary["notes"] == []


def test_placements_csv_has_every_child_once(demo_dir: Path) -> None:
    with (demo_dir / "placements.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (demo_dir / "scenario" / "children.csv").open(encoding="utf-8") as handle:
        children = [r["child_id"] for r in csv.DictReader(handle)]
    assert sorted(r["child_id"] for r in rows) == sorted(children)
    summary = json.loads((demo_dir / "summary.json").read_text())
    assert sum(r["status"] == "placed" for r in rows) == summary["placed"]
    for row in rows:
        assert (row["status"] == "placed") == bool(row["school_id"])
        assert (row["status"] == "unplaced") == bool(row["unplaced_reason"])


def test_report_is_offline_and_pseudonymous(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "straight-line" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    # One inline script (table sorting, the map's session switch); nothing loaded from outside.
    assert "<script src" not in html and html.count("<script") == 1


def test_place_reproduces_the_demo_from_its_scenario_folder(demo_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["place", str(demo_dir / "scenario"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "placements.csv").read_bytes() == (demo_dir / "placements.csv").read_bytes()


def test_bad_input_exits_2_with_one_line(demo_dir: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "bad"
    shutil.copytree(demo_dir / "scenario", scenario)
    lines = (scenario / "children.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("primary_need")] = "XYZ"
    lines[3] = ",".join(row)
    (scenario / "children.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["place", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    message = result.output.strip()
    assert "children.csv" in message and "row 4" in message and "primary_need" in message
    assert "Traceback" not in result.output


def test_missing_scenario_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["place", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_console_script_is_quiet_when_piped_and_repeats_the_demo_byte_for_byte(
    demo_dir: Path, tmp_path: Path
) -> None:
    """The installed command, piped as in a script, with the session demo's seed: nothing on
    stderr, and every output byte for byte the same as that run's (same seed, same bytes)."""
    seed = json.loads((demo_dir / "summary.json").read_text())["seed"]
    exe = Path(sys.executable).parent / "sendplan"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "sendplan.api.cli"]
    done = subprocess.run(
        [*command, "demo", "--out", str(tmp_path), "--seed", str(seed)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "placed" in done.stdout
    for name in (*OUTPUTS, "scenario/children.csv"):
        assert (tmp_path / name).read_bytes() == (demo_dir / name).read_bytes(), name
