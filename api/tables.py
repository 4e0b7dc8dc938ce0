"""Scenario tables: a CSV file or a workbook sheet as rows of text, checked against a spec.

Each file has a column table (name -> required?, parser), so unknown and missing columns fall out
of one header check. Every problem raises :class:`~sendplan.errors.InputError` naming the file,
the row as a spreadsheet counts it (header = row 1) and the field. Completely blank rows are the
only rows skipped, and they keep their place in the row count.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sendplan.api.cells import CellError, FieldError, show
from sendplan.errors import InputError
from sendplan.routing.model import ModelError

T = TypeVar("T")


# --- where a problem is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A file (or a sheet of a workbook) that rows come from."""

    file: str
    sheet: str | None = None

    def error(
        self, message: str, *, row: int | None = None, field: str | None = None
    ) -> InputError:
        return InputError(self.file, message, row=row, field=field, sheet=self.sheet)


# --- tables: header check, then one parsed dict per row -------------------------------------


@dataclass(frozen=True)
class Column:
    parse: Callable[[str], object]
    required: bool = False
    private: bool = False  # may hold personal data: error messages omit the value


@dataclass(frozen=True)
class Spec:
    columns: dict[str, Column]
    # Alternatives the header must hold one of, e.g. lon+lat or easting+northing.
    one_of: tuple[tuple[tuple[str, ...], ...], ...] = ()
    personal_data_hint: bool = False  # say why a name/address column is refused


_PERSONAL_COLUMNS = frozenset(
    {"name", "first_name", "forename", "surname", "last_name", "full_name", "dob",
     "date_of_birth", "birth_date", "address", "address_line_1", "upn", "nhs_number"}
)  # fmt: skip


@dataclass(frozen=True)
class Table:
    source: Source
    header_row: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (spreadsheet row number, stripped cells)


def _check_header(table: Table, spec: Spec) -> None:
    fail = table.source.error
    seen: set[str] = set()
    for name in table.header:
        if not name:
            continue
        if name in seen:
            raise fail(f"column {show(name)} appears twice", row=table.header_row, field=name)
        seen.add(name)
        if name not in spec.columns:
            close = difflib.get_close_matches(name, spec.columns, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            if spec.personal_data_hint and name in _PERSONAL_COLUMNS:
                hint = " (pseudonymous ids only: no names, dates of birth or addresses)"
            raise fail(f"unknown column {show(name)}{hint}", row=table.header_row, field=name)
    for name, column in spec.columns.items():
        if column.required and name not in seen:
            raise fail(f"missing required column {name}", row=table.header_row, field=name)
    for alternatives in spec.one_of:
        for option in alternatives:
            present = [n for n in option if n in seen]
            if present and len(present) < len(option):
                missing = next(n for n in option if n not in seen)
                raise fail(
                    f"missing column {missing} (goes with {present[0]})",
                    row=table.header_row,
                    field=missing,
                )
        if not any(all(n in seen for n in option) for option in alternatives):
            wanted = " or ".join(",".join(option) for option in alternatives)
            first = alternatives[0][0]
            raise fail(f"missing column {first}: give {wanted}", row=table.header_row, field=first)


def _parse_cells(table: Table, spec: Spec, cells: tuple[str, ...]) -> dict[str, Any]:
    """A row's non-blank cells, parsed; blank optional cells are left out to take the default."""
    values: dict[str, Any] = {}
    for i, text in enumerate(cells):
        name = table.header[i] if i < len(table.header) else ""
        if not name:
            if text:
                raise FieldError(None, f"column {i + 1} holds a value but has no header")
            continue
        column = spec.columns[name]
        if not text:
            if column.required:
                raise FieldError(name, f"{name} is required but blank")
            continue
        try:
            values[name] = column.parse(text)
        except CellError as err:
            raise FieldError(name, err.private if column.private else err.message) from None
    for name, column in spec.columns.items():
        if column.required and name not in values:  # a row shorter than the header
            raise FieldError(name, f"{name} is required but blank")
    return values


def build_rows(
    table: Table, spec: Spec, build: Callable[[dict[str, Any]], T]
) -> list[tuple[int, T]]:
    """Check the header, then parse and build every row, naming the row and field on error."""
    _check_header(table, spec)
    built: list[tuple[int, T]] = []
    for row, cells in table.rows:
        try:
            built.append((row, build(_parse_cells(table, spec, cells))))
        except FieldError as err:
            raise table.source.error(err.message, row=row, field=err.field) from None
        except ModelError as err:
            raise table.source.error(str(err), row=row) from None
    return built


def check_unique(
    table: Table, rows: Iterable[tuple[int, T]], key: Callable[[T], str], field: str
) -> None:
    first_row: dict[str, int] = {}
    for row, item in rows:
        value = key(item)
        if value in first_row:
            raise table.source.error(
                f"duplicate {field} {show(value)} (first on row {first_row[value]})",
                row=row,
                field=field,
            )
        first_row[value] = row


# --- reading files ------------------------------------------------------------------------


def read_bytes(path: Path, source: Source) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise source.error(f"cannot read the file ({err.strerror})") from None


def decode(data: bytes, source: Source) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise source.error("the file is UTF-16, not UTF-8: save it as 'CSV UTF-8'")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = data[: err.start].count(b"\n") + 1
        raise source.error(
            f"the file is not UTF-8 (undecodable byte at row {row}): save it as 'CSV UTF-8'",
            row=row,
        ) from None


def table_from_rows(source: Source, rows: Iterable[Sequence[str]]) -> Table:
    """Rows of stripped text (row 1 first) as a table; the first non-blank row is the header."""
    header: tuple[str, ...] | None = None
    header_row = 0
    data: list[tuple[int, tuple[str, ...]]] = []
    for number, raw in enumerate(rows, start=1):
        cells = tuple(cell.strip() for cell in raw)
        if not any(cells):
            continue
        if header is None:
            header, header_row = tuple(cell.lower() for cell in cells), number
        else:
            data.append((number, cells))
    if header is None:
        raise source.error("the file is empty: expected a header row")
    return Table(source, header_row, header, tuple(data))


def csv_table(path: Path) -> Table:
    source = Source(path.name)
    reader = csv.reader(io.StringIO(decode(read_bytes(path, source), source), newline=""))
    try:
        return table_from_rows(source, list(reader))
    except csv.Error as err:
        raise source.error(f"not valid CSV ({err})", row=reader.line_num) from None


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)
