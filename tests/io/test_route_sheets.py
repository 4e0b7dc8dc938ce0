"""Route sheets a driver can use (issue 15): school names beside ids, headings by session, Excel
time cells, the crew's needs columns (never names or addresses), a frozen header repeated on
every printed page, landscape and one page wide; and ``--evaluate`` still reads them clean."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.transport_io import INDEX_COLUMNS, INDEX_NOTE
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result

AM = ["stop_order", "child_id", "school_id", "school_name", "pickup_time", "arrival"]
PM = ["stop_order", "child_id", "school_id", "school_name", "departure", "dropoff_time"]
NEEDS = ["wheelchair", "needs_assistant", "travel_alone"]
PERSONAL = {"name", "child_name", "first_name", "surname", "address", "postcode", "home"}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Result, Path]:
    sc = sendplan.leicester_scenario(seed=1, n_children=120)
    # Every child at their current school, as `sendplan routes --evaluate` reads them back.
    res = sendplan.solve(
        sc, sessions=("am", "pm"), stop=sendplan.MaxIterations(30), seed=1, placement="auto"
    )
    out = tmp_path_factory.mktemp("plan")
    res.write(out)
    return sc, res, out


@pytest.fixture(scope="module")
def book(planned: tuple[Scenario, Result, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(planned[2] / "route_sheets.xlsx")


def test_index_names_schools_and_keeps_its_columns(
    planned: tuple[Scenario, Result, Path], book: openpyxl.Workbook
) -> None:
    sc, res, _ = planned
    index = book["routes"]
    header = [c.value for c in index[1]]
    assert header[:4] == ["route_id", "session", "school_id", "school_name"]
    assert header == [*INDEX_COLUMNS, None, INDEX_NOTE] and "vehicle" in header
    rows = list(index.iter_rows(min_row=2, values_only=True))
    routes = [r for plan in res.transport for r in plan.routes]
    assert [row[0] for row in rows] == [r.route_id for r in routes]
    for row, route in zip(rows, routes, strict=True):
        schools = dict.fromkeys(c.school_id for c in route.school_calls)
        assert row[3] == " + ".join(sc.school(s).name for s in schools)
        assert isinstance(row[header.index("leaves_depot")], datetime.time)


def test_the_index_note_sits_beside_the_table_and_out_of_its_print_width(
    book: openpyxl.Workbook,
) -> None:
    index = book["routes"]
    header = [c.value for c in index[1]]
    table = len(INDEX_COLUMNS)
    # Short headings only: the note is a cell past a blank column, not a column's heading.
    assert all(len(str(h)) <= 14 for h in header[:table])
    assert header[table] is None and index.cell(row=2, column=table + 2).value is None
    note = str(header[table + 1])
    assert "child_id" in note and "address" in note and "pseudonymous" in note
    # Fit to width prints the table's columns alone (the note prints in the page header).
    last = get_column_letter(table)
    assert index.print_area == f"'routes'!$A$1:${last}${index.max_row}"
    assert index.oddHeader.left.text == note
    assert index.column_dimensions[get_column_letter(table + 2)].width in (None, 13.0)
    for column in range(1, table + 1):
        assert (index.column_dimensions[get_column_letter(column)].width or 0) <= 60


def test_route_sheets_by_session_with_time_cells_names_and_needs(
    planned: tuple[Scenario, Result, Path], book: openpyxl.Workbook
) -> None:
    sc, res, _ = planned
    children = {c.child_id: c for c in sc.children}
    sessions = set()
    for sheet in book.worksheets[1:]:
        session = str(sheet["C1"].value)
        sessions.add(session)
        assert str(sheet["A1"].value).startswith("route ")
        header = [c.value for c in sheet[2]]
        assert header[:6] == (PM if session == "PM" else AM)
        assert header[-3:] == NEEDS
        assert not PERSONAL & {str(h).lower() for h in header}
        for row in sheet.iter_rows(min_row=3):
            values = {h: c for h, c in zip(header, row, strict=True)}
            for heading in header[4:6]:
                cell = values[heading]
                assert isinstance(cell.value, datetime.time), (sheet.title, heading, cell.value)
                assert cell.number_format == "hh:mm"
            child = children[str(values["child_id"].value)]
            school = sc.school(str(values["school_id"].value))
            assert values["school_name"].value == school.name
            for need in NEEDS:
                assert values[need].value == ("yes" if getattr(child, need) else None)
        # AM: board before arriving; PM: leave school before the drop-off.
        first = [c.value for c in next(sheet.iter_rows(min_row=3, max_row=3))]
        assert first[4] <= first[5]
    assert sessions == {"AM", "PM"}
    assert len(book.worksheets) == 1 + sum(len(p.routes) for p in res.transport)


def test_every_sheet_is_laid_out_for_print(book: openpyxl.Workbook) -> None:
    for sheet in book.worksheets:
        header_row = 1 if sheet.title == "routes" else 2
        assert sheet.freeze_panes == f"A{header_row + 1}"
        assert sheet.print_title_rows == f"$1:${header_row}"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1
        assert sheet.sheet_properties.pageSetUpPr is not None
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.column_dimensions["B"].width and sheet.column_dimensions["B"].width > 8


def test_evaluate_reads_the_sheets_back_clean(
    planned: tuple[Scenario, Result, Path], tmp_path: Path
) -> None:
    sc, _, out = planned
    folder = tmp_path / "scenario"
    write_scenario(sc, folder)
    args = ["routes", str(folder), "--out", str(tmp_path / "o"), "--iterations", "10"]
    args += ["--session", "am", "--evaluate", str(out / "route_sheets.xlsx")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((tmp_path / "o" / "evaluation.json").read_text())
    written = json.loads((out / "routes.json").read_text())["sessions"]
    for session in ("am", "pm"):
        assert evaluation[session]["violations"] == []
        assert evaluation[session]["cost_gbp"] == written[session]["summary"]["cost"]
