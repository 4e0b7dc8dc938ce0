"""Read the mid-year changes file of ``sendplan routes --baseline ROUTES --changes CHANGES.csv``.

One change a row, applied in row order::

    change,child_id,route_id,lon,lat,postcode,school_id,age,sex,primary_need,wheelchair,...
    add_child,C9001,,-1.13,52.63,,S01,9,M,ASD,false
    remove_child,C0042
    change_address,C0107,,-1.15,52.61
    change_school,C0215,,,,,S07
    route_handed_back,,AM-S03-004

``change`` is one of add_child, remove_child, change_address, change_school,
route_handed_back. An added child needs child_id, a home (lon,lat, easting,northing or a
postcode with ``--postcodes``), school_id, age, sex and primary_need; wheelchair,
needs_assistant, travel_alone, ride_limit_min and sibling_group are optional. A new address
needs the child and the home; a new school the child and school_id; a route handed back its
route_id (one of the baseline's). Errors name the file, row and field; never a location.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from sendplan.api.cells import (
    CellError,
    FieldError,
    parse_age,
    parse_bool,
    parse_float,
    parse_id,
    parse_need,
    parse_ride_limit,
    parse_sex,
    parse_text,
    show,
)
from sendplan.api.locations import PostcodeLookup, location
from sendplan.api.tables import Column, Spec, build_rows, csv_table
from sendplan.routing.model import Child
from sendplan.routing.transport.changes import CHANGE_KINDS, Change, ChangeKind

# What each kind of change needs besides its home (``location``) where it says so.
NEEDS: dict[ChangeKind, tuple[str, ...]] = {
    "add_child": ("child_id", "school_id", "age", "sex", "primary_need"),
    "remove_child": ("child_id",),
    "change_address": ("child_id",),
    "change_school": ("child_id", "school_id"),
    "route_handed_back": ("route_id",),
}
_HOME = frozenset({"add_child", "change_address"})
_OPTIONAL_CHILD = (
    "wheelchair",
    "needs_assistant",
    "travel_alone",
    "ride_limit_min",
    "sibling_group",
)


def _parse_change(text: str) -> str:
    if text not in CHANGE_KINDS:
        raise CellError(f"{show(text)} is not one of {', '.join(CHANGE_KINDS)}")
    return text


CHANGES_SPEC = Spec(
    columns={
        "change": Column(_parse_change, required=True),
        "child_id": Column(parse_id),
        "route_id": Column(parse_text),
        **{n: Column(parse_float, private=True) for n in ("lon", "lat", "easting", "northing")},
        "postcode": Column(parse_text, private=True),
        "school_id": Column(parse_id),
        "age": Column(parse_age),
        "sex": Column(parse_sex),
        "primary_need": Column(parse_need),
        "wheelchair": Column(parse_bool),
        "needs_assistant": Column(parse_bool),
        "travel_alone": Column(parse_bool),
        "ride_limit_min": Column(parse_ride_limit),
        "sibling_group": Column(parse_id),
    },
    personal_data_hint=True,
)


def read_changes(path: Path, *, postcodes: PostcodeLookup | None = None) -> list[Change]:
    """The file's changes in row order (InputError naming file, row and field)."""
    table = csv_table(path)

    def build(values: dict[str, Any]) -> Change:
        return _change(values, postcodes)

    # Each change keeps its row, so that applying it (an unknown child) names the row too.
    return [replace(change, row=row) for row, change in build_rows(table, CHANGES_SPEC, build)]


def _change(values: dict[str, Any], postcodes: PostcodeLookup | None) -> Change:
    kind = cast(ChangeKind, values["change"])
    for name in NEEDS[kind]:
        if name not in values:
            raise FieldError(name, f"{kind} needs {name}")
    point = location(values, postcodes=postcodes) if kind in _HOME else None
    child = None
    if kind == "add_child":
        assert point is not None
        extra = {n: values[n] for n in _OPTIONAL_CHILD if n in values}
        child = Child(
            child_id=values["child_id"],
            lon=point[0],
            lat=point[1],
            age=values["age"],
            primary_need=values["primary_need"],
            sex=values["sex"],
            current_school=values["school_id"],
            **extra,
        )
    return Change(
        kind=kind,
        row=0,
        child_id=values.get("child_id", ""),
        route_id=values.get("route_id", ""),
        point=point,
        school_id=values.get("school_id", ""),
        child=child,
    )
