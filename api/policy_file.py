"""The scenario policy: policy.toml keys or a workbook's key/value sheet, as a Policy."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import math
import sys
import tomllib
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sendplan.api.cells import (
    CellError,
    FieldError,
    format_bound,
    out_of_range,
    parse_bool,
    parse_date,
    parse_float,
    show,
    split_list,
)
from sendplan.api.tables import Source, decode, read_bytes
from sendplan.errors import loads_toml
from sendplan.routing.model import ModelError, Policy

_GBP = (0, 10_000_000)
_BIG_GBP = (0, 1_000_000_000)  # the penalties that must outweigh every other term
_MINUTES = (1, 600)
# The range each numeric policy key must lie in (both ends allowed); a tuple's items each.
POLICY_RANGES: dict[str, tuple[float, float]] = {
    "weight_placement_cost": (0, 1_000),
    "travel_gbp_per_min": _GBP,
    "preference_gbp_per_rank": _GBP,
    "not_preferred_gbp": _GBP,
    "out_of_area_gbp": _GBP,
    "unplaced_gbp": _BIG_GBP,
    "over_capacity_gbp": _BIG_GBP,
    "transport_gbp_per_km": (0, 1_000),
    "max_candidates": (0, 100_000),
    "max_travel_min_primary": _MINUTES,
    "max_travel_min_secondary": _MINUTES,
    "ride_limit_min_primary": _MINUTES,
    "ride_limit_min_secondary": _MINUTES,
    "boarding_walk_on_min": (0, 60),
    "boarding_wheelchair_min": (0, 60),
    "arrival_window_min": (0, 120),
    "walking_distance_under8_miles": (0, 20),
    "walking_distance_from8_miles": (0, 20),
    "school_days_per_year": (1, 366),
    "pm_departure_after_finish_min": (0, 120),
    "boarder_journeys_per_year": (0, 732),
    "ptb_pence_per_mile": (0, 1_000),
    "ptb_annual_gbp": (0, 1_000_000),
    "ptb_pre16_pence_per_mile": (0, 1_000),
    "ptb_pre16_annual_gbp": (0, 1_000_000),
    "post16_from_age": (2, 26),
    "circuity_factor": (1, 5),
    "max_snap_m": (1, 100_000),
    "am_peak_congestion_factor": (1, 10),
    "mixed_max_school_gap_min": (0, 120),
    "disruption_move_gbp": (0, 100_000),
    "disruption_time_gbp": (0, 100_000),
    "pickup_tolerance_min": (0, 120),
}


def _check_range(key: str, value: object) -> None:
    """A policy number within POLICY_RANGES, or a FieldError naming the key and the range."""
    low, high = POLICY_RANGES.get(key, (-math.inf, math.inf))
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, bool) or not isinstance(item, int | float):
            continue
        if not low <= item <= high:
            raise FieldError(key, f"{key} {out_of_range(format_bound(item), item, low, high)}")


_LARGEST_FLOAT = int(sys.float_info.max)


def _policy_value(key: str, value: object, hint: object) -> object:
    """A policy value coerced to its field's type (bool, float, int or tuple of floats)."""
    if hint is bool:
        if isinstance(value, str):
            try:
                return parse_bool(value)
            except CellError as err:
                raise FieldError(key, f"{key}: {err}") from None
        if not isinstance(value, bool):
            raise FieldError(key, f"{key} must be true or false, not {show(str(value))}")
        return value
    if isinstance(value, str):
        value = _policy_text(value, hint)
    if typing.get_origin(hint) is tuple:
        size = len(typing.get_args(hint))
        if not isinstance(value, list | tuple) or len(value) != size:
            raise FieldError(key, f"{key} must be a list of {size} numbers")
        return tuple(_policy_value(key, item, float) for item in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(key, f"{key} must be a number, not {show(str(value))}")
    # A JSON integer too large for a float (10**400) is as out of range as infinity.
    if (isinstance(value, int) and abs(value) > _LARGEST_FLOAT) or not math.isfinite(value):
        raise FieldError(key, f"{key} must be a finite number")
    if hint is int:
        if not float(value).is_integer():
            raise FieldError(key, f"{key} must be a whole number, not {value}")
        return int(value)
    return float(value)


def _policy_text(text: str, hint: object) -> object:
    """A spreadsheet cell's text as a number or list ('5;20' or '[5, 20]')."""
    try:
        if typing.get_origin(hint) is tuple:
            return [
                parse_float(item) for item in split_list(text.strip().strip("[]").replace(",", ";"))
            ]
        return parse_float(text.strip())
    except CellError:
        return text


RENAMED = {
    "max_ride_min_primary": "ride_limit_min_primary",
    "max_ride_min_secondary": "ride_limit_min_secondary",
}
"""Keys of earlier releases, still read: a limit is now named ``ride_limit``, as
``max_ride_min`` in a summary is only ever the longest ride observed."""


def policy_from(items: Iterable[tuple[int | None, str, object]], source: Source) -> Policy:
    hints = typing.get_type_hints(Policy)
    known = [f.name for f in dataclasses.fields(Policy)]
    values: dict[str, object] = {}
    rows: dict[str, int | None] = {}
    for row, given, value in items:
        key = RENAMED.get(given, given)
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise source.error(f"unknown policy key {show(key)}{hint}", row=row, field=key)
        if key in values:
            raise source.error(f"policy key {key} is given twice", row=row, field=key)
        try:
            values[key] = _policy_value(key, value, hints[key])
            _check_range(key, values[key])
        except FieldError as err:
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


def read_toml(path: Path) -> tuple[dict[str, Any], Source]:
    """A TOML file's document and its Source (for errors naming the file); bad bytes or TOML
    are an InputError naming the file."""
    source = Source(path.name)
    text = decode(read_bytes(path, source), source)
    try:
        return loads_toml(text), source
    except tomllib.TOMLDecodeError as err:
        raise source.error(f"not valid TOML ({err})") from None


def read_policy(path: Path) -> Policy:
    """policy.toml as a Policy; missing keys take the defaults, unknown keys are an error."""
    document, source = read_toml(path)
    return policy_from(((None, key, value) for key, value in document.items()), source)


def policy_items(
    rows: Sequence[tuple[object, ...]], source: Source
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


SCENARIO_SETTINGS_FILE = "scenario.toml"
AS_OF_KEY = "as_of"


def as_of_from(value: object, source: Source, *, row: int | None = None) -> datetime.date:
    """The scenario's as_of date: a TOML date (or a workbook date cell, or its text)."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()  # a workbook date cell
    elif isinstance(value, str):
        with contextlib.suppress(CellError):  # reported below, with the value
            value = parse_date(value.strip())
    if type(value) is not datetime.date:
        raise source.error(
            f"{AS_OF_KEY} must be a date such as 2025-01-16 (unquoted in TOML), not "
            f"{show(str(value))}",
            row=row,
            field=AS_OF_KEY,
        )
    return value


def read_scenario_settings(path: Path) -> datetime.date | None:
    """scenario.toml: the one key ``as_of``, a TOML date (``as_of = 2025-01-16``); any other key
    is an error. Returns the date, or None when the file does not set it."""
    document, source = read_toml(path)
    for key in document:
        if key != AS_OF_KEY:
            raise source.error(f"unknown key {show(key)} (the only key is {AS_OF_KEY})", field=key)
    if AS_OF_KEY not in document:
        return None
    value = document[AS_OF_KEY]
    if isinstance(value, str):  # a quoted date is a string in TOML: ask for the date itself
        raise source.error(
            f"{AS_OF_KEY} must be a TOML date such as 2025-01-16 (unquoted), not a string",
            field=AS_OF_KEY,
        )
    return as_of_from(value, source)
