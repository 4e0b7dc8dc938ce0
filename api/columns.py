"""The columns each scenario file may hold: name -> parser, required or not, personal or not."""

from __future__ import annotations

import re

from sendplan.api.cells import (
    SEATS_RANGE,
    WHEELCHAIR_SPACES_RANGE,
    CellError,
    parse_age,
    parse_available,
    parse_bool,
    parse_cohort,
    parse_date,
    parse_eligibility,
    parse_fee,
    parse_float,
    parse_id,
    parse_ids,
    parse_km_cost,
    parse_la_code,
    parse_need,
    parse_need_places,
    parse_needs,
    parse_opens,
    parse_places,
    parse_ride_limit,
    parse_run_cost,
    parse_school_age,
    parse_school_sex,
    parse_school_type,
    parse_seats,
    parse_sex,
    parse_text,
    parse_time,
    parse_wheelchair_spaces,
    parse_year_group,
    show,
    split_list,
)
from sendplan.api.tables import Column, Spec

_LAYOUT = re.compile(r"(\d{1,3})\s*\+\s*(\d{1,3})")


def parse_layouts(text: str) -> tuple[tuple[int, int], ...]:
    """A ``;``-separated list of layouts ``seats+wheelchair spaces``, e.g. ``16+0;14+1;12+2``."""
    out: list[tuple[int, int]] = []
    for item in split_list(text):
        match = _LAYOUT.fullmatch(item)
        if match is None:
            raise CellError(f"{show(item)} is not a layout seats+spaces (like 14+1)")
        layout = (int(match[1]), int(match[2]))
        if not (
            SEATS_RANGE[0] - 1 <= layout[0] <= SEATS_RANGE[1]
            and WHEELCHAIR_SPACES_RANGE[0] <= layout[1] <= WHEELCHAIR_SPACES_RANGE[1]
            and sum(layout) >= 1
        ):
            raise CellError(
                f"layout {show(item)}: seats {SEATS_RANGE[0] - 1}..{SEATS_RANGE[1]} and "
                f"wheelchair spaces {WHEELCHAIR_SPACES_RANGE[0]}..{WHEELCHAIR_SPACES_RANGE[1]}, "
                "at least one place"
            )
        if layout in out:
            raise CellError(f"layout {show(item)} is listed twice")
        out.append(layout)
    return tuple(out)


def _location_columns(prefix: str = "", *, private: bool = False) -> dict[str, Column]:
    return {
        f"{prefix}{name}": Column(parse_float, private=private)
        for name in ("lon", "lat", "easting", "northing")
    }


def _location_group(prefix: str = "") -> tuple[tuple[str, ...], ...]:
    return ((f"{prefix}lon", f"{prefix}lat"), (f"{prefix}easting", f"{prefix}northing"))


CHILD_SPEC = Spec(
    columns={
        "child_id": Column(parse_id, required=True),
        **_location_columns(private=True),
        "postcode": Column(parse_text, private=True),
        "age": Column(parse_age),
        "year_group": Column(parse_year_group),
        "sex": Column(parse_sex, required=True),
        "primary_need": Column(parse_need, required=True),
        "secondary_needs": Column(parse_needs),
        "residential_need": Column(parse_bool),
        "wheelchair": Column(parse_bool),
        "needs_assistant": Column(parse_bool),
        "travel_alone": Column(parse_bool),
        "locked": Column(parse_bool),
        "transport_eligible": Column(parse_eligibility),
        "ride_limit_min": Column(parse_ride_limit),
        # The name of earlier releases (and DESIGN.md), still read; written as ride_limit_min.
        "max_ride_min": Column(parse_ride_limit),
        "current_school": Column(parse_id),
        "preferences": Column(parse_ids),
        "home_la": Column(parse_la_code),
        "sibling_group": Column(parse_id),
        "never_with": Column(parse_ids),
        "cohort": Column(parse_cohort),
        "new_plan": Column(parse_bool),
    },
    one_of=((*_location_group(), ("postcode",)), (("age",), ("year_group",))),
    personal_data_hint=True,
)

SCHOOL_SPEC = Spec(
    columns={
        "school_id": Column(parse_id, required=True),
        "name": Column(parse_text, required=True),
        **_location_columns(),
        "la_code": Column(parse_la_code, required=True),
        "type": Column(parse_school_type, required=True),
        "age_low": Column(parse_school_age, required=True),
        "age_high": Column(parse_school_age, required=True),
        "sex": Column(parse_school_sex),
        "designations": Column(parse_needs, required=True),
        "capacity": Column(parse_places, required=True),
        "residential_places": Column(parse_places),
        "annual_cost_gbp": Column(parse_fee, required=True),
        "bell_am": Column(parse_time),
        "finish_pm": Column(parse_time),
        "in_area": Column(parse_bool),
        "capacity_by_designation": Column(parse_need_places),
        "reserved_by_designation": Column(parse_need_places),
        "opens": Column(parse_opens),
        "closes": Column(parse_date),
    },
    one_of=(_location_group(),),
)

FLEET_SPEC = Spec(
    columns={
        "name": Column(parse_id, required=True),
        "seats": Column(parse_seats, required=True),
        "wheelchair_spaces": Column(parse_wheelchair_spaces, required=True),
        "has_assistant": Column(parse_bool),
        "fixed_cost_gbp": Column(parse_run_cost, required=True),
        "cost_per_km_gbp": Column(parse_km_cost, required=True),
        "available": Column(parse_available, required=True),
        "layouts": Column(parse_layouts),
        **_location_columns("depot_"),
    },
    one_of=(_location_group("depot_"),),
)
