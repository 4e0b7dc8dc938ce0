"""Cells that a spreadsheet will not run: the OWASP defence against CSV and formula injection.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, ``-2+3``). Every text cell sendplan
writes to a CSV file goes through :func:`csv_cell`, which puts a ``'`` in front of such text
(Excel shows the rest as text and hides the quote); numbers we format ourselves (``-1.1335``)
stay numbers. In a workbook :func:`safe_append` stores text as a string cell with Excel's quote
prefix, so it is never a formula.

The guard is reversible: :func:`restore` takes it off again, so a scenario written by
:mod:`sendplan.api.writer` loads back to the same scenario. A leading ``'`` followed by another
``'`` or a formula character is doubled on the way out for the same reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
# A number as we write one (format_number, f"{x:.2f}"): such cells are data, not formulas.
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _guarded(text: str) -> bool:
    """Whether ``text`` needs the quote: a formula start, or a quote that would read as ours."""
    first = text[:1]
    if first == QUOTE:
        return text[1:2] in FORMULA_STARTS or text[1:2] == QUOTE
    return first in FORMULA_STARTS and _NUMBER.fullmatch(text) is None


def neutralise(text: str) -> str:
    """``text`` that no spreadsheet runs: ``'=1+2`` for ``=1+2``; plain text and numbers as they
    are."""
    return QUOTE + text if _guarded(text) else text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given (a cell read back from one of our files)."""
    if text[:1] == QUOTE and (text[1:2] in FORMULA_STARTS or text[1:2] == QUOTE):
        return text[1:]
    return text


def csv_cell(value: object) -> object:
    """A CSV cell: text neutralised, anything else as it is."""
    return neutralise(value) if isinstance(value, str) else value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(v) for v in values]


def safe_append(sheet: Worksheet, values: Sequence[object]) -> None:
    """``sheet.append(values)``, with every text cell a string (never a formula or an error
    code) and text that starts like a formula marked with Excel's quote prefix."""
    from openpyxl.cell import WriteOnlyCell

    row: list[object] = []
    for value in values:
        if not isinstance(value, str):
            row.append(value)
            continue
        # The text cells are made here and handed to append, not looked up after it: finding
        # the new row (``sheet.max_row``) scans every cell, quadratic over a large sheet.
        cell = WriteOnlyCell(sheet, value=value)  # append gives it its row and column
        cell.data_type = "s"  # openpyxl makes '=...' a formula and '#N/A' an error otherwise
        if value[:1] in FORMULA_STARTS:
            cell.quotePrefix = True
        row.append(cell)
    sheet.append(row)
