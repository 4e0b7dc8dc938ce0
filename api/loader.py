"""Read a scenario from a CSV folder or an .xlsx workbook.

Each file has a column table (name -> required?, parser), so unknown and missing columns fall out
of one header check, and one small parser per kind of cell (bool, whole number, number, need
list, time, ...). Every problem raises :class:`InputError` naming the file, the row as a
spreadsheet counts it (header = row 1) and the field. Nothing is dropped: completely blank rows
are the only rows skipped, and they keep their place in the row count.

Error messages never echo a child's location or postcode (personal data); other values are shown
so the user can find the typo.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import difflib
import hashlib
import io
import math
import re
import tomllib
import typing
import zipfile
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pyproj import Transformer

from sendplan.errors import InputError
from sendplan.routing.model import (
    NEED_CODES,
    SCHOOL_TYPES,
    Child,
    ModelError,
    Policy,
    Scenario,
    School,
    VehicleType,
    in_uk,
)

CHILDREN_FILE = "children.csv"
SCHOOLS_FILE = "schools.csv"
FLEET_FILE = "fleet.csv"
POLICY_FILE = "policy.toml"
SHEETS = ("children", "schools", "fleet", "policy")
SCENARIO_FILES = (CHILDREN_FILE, SCHOOLS_FILE, FLEET_FILE, POLICY_FILE)

AGE_RANGE = (2, 25)
YEAR_GROUP_RANGE = (0, 14)  # Reception = 0; age on 31 August = year group + 4
# British National Grid (EPSG:27700) extent in metres.
GRID_EASTING_M = (0.0, 700_000.0)
GRID_NORTHING_M = (0.0, 1_300_000.0)

T = TypeVar("T")


# --- where a problem is ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A file (or a sheet of a workbook) that rows come from."""

    file: str
    sheet: str | None = None

    def error(
        self, message: str, *, row: int | None = None, field: str | None = None
    ) -> InputError:
        return InputError(self.file, message, row=row, field=field, sheet=self.sheet)


