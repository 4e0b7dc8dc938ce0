"""One parser per kind of scenario cell, and the errors a cell or a row's field raises.

A parser takes a cell's text (stripped, non-blank) and returns its value or raises
:class:`CellError`; the table machinery (:mod:`sendplan.api.tables`) adds the file, row and
field. ``CellError.private`` is the message without the cell's value, for columns that may hold
personal data.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable

from sendplan.api.neutralise import restore
from sendplan.errors import visible
from sendplan.routing.model import COHORTS, ID_CHARACTERS, NEED_CODES, SCHOOL_TYPES, is_safe_id

AGE_RANGE = (2, 25)
YEAR_GROUP_RANGE = (0, 14)  # Reception = 0; age on 31 August = year group + 4
TEXT_MAX_CHARS = 200
# Unicode bidirectional controls (Trojan Source): they reorder how the text around them shows.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# --- errors ---------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not parse; ``private`` is the message without the cell's value."""

    def __init__(self, message: str, private: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.private = private or message


class FieldError(ValueError):
    """A problem with one field of a row, found after the cells parsed."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def show(text: str) -> str:
    """User text quoted for a message: control characters escaped, cut to 40 characters."""
    return visible(text)


# --- one parser per kind of cell (text arrives stripped and non-blank) ------------------------

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_NEEDS = {code.lower(): code for code in NEED_CODES}
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
_LA_CODE = re.compile(r"\d{3}")


def parse_text(text: str) -> str:
    """Free text (a school's name): printable, at most 200 characters. A leading ``'`` that
    guards a formula character (as our CSV outputs write it) is taken off again."""
    if len(text) > TEXT_MAX_CHARS:
        raise CellError(
            f"{show(text)} is longer than {TEXT_MAX_CHARS} characters",
            f"longer than {TEXT_MAX_CHARS} characters",
        )
    for char in text:
        if not char.isprintable() or char in _BIDI_CONTROLS:
            raise CellError(
                f"{show(text)} holds a control character ({show(char)})",
                "holds a control character",
            )
    return restore(text)


def parse_id(text: str) -> str:
    """An id: 1..64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit."""
    if not is_safe_id(text):
        raise CellError(f"id {show(text)} is not {ID_CHARACTERS}")
    return text


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise CellError(f"{show(text)} is not a boolean (use true/false, yes/no, y/n or 1/0)")


def parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"{show(text)} is not a number", "not a number") from None
    if not math.isfinite(value):
        raise CellError(f"{show(text)} is not a finite number", "not a finite number")
    return value


def parse_int(text: str) -> int:
    """A whole number; '12.0' (as spreadsheets sometimes export) counts as 12."""
    try:
        return int(text)
    except ValueError:
        pass
    value = parse_float(text)
    if not value.is_integer():
        raise CellError(f"{show(text)} is not a whole number")
    return int(value)


def _number_text(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "..."


def out_of_range(text: str, value: float, low: float, high: float) -> str:
    """The message for a number outside ``low..high``: ``-5 is negative (allowed 0..100000)``."""
    allowed = f"{format_bound(low)}..{format_bound(high)}"
    if value < 0 <= low:
        return f"{_number_text(text)} is negative (allowed {allowed})"
    return f"{_number_text(text)} is outside {allowed}"


def format_bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def whole_in(low: int, high: int) -> Callable[[str], int]:
    """A parser for whole numbers within ``low..high`` (capacity, seats, places)."""

    def parse(text: str) -> int:
        value = parse_int(text)
        if not low <= value <= high:
            raise CellError(out_of_range(text, value, low, high))
        return value

    return parse


def number_in(low: float, high: float) -> Callable[[str], float]:
    """A parser for finite numbers within ``low..high`` (GBP, minutes)."""

    def parse(text: str) -> float:
        value = parse_float(text)
        if not low <= value <= high:
            raise CellError(out_of_range(text, value, low, high))
        return value

    return parse


# The ranges a scenario's numbers must lie in: wide enough for any English authority, narrow
# enough that no sum over children overflows a solver's integer costs.
MAX_PLACES = 100_000
FEE_GBP_RANGE = (0, 10_000_000)  # annual_cost_gbp per place
SEATS_RANGE = (1, 100)
WHEELCHAIR_SPACES_RANGE = (0, 20)
AVAILABLE_RANGE = (0, 10_000)
RUN_COST_GBP_RANGE = (0, 100_000)  # fixed_cost_gbp per run
KM_COST_GBP_RANGE = (0, 1_000)
RIDE_LIMIT_MIN_RANGE = (1, 600)

parse_places = whole_in(0, MAX_PLACES)
parse_fee = number_in(*FEE_GBP_RANGE)
parse_seats = whole_in(*SEATS_RANGE)
parse_wheelchair_spaces = whole_in(*WHEELCHAIR_SPACES_RANGE)
parse_available = whole_in(*AVAILABLE_RANGE)
parse_run_cost = number_in(*RUN_COST_GBP_RANGE)
parse_km_cost = number_in(*KM_COST_GBP_RANGE)
parse_ride_limit = number_in(*RIDE_LIMIT_MIN_RANGE)
parse_school_age = whole_in(*AGE_RANGE)


def parse_age(text: str) -> int:
    value = parse_int(text)
    low, high = AGE_RANGE
    if not low <= value <= high:
        raise CellError(f"age {value} is outside {low}..{high}")
    return value


def parse_year_group(text: str) -> int:
    """A year group (R or 0..14, optionally written 'Y7' or 'Year 7') as the age it implies."""
    low, high = YEAR_GROUP_RANGE
    bare = re.sub(r"^(year|yr|y)\s*", "", text.lower())
    if bare in ("r", "reception"):
        return 4
    if bare.isdigit() and low <= int(bare) <= high:
        return int(bare) + 4
    raise CellError(f"year_group {show(text)} is not R or {low}..{high}")


def parse_need(text: str) -> str:
    """A SEN2 need code, matched case-insensitively and returned canonically."""
    code = _NEEDS.get(text.lower())
    if code is None:
        raise CellError(f"unknown need code {show(text)} (use one of {' '.join(NEED_CODES)})")
    return code


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _no_repeats(items: list[str]) -> tuple[str, ...]:
    for i, item in enumerate(items):
        if item in items[:i]:
            raise CellError(f"{show(item)} is listed twice")
    return tuple(items)


def parse_needs(text: str) -> tuple[str, ...]:
    return _no_repeats([parse_need(item) for item in split_list(text)])


def parse_need_places(text: str) -> tuple[tuple[str, int], ...]:
    """``NEED:PLACES`` items separated by ``;`` (e.g. ``ASD:40;SLD:20``), in SEN2 order."""
    pairs: dict[str, int] = {}
    for item in split_list(text):
        need, sep, places = item.partition(":")
        if not sep:
            raise CellError(f"{show(item)} is not NEED:PLACES")
        code = parse_need(need.strip())
        if code in pairs:
            raise CellError(f"{code} is given twice")
        pairs[code] = parse_places(places.strip())
    return tuple((code, pairs[code]) for code in NEED_CODES if code in pairs)


def parse_ids(text: str) -> tuple[str, ...]:
    """A ``;``-separated list of ids, each as :func:`parse_id` takes it."""
    return _no_repeats([parse_id(item) for item in split_list(text)])


def parse_time(text: str) -> int:
    """HH:MM (24-hour) as minutes after midnight."""
    match = _TIME.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise CellError(f"{show(text)} is not a time HH:MM (24-hour)")
    return int(match[1]) * 60 + int(match[2])


def parse_la_code(text: str) -> str:
    if _LA_CODE.fullmatch(text) is None:
        raise CellError(f"{show(text)} is not a 3-digit LA code")
    return text


def parse_sex(text: str) -> str:
    if text.upper() not in ("M", "F"):
        raise CellError(f"{show(text)} is not M or F")
    return text.upper()


def parse_school_sex(text: str) -> str:
    if text.lower() == "mixed":
        return "mixed"
    try:
        return parse_sex(text)
    except CellError:
        raise CellError(f"{show(text)} is not mixed, M or F") from None


def parse_school_type(text: str) -> str:
    kind = re.sub(r"[\s-]+", "_", text.lower())
    if kind not in SCHOOL_TYPES:
        raise CellError(f"unknown school type {show(text)} (use one of {', '.join(SCHOOL_TYPES)})")
    return kind


# A workbook date cell arrives as "YYYY-MM-DD 00:00:00" (``tables.cell_text``).
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?")
UNKNOWN_DATE = "unknown"


def parse_date(text: str) -> datetime.date:
    """An ISO date, YYYY-MM-DD."""
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return datetime.date.fromisoformat(match[1])
    except ValueError:
        raise CellError(f"{show(text)} is not a date YYYY-MM-DD") from None


def parse_opens(text: str) -> datetime.date:
    """An opening date, or ``unknown`` (opening date not known: never open, ``date.max``)."""
    if text.lower() == UNKNOWN_DATE:
        return datetime.date.max
    try:
        return parse_date(text)
    except CellError:
        raise CellError(f"{show(text)} is not a date YYYY-MM-DD or {UNKNOWN_DATE}") from None


def parse_cohort(text: str) -> str:
    low = text.lower()
    if low not in COHORTS:
        raise CellError(f"{show(text)} is not a cohort (use {' or '.join(COHORTS)})")
    return low


POLICY_DECIDES = "policy"


def parse_eligibility(text: str) -> bool | None:
    """transport_eligible: a boolean, or ``policy`` (None: the policy's rules decide)."""
    if text.lower() == POLICY_DECIDES:
        return None
    try:
        return parse_bool(text)
    except CellError:
        raise CellError(
            f"{show(text)} is not a boolean (true/false, yes/no, y/n, 1/0) or {POLICY_DECIDES}"
        ) from None
