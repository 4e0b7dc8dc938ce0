"""fleet.csv's optional ``layouts`` column (``16+0;14+1;12+2``): parsed in order, written back
by the scenario writer, and every error naming file, row and field. Files without the column
keep their meaning (seats and wheelchair_spaces are the one layout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenario_files import load_error, make_folder

from sendplan.api.loader import load_scenario
from sendplan.api.writer import write_fleet_csv

HEADER = (
    "name,seats,wheelchair_spaces,has_assistant,fixed_cost_gbp,cost_per_km_gbp,available,"
    "depot_lon,depot_lat,layouts\n"
)
TAXI = "taxi,4,0,,30,1.5,40,-1.12,52.62,\n"


def fleet(row: str) -> str:
    return HEADER + TAXI + row + "\n"


def test_layouts_are_read_in_order_and_written_back(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path, fleet_csv=fleet("minibus,16,0,true,95,1.2,10,-1.12,52.62,16+0;14+1; 12 + 2")
    )
    sc = load_scenario(folder)
    types = {v.name: v for v in sc.fleet}
    assert types["minibus"].layouts == ((16, 0), (14, 1), (12, 2))
    assert types["taxi"].layouts == () and types["taxi"].layout_options == ((4, 0),)
    out = tmp_path / "again"
    out.mkdir()
    write_fleet_csv(sc.fleet, out / "fleet.csv")
    text = (out / "fleet.csv").read_text()
    assert "16+0;14+1;12+2" in text
    (tmp_path / "b").mkdir()
    again = load_scenario(make_folder(tmp_path / "b", fleet_csv=text))
    assert again.fleet == sc.fleet


def test_a_fleet_without_layouts_is_written_as_before(tmp_path: Path) -> None:
    sc = load_scenario(make_folder(tmp_path))
    write_fleet_csv(sc.fleet, tmp_path / "fleet.csv")
    assert "layouts" not in (tmp_path / "fleet.csv").read_text()


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("minibus,16,2,true,95,1.2,10,-1.12,52.62,16+0;14+1", "16+2 are not one of the layouts"),
        ("minibus,16,0,true,95,1.2,10,-1.12,52.62,16+0;sixteen", "'sixteen' is not a layout"),
        ("minibus,16,0,true,95,1.2,10,-1.12,52.62,16+0;16+0", "listed twice"),
        ("minibus,16,0,true,95,1.2,10,-1.12,52.62,16+0;0+0", "at least one place"),
        ("minibus,16,0,true,95,1.2,10,-1.12,52.62,16+0;14+99", "wheelchair spaces 0..20"),
    ],
)
def test_layout_errors_name_file_row_and_field(tmp_path: Path, row: str, words: str) -> None:
    err = load_error(make_folder(tmp_path, fleet_csv=fleet(row)))
    assert (err.file, err.row, err.field) == ("fleet.csv", 3, "layouts")
    assert words in err.message, err.message


def test_every_route_output_states_the_layout(tmp_path: Path) -> None:
    from dataclasses import replace

    from openpyxl import load_workbook
    from transport_cases import DEPOT, TRAVEL, random_children, scenario

    from sendplan.api.outputs import write_result
    from sendplan.routing.model import VehicleType
    from sendplan.routing.solve import solve
    from sendplan.routing.vrp.stop import MaxIterations

    bus = VehicleType("bus", 12, 0, True, 30.0, 1.0, 10, *DEPOT, layouts=((12, 0), (10, 1), (8, 2)))
    kids = [replace(c, travel_alone=False) for c in random_children(14, 3, radius_km=3.0)]
    sc = scenario(kids, vehicles=(bus,))
    result = solve(sc, sessions=("am",), placement="current", travel=TRAVEL,  # type: ignore[arg-type]
                   stop=MaxIterations(60), seed=1, workers=1)  # fmt: skip
    write_result(result, tmp_path / "o")
    doc = json.loads((tmp_path / "o" / "routes.json").read_text())
    stated = {r["route_id"]: r["layout"] for r in doc["sessions"]["am"]["routes"]}
    assert stated and set(stated.values()) <= {"12+0", "10+1", "8+2"}
    geo = json.loads((tmp_path / "o" / "routes.geojson").read_text())
    lines = [f["properties"] for f in geo["features"] if f["properties"]["kind"] == "route"]
    assert {p["route_id"]: p["layout"] for p in lines} == stated
    index = load_workbook(tmp_path / "o" / "route_sheets.xlsx")["routes"]
    rows = list(index.iter_rows(values_only=True))
    at = rows[0].index("layout")
    assert {r[0]: r[at] for r in rows[1:] if r[0]} == stated
    html = (tmp_path / "o" / "report.html").read_text()
    assert all(f"bus ({label})" in html for label in stated.values())