class _CellError(ValueError):
    """A cell that does not parse; ``private`` is the message without the cell's value."""

    def __init__(self, message: str, private: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.private = private or message


class _FieldError(ValueError):
    """A problem with one field of a row, found after the cells parsed."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --- one parser per kind of cell (text arrives stripped and non-blank) ------------------------

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_NEEDS = {code.lower(): code for code in NEED_CODES}
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
_LA_CODE = re.compile(r"\d{3}")


def parse_text(text: str) -> str:
    return text


def parse_id(text: str) -> str:
    """An id: any text without ';' (which separates ids in lists)."""
    if ";" in text:
        raise _CellError(f"id {_show(text)} must not contain ';'")
    return text


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _CellError(f"{_show(text)} is not a boolean (use true/false, yes/no, y/n or 1/0)")


def parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _CellError(f"{_show(text)} is not a number", "not a number") from None
    if not math.isfinite(value):
        raise _CellError(f"{_show(text)} is not a finite number", "not a finite number")
    return value


def parse_int(text: str) -> int:
    """A whole number; '12.0' (as spreadsheets sometimes export) counts as 12."""
    try:
        return int(text)
    except ValueError:
        pass
    value = parse_float(text)
    if not value.is_integer():
        raise _CellError(f"{_show(text)} is not a whole number")
    return int(value)


def parse_count(text: str) -> int:
    """A whole number >= 0 (capacity, seats, places)."""
    value = parse_int(text)
    if value < 0:
        raise _CellError(f"{value} is negative")
    return value


def parse_money(text: str) -> float:
    """A number >= 0 (GBP)."""
    value = parse_float(text)
    if value < 0:
        raise _CellError(f"{text} is negative")
    return value


def parse_positive(text: str) -> float:
    value = parse_float(text)
    if value <= 0:
        raise _CellError(f"{text} is not above 0")
    return value


def parse_age(text: str) -> int:
    value = parse_int(text)
    low, high = AGE_RANGE
    if not low <= value <= high:
        raise _CellError(f"age {value} is outside {low}..{high}")
    return value


def parse_year_group(text: str) -> int:
    """A year group (R or 0..14, optionally written 'Y7' or 'Year 7') as the age it implies."""
    low, high = YEAR_GROUP_RANGE
    bare = re.sub(r"^(year|yr|y)\s*", "", text.lower())
    if bare in ("r", "reception"):
        return 4
    if bare.isdigit() and low <= int(bare) <= high:
        return int(bare) + 4
    raise _CellError(f"year_group {_show(text)} is not R or {low}..{high}")


def parse_need(text: str) -> str:
    """A SEN2 need code, matched case-insensitively and returned canonically."""
    code = _NEEDS.get(text.lower())
    if code is None:
        raise _CellError(f"unknown need code {_show(text)} (use one of {' '.join(NEED_CODES)})")
    return code


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _no_repeats(items: list[str]) -> tuple[str, ...]:
    for i, item in enumerate(items):
        if item in items[:i]:
            raise _CellError(f"{_show(item)} is listed twice")
    return tuple(items)


def parse_needs(text: str) -> tuple[str, ...]:
    return _no_repeats([parse_need(item) for item in _split_list(text)])


def parse_need_places(text: str) -> tuple[tuple[str, int], ...]:
    """``NEED:PLACES`` items separated by ``;`` (e.g. ``ASD:40;SLD:20``), in SEN2 order."""
    pairs: dict[str, int] = {}
    for item in _split_list(text):
        need, sep, places = item.partition(":")
        if not sep:
            raise _CellError(f"{_show(item)} is not NEED:PLACES")
        code = parse_need(need.strip())
        if code in pairs:
            raise _CellError(f"{code} is given twice")
        pairs[code] = parse_count(places.strip())
    return tuple((code, pairs[code]) for code in NEED_CODES if code in pairs)


def parse_ids(text: str) -> tuple[str, ...]:
    return _no_repeats(_split_list(text))


def parse_time(text: str) -> int:
    """HH:MM (24-hour) as minutes after midnight."""
    match = _TIME.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise _CellError(f"{_show(text)} is not a time HH:MM (24-hour)")
    return int(match[1]) * 60 + int(match[2])


def parse_la_code(text: str) -> str:
    if _LA_CODE.fullmatch(text) is None:
        raise _CellError(f"{_show(text)} is not a 3-digit LA code")
    return text


def parse_sex(text: str) -> str:
    if text.upper() not in ("M", "F"):
        raise _CellError(f"{_show(text)} is not M or F")
    return text.upper()


def parse_school_sex(text: str) -> str:
    if text.lower() == "mixed":
        return "mixed"
    try:
        return parse_sex(text)
    except _CellError:
        raise _CellError(f"{_show(text)} is not mixed, M or F") from None


def parse_school_type(text: str) -> str:
    kind = re.sub(r"[\s-]+", "_", text.lower())
    if kind not in SCHOOL_TYPES:
        raise _CellError(
            f"unknown school type {_show(text)} (use one of {', '.join(SCHOOL_TYPES)})"
        )
    return kind


# --- locations --------------------------------------------------------------------------------


@cache
def _grid_to_wgs84() -> Transformer:
    return Transformer.from_crs(27700, 4326, always_xy=True)


def _check_lonlat(lon: float, lat: float, field: str) -> tuple[float, float]:
    if in_uk(lon, lat):
        return lon, lat
    if in_uk(lat, lon):
        raise _FieldError(
            field, "lat and lon look swapped: the point is in the UK the other way round"
        )
    raise _FieldError(field, "the lon/lat point is outside the UK (WGS84 decimal degrees expected)")


def _grid_point(easting_m: float, northing_m: float, field: str) -> tuple[float, float]:
    """An EPSG:27700 easting/northing as WGS84 lon/lat."""

    def on_grid(e: float, n: float) -> bool:
        return (GRID_EASTING_M[0] <= e <= GRID_EASTING_M[1]) and (
            GRID_NORTHING_M[0] <= n <= GRID_NORTHING_M[1]
        )

    if not on_grid(easting_m, northing_m):
        if on_grid(northing_m, easting_m):
            raise _FieldError(field, "easting and northing look swapped")
        raise _FieldError(field, "the easting/northing point is off the British National Grid")
    lon, lat = _grid_to_wgs84().transform(easting_m, northing_m)
    if not in_uk(lon, lat):
        raise _FieldError(field, "the easting/northing point is outside the UK")
    return float(lon), float(lat)


PostcodeLookup = Callable[[str], tuple[float, float] | None]
"""Postcode -> (lon, lat) or None when unknown; built from a user-supplied file, never online."""


def _location(
    values: dict[str, Any], prefix: str = "", postcodes: PostcodeLookup | None = None
) -> tuple[float, float]:
    """The row's point from lon/lat, easting/northing, or a postcode looked up offline."""
    lon, lat, easting, northing = (f"{prefix}{n}" for n in ("lon", "lat", "easting", "northing"))
    kinds = [pair for pair in ((lon, lat), (easting, northing)) if any(k in values for k in pair)]
    if len(kinds) > 1:
        raise _FieldError(lon, f"give {lon},{lat} or {easting},{northing}, not both")
    if not kinds:
        if "postcode" in values:
            if postcodes is None:
                raise _FieldError(
                    "postcode",
                    "postcode lookup needs a postcode file (--postcodes FILE): "
                    f"or give {lon},{lat} or {easting},{northing}",
                )
            point = postcodes(str(values["postcode"]))
            if point is None:
                # Never echo the postcode itself: it is personal data.
                raise _FieldError("postcode", "malformed or not in the postcode file")
            return point
        raise _FieldError(lon, f"no location: give {lon},{lat} or {easting},{northing}")
    first, second = kinds[0]
    for name in (first, second):
        if name not in values:
            raise _FieldError(name, f"{name} is blank but {first},{second} are a pair")
    if first == lon:
        return _check_lonlat(values[lon], values[lat], lon)
    return _grid_point(values[easting], values[northing], easting)


# --- tables: header check, then one parsed dict per row -------------------------------------


@dataclass(frozen=True)
class _Column:
    parse: Callable[[str], object]
    required: bool = False
    private: bool = False  # may hold personal data: error messages omit the value


@dataclass(frozen=True)
class _Spec:
    columns: dict[str, _Column]
    # Alternatives the header must hold one of, e.g. lon+lat or easting+northing.
    one_of: tuple[tuple[tuple[str, ...], ...], ...] = ()
    personal_data_hint: bool = False  # say why a name/address column is refused


_PERSONAL_COLUMNS = frozenset(
    {"name", "first_name", "forename", "surname", "last_name", "full_name", "dob",
     "date_of_birth", "birth_date", "address", "address_line_1", "upn", "nhs_number"}
)  # fmt: skip


@dataclass(frozen=True)
class _Table:
    source: _Source
    header_row: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (spreadsheet row number, stripped cells)


def _location_columns(prefix: str = "", *, private: bool = False) -> dict[str, _Column]:
    return {
        f"{prefix}{name}": _Column(parse_float, private=private)
        for name in ("lon", "lat", "easting", "northing")
    }


def _location_group(prefix: str = "") -> tuple[tuple[str, ...], ...]:
    return ((f"{prefix}lon", f"{prefix}lat"), (f"{prefix}easting", f"{prefix}northing"))


CHILD_SPEC = _Spec(
    columns={
        "child_id": _Column(parse_id, required=True),
        **_location_columns(private=True),
        "postcode": _Column(parse_text, private=True),
        "age": _Column(parse_age),
        "year_group": _Column(parse_year_group),
        "sex": _Column(parse_sex, required=True),
        "primary_need": _Column(parse_need, required=True),
        "secondary_needs": _Column(parse_needs),
        "residential_need": _Column(parse_bool),
        "wheelchair": _Column(parse_bool),
        "needs_assistant": _Column(parse_bool),
        "travel_alone": _Column(parse_bool),
        "locked": _Column(parse_bool),
        "transport_eligible": _Column(parse_bool),
        "max_ride_min": _Column(parse_positive),
        "current_school": _Column(parse_id),
        "preferences": _Column(parse_ids),
        "home_la": _Column(parse_la_code),
        "sibling_group": _Column(parse_id),
        "never_with": _Column(parse_ids),
    },
    one_of=((*_location_group(), ("postcode",)), (("age",), ("year_group",))),
    personal_data_hint=True,
)

SCHOOL_SPEC = _Spec(
    columns={
        "school_id": _Column(parse_id, required=True),
        "name": _Column(parse_text, required=True),
        **_location_columns(),
        "la_code": _Column(parse_la_code, required=True),
        "type": _Column(parse_school_type, required=True),
        "age_low": _Column(parse_count, required=True),
        "age_high": _Column(parse_count, required=True),
        "sex": _Column(parse_school_sex),
        "designations": _Column(parse_needs, required=True),
        "capacity": _Column(parse_count, required=True),
        "residential_places": _Column(parse_count),
        "annual_cost_gbp": _Column(parse_money, required=True),
        "bell_am": _Column(parse_time),
        "finish_pm": _Column(parse_time),
        "in_area": _Column(parse_bool),
        "capacity_by_designation": _Column(parse_need_places),
    },
    one_of=(_location_group(),),
)

FLEET_SPEC = _Spec(
    columns={
        "name": _Column(parse_id, required=True),
        "seats": _Column(parse_count, required=True),
        "wheelchair_spaces": _Column(parse_count, required=True),
        "has_assistant": _Column(parse_bool),
        "fixed_cost_gbp": _Column(parse_money, required=True),
        "cost_per_km_gbp": _Column(parse_money, required=True),
        "available": _Column(parse_count, required=True),
        **_location_columns("depot_"),
    },
    one_of=(_location_group("depot_"),),
)


def _check_header(table: _Table, spec: _Spec) -> None:
    fail = table.source.error
    seen: set[str] = set()
    for name in table.header:
        if not name:
            continue
        if name in seen:
            raise fail(f"column {name} appears twice", row=table.header_row, field=name)
        seen.add(name)
        if name not in spec.columns:
            close = difflib.get_close_matches(name, spec.columns, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            if spec.personal_data_hint and name in _PERSONAL_COLUMNS:
                hint = " (pseudonymous ids only: no names, dates of birth or addresses)"
            raise fail(f"unknown column {_show(name)}{hint}", row=table.header_row, field=name)
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


def _parse_cells(table: _Table, spec: _Spec, cells: tuple[str, ...]) -> dict[str, Any]:
    """A row's non-blank cells, parsed; blank optional cells are left out to take the default."""
    values: dict[str, Any] = {}
    for i, text in enumerate(cells):
        name = table.header[i] if i < len(table.header) else ""
        if not name:
            if text:
                raise _FieldError(None, f"column {i + 1} holds a value but has no header")
            continue
        column = spec.columns[name]
        if not text:
            if column.required:
                raise _FieldError(name, f"{name} is required but blank")
            continue
        try:
            values[name] = column.parse(text)
        except _CellError as err:
            raise _FieldError(name, err.private if column.private else err.message) from None
    for name, column in spec.columns.items():
        if column.required and name not in values:  # a row shorter than the header
            raise _FieldError(name, f"{name} is required but blank")
    return values


def _build_rows(
    table: _Table, spec: _Spec, build: Callable[[dict[str, Any]], T]
) -> list[tuple[int, T]]:
    """Check the header, then parse and build every row, naming the row and field on error."""
    _check_header(table, spec)
    built: list[tuple[int, T]] = []
    for row, cells in table.rows:
        try:
            built.append((row, build(_parse_cells(table, spec, cells))))
        except _FieldError as err:
            raise table.source.error(err.message, row=row, field=err.field) from None
        except ModelError as err:
            raise table.source.error(str(err), row=row) from None
    return built


def _check_unique(
    table: _Table, rows: Iterable[tuple[int, T]], key: Callable[[T], str], field: str
) -> None:
    first_row: dict[str, int] = {}
    for row, item in rows:
        value = key(item)
        if value in first_row:
            raise table.source.error(
                f"duplicate {field} {_show(value)} (first on row {first_row[value]})",
                row=row,
                field=field,
            )
        first_row[value] = row


# --- rows -> domain objects ----------------------------------------------------------------

_CHILD_FIELDS = frozenset(f.name for f in dataclasses.fields(Child))
_SCHOOL_FIELDS = frozenset(f.name for f in dataclasses.fields(School))


def _child(
    values: dict[str, Any],
    school_ids: Collection[str],
    postcodes: PostcodeLookup | None = None,
) -> Child:
    lon, lat = _location(values, postcodes=postcodes)
    age: int | None = values.get("age")
    from_year: int | None = values.get("year_group")
    if age is None:
        if from_year is None:
            raise _FieldError("age", "give age or year_group")
        age = from_year
    elif from_year is not None and age != from_year:
        raise _FieldError("year_group", f"age {age} and year_group (age {from_year}) disagree")
    for school_id in values.get("preferences", ()):
        if school_id not in school_ids:
            raise _FieldError("preferences", f"unknown school {_show(school_id)}")
    current = values.get("current_school")
    if current is not None and current not in school_ids:
        raise _FieldError("current_school", f"unknown school {_show(current)}")
    if values.get("locked") and current is None:
        raise _FieldError("locked", "locked is true but current_school is blank")
    # The CSV column keeps DESIGN.md's name; the field says it is a limit, not an observed ride.
    if "max_ride_min" in values:
        values = {**values, "ride_limit_min": values["max_ride_min"]}
    fields = {k: v for k, v in values.items() if k in _CHILD_FIELDS}
    fields.update(lon=lon, lat=lat, age=age)  # lon/lat may have come from easting/northing
    return Child(**fields)


def _school(values: dict[str, Any]) -> School:
    lon, lat = _location(values)
    if values["age_low"] > values["age_high"]:
        raise _FieldError("age_high", f"age_high {values['age_high']} is below age_low")
    if values.get("residential_places", 0) > values["capacity"]:
        raise _FieldError("residential_places", "more residential places than capacity")
    for need, places in values.get("capacity_by_designation", ()):
        if need not in values["designations"]:
            raise _FieldError("capacity_by_designation", f"{need} is not among the designations")
        if places > values["capacity"]:
            raise _FieldError("capacity_by_designation", f"{need} places exceed capacity")
    fields = {k: v for k, v in values.items() if k in _SCHOOL_FIELDS}
    fields["designations"] = frozenset(values["designations"])
    for name, model_name in (("bell_am", "bell_am_min"), ("finish_pm", "finish_pm_min")):
        if name in values:
            fields[model_name] = values[name]
    fields.update(lon=lon, lat=lat)
    return School(**fields)


def _vehicle_type(values: dict[str, Any]) -> VehicleType:
    depot_lon, depot_lat = _location(values, prefix="depot_")
    fields = {k: v for k, v in values.items() if not k.startswith("depot_")}
    fields.setdefault("has_assistant", False)
    if fields["seats"] < 1:
        raise _FieldError("seats", "seats must be at least 1")
    return VehicleType(depot_lon=depot_lon, depot_lat=depot_lat, **fields)


def _schools_from(table: _Table) -> tuple[School, ...]:
    rows = _build_rows(table, SCHOOL_SPEC, _school)
    if not rows:
        raise table.source.error("no schools: the file has a header but no rows")
    _check_unique(table, rows, lambda s: s.school_id, "school_id")
    return tuple(school for _, school in rows)


def _children_from(
    table: _Table,
    school_ids: Collection[str],
    *,
    allow_empty: bool = False,
    postcodes: PostcodeLookup | None = None,
) -> tuple[Child, ...]:
    rows = _build_rows(table, CHILD_SPEC, lambda values: _child(values, school_ids, postcodes))
    if not rows and not allow_empty:
        raise table.source.error("no children: the file has a header but no rows")
    _check_unique(table, rows, lambda c: c.child_id, "child_id")
    ids = {child.child_id for _, child in rows}
    for row, child in rows:
        for other in child.never_with:
            if other not in ids:
                raise table.source.error(
                    f"never_with names unknown child {_show(other)}", row=row, field="never_with"
                )
    return tuple(child for _, child in rows)


def _fleet_from(table: _Table) -> tuple[VehicleType, ...]:
    rows = _build_rows(table, FLEET_SPEC, _vehicle_type)
    _check_unique(table, rows, lambda v: v.name, "name")
    return tuple(vehicle for _, vehicle in rows)


# --- policy: TOML keys or a key/value sheet ---------------------------------------------------


def _policy_value(key: str, value: object, hint: object) -> object:
    """A policy value coerced to its field's type (bool, float, int or tuple of floats)."""
    if hint is bool:
        if isinstance(value, str):
            try:
                return parse_bool(value)
            except _CellError as err:
                raise _FieldError(key, f"{key}: {err}") from None
        if not isinstance(value, bool):
            raise _FieldError(key, f"{key} must be true or false, not {_show(str(value))}")
        return value
    if isinstance(value, str):
        value = _policy_text(value, hint)
    if typing.get_origin(hint) is tuple:
        size = len(typing.get_args(hint))
        if not isinstance(value, list | tuple) or len(value) != size:
            raise _FieldError(key, f"{key} must be a list of {size} numbers")
        return tuple(_policy_value(key, item, float) for item in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(key, f"{key} must be a number, not {_show(str(value))}")
    if not math.isfinite(value):
        raise _FieldError(key, f"{key} must be a finite number")
    if hint is int:
        if not float(value).is_integer():
            raise _FieldError(key, f"{key} must be a whole number, not {value}")
        return int(value)
    return float(value)


def _policy_text(text: str, hint: object) -> object:
    """A spreadsheet cell's text as a number or list ('5;20' or '[5, 20]')."""
    try:
        if typing.get_origin(hint) is tuple:
            return [
                parse_float(item)
                for item in _split_list(text.strip().strip("[]").replace(",", ";"))
            ]
        return parse_float(text.strip())
    except _CellError:
        return text


def _policy_from(items: Iterable[tuple[int | None, str, object]], source: _Source) -> Policy:
    hints = typing.get_type_hints(Policy)
    known = [f.name for f in dataclasses.fields(Policy)]
    values: dict[str, object] = {}
    rows: dict[str, int | None] = {}
    for row, key, value in items:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise source.error(f"unknown policy key {_show(key)}{hint}", row=row, field=key)
        if key in values:
            raise source.error(f"policy key {key} is given twice", row=row, field=key)
        try:
            values[key] = _policy_value(key, value, hints[key])
        except _FieldError as err:
            raise source.error(err.message, row=row, field=key) from None
        rows[key] = row
    try:
        return Policy(**values)  # type: ignore[arg-type]
    except ModelError as err:
        # Policy checks one field at a time, so building with each key alone finds the culprit.
        for key, value in values.items():
            try:
                Policy(**{key: value})  # type: ignore[arg-type]
            except ModelError:
                raise source.error(str(err), row=rows[key], field=key) from None
        raise source.error(str(err)) from None


# --- reading files ------------------------------------------------------------------------


def _read_bytes(path: Path, source: _Source) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise source.error(f"cannot read the file ({err.strerror})") from None


def _decode(data: bytes, source: _Source) -> str:
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


def _table_from_rows(source: _Source, rows: Iterable[Sequence[str]]) -> _Table:
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
    return _Table(source, header_row, header, tuple(data))


def _csv_table(path: Path) -> _Table:
    source = _Source(path.name)
    reader = csv.reader(io.StringIO(_decode(_read_bytes(path, source), source), newline=""))
    try:
        return _table_from_rows(source, list(reader))
    except csv.Error as err:
        raise source.error(f"not valid CSV ({err})", row=reader.line_num) from None


def _cell_text(value: object) -> str:
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


def read_schools(path: Path) -> tuple[School, ...]:
    """schools.csv as School objects (at least one)."""
    return _schools_from(_csv_table(path))


def read_children(path: Path, *, school_ids: Collection[str]) -> tuple[Child, ...]:
    """children.csv as Child objects (at least one); preferences must name ``school_ids``."""
    return _children_from(_csv_table(path), school_ids)


def read_fleet(path: Path) -> tuple[VehicleType, ...]:
    """fleet.csv as vehicle types (may be empty)."""
    return _fleet_from(_csv_table(path))


def read_policy(path: Path) -> Policy:
    """policy.toml as a Policy; missing keys take the defaults, unknown keys are an error."""
    source = _Source(path.name)
    text = _decode(_read_bytes(path, source), source)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise source.error(f"not valid TOML ({err})") from None
    return _policy_from(((None, key, value) for key, value in document.items()), source)


# --- whole scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """What a scenario folder or workbook holds, before the rows are built."""

    schools: _Table
    children: _Table | None
    fleet: _Table | None
    policy: Callable[[], Policy]


def _folder_parts(folder: Path) -> _Parts:
    schools = folder / SCHOOLS_FILE
    if not schools.is_file():
        raise InputError(
            SCHOOLS_FILE, f"missing: the scenario folder {folder.name} has no {SCHOOLS_FILE}"
        )
    children, fleet, policy = (folder / n for n in (CHILDREN_FILE, FLEET_FILE, POLICY_FILE))
    return _Parts(
        schools=_csv_table(schools),
        children=_csv_table(children) if children.is_file() else None,
        fleet=_csv_table(fleet) if fleet.is_file() else None,
        policy=(lambda: read_policy(policy)) if policy.is_file() else Policy,
    )


def _workbook_parts(path: Path) -> _Parts:
    import openpyxl  # only workbooks need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise InputError(
            path.name, f"not a readable .xlsx workbook ({type(err).__name__})"
        ) from None
    try:
        sheets = {name.strip().lower(): name for name in book.sheetnames}
        if "schools" not in sheets:
            found = ", ".join(book.sheetnames)
            raise InputError(
                path.name, f"missing sheet schools (the workbook has: {found})", sheet="schools"
            )
        raw = {
            key: [tuple(row) for row in book[name].iter_rows(values_only=True)]
            for key, name in sheets.items()
            if key in SHEETS
        }
    finally:
        book.close()

    def table(sheet: str) -> _Table | None:
        if sheet not in raw:
            return None
        rows = ([_cell_text(value) for value in row] for row in raw[sheet])
        return _table_from_rows(_Source(path.name, sheet), rows)

    def policy() -> Policy:
        source = _Source(path.name, "policy")
        return _policy_from(_policy_items(raw.get("policy", []), source), source)

    schools = table("schools")
    assert schools is not None
    return _Parts(schools=schools, children=table("children"), fleet=table("fleet"), policy=policy)


def _policy_items(
    rows: Sequence[tuple[object, ...]], source: _Source
) -> Iterable[tuple[int, str, object]]:
    """(row, key, value) from a key/value sheet; a 'key, value' header row is optional."""
    for number, row in enumerate(rows, start=1):
        cells = [*row, None, None]
        key, value = cells[0], cells[1]
        if key is None or not str(key).strip():
            if any(cell is not None and str(cell).strip() for cell in row):
                raise source.error("a value has no key", row=number, field="key")
            continue
        name = str(key).strip()
        if number == 1 and name.lower() == "key":
            continue
        if any(cell is not None and str(cell).strip() for cell in row[2:]):
            raise source.error("only two columns (key, value) are allowed", row=number, field=name)
        yield number, name, value


def _sources(path: Path) -> tuple[tuple[str, str], ...]:
    """(name, sha256) of the workbook, or of each scenario file present in the folder."""
    files = [path] if path.is_file() else [path / n for n in SCENARIO_FILES]
    return tuple((f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files if f.is_file())


def load_scenario(
    path: Path,
    *,
    name: str | None = None,
    require_children: bool = True,
    children: Sequence[Child] | None = None,
    seed: int | None = None,
    postcodes: PostcodeLookup | None = None,
) -> Scenario:
    """A scenario from a folder of CSV files or an .xlsx workbook.

    ``postcodes`` geocodes children given by `postcode` alone (see ``geo.postcodes``).

    fleet and policy are optional (empty fleet, default Policy). children are required unless
    ``require_children`` is False or ``children`` are passed in (which then replace the file's).
    """
    path = Path(path)
    if path.is_dir():
        parts = _folder_parts(path)
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        parts = _workbook_parts(path)
    elif path.exists():
        raise InputError(path.name, "a scenario is a folder of CSV files or an .xlsx workbook")
    else:
        raise InputError(path.name, "no such scenario folder or workbook")

    schools = _schools_from(parts.schools)
    school_ids = frozenset(s.school_id for s in schools)
    if children is not None:
        kids = tuple(children)
    elif parts.children is not None:
        kids = _children_from(
            parts.children, school_ids, allow_empty=not require_children, postcodes=postcodes
        )
    elif require_children:
        if path.is_file():
            raise InputError(path.name, "missing sheet children", sheet="children")
        raise InputError(CHILDREN_FILE, f"missing: the scenario folder {path.name} has none")
    else:
        kids = ()
    fleet = _fleet_from(parts.fleet) if parts.fleet is not None else ()
    policy = parts.policy()
    scenario_name = (
        name if name is not None else (path.stem if path.is_file() else path.resolve().name)
    )
    try:
        return Scenario(
            name=scenario_name,
            children=kids,
            schools=schools,
            fleet=fleet,
            policy=policy,
            seed=seed,
            sources=_sources(path),
        )
    except ModelError as err:
        raise InputError(path.name, str(err)) from None
