"""Read an expansion options CSV (``sendplan expand --options``), naming row and field on error.

Columns: ``option_id, places, capital_gbp, earliest_year`` (required); ``school_id`` (an
existing school to expand; blank for a new site, which then needs ``lon, lat, designations,
age_low, age_high, revenue_gbp_per_place``); ``name, lon, lat, designations`` (``;``-separated
SEN2 codes), ``age_low, age_high, revenue_gbp_per_place, exclusive_group, requires`` (another
option_id, built no later), ``type, la_code`` (new sites) and ``source`` (free text).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from sendplan.api.cells import (
    FEE_GBP_RANGE,
    MAX_PLACES,
    FieldError,
    number_in,
    parse_age,
    parse_id,
    parse_la_code,
    parse_needs,
    parse_school_type,
    parse_text,
    whole_in,
)
from sendplan.api.tables import Column, Spec, build_rows, check_unique, csv_table
from sendplan.errors import InputError
from sendplan.routing.model import ModelError, Scenario
from sendplan.routing.planning.options import Option, OptionError, annex_school, check_options

DEFAULT_OPTIONS = "expansion_options_2023.csv"
_CAPITAL_MAX_GBP = 1e10

SPEC = Spec(
    columns={
        "option_id": Column(parse_id, required=True),
        "places": Column(whole_in(1, MAX_PLACES), required=True),
        "capital_gbp": Column(number_in(0, _CAPITAL_MAX_GBP), required=True),
        "earliest_year": Column(whole_in(2000, 2100), required=True),
        "school_id": Column(parse_id),
        "name": Column(parse_text),
        "lon": Column(number_in(-180, 180)),
        "lat": Column(number_in(-90, 90)),
        "designations": Column(parse_needs),
        "age_low": Column(parse_age),
        "age_high": Column(parse_age),
        "revenue_gbp_per_place": Column(number_in(*FEE_GBP_RANGE)),
        "exclusive_group": Column(parse_id),
        "requires": Column(parse_id),
        "type": Column(parse_school_type),
        "la_code": Column(parse_la_code),
        "source": Column(parse_text),
    }
)


# A new site has no school to take these from; a missing fee would price its places at GBP 0.
NEW_SITE_FIELDS = ("lon", "lat", "designations", "age_low", "age_high", "revenue_gbp_per_place")


def _build(values: dict[str, Any]) -> Option:
    if values.get("requires") is not None and values["requires"] == values["option_id"]:
        raise FieldError("requires", "an option cannot require itself")
    if values.get("school_id") is None:
        for field in NEW_SITE_FIELDS:
            if values.get(field) is None:
                raise FieldError(field, f"a new site (no school_id) needs {field}")
    designations = values.pop("designations", None)
    kind = values.pop("type", None)
    return Option(
        **values,
        designations=None if designations is None else frozenset(designations),
        **({} if kind is None else {"school_type": kind}),
    )


def read_options(path: Path, scenario: Scenario | None = None) -> tuple[Option, ...]:
    """The options in ``path``, checked row by row (and against ``scenario`` when given)."""
    table = csv_table(Path(path))
    rows = build_rows(table, SPEC, _build)
    check_unique(table, rows, lambda o: o.option_id, "option_id")
    if scenario is not None:
        schools = {s.school_id for s in scenario.schools}
        ids = {o.option_id for _, o in rows}
        for row, option in rows:
            fail = table.source.error
            if option.option_id in schools:
                raise fail("option_id is also a school_id", row=row, field="option_id")
            if option.school_id is not None and option.school_id not in schools:
                raise fail(f"unknown school {option.school_id}", row=row, field="school_id")
            if option.requires is not None and option.requires not in ids:
                raise fail(f"unknown option {option.requires}", row=row, field="requires")
            try:
                annex_school(option, scenario)
            except ModelError as err:
                raise fail(str(err), row=row) from None
        row_of = {o.option_id: row for row, o in rows}
        try:
            check_options([o for _, o in rows], scenario)
        except OptionError as err:
            raise table.source.error(str(err), row=row_of[err.option_id], field=err.field) from None
    return tuple(option for _, option in rows)


def default_options(scenario: Scenario | None = None) -> tuple[Option, ...]:
    """The 2023 Leicester options shipped in ``data/`` (sources: data/SOURCES.md)."""
    with as_file(files("sendplan.data") / DEFAULT_OPTIONS) as path:
        return read_options(path, scenario)


def shipped_options(scenario: Scenario, *, field: str, remedy: str) -> tuple[Option, ...]:
    """``default_options(scenario)``, or, when they do not fit its schools (another council's
    scenario), an error naming ``field`` (what the user gives instead) with ``remedy``, not the
    shipped file's row the user never wrote."""
    try:
        return default_options(scenario)
    except InputError as err:
        raise InputError(
            field,
            f"the shipped Leicester options do not fit this scenario's schools ({err.message});"
            f" {remedy}",
        ) from None


__all__ = ["DEFAULT_OPTIONS", "SPEC", "default_options", "read_options", "shipped_options"]
