"""`sendplan tender PLAN_DIR --out DIR`: one row (and one sheet) per route with what an
operator prices, counts recomputed here from the scenario, no child id in any output byte,
and one-line errors naming the file for a missing or bad plan folder."""

from __future__ import annotations

import csv
import io
import itertools
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
        assert row["session"] == route["route_id"][:2].lower()
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


def test_a_route_stating_no_layout_takes_its_types_first_that_fits(tmp_path: Path) -> None:
    from sendplan.api.writer import write_scenario

    plan = plan_folder(tmp_path)
    doc = json.loads((plan / "routes.json").read_text())
    for body in doc["sessions"].values():
        for route in body["routes"]:
            del route["layout"]
    (plan / "routes.json").write_text(json.dumps(doc))
    first = doc["sessions"]["am"]["routes"][0]["route_id"]
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 2 and "states no layout" in output and first in output, output
    assert len(output.strip().splitlines()) == 1 and not (tmp_path / "pack").exists()
    write_scenario(SC, tmp_path / "scenario")
    code, output = tender(
        str(plan), "--out", str(tmp_path / "pack"), "--scenario", str(tmp_path / "scenario")
    )
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "pack" / "tender.csv").read_text())))
    kids = {c.child_id: c for c in KIDS}
    layouts = {v.name: v.layout_options for v in FLEET}
    routes = [r for s in doc["sessions"].values() for r in s["routes"]]
    for route, row in zip(routes, rows, strict=True):
        riders = [kids[s["child_id"]] for s in route["steps"] if "child_id" in s]
        need = (sum(not c.wheelchair for c in riders), sum(c.wheelchair for c in riders))
        options = layouts[route["vehicle_type"]]
        if len(route["school_ids"]) == 1:  # everyone aboard at once at the school
            fitting = [lay for lay in options if lay[0] >= need[0] and lay[1] >= need[1]]
            assert row["layout"] == "{}+{}".format(*fitting[0]), (row["layout"], need)
        else:
            assert tuple(map(int, row["layout"].split("+"))) in options
    # a vehicle type the scenario's fleet does not have: exit 2 naming the route
    doc["sessions"]["am"]["routes"][0]["vehicle_type"] = "hovercraft"
    (plan / "routes.json").write_text(json.dumps(doc))
    code, output = tender(
        str(plan), "--out", str(tmp_path / "pack2"), "--scenario", str(tmp_path / "scenario")
    )
    assert code == 2 and first in output and "hovercraft" in output, output


def hhmm_of(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def test_the_pack_is_laid_out_for_operators(tmp_path: Path) -> None:
    import datetime
    import hashlib

    plan = plan_folder(tmp_path)
    code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
    assert code == 0, output
    doc = json.loads((plan / "routes.json").read_text())
    routes = [r for s in doc["sessions"].values() for r in s["routes"]]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "pack" / "tender.csv").read_text())))
    assert {r["session"] for r in rows} == {"am", "pm"}
    for route, row in zip(routes, rows, strict=True):
        steps = route["steps"]
        stops = [s for s in steps if s["type"] in ("pickup", "dropoff")]
        calls = [s["time"] for s in steps if s["type"] == "school"]
        am = row["session"] == "am"
        own, other = ("pickup", "dropoff") if am else ("dropoff", "pickup")
        assert row[f"first_{own}"] == hhmm_of(stops[0]["time"])
        assert row[f"last_{own}"] == hhmm_of(stops[-1]["time"])
        assert row[f"first_{other}"] == row[f"last_{other}"] == ""
        assert row["school_times"] == "+".join(hhmm_of(t) for t in calls)
        places = [tuple(s["location"]) for s in stops]
        assert int(row["stops"]) == len(places) - sum(a == b for a, b in itertools.pairwise(places))
        aboard = (calls[-1] - stops[0]["time"]) if am else (stops[-1]["time"] - calls[0])
        assert float(row["minutes_with_children"]) == round(aboard, 1)
        total = float(row["estimated_minutes"])
        assert (
            abs(float(row["minutes_with_children"]) + float(row["minutes_empty"]) - total) <= 0.11
        )
    book = load_workbook(tmp_path / "pack" / "tender.xlsx")
    index = book["routes"]
    header = [c.value for c in index[1]]
    assert header == list(rows[0].keys())
    first = list(index[2])
    leaves = first[header.index("leaves_depot")]
    assert isinstance(leaves.value, datetime.time) and leaves.number_format == "hh:mm"
    assert leaves.value.strftime("%H:%M") == rows[0]["leaves_depot"]
    assert index.auto_filter.ref == f"A1:{index.cell(1, len(header)).column_letter}{len(rows) + 1}"
    assert index.print_title_rows == "$1:$1"
    assert index.page_setup.orientation == "landscape"
    widths = {c: index.column_dimensions[c].width for c in ("A", "E")}
    assert all(w and w >= 8 for w in widths.values()), widths
    sheet = book[book.sheetnames[1]]
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    digest = hashlib.sha256((plan / "routes.json").read_bytes()).hexdigest()
    assert manifest["source"] == {"file": "routes.json", "sha256": digest}


def test_a_routes_json_with_impossible_figures_is_refused_naming_the_field(
    tmp_path: Path,
) -> None:
    """A hand-edited routes.json: a time past midnight or before it, NaN, a number past the
    float range, an id with control characters or repeated, a negative cost. Each exit 2 naming
    the route and field, and no pack (a review found tender writing 16666666:00, crashing on
    NaN and on the control characters)."""
    plan = plan_folder(tmp_path)
    text = (plan / "routes.json").read_text()

    def edited(change: str, raw: str | None = None) -> str:
        doc = json.loads(text)
        routes = doc["sessions"]["am"]["routes"]
        first = routes[0]
        if change == "time":
            first["steps"][0]["time"] = 1e300
        elif change == "early":
            first["steps"][0]["time"] = -50
        elif change == "id":
            first["route_id"] = "x\x07\x1b[31m"
        elif change == "twice":
            routes[1]["route_id"] = first["route_id"]
        elif change == "cost":
            first["cost"] = -1.0
        body = json.dumps(doc)
        return body if raw is None else body.replace(json.dumps(first["route_id"]), raw, 1)

    cases = {
        "time": "step 1: time is not minutes after midnight",
        "early": "step 1: time is not minutes after midnight",
        "id": "is not a route id",
        "twice": "repeats",
        "cost": "cost is negative",
    }
    for change, words in cases.items():
        (plan / "routes.json").write_text(edited(change))
        code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
        assert code == 2 and "plan/routes.json" in output and words in output, (change, output)
        assert "session am route" in output, output
    for raw in ("NaN", "1e400", "9" * 400):
        body = text.replace('"time": ', f'"time": {raw}, "was": ', 1)
        (plan / "routes.json").write_text(body)
        code, output = tender(str(plan), "--out", str(tmp_path / "pack"))
        assert code == 2 and "plan/routes.json" in output and "JSON" in output, (raw, output)
    assert not (tmp_path / "pack").exists()
