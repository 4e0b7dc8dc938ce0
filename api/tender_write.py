"""The tender pack's files: tender.xlsx (an index sheet with one row per route, then a sheet per
route) and tender.csv (the index), written atomically with a manifest. Text from the plan is
neutralised (CSV) or written as plain text cells (xlsx); bytes depend on the plan only."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from sendplan.api.atomic import atomic_output
from sendplan.api.invocation import current_command
from sendplan.api.manifest import write_command_manifest
from sendplan.api.neutralise import csv_row, safe_append
from sendplan.api.tender import TenderRoute
from sendplan.api.transport_io import hhmm, sheet_names
from sendplan.api.xlsx_bytes import workbook_bytes

WORKBOOK_FILE = "tender.xlsx"
CSV_FILE = "tender.csv"
INDEX_SHEET = "routes"
COLUMNS = (
    "route_id", "session", "days", "school_ids", "school_names", "leaves_depot", "first_stop",
    "school_times", "last_stop", "back_at_depot", "vehicle_type", "layout",
    "passenger_assistant", "riders", "wheelchair_users", "riders_needing_assistant",
    "travel_alone", "flags", "estimated_miles", "estimated_minutes", "longest_ride_min",
    "model_cost_gbp",
)  # fmt: skip
NOTE = (
    "Times are planned (hh:mm); miles and minutes are depot to depot. No child is named or "
    "located: riders are counted and their needs flagged only."
)


def tender_row(r: TenderRoute) -> list[object]:
    """A route's values, in ``COLUMNS`` order."""
    return [
        r.route_id, r.session, r.days, "+".join(r.school_ids), "; ".join(r.school_names),
        hhmm(r.leaves_depot_min), hhmm(r.first_stop_min),
        "+".join(hhmm(t) for t in r.school_times_min), hhmm(r.last_stop_min),
        hhmm(r.back_at_depot_min), r.vehicle_type, r.layout, "yes" if r.assistant else "no",
        r.riders, r.wheelchair_users, r.needing_assistant, "yes" if r.travel_alone else "no",
        ";".join(r.flags), r.miles, r.minutes, r.longest_ride_min, r.model_cost_gbp,
    ]  # fmt: skip


def write_tender(
    routes: Sequence[TenderRoute], out: Path, *, command: Sequence[str] | None = None
) -> Path:
    """tender.xlsx, tender.csv and manifest.json into ``out``, atomically."""
    with atomic_output(Path(out)) as folder:
        (folder / WORKBOOK_FILE).write_bytes(tender_workbook(routes))
        (folder / CSV_FILE).write_text(tender_csv(routes), encoding="utf-8", newline="")
        recorded = command if command is not None else current_command()
        write_command_manifest(folder, command=recorded, routes=len(routes))
    return Path(out)


def tender_csv(routes: Sequence[TenderRoute]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in routes:
        writer.writerow(csv_row(tender_row(r)))
    return buffer.getvalue()


def tender_workbook(routes: Sequence[TenderRoute]) -> bytes:
    from openpyxl import Workbook  # about 0.1 s to import; only workbooks need it

    book = Workbook()
    index = book.active
    assert index is not None
    index.title = INDEX_SHEET
    safe_append(index, list(COLUMNS))
    for r in routes:
        safe_append(index, tender_row(r))
    safe_append(index, [])
    safe_append(index, [NOTE])
    index.freeze_panes = "A2"
    names = sheet_names([r.route_id for r in routes])
    for r in routes:
        sheet = book.create_sheet(next(names))
        safe_append(sheet, [f"route {r.route_id}", r.session])
        for name, value in zip(COLUMNS, tender_row(r), strict=True):
            safe_append(sheet, [name, value])
        safe_append(sheet, [])
        verb = "pick-up" if r.session == "AM" else "drop-off"
        safe_append(sheet, ["stop", f"planned {verb}"])
        for k, t in enumerate(r.stop_times_min, start=1):
            safe_append(sheet, [k, hhmm(t)])
        sheet.column_dimensions["A"].width = 26
        sheet.column_dimensions["B"].width = 40
    return workbook_bytes(book)
