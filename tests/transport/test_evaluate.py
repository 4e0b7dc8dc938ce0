"""Evaluate mode: existing routes are rebuilt, costed and checked; planted violations are found."""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path

import openpyxl
import pytest
from transport_cases import TRAVEL, child, plan, scenario, school

from sendplan.api.existing_columns import read_column_map
from sendplan.api.existing_routes import read_existing_routes
from sendplan.api.existing_rows import FIELDS, parse_time
from sendplan.api.transport_io import hhmm, routes_document
from sendplan.errors import InputError
from sendplan.routing.transport.evaluate import evaluate_routes, saving
from sendplan.routing.transport.plan import TransportPlan
from sendplan.routing.transport.planner import school_of_children

KIDS = [child(f"C{i}", 1 + 0.4 * i, 1 + 0.3 * (i % 2)) for i in range(6)]
KIDS += [child("WC", 2, 2, wheelchair=True), child("ALONE", 0.5, 2, travel_alone=True)]
KIDS += [child("FAR1", 12, 0), child("FAR2", -12, 0)]
SC = scenario(KIDS, ride_limit_min_secondary=30.0)
EXISTING_COLUMNS = FIELDS[:7]  # without school_time


def write_csv(
    path: Path, rows: list[tuple[object, ...]], header: tuple[str, ...] = EXISTING_COLUMNS
) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows_of(p: TransportPlan, *, times: bool) -> list[tuple[object, ...]]:
    return [
        (r.route_id, r.vehicle_type, r.school_id, r.session, n, s.child_id,
         hhmm(s.time_min) if times and n == 1 else "")
        for r in p.routes
        for n, s in enumerate(r.stops, start=1)
    ]  # fmt: skip


def evaluate(path: Path, session: str = "am"):  # type: ignore[no-untyped-def]
    stops = read_existing_routes(path, SC)
    return evaluate_routes(SC, school_of_children(SC, None), TRAVEL, stops, session=session)  # type: ignore[arg-type]


@pytest.mark.parametrize("session", ["am", "pm"])
def test_a_planned_plan_evaluates_clean_at_the_same_cost(tmp_path: Path, session: str) -> None:
    p = plan(SC, session)  # type: ignore[arg-type]
    ev = evaluate(write_csv(tmp_path / "r.csv", rows_of(p, times=False)), session)
    assert ev.violations == ()
    assert math.isclose(ev.cost_gbp, p.cost_gbp, abs_tol=0.05)
    s = saving(ev, p, days_per_year=190)
    assert abs(s["saving_gbp_per_session"]) < 0.05


def test_planted_violations_are_all_reported(tmp_path: Path) -> None:
    rows = [
        ("R1", "taxi", "S1", "am", 1, "C0", ""),  # 5 seated children in a 4-seat taxi
        ("R1", "taxi", "S1", "am", 2, "C1", ""),
        ("R1", "taxi", "S1", "am", 3, "C2", ""),
        ("R1", "taxi", "S1", "am", 4, "C3", ""),
        ("R1", "taxi", "S1", "am", 5, "ALONE", ""),  # ... including one who must ride alone
        ("R2", "taxi", "S1", "am", 1, "WC", ""),  # a wheelchair user in a taxi
        ("R3", "wav", "S1", "am", 1, "C4", "06:00"),  # picked up at 6: at school far too early
        ("R4", "minibus_8", "S1", "am", 1, "FAR1", ""),  # across town and back: FAR1 rides
        ("R4", "minibus_8", "S1", "am", 2, "FAR2", ""),  # over the 30 min limit
    ]  # C5 is on no route
    ev = evaluate(write_csv(tmp_path / "r.csv", rows))
    text = "\n".join(ev.violations)
    assert "seated children" in text
    assert "must travel alone" in text
    assert "wheelchair" in text
    assert "route R3: arrives at S1 at 06:" in text
    assert "child FAR1: ride" in text and ev.check.rides_over_limit == ("FAR1",)
    assert "child C5: transport-eligible but on no existing route" in text
    p = plan(SC, "am")
    assert saving(ev, p, days_per_year=190)["existing_violations"] == len(ev.violations)


