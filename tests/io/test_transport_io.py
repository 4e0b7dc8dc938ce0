"""Transport outputs, the `routes` and `bench transport` commands: content, privacy, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from openpyxl import load_workbook
from transport_cases import TRAVEL, child, random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli_bench_transport import bench_transport_cmd
from sendplan.api.cli_routes import routes
from sendplan.api.outputs import write_result
from sendplan.api.writer import write_scenario
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

KIDS = random_children(14, 8, schools=("S1", "S2"))
KIDS.append(child("NOSCHOOL", 1, 1, school_id=None))  # type: ignore[arg-type]
SC = scenario(KIDS, schools=[school("S1"), school("S2", 2, -1)])


def run(out: Path, sessions: tuple[str, ...] = ("am", "pm")) -> dict[str, object]:
    result = solve(
        SC, sessions=sessions, placement="current", travel=TRAVEL, stop=MaxIterations(100),  # type: ignore[arg-type]
        seed=1, workers=1,
    )  # fmt: skip
    write_result(result, out)
    return result.summary.to_dict()


def test_outputs_cover_every_child_and_hold_no_personal_fields(tmp_path: Path) -> None:
    kpis = run(tmp_path)
    doc = json.loads((tmp_path / "routes.json").read_text())
    assert doc["units"]["distance"] == "metres" and doc["travel_model"] == "straight-line"
    eligible = {c.child_id for c in KIDS}
    for session in ("am", "pm"):
        part = doc["sessions"][session]
        routed = [s["child_id"] for r in part["routes"] for s in r["steps"] if "child_id" in s]
        unrouted = [u["child_id"] for u in part["unrouted"]]
        assert sorted(routed + unrouted) == sorted(eligible)
        assert {u["reason"] for u in part["unrouted"]} == {"not_placed"}
    assert kpis["transport_checker_ok"] is True and kpis["transported"] == len(eligible) - 1
    assert kpis["transport_cost_basis"] == "am+pm"
    for key in ("vehicles", "routes", "transport_cost_gbp_per_day", "transport_cost_gbp_per_year",
                "max_ride_min", "rides_over_limit", "solo_routes", "unrouted"):  # fmt: skip
        assert key in kpis

    geo = json.loads((tmp_path / "routes.geojson").read_text())
    assert geo["type"] == "FeatureCollection"
    lines = [f for f in geo["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(doc["sessions"]["am"]["routes"]) + len(doc["sessions"]["pm"]["routes"])
    for f in geo["features"]:
        coords = f["geometry"]["coordinates"]
        for lon, lat in [coords] if f["geometry"]["type"] == "Point" else coords:
            assert -9 < lon < 2 and 49 < lat < 61  # [lon, lat] order
        assert not {"name", "address", "postcode"} & set(f["properties"])

    book = load_workbook(tmp_path / "route_sheets.xlsx")
    n_routes = len(lines)
    assert book.sheetnames[0] == "routes" and len(book.sheetnames) == 1 + n_routes
    sheet = book[book.sheetnames[1]]
    header = [c.value for c in sheet[2]]
    assert header == ["stop_order", "child_id", "school_id", "school_name", "pickup_time",
                      "arrival", "ride_min", "vehicle", "assistant", "wheelchair",
                      "needs_assistant", "travel_alone"]  # fmt: skip
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, float) and -2 < value < 0)  # no longitudes
    review = (tmp_path / "transport_review.csv").read_text().splitlines()
    assert review[0].startswith("child_id,school_id,distance_km,within_walking_distance")


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    run(tmp_path / "a", ("am",))
    run(tmp_path / "b", ("am",))
    for name in ("routes.json", "routes.geojson", "route_sheets.xlsx", "transport_review.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def app() -> typer.Typer:
    a = typer.Typer()
    a.command("routes")(routes)
    a.command("bench")(bench_transport_cmd)
    return a


def test_routes_command_plans_and_evaluates(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    current = tmp_path / "current.csv"
    current.write_text(
        "route_id,vehicle_type,school_id,session,stop_order,child_id\n"
        + "".join(
            f"R{i},minibus_8,{c.current_school},am,1,{c.child_id}\n"
            for i, c in enumerate(KIDS)
            if c.current_school and not c.wheelchair and not c.needs_assistant
        )
    )
    result = CliRunner().invoke(
        app(),
        ["routes", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--iterations", "50",
         "--session", "both", "--evaluate", str(current)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["transport_checker_ok"] is True and summary["sessions"] == ["am", "pm"]
    evaluation = json.loads((tmp_path / "o" / "evaluation.json").read_text())
    assert evaluation["am"]["saving"]["saving_gbp_per_session"] > 0  # one minibus per child
    assert any("no existing route" in v for v in evaluation["am"]["violations"])


def test_routes_command_bad_input_exits_2(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    bad = tmp_path / "m.csv"
    bad.write_text("from,to\n")
    result = CliRunner().invoke(
        app(), ["routes", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--matrix", str(bad)]
    )
    assert result.exit_code == 2


def test_bench_transport_prints_one_json_object(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    result = CliRunner().invoke(
        app(), ["bench", "--scenario", str(tmp_path / "s"), "--iterations", "50"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("children", "routes", "vehicles", "cost_gbp_per_day", "rides_over_limit",
                "solo_routes", "checker_ok", "seconds"):  # fmt: skip
        assert key in out
    assert out["checker_ok"] is True
