"""placements.xlsx: placements.csv as a workbook with typed cells, and a sheet that re-adds the
plan's objective from its terms.

Sheet ``placements``: the CSV's rows and columns (:mod:`sendplan.api.placement_rows`), numbers
as number cells (the ``DECIMALS`` columns rounded as in the CSV, every other figure unrounded:
16 significant digits, as openpyxl writes a float, more than Excel's 15),
``in_area``/``residential``/``cross_border`` as Excel booleans (TRUE/FALSE), empty cells where
the CSV is empty; header frozen, autofilter, widths to fit. Sheet ``objective``: per term its
total as a live ``SUM`` over the placements column beside sendplan's own figure, and the plan's
objective, so a reader sees the terms re-add to it. Every text cell goes through
``safe_append`` (never a formula); the only formulas are the sums written here. Same plan, same
bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sendplan.api.neutralise import safe_append
from sendplan.api.placement_rows import DECIMALS, PLACEMENT_COLUMNS, CellValue, placement_rows
from sendplan.api.xlsx_bytes import workbook_bytes
from sendplan.routing.model import Scenario
from sendplan.routing.placement.explain import Explanation
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.placement.terms import TERM_COLUMNS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

PLACEMENTS_SHEET = "placements"
OBJECTIVE_SHEET = "objective"
OBJECTIVE_HEADER = ("term", "total_gbp (SUM of the placements column)", "total_gbp (sendplan)")
_GBP = "#,##0.00"
_FORMATS = {
    "travel_s": "0.0", "distance_m": "0", "over_capacity_gbp": "#,##0",
    "unplaced_gbp": "#,##0", "objective_gbp": "#,##0",
    **dict.fromkeys(
        ("fee_gbp", "travel_gbp", "preference_gbp", "out_of_area_gbp", "rounding_gbp"), _GBP
    ),
    **{c: "0" if d == 0 else "0." + "0" * d for c, d in DECIMALS.items()},
}  # fmt: skip
_MAX_WIDTH = 48


def _typed(column: str, value: CellValue) -> CellValue:
    """The cell's value: ``DECIMALS`` columns rounded as the CSV shows them, empty text an
    empty cell, the rest as is."""
    if value == "":
        return None
    digits = DECIMALS.get(column)
    if digits is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), digits)
    return value


def write_placements_xlsx(
    scenario: Scenario,
    plan: PlacementPlan,
    path: Path,
    explanations: Sequence[Explanation] = (),
) -> None:
    """Write placements.xlsx (sheets ``placements`` and ``objective``) to ``path``."""
    from openpyxl import Workbook  # about 0.1 s to import; only the workbooks need it

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = PLACEMENTS_SHEET
    safe_append(sheet, list(PLACEMENT_COLUMNS))
    rows = placement_rows(scenario, plan, explanations)
    for row in rows:
        safe_append(sheet, [_typed(c, row[c]) for c in PLACEMENT_COLUMNS])
    _lay_out(sheet, len(rows))
    _write_objective(book.create_sheet(OBJECTIVE_SHEET), plan, rows)
    path.write_bytes(workbook_bytes(book))


def _lay_out(sheet: Worksheet, n_rows: int) -> None:
    """Number formats per column, widths to fit, the header frozen and filterable."""
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(PLACEMENT_COLUMNS))
    for k, column in enumerate(PLACEMENT_COLUMNS, start=1):
        letter = get_column_letter(k)
        width = len(column)
        fmt = _FORMATS.get(column)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
            if cell.value is None:
                continue
            if fmt is not None and not isinstance(cell.value, str | bool):
                cell.number_format = fmt
            width = max(width, len(str(cell.value)))
        sheet.column_dimensions[letter].width = min(width + 2, _MAX_WIDTH)
    sheet.freeze_panes = "B2"  # the header and the child id stay in view
    sheet.auto_filter.ref = f"A1:{last}{n_rows + 1}"


def _write_objective(
    sheet: Worksheet, plan: PlacementPlan, rows: list[dict[str, CellValue]]
) -> None:
    """Per term: a live SUM over its placements column and sendplan's total; then the plan's
    objective and what the mode means for it."""
    from openpyxl.utils import get_column_letter

    safe_append(sheet, list(OBJECTIVE_HEADER))
    last_row = len(rows) + 1
    for column in TERM_COLUMNS:
        letter = get_column_letter(PLACEMENT_COLUMNS.index(column) + 1)
        total = sum(float(v) for r in rows if isinstance(v := r[column], int | float))
        safe_append(sheet, [column, None, total])
        sheet.cell(
            row=sheet.max_row, column=2
        ).value = f"=SUM('{PLACEMENTS_SHEET}'!{letter}2:{letter}{last_row})"
    safe_append(sheet, ["plan objective (GBP per year)", None, plan.objective])
    objective_row = sheet.max_row
    sum_row = objective_row - 1  # objective_gbp is the last term
    safe_append(sheet, ["objective_gbp total minus the plan objective", None, None])
    sheet.cell(row=sheet.max_row, column=2).value = f"=B{sum_row}-C{objective_row}"
    sheet.cell(row=sheet.max_row, column=3).value = f"=C{sum_row}-C{objective_row}"
    safe_append(sheet, ["mode", plan.mode])
    for note in _NOTES + (_LEXICOGRAPHIC_NOTE if plan.mode != "weighted" else ()):
        safe_append(sheet, [note])
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            if cell.value is not None and not str(cell.value)[:1].isalpha():
                cell.number_format = _GBP
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 22
    sheet.freeze_panes = "A2"


_NOTES = (
    "Per placed child: objective_gbp = fee_gbp + travel_gbp + preference_gbp + "
    "out_of_area_gbp + rounding_gbp + over_capacity_gbp (the solver prices each placement in "
    "whole GBP; rounding_gbp is that rounding).",
    "Per unplaced child: objective_gbp = unplaced_gbp (the policy's penalty).",
    "fee_gbp is weight_placement_cost x annual_cost_gbp; over_capacity_gbp (must-admit "
    "schools) is carried by the last children by id placed at the school.",
)
_LEXICOGRAPHIC_NOTE = (
    "Lexicographic mode: the solver ranked plans by its levels, not by this sum; the "
    "objective is the plan's weighted cost under the policy's weights.",
)


__all__ = ["OBJECTIVE_SHEET", "PLACEMENTS_SHEET", "write_placements_xlsx"]