@pytest.mark.parametrize(("pickup", "ride"), [("", None), ("07:00", 108.0)])
def test_a_solo_ride_over_the_limit_is_excused_only_as_long_as_the_direct_journey(
    tmp_path: Path, pickup: str, ride: float | None
) -> None:
    """FAR1's direct journey (26.5 min) is over a 20-minute limit: alone, flagged, it may ride
    that long; picked up at 07:00 for an 08:50 arrival it rides 108 minutes, a breach."""
    sc = scenario(KIDS, ride_limit_min_secondary=20.0)
    path = write_csv(tmp_path / "r.csv", [("R1", "taxi", "S1", "am", 1, "FAR1", pickup, "08:50")],
                     FIELDS[:8])  # fmt: skip
    stops = read_existing_routes(path, sc)
    ev = evaluate_routes(sc, {"FAR1": "S1"}, TRAVEL, stops, session="am")
    assert ev.plan.routes[0].flags == ("direct_ride_over_limit",)
    expected = (
        () if ride is None else (f"route R1: child FAR1: ride {ride:.1f} min exceeds limit 20 min",)
    )
    assert ev.violations == expected


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (("R1", "bus", "S1", "am", 1, "C0", ""), "vehicle_type", "unknown vehicle type"),
        (("R1", "taxi", "S9", "am", 1, "C0", ""), "school_id", "unknown school"),
        (("R1", "taxi", "S1", "noon", 1, "C0", ""), "session", "not am or pm"),
        (("R1", "taxi", "S1", "am", "x", "C0", ""), "stop_order", "whole number"),
        (("R1", "taxi", "S1", "am", 1, "C99", ""), "child_id", "unknown child"),
        (("R1", "taxi", "S1", "am", 1, "C0", "25:00"), "pickup_time", "HH:MM"),
    ],
)
def test_bad_rows_name_the_row_and_field(
    tmp_path: Path, row: tuple[object, ...], field: str, words: str
) -> None:
    good = ("R0", "taxi", "S1", "am", 1, "C1", "")
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", [good, row]), SC)
    assert (info.value.file, info.value.row, info.value.field) == ("r.csv", 3, field)
    assert words in info.value.message


def test_unknown_column_and_duplicate_child_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", [], (*EXISTING_COLUMNS, "name")), SC)
    assert info.value.field == "name" and info.value.row == 1
    rows = [("R1", "taxi", "S1", "am", 1, "C0", ""), ("R2", "taxi", "S1", "am", 1, "C0", "")]
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", rows), SC)
    assert info.value.row == 3 and "two am routes" in info.value.message


@pytest.mark.parametrize("session", ["am", "pm"])
def test_an_existing_mixed_school_route_is_read_as_one(tmp_path: Path, session: str) -> None:
    """A route naming two schools calls at both (AM after every pick-up, in bell order; PM
    before every drop-off), so nobody 'does not attend' and both schools' times are checked."""
    schools = [school("S1", 0, 0), school("S2", 1, 0, bell_am_min=9 * 60 + 5)]
    kids = [child("A", 3, 3), child("B", 3.2, 3, school_id="S2")]
    sc = scenario(kids, schools)
    rows = [("M1", "taxi", "S1", session, 1, "A", ""), ("M1", "taxi", "S2", session, 2, "B", "")]
    stops = read_existing_routes(write_csv(tmp_path / "r.csv", rows), sc)
    ev = evaluate_routes(sc, school_of_children(sc, None), TRAVEL, stops, session=session)  # type: ignore[arg-type]
    assert ev.violations == ()
    (route,) = ev.plan.routes
    assert [c.school_id for c in route.school_calls] == ["S1", "S2"]
    assert route.mixed and ev.check.rides_min["A"] > 0 and ev.check.rides_min["B"] > 0


@pytest.mark.parametrize(
    ("cell", "minutes", "precision"),
    [
        ("08:05", 485, 1.0),
        ("8:05", 485, 1.0),
        ("8.05", 485, 1.0),
        ("8:05 am", 485, 1.0),
        ("3:25 PM", 925, 1.0),
        ("12:10 a.m.", 10, 1.0),
        ("15:25:30", 925.5, 1 / 60),
        ("15:25:00", 925, 1.0),
        (datetime.time(8, 5), 485, 1.0),
        (datetime.time(8, 5, 30), 485.5, 1 / 60),
        (datetime.datetime(2025, 9, 1, 15, 25), 925, 1.0),
        (0.5, 720, 1.0),  # a fraction of a day, as a workbook stores a time
    ],
)
def test_times_parse_with_their_precision(cell: object, minutes: float, precision: float) -> None:
    got = parse_time(cell)
    assert got is not None
    assert math.isclose(got[0], minutes) and math.isclose(got[1], precision)


