"""Write a Scenario as a scenario folder in the input format, so that loading it gives it back.

Floats are written repr-exact (whole numbers without a trailing '.0'), rows keep their order and
lines end in '\\n', so the same scenario always gives the same bytes. Text that a spreadsheet
would run as a formula (a school named ``=HYPERLINK(...)``) is written with a leading ``'``
(:mod:`sendplan.api.neutralise`), which the loader takes off again.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sendplan.api.neutralise import csv_row
from sendplan.routing.model import (
    NEED_CODES,
    Child,
    Policy,
    Scenario,
    School,
    VehicleType,
    layout_label,
)

CHILD_COLUMNS = (
    "child_id", "lon", "lat", "age", "sex", "primary_need", "secondary_needs", "residential_need",
    "wheelchair", "needs_assistant", "travel_alone", "transport_eligible", "ride_limit_min",
    "current_school", "locked", "preferences", "home_la",
)  # fmt: skip
SCHOOL_COLUMNS = (
    "school_id", "name", "lon", "lat", "la_code", "type", "age_low", "age_high", "sex",
    "designations", "capacity", "residential_places", "annual_cost_gbp", "bell_am", "finish_pm",
    "in_area",
)  # fmt: skip
# Written only when some child uses them, so older files keep their bytes.
OPTIONAL_CHILD_COLUMNS = ("sibling_group", "never_with")
# Each written only when some row differs from the default, so older files keep their bytes.
LATER_CHILD_COLUMNS = ("cohort", "new_plan")
# Each written only when some school uses it, so older files keep their bytes.
OPTIONAL_SCHOOL_COLUMNS = ("capacity_by_designation", "reserved_by_designation", "opens", "closes")
OPTIONAL_SCHOOL_COLUMN = OPTIONAL_SCHOOL_COLUMNS[0]  # the first of them, earlier the only one
FLEET_COLUMNS = (
    "name", "seats", "wheelchair_spaces", "has_assistant", "fixed_cost_gbp", "cost_per_km_gbp",
    "available", "depot_lon", "depot_lat",
)  # fmt: skip


def format_number(value: float) -> str:
    """A number as text that parses back to the same float: '45000', '-1.1335', '1e+16'."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def format_time(minutes: int) -> str:
    """Minutes after midnight as HH:MM."""
    if not 0 <= minutes < 24 * 60:
        raise ValueError(f"{minutes} minutes after midnight is not a time of day")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_needs(needs: Iterable[str]) -> str:
    """Need codes in the canonical SEN2 order (a school's designations are a set)."""
    wanted = set(needs)
    return ";".join(code for code in NEED_CODES if code in wanted)


def format_date(day: datetime.date | None) -> str:
    """An ISO date; ``date.max`` (an opening date not known) as ``unknown``; None as blank."""
    if day is None:
        return ""
    return "unknown" if day == datetime.date.max else day.isoformat()


def format_need_places(pairs: Iterable[tuple[str, int]]) -> str:
    return ";".join(f"{need}:{places}" for need, places in pairs)


# Optional columns: name -> (the cell of a row, whether a row uses the column).
_CHILD_EXTRA: dict[str, tuple[Callable[[Child], str], Callable[[Child], bool]]] = {
    "cohort": (lambda c: c.cohort, lambda c: c.cohort != "special"),
    "new_plan": (lambda c: format_bool(c.new_plan), lambda c: c.new_plan),
}
_SCHOOL_EXTRA: dict[str, tuple[Callable[[School], str], Callable[[School], bool]]] = {
    "capacity_by_designation": (
        lambda s: format_need_places(s.capacity_by_designation),
        lambda s: bool(s.capacity_by_designation),
    ),
    "reserved_by_designation": (
        lambda s: format_need_places(s.reserved_by_designation),
        lambda s: bool(s.reserved_by_designation),
    ),
    "opens": (lambda s: format_date(s.opens), lambda s: s.opens is not None),
    "closes": (lambda s: format_date(s.closes), lambda s: s.closes is not None),
}


def _child_row(child: Child) -> list[str]:
    return [
        child.child_id,
        format_number(child.lon),
        format_number(child.lat),
        str(child.age),
        child.sex,
        child.primary_need,
        ";".join(child.secondary_needs),  # ranked as given, not reordered
        format_bool(child.residential_need),
        format_bool(child.wheelchair),
        format_bool(child.needs_assistant),
        format_bool(child.travel_alone),
        "policy" if child.transport_eligible is None else format_bool(child.transport_eligible),
        "" if child.ride_limit_min is None else format_number(child.ride_limit_min),
        child.current_school or "",
        format_bool(child.locked),
        ";".join(child.preferences),
        child.home_la,
    ]


