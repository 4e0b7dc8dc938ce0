"""Outputs are safe to open (DESIGN.md promise 11): text from an input never becomes a formula
in a spreadsheet (OWASP CSV injection) nor markup in the report, and route sheets have valid,
unique sheet names.

Ids cannot carry a formula any more (they are restricted to a safe set), so the hostile text
here is a school's name, which is free text from schools.csv.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from transport_cases import TRAVEL, random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.loader import load_scenario
from sendplan.api.neutralise import csv_cell, neutralise, restore
from sendplan.api.outputs import write_outputs
from sendplan.api.transport_io import SHEET_NAME_MAX, sheet_names, write_route_sheets
from sendplan.api.writer import write_scenario
from sendplan.routing.solve import solve
from sendplan.routing.transport.plan import TransportPlan
from sendplan.routing.vrp.stop import MaxIterations

FORMULAS = (
    '=HYPERLINK("http://x","y")', "@SUM(1)", "+1+1", "-2+3", "=1+2;A1", "'=already quoted",
    "''", "=",
)  # fmt: skip
TRIGGERS = tuple("=+-@\t\r")
NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
KIDS = random_children(10, 3, schools=("S1", "S2", "S3"))
NAMES = ('=HYPERLINK("http://x","y")', "@SUM(1)", "<script>alert(1)</script> & Co")
SC = scenario(
    KIDS,
    schools=[
        replace(school("S1"), name=NAMES[0]),
        replace(school("S2", 2, -1), name=NAMES[1]),
        replace(school("S3", -2, 1), name=NAMES[2]),
    ],
)


def assert_inert(text: str) -> None:
    """No cell of this CSV text starts like a formula, unless it is a plain number."""
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(TRIGGERS) or NUMBER.fullmatch(cell), (cell, row)


@pytest.mark.parametrize("text", [*FORMULAS, "\t=1", "\r=1", "plain", "-1.1335", "1e+16", ""])
def test_neutralise_is_inert_and_reversible(text: str) -> None:
    guarded = neutralise(text)
    assert not guarded.startswith(TRIGGERS) or NUMBER.fullmatch(guarded)
    assert restore(guarded) == text
    assert csv_cell(7) == 7


@pytest.fixture(scope="module")
def outputs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = solve(
        SC, sessions=("am",), placement="solve", travel=TRAVEL, stop=MaxIterations(30), seed=1,
        workers=1,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("formula") / "out"
    write_outputs(result, out, extra=lambda folder: write_scenario(SC, folder / "scenario"))
    return out


def test_school_names_in_placements_csv_are_inert(outputs_dir: Path) -> None:
    text = (outputs_dir / "placements.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    names = {r["school_name"] for r in rows if r["status"] == "placed"}
    assert names & {"'" + NAMES[0], "'" + NAMES[1]}, names  # the guard, not the formula
    assert not names & {NAMES[0], NAMES[1]}
    assert_inert(text)


def test_every_csv_written_is_inert(outputs_dir: Path) -> None:
    written = sorted(outputs_dir.rglob("*.csv"))
    assert {p.name for p in written} >= {"placements.csv", "transport_review.csv", "schools.csv"}
    for path in written:
        assert_inert(path.read_text(encoding="utf-8"))


def test_the_scenario_copy_loads_back_to_the_same_names(outputs_dir: Path) -> None:
    loaded = load_scenario(outputs_dir / "scenario")
    assert sorted(s.name for s in loaded.schools) == sorted(NAMES)
    assert loaded == replace(SC, name=loaded.name, seed=loaded.seed)


def test_the_report_shows_markup_as_text(outputs_dir: Path) -> None:
    html = (outputs_dir / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html  # the report's own inline script aside
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_cli_place_with_formula_school_names_writes_inert_csv(
    tmp_path: Path, outputs_dir: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["place", str(outputs_dir / "scenario"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert_inert((out / "placements.csv").read_text(encoding="utf-8"))


# --- route sheets: strings, never formulas; sheet names valid and unique ---------------------


@pytest.fixture(scope="module")
def plans() -> tuple[TransportPlan, ...]:
    result = solve(
        SC, sessions=("am",), placement="current", travel=TRAVEL, stop=MaxIterations(30), seed=1,
        workers=1,
    )  # fmt: skip
    return result.transport


def test_route_sheet_text_is_a_string_never_a_formula(
    tmp_path: Path, plans: tuple[TransportPlan, ...]
) -> None:
    plan = plans[0]
    routes = list(plan.routes)
    routes[0] = replace(routes[0], route_id='=HYPERLINK("http://x","y")', vehicle_type="@SUM(1)")
    if len(routes) > 1:
        routes[1] = replace(routes[1], route_id="#N/A")
    path = tmp_path / "sheets.xlsx"
    write_route_sheets(SC, [replace(plan, routes=tuple(routes))], path)

    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    book = load_workbook(path)
    seen: dict[str, Cell] = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen[cell.value] = cell
    link = seen['=HYPERLINK("http://x","y")']
    assert link.data_type == "s" and link.quotePrefix
    assert seen["@SUM(1)"].data_type == "s" and seen["@SUM(1)"].quotePrefix
    if len(routes) > 1:
        assert seen["#N/A"].data_type == "s"  # text, not Excel's error value


def test_sheet_names_are_valid_unique_and_at_most_31_characters() -> None:
    long = "AM-" + "S" * 64
    ids = [f"{long}-001", f"{long}-002", f"{long}-002", "routes", "ROUTES", "a/b:c*d?[e]"]
    ids.append("History")
    names = list(sheet_names(ids))
    assert len(names) == len(ids)
    assert len({n.casefold() for n in names} | {"routes"}) == len(ids) + 1
    for name in names:
        assert 1 <= len(name) <= SHEET_NAME_MAX and not set(name) & set("[]:*?/\\")
    assert names == list(sheet_names(ids))  # deterministic
    assert names[3] != "routes" and names[6].casefold() != "history"
    assert list(sheet_names(["AM-131099-001"])) == ["AM-131099-001"]  # short ids as they were


def test_route_sheets_with_long_colliding_route_ids(
    tmp_path: Path, plans: tuple[TransportPlan, ...]
) -> None:
    plan = plans[0]
    long = "AM-" + "S" * 64
    routes = tuple(replace(r, route_id=f"{long}-{i:03d}") for i, r in enumerate(plan.routes))
    path = tmp_path / "sheets.xlsx"
    write_route_sheets(SC, [replace(plan, routes=routes)], path)
    book = load_workbook(path)
    assert len(book.sheetnames) == 1 + len(routes)
    assert len({n.casefold() for n in book.sheetnames}) == len(book.sheetnames)
    assert all(len(n) <= SHEET_NAME_MAX for n in book.sheetnames)
