"""Current routes in a workbook for ``existing_routes.py``: a council's sheet (the first with a
header row naming child_id within its first rows) or our route_sheets.xlsx (an index sheet
``routes`` and a sheet per route, with PM drop-off/departure headings and Excel time cells)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sendplan.api.existing_columns import table_rows
from sendplan.api.existing_rows import Row, cell_text, norm_heading
from sendplan.api.xlsx_guard import check_workbook
from sendplan.errors import InputError

HEADER_ROWS = 10  # a council sheet's header may sit below a few title rows

# Route-sheet headings, normalised (lower case, '_' for spaces and dashes), most specific first.
_AM_CHILD = ("pickup_time", "pick_up_time", "pickup", "pick_up")
_AM_SCHOOL = ("arrival", "arrival_time", "school_arrival", "arrives", "school_time")
_PM_CHILD = ("dropoff_time", "drop_off_time", "dropoff", "drop_off")
_PM_SCHOOL = ("departure", "departure_time", "school_departure", "leaves_school", "school_time")
_PM_LEGACY = (("arrival", "arrival_time"), ("pickup_time", "pick_up_time", "pickup"))


def workbook_rows(
    path: Path, mapping: dict[str, str] | None, mapping_path: Path | None
) -> list[Row]:
    """The rows of a workbook: our route sheets when it has their index (and no mapping is
    given), else the council's sheet, read as a table."""
    import openpyxl  # about 0.1 s to import; only workbooks need it

    check_workbook(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheets = {
            name: [list(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames
        }
        book.close()
    except Exception as err:  # whatever a malformed file makes openpyxl raise is bad input
        raise InputError(
            path.name, f"not a readable .xlsx workbook ({type(err).__name__})"
        ) from None
    index = next((n for n in sheets if n.strip().lower() == "routes"), None)
    if index is not None and mapping is None and _is_route_index(sheets[index]):
        return list(_route_sheet_rows(path.name, index, sheets))
    # The council's sheet: the first whose header row (within its first rows) names child_id.
    child = norm_heading((mapping or {}).get("child_id", "child_id"))
    found = [
        (sheet, k)
        for sheet, table in sheets.items()
        for k, row in enumerate(table[:HEADER_ROWS])
        if child in {norm_heading(c) for c in row if c is not None}
    ]
    if not found:
        found = [(s, 0) for s, t in sheets.items() if t and any(_blankless(c) for c in t[0])]
    if not found:
        raise InputError(path.name, "the workbook has no rows")
    sheet, at = found[0]
    table = sheets[sheet]
    body = [(k, r) for k, r in enumerate(table[at + 1 :], start=at + 2)]
    header = [str(h or "") for h in table[at]]
    return list(table_rows(path.name, sheet, header, body, mapping, mapping_path, at + 1))


def _blankless(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _is_route_index(table: list[list[Any]]) -> bool:
    """Our route sheets' index: a row per route (no child_id column)."""
    header = {_key(h) for h in table[0]} if table else set()
    return {"route_id", "session"} <= header and "child_id" not in header


def _route_sheet_rows(name: str, index: str, sheets: dict[str, list[list[Any]]]) -> Iterator[Row]:
    """Our route_sheets.xlsx: the index names each route's session and vehicle; each route's
    sheet (titled ``route ID`` in A1) lists its children in driving order."""
    table = sheets[index]
    head = [_key(h) for h in table[0]]
    titled: dict[str, str] = {}
    for title, rows in sheets.items():
        if title != index and rows and rows[0] and isinstance(rows[0][0], str):
            titled.setdefault(rows[0][0].strip(), title)
    for number, cells in enumerate(table[1:], start=2):
        if not any(_blankless(c) for c in cells):
            continue
        entry = dict(zip(head, cells, strict=False))

        def bad(field: str, message: str, row: int = number) -> InputError:
            return InputError(name, message, row=row, field=field, sheet=index)

        route_id = cell_text(entry.get("route_id"))
        if not route_id:
            raise bad("route_id", "route_id is blank")
        named = re.sub(r"[\[\]:*?/\\]", "_", route_id)[:31]  # as the writer names sheets
        sheet = titled.get(f"route {route_id}") or (named if named in sheets else None)
        if sheet is None or sheet == index:
            raise bad("route_id", f"no sheet for route {route_id}")
        session = cell_text(entry.get("session")).lower()
        vehicle = cell_text(entry.get("vehicle", entry.get("vehicle_type")))
        yield from _one_route_sheet(name, sheet, sheets[sheet], route_id, session, vehicle, entry)


def _one_route_sheet(
    name: str,
    sheet: str,
    rows: list[list[Any]],
    route_id: str,
    session: str,
    vehicle: str,
    entry: dict[str, Any],
) -> Iterator[Row]:
    at = next((k for k, r in enumerate(rows[:6]) if "child_id" in {_key(c) for c in r}), None)
    if at is None:
        raise InputError(name, "no header row with child_id", row=1, field="child_id", sheet=sheet)
    head = [_key(h) for h in rows[at]]

    def first(names: Iterable[str]) -> str | None:
        return next((h for h in names if h in head), None)

    if session == "pm" and first(_PM_CHILD) is None:
        child_time, school_time = first(_PM_LEGACY[0]), first(_PM_LEGACY[1])
    elif session == "pm":
        child_time, school_time = first(_PM_CHILD), first((*_PM_SCHOOL, *_PM_LEGACY[1]))
    else:
        child_time, school_time = first(_AM_CHILD), first(_AM_SCHOOL)
    fields = {"pickup_time": child_time, "school_time": school_time}
    one_school = cell_text(entry.get("school_id"))
    for number, cells in enumerate(rows[at + 1 :], start=at + 2):
        if not any(_blankless(c) for c in cells):
            continue
        got = dict(zip(head, cells, strict=False))
        values: dict[str, Any] = {
            "route_id": route_id,
            "session": session,
            "vehicle_type": got.get("vehicle") or got.get("vehicle_type") or vehicle,
            "school_id": got.get("school_id") or one_school,
            "stop_order": got.get("stop_order", number - at - 1),
            "child_id": got.get("child_id"),
        }
        headings = {f: f for f in values}
        for field, heading in fields.items():
            if heading is not None:
                values[field], headings[field] = got.get(heading), heading
        yield Row(values, headings, number, sheet)


def _key(heading: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(heading).strip().lower())