def _school_row(school: School) -> list[str]:
    return [
        school.school_id,
        school.name,
        format_number(school.lon),
        format_number(school.lat),
        school.la_code,
        school.type,
        str(school.age_low),
        str(school.age_high),
        school.sex,
        format_needs(school.designations),
        str(school.capacity),
        str(school.residential_places),
        format_number(school.annual_cost_gbp),
        format_time(school.bell_am_min),
        format_time(school.finish_pm_min),
        format_bool(school.in_area),
    ]


def _vehicle_row(vehicle: VehicleType) -> list[str]:
    return [
        vehicle.name,
        str(vehicle.seats),
        str(vehicle.wheelchair_spaces),
        format_bool(vehicle.has_assistant),
        format_number(vehicle.fixed_cost_gbp),
        format_number(vehicle.cost_per_km_gbp),
        str(vehicle.available),
        format_number(vehicle.depot_lon),
        format_number(vehicle.depot_lat),
    ]


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(csv_row(row) for row in rows)


def write_children_csv(children: Iterable[Child], path: Path) -> None:
    """children.csv in the input format, one row per child in the given order (the transport
    grouping columns only when some child uses them)."""
    listed = list(children)
    grouping = any(c.sibling_group or c.never_with for c in listed)
    later = [n for n in LATER_CHILD_COLUMNS if any(_CHILD_EXTRA[n][1](c) for c in listed)]

    def row(c: Child) -> list[str]:
        cells = _child_row(c)
        if grouping:
            cells += [c.sibling_group or "", ";".join(c.never_with)]
        return cells + [_CHILD_EXTRA[n][0](c) for n in later]

    header = (*CHILD_COLUMNS, *(OPTIONAL_CHILD_COLUMNS if grouping else ()), *later)
    _write_csv(path, header, (row(c) for c in listed))


def write_schools_csv(schools: Iterable[School], path: Path) -> None:
    """schools.csv in the input format (each of ``OPTIONAL_SCHOOL_COLUMNS`` only when used)."""
    listed = list(schools)
    extra = [n for n in OPTIONAL_SCHOOL_COLUMNS if any(_SCHOOL_EXTRA[n][1](s) for s in listed)]
    _write_csv(
        path,
        (*SCHOOL_COLUMNS, *extra),
        ([*_school_row(s), *(_SCHOOL_EXTRA[n][0](s) for n in extra)] for s in listed),
    )


def write_fleet_csv(fleet: Iterable[VehicleType], path: Path) -> None:
    """fleet.csv in the input format (a header only when the fleet is empty); ``layouts`` only
    when some type lists them, so older files keep their bytes."""
    listed = tuple(fleet)
    if not any(v.layouts for v in listed):
        _write_csv(path, FLEET_COLUMNS, (_vehicle_row(v) for v in listed))
        return
    rows = ([*_vehicle_row(v), ";".join(map(layout_label, v.layouts))] for v in listed)
    _write_csv(path, (*FLEET_COLUMNS, "layouts"), rows)


def format_policy_toml(policy: Policy) -> str:
    """Every Policy field as a TOML key, in the dataclass's order."""
    lines = ["# sendplan policy: any field of Policy; a missing key takes its default."]
    for f in dataclasses.fields(policy):
        value = getattr(policy, f.name)
        if isinstance(value, tuple):
            text = "[" + ", ".join(format_number(item) for item in value) + "]"
        elif isinstance(value, bool):
            text = format_bool(value)
        elif isinstance(value, int):
            text = str(value)
        else:
            text = format_number(value)
        lines.append(f"{f.name} = {text}")
    return "\n".join(lines) + "\n"


def format_scenario_toml(as_of: datetime.date) -> str:
    """scenario.toml: the date the scenario describes, a TOML date."""
    return f"# sendplan scenario settings\nas_of = {as_of.isoformat()}\n"


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """children.csv, schools.csv, fleet.csv and policy.toml in ``folder`` (created if needed),
    and scenario.toml when the scenario has an ``as_of`` date.

    The scenario's name and seed are not files: pass them to ``load_scenario`` to get them back.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_children_csv(scenario.children, folder / "children.csv")
    write_schools_csv(scenario.schools, folder / "schools.csv")
    write_fleet_csv(scenario.fleet, folder / "fleet.csv")
    (folder / "policy.toml").write_bytes(format_policy_toml(scenario.policy).encode("utf-8"))
    if scenario.as_of is not None:
        (folder / "scenario.toml").write_bytes(format_scenario_toml(scenario.as_of).encode())
