"""Bad input, reported as one line naming the file, row and field.

Messages carry no personal data beyond the pseudonymous ``child_id``: never a home location,
postcode or free text copied from a child's row. ``PlanRejected`` lives here too, beside the
bad-input error, so that the command line can report both without importing the solvers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# Longest integer literal accepted in a JSON file: far beyond any count or sum of money, and
# well inside what converts to a float (about 1.8e308).
JSON_MAX_DIGITS = 300


class InputError(Exception):
    """A scenario file is unreadable or invalid.

    ``row`` counts as a spreadsheet does: the header is row 1, the first data row is row 2.
    ``sheet`` is set when the file is an .xlsx workbook.
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.sheet = sheet
        self.message = message
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str], dict[str, object]]:
        # Keyword-only attributes survive pickling (errors cross process boundaries in job workers).
        return (type(self), (self.file, self.message), dict(self.__dict__))

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f" sheet {self.sheet}"
        if self.row is not None:
            where += f" row {self.row}"
        if self.field is not None:
            where += f", field {self.field}"
        one_line = " ".join(self.message.split())
        return printable(f"{where}: {one_line}")


def visible(text: str, limit: int = 40) -> str:
    """User text to quote in a message: in quotes, control and other invisible characters
    escaped (``'a\\x07b'``), cut to ``limit`` characters. Never the raw text."""
    short = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(short)


def printable(text: str) -> str:
    """``text`` with every character that does not print (control, bidi and line-separator
    characters) escaped, so a message cannot move the cursor, recolour a terminal or hide text."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def read_csv(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """A UTF-8 CSV file's stripped header and its data rows, or an InputError naming the file
    (and the row, when a row is not valid CSV: a field past the csv module's size limit)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise InputError(path.name, f"cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(path.name, "is not UTF-8 text") from None
    rows = _csv_rows(csv.reader(io.StringIO(text)), path.name)
    return [h.strip() for h in next(rows, [])], rows


def _csv_rows(reader: Any, name: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as err:
        raise InputError(name, f"not valid CSV ({err})", row=reader.line_num) from None


def loads_json(text: str) -> Any:
    """``json.loads`` for a file a user hands us: NaN and Infinity, numbers past the float
    range or ``JSON_MAX_DIGITS`` digits, and nesting past the recursion limit are refused. Every
    refusal is a ``json.JSONDecodeError``, which callers already report naming the file."""
    try:
        return json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, parse_int=_short_int
        )
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except ValueError as err:
        raise json.JSONDecodeError(str(err), "", 0) from None


def loads_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, nesting past the recursion limit a ``tomllib.TOMLDecodeError``."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > JSON_MAX_DIGITS:
        raise ValueError(f"a number of {len(text)} digits is out of range")
    return int(text)


class PlanRejected(RuntimeError):
    """The independent checker found a plan breaking a rule: it is never issued (a bug in a
    solver, reported with every violation, instead of a plan that looks fine)."""

    def __init__(self, what: str, violations: Sequence[str]) -> None:
        self.what = what
        self.violations = tuple(violations)
        shown = "; ".join(self.violations[:10])
        more = f" (and {len(self.violations) - 10} more)" if len(self.violations) > 10 else ""
        super().__init__(f"the {what} failed the independent checker: {shown}{more}")
