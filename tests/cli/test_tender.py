"""`sendplan tender PLAN_DIR --out DIR`: one row (and one sheet) per route with what an
operator prices, counts recomputed here from the scenario, no child id in any output byte,
and one-line errors naming the file for a missing or bad plan folder."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

from openpyxl import load_workbook
from transport_cases import DEPOT, TRAVEL, random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.outputs import write_result
from sendplan.routing.model import VehicleType
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

KIDS = [
    replace(c, child_id=f"PUPIL{i:03d}Q", travel_alone=False)
    for i, c in enumerate(random_children(16, 5, schools=("S1", "S2")))
]
FLEET = (
    VehicleType("minibus", 16, 0, False, 40.0, 1.0, 3, *DEPOT, layouts=((16, 0), (14, 1))),
    VehicleType("minibus_pa", 12, 2, True, 80.0, 1.0, 4, *DEPOT, layouts=((12, 2), (14, 1))),
    VehicleType("taxi", 4, 0, False, 18.0, 1.8, 20, *DEPOT),
)
SC = scenario(KIDS, schools=[school("S1"), school("S2", 2, -1)], vehicles=FLEET)


def plan_folder(tmp_path: Path) -> Path:
    result = solve(
        SC, sessions=("am", "pm"), placement="current", travel=TRAVEL, stop=MaxIterations(80),  # type: ignore[arg-type]
        seed=1, workers=1,
    )  # fmt: skip
    out = tmp_path / "plan"
    write_result(result, out)
    return out


def tender(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(app, ["tender", *args])
    return got.exit_code, got.output


def test_one_row_per_route_with_counts_recomputed(tmp_path: Path) -> None:
    plan = plan_folder(tmp_path)
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 0, output
    doc = json.loads((plan / "routes.json").read_text())
    routes = [r for s in doc["sessions"].values() for r in s["routes"]]
    assert routes
    rows = list(csv.DictReader(io.StringIO((tmp_path / "pack" / "tender.csv").read_text())))
    assert [r["route_id"] for r in rows] == [r["route_id"] for r in routes]
    kids = {c.child_id: c for c in KIDS}
    layouts = {v.name: v.layout_options for v in FLEET}
    for route, row in zip(routes, rows, strict=True):
        riders = [kids[s["child_id"]] for s in route["steps"] if "child_id" in s]
        assert int(row["riders"]) == len(riders)
        assert int(row["wheelchair_users"]) == sum(c.wheelchair for c in riders)
        assert int(row["riders_needing_assistant"]) == sum(c.needs_assistant for c in riders)
        assert row["vehicle_type"] == route["vehicle_type"]
        seats, spaces = map(int, row["layout"].split("+"))
        assert (seats, spaces) in layouts[row["vehicle_type"]]
        assert len(riders) - int(row["wheelchair_users"]) <= seats
        assert int(row["wheelchair_users"]) <= spaces
        assert row["passenger_assistant"] == ("yes" if route["assistant"] else "no")
        assert float(row["estimated_miles"]) == round(route["distance"] / 1609.344, 1)
        assert row["session"] == route["route_id"][:2]
    book = load_workbook(tmp_path / "pack" / "tender.xlsx")
    assert len(book.sheetnames) == 1 + len(routes)
    index = [r for r in book["routes"].iter_rows(values_only=True) if r and r[0]]
    assert [r[0] for r in index[1 : 1 + len(routes)]] == [r["route_id"] for r in routes]


def test_no_child_id_in_any_output_byte(tmp_path: Path) -> None:
    plan = plan_folder(tmp_path)
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 0, output
    ids = [c.child_id.encode() for c in KIDS]
    assert any(i in (plan / "routes.json").read_bytes() for i in ids)  # the input holds them
    for path in (tmp_path / "pack").iterdir():
        blobs = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        for blob in blobs:
            assert not [i for i in ids if i in blob], path.name


def test_missing_or_bad_plan_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    code, output = tender(str(tmp_path / "nowhere"), "--out", str(tmp_path / "pack"))
    assert code == 2 and "nowhere" in output and len(output.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = tender(str(empty), "--out", str(tmp_path / "pack"))
    assert code == 2 and "empty/routes.json" in output, output
    plan = plan_folder(tmp_path)
    (plan / "routes.json").write_text("{not json")
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 2 and "plan/routes.json" in output and "JSON" in output, output
    plan = plan_folder(tmp_path / "again")
    (plan / "route_sheets.xlsx").unlink()
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 2 and "plan/route_sheets.xlsx" in output, output
    assert not (tmp_path / "pack").exists()


def test_same_plan_same_bytes_and_rerun_replaces(tmp_path: Path) -> None:
    plan = plan_folder(tmp_path)
    for out in ("a", "b", "b"):  # the second "b" replaces the folder the first wrote
        code, output = tender(str(plan), "--out", str(tmp_path / out))
        assert code == 0, output
    for name in ("tender.csv", "tender.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
