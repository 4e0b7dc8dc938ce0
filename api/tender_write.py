"""The tender pack's files: tender.xlsx (an index sheet with one row per route, then a sheet per
route) and tender.csv (the index), written atomically with a manifest. Text from the plan is
neutralised (CSV) or written as plain text cells (xlsx); bytes depend on the plan only."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING

from sendplan.api.atomic import atomic_output
from sendplan.api.invocation import current_command
from sendplan.api.manifest import write_command_manifest
from sendplan.api.neutralise import csv_row, safe_append
from sendplan.api.tender import TenderRoute
from sendplan.api.transport_io import hhmm, print_with_header, sheet_names
from sendplan.api.xlsx_bytes import workbook_bytes

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

WORKBOOK_FILE = "tender.xlsx"
CSV_FILE = "tender.csv"
INDEX_SHEET = "routes"
COLUMNS = (
    "route_id", "session", "days", "school_ids", "school_names", "leaves_depot", "first_pickup",
    "last_pickup", "school_times", "first_dropoff", "last_dropoff", "back_at_depot",
    "vehicle_type", "layout", "passenger_assistant", "stops", "riders", "wheelchair_users",
    "riders_needing_assistant", "travel_alone", "flags", "estimated_miles", "estimated_minutes",
    "minutes_with_children", "minutes_empty", "longest_ride_min", "model_cost_gbp",
)  # fmt: skip
NOTE = (
    "Times are planned (hh:mm). AM: school_times are arrivals; PM: departures. Miles and "
    "minutes are depot to depot; minutes_empty are the legs from and back to the depot. No "
    "child is named or located: riders are counted and their needs flagged only."
)
TIME_FORMAT = "hh:mm"


def as_time(minutes: float) -> dt_time:
    """Minutes after midnight as an Excel time cell's value, to the minute (as ``hhmm``)."""
    m = round(minutes) % (24 * 60)
    return dt_time(m // 60, m % 60)


def tender_row(r: TenderRoute, *, cells: bool = False) -> list[object]:
    """A route's values, in ``COLUMNS`` order: times as ``hh:mm`` text, or with ``cells`` as
    Excel time values (a mixed run's several school times stay text)."""
    at: Callable[[float], object] = as_time if cells else hhmm
    am = r.session == "am"
    pickups = (at(r.first_stop_min), at(r.last_stop_min)) if am else (None, None)
    dropoffs = (None, None) if am else (at(r.first_stop_min), at(r.last_stop_min))
    schools: object = "+".join(hhmm(t) for t in r.school_times_min)
    if cells and len(r.school_times_min) == 1:
        schools = as_time(r.school_times_min[0])
    return [
        r.route_id, r.session, r.days, "+".join(r.school_ids), "; ".join(r.school_names),
        at(r.leaves_depot_min), *pickups, schools, *dropoffs, at(r.back_at_depot_min),
        r.vehicle_type, r.layout, "yes" if r.assistant else "no", r.stops, r.riders,
        r.wheelchair_users, r.needing_assistant, "yes" if r.travel_alone else "no",
        ";".join(r.flags), r.miles, r.minutes, r.minutes_with_children, r.minutes_empty,
        r.longest_ride_min, r.model_cost_gbp,
    ]  # fmt: skip


def write_tender(
    routes: Sequence[TenderRoute],
    out: Path,
    *,
    command: Sequence[str] | None = None,
    source: tuple[str, str] | None = None,
) -> Path:
    """tender.xlsx, tender.csv and manifest.json into ``out``, atomically; ``source`` is the
    (name, sha256) of the routes.json read, recorded in the manifest."""
    with atomic_output(Path(out)) as folder:
        (folder / WORKBOOK_FILE).write_bytes(tender_workbook(routes))
        (folder / CSV_FILE).write_text(tender_csv(routes), encoding="utf-8", newline="")
        recorded = command if command is not None else current_command()
        extra = {} if source is None else {"source": {"file": source[0], "sha256": source[1]}}
        write_command_manifest(folder, command=recorded, routes=len(routes), **extra)
    return Path(out)


def tender_csv(routes: Sequence[TenderRoute]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in routes:
        writer.writerow(csv_row(["" if v is None else v for v in tender_row(r)]))
    return buffer.getvalue()


def tender_workbook(routes: Sequence[TenderRoute]) -> bytes:
    from openpyxl import Workbook  # about 0.1 s to import; only workbooks need it

    book = Workbook()
    index = book.active
    assert index is not None
    index.title = INDEX_SHEET
    safe_append(index, list(COLUMNS))
    for r in routes:
        safe_append(index, tender_row(r, cells=True))
    _lay_out(index, header_row=1, rows=len(routes))
    safe_append(index, [])
    safe_append(index, [NOTE])
    names = sheet_names([r.route_id for r in routes])
    for r in routes:
        sheet = book.create_sheet(next(names))
        safe_append(sheet, [f"route {r.route_id}", r.session])
        for name, value in zip(COLUMNS, tender_row(r, cells=True), strict=True):
            safe_append(sheet, [name, value])
        safe_append(sheet, [])
        verb = "pick-up" if r.session == "am" else "drop-off"
        safe_append(sheet, ["stop", f"planned {verb}"])
        for k, t in enumerate(r.stop_times_min, start=1):
            safe_append(sheet, [k, as_time(t)])
        _lay_out(sheet, header_row=1, rows=0)
        sheet.column_dimensions["A"].width = 26
        sheet.column_dimensions["B"].width = 40
    return workbook_bytes(book)


def _lay_out(sheet: Worksheet, *, header_row: int, rows: int) -> None:
    """As the route sheets: time cells as hh:mm, columns wide enough for their text, the header
    frozen and repeated on every printed page, landscape, one page wide; with ``rows``, an
    autofilter over the header and those rows."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows(max_row=header_row + rows):
        for cell in row:
            if isinstance(cell.value, dt_time):
                cell.number_format = TIME_FORMAT
                width = 5
            elif cell.value is None:
                continue
            else:
                width = len(str(cell.value))
            column = int(cell.column or 1)
            widths[column] = max(widths.get(column, 0), width)
    for column, width in sorted(widths.items()):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    for row in sheet.iter_rows(min_row=header_row + rows + 1):
        for cell in row:
            if isinstance(cell.value, dt_time):
                cell.number_format = TIME_FORMAT
    if rows:
        last = get_column_letter(sheet.max_column)
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + rows}"
    print_with_header(sheet, header_row=header_row)