@pytest.mark.parametrize("cell", ["24:00", "13:05 pm", "8:60", "noon", "0805", 2.5])
def test_bad_times_are_refused(cell: object) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_time(cell)
    assert parse_time(None) is None and parse_time("  ") is None


def test_a_council_workbook_is_read_through_a_mapping(tmp_path: Path) -> None:
    """A cover sheet, a title row above the headings, the council's headings, Excel cells."""
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "About"
    cover.append(["Home to school routes, autumn term"])
    sheet = book.create_sheet("Runs")
    sheet.append(["Routes at 1 September"])
    sheet.append(["Contract", "Vehicle", "School", "Run", "Seq", "Pupil Ref", "Pick Up", "Driver"])
    sheet.append(["R1", "taxi", "S1", "AM", 1, "C0", datetime.time(8, 5), "D1"])
    sheet.append(["R1", "taxi", "S1", "AM", 2.0, "C1", "08:15", "D1"])
    book.save(tmp_path / "council.xlsx")
    mapping = tmp_path / "columns.csv"
    mapping.write_text(
        "field,column\nroute_id,Contract\nschool_id,School\nsession,Run\nstop_order,Seq\n"
        "child_id,Pupil Ref\npickup_time,Pick Up\nvehicle_type,Vehicle\n"
    )
    stops = read_existing_routes(tmp_path / "council.xlsx", SC, columns=mapping)
    assert [(s.route_id, s.stop_order, s.child_id, s.time_min) for s in stops] == [
        ("R1", 1, "C0", 485.0),
        ("R1", 2, "C1", 495.0),
    ]
    assert {s.precision_min for s in stops} == {1.0}
    sheet["G4"] = "soon"
    book.save(tmp_path / "council.xlsx")
    with pytest.raises(InputError) as info:
        read_existing_routes(tmp_path / "council.xlsx", SC, columns=mapping)
    assert (info.value.sheet, info.value.row, info.value.field) == ("Runs", 4, "Pick Up")


@pytest.mark.parametrize(
    ("text", "row", "field", "words"),
    [
        ("field,column\npupil,Pupil Ref\n", 2, "pupil", "unknown field"),
        ("field,column\nchild_id,Pupil Ref\nchild_id,Ref\n", 3, "child_id", "mapped twice"),
        ("field,column\nchild_id,Ref\nroute_id,Ref\n", 3, "route_id", "'Ref' is mapped twice"),
        ("field,column\nchild_id,\n", 2, "child_id", "must be text"),
        ("ours,theirs\n", 1, "field", "field,column"),
    ],
)
def test_bad_column_mappings_name_the_row_and_field(
    tmp_path: Path, text: str, row: int, field: str, words: str
) -> None:
    (tmp_path / "columns.csv").write_text(text)
    with pytest.raises(InputError) as info:
        read_column_map(tmp_path / "columns.csv")
    assert (info.value.file, info.value.row, info.value.field) == ("columns.csv", row, field)
    assert words in info.value.message


def test_our_routes_json_reads_back_and_bad_entries_name_their_field(tmp_path: Path) -> None:
    plans = [plan(SC, "am"), plan(SC, "pm")]
    doc = routes_document(SC, plans)
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(doc))
    stops = read_existing_routes(path, SC)
    assert {s.precision_min for s in stops} == {0.01}
    for p in plans:
        ev = evaluate_routes(SC, school_of_children(SC, None), TRAVEL, stops, session=p.session)
        assert ev.violations == () and round(ev.cost_gbp, 2) == round(p.cost_gbp, 2)
    step = doc["sessions"]["am"]["routes"][0]["steps"][1]
    for key, value, words in [("time", "08:00", "not a number"), ("time", -5, "after midnight"),
                              ("child_id", None, "not text")]:  # fmt: skip
        broken = json.loads(json.dumps(doc))
        broken["sessions"]["am"]["routes"][0]["steps"][1][key] = value
        path.write_text(json.dumps(broken))
        with pytest.raises(InputError) as info:
            read_existing_routes(path, SC)
        assert info.value.field == f"sessions.am.routes[0].steps[1].{key}"
        assert words in info.value.message, info.value.message
    assert step["type"] == "pickup"
    path.write_text("{")
    with pytest.raises(InputError, match="not a JSON file"):
        read_existing_routes(path, SC)
