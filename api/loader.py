"""Read a scenario from a CSV folder or an .xlsx workbook: :func:`load_scenario`.

Here rows become Child, School and VehicleType objects and the files one Scenario. The pieces
live next door: one parser per kind of cell in :mod:`sendplan.api.cells`, the columns each file
may hold in :mod:`sendplan.api.columns`, a row's point in :mod:`sendplan.api.locations`, reading
files and checking headers in :mod:`sendplan.api.tables`, and the policy in
:mod:`sendplan.api.policy_file`. Every problem raises :class:`InputError` naming the file, the
row as a spreadsheet counts it (header = row 1) and the field. Nothing is dropped: completely
blank rows are the only rows skipped, and they keep their place in the row count.

Error messages never echo a child's location or postcode (personal data); other values are shown
so the user can find the typo.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sendplan.api.cells import FieldError, show
from sendplan.api.columns import CHILD_SPEC, FLEET_SPEC, SCHOOL_SPEC
from sendplan.api.locations import PostcodeLookup, location
from sendplan.api.policy_file import (
    AS_OF_KEY,
    SCENARIO_SETTINGS_FILE,
    as_of_from,
    policy_from,
    policy_items,
    read_policy,
    read_scenario_settings,
)
from sendplan.api.tables import (
    Source,
    Table,
    build_rows,
    cell_text,
    check_unique,
    csv_table,
    table_from_rows,
)
from sendplan.api.xlsx_guard import check_workbook
from sendplan.errors import InputError
from sendplan.routing.model import (
    Child,
    ModelError,
    Policy,
    Scenario,
    School,
    VehicleType,
    layout_label,
)

CHILDREN_FILE = "children.csv"
SCHOOLS_FILE = "schools.csv"
FLEET_FILE = "fleet.csv"
POLICY_FILE = "policy.toml"
SHEETS = ("children", "schools", "fleet", "policy")
SCENARIO_FILE = SCENARIO_SETTINGS_FILE  # optional: as_of = 2025-01-16
SCENARIO_FILES = (CHILDREN_FILE, SCHOOLS_FILE, FLEET_FILE, POLICY_FILE, SCENARIO_FILE)


# --- rows -> domain objects ----------------------------------------------------------------

_CHILD_FIELDS = frozenset(f.name for f in dataclasses.fields(Child))
_SCHOOL_FIELDS = frozenset(f.name for f in dataclasses.fields(School))
_SCHOOL_DEFAULTS = {f.name: f.default for f in dataclasses.fields(School)}
_DEFAULT_BELL_MIN = cast(int, _SCHOOL_DEFAULTS["bell_am_min"])
_DEFAULT_FINISH_MIN = cast(int, _SCHOOL_DEFAULTS["finish_pm_min"])
SCHOOL_DAY_MIN = (6 * 60, 20 * 60)  # bell_am and finish_pm lie within 06:00..20:00


def _child(
    values: dict[str, Any],
    school_ids: Collection[str],
    postcodes: PostcodeLookup | None = None,
) -> Child:
    lon, lat = location(values, postcodes=postcodes)
    age: int | None = values.get("age")
    from_year: int | None = values.get("year_group")
    if age is None:
        if from_year is None:
            raise FieldError("age", "give age or year_group")
        age = from_year
    elif from_year is not None and age != from_year:
        raise FieldError("year_group", f"age {age} and year_group (age {from_year}) disagree")
    for school_id in values.get("preferences", ()):
        if school_id not in school_ids:
            raise FieldError("preferences", f"unknown school {show(school_id)}")
    current = values.get("current_school")
    if current is not None and current not in school_ids:
        raise FieldError("current_school", f"unknown school {show(current)}")
    if values.get("locked") and current is None:
        raise FieldError("locked", "locked is true but current_school is blank")
    # max_ride_min is the column's name in DESIGN.md and earlier releases: read as the limit.
    if "max_ride_min" in values:
        if values.get("ride_limit_min") is not None:
            raise FieldError("max_ride_min", "give ride_limit_min or max_ride_min, not both")
        values = {**values, "ride_limit_min": values["max_ride_min"]}
    fields = {k: v for k, v in values.items() if k in _CHILD_FIELDS}
    fields.update(lon=lon, lat=lat, age=age)  # lon/lat may have come from easting/northing
    return Child(**fields)


def _school(values: dict[str, Any]) -> School:
    lon, lat = location(values)
    if values["age_low"] > values["age_high"]:
        raise FieldError("age_high", f"age_high {values['age_high']} is below age_low")
    if values.get("residential_places", 0) > values["capacity"]:
        raise FieldError("residential_places", "more residential places than capacity")
    for need, places in values.get("capacity_by_designation", ()):
        if need not in values["designations"]:
            raise FieldError("capacity_by_designation", f"{need} is not among the designations")
        if places > values["capacity"]:
            raise FieldError("capacity_by_designation", f"{need} places exceed capacity")
    _check_reserved(values)
    _check_dates(values)
    fields = {k: v for k, v in values.items() if k in _SCHOOL_FIELDS}
    fields["designations"] = frozenset(values["designations"])
    fields.update(_school_times(values))
    fields.update(lon=lon, lat=lat)
    return School(**fields)


def _check_reserved(values: dict[str, Any]) -> None:
    reserved = values.get("reserved_by_designation", ())
    for need, places in reserved:
        if need not in values["designations"]:
            raise FieldError("reserved_by_designation", f"{need} is not among the designations")
        if places > values["capacity"]:
            raise FieldError(
                "reserved_by_designation",
                f"{need}: {places} reserved places, above capacity {values['capacity']}",
            )
    caps = dict(values.get("capacity_by_designation", ()))
    for need, places in reserved:
        # Reserved places a need's cap forbids it to fill could never be filled by anyone.
        if need in caps and places > caps[need]:
            raise FieldError(
                "reserved_by_designation",
                f"{need}: {places} reserved places, above its capacity_by_designation cap "
                f"{caps[need]}",
            )
    total = sum(places for _, places in reserved)
    if total > values["capacity"]:
        raise FieldError(
            "reserved_by_designation",
            f"reserved places total {total}, above capacity {values['capacity']}",
        )


def _check_dates(values: dict[str, Any]) -> None:
    opens: datetime.date | None = values.get("opens")
    closes: datetime.date | None = values.get("closes")
    if opens is not None and closes is not None and closes <= opens:
        shown = "unknown" if opens == datetime.date.max else opens.isoformat()
        raise FieldError("closes", f"closes {closes.isoformat()} is not after opens {shown}")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _school_times(values: dict[str, Any]) -> dict[str, int]:
    """bell_am and finish_pm (given or default) within the school day, finish after bell."""
    low, high = SCHOOL_DAY_MIN
    times = {"bell_am": _DEFAULT_BELL_MIN, "finish_pm": _DEFAULT_FINISH_MIN}
    for name in times:
        if name in values:
            times[name] = values[name]
            if not low <= values[name] <= high:
                raise FieldError(
                    name,
                    f"{name} {_hhmm(values[name])} is outside the school day "
                    f"{_hhmm(low)}..{_hhmm(high)}",
                )
    bell, finish = times["bell_am"], times["finish_pm"]
    if finish <= bell:
        raise FieldError(
            "finish_pm" if "finish_pm" in values else "bell_am",
            f"finish_pm {_hhmm(finish)} is not after bell_am {_hhmm(bell)}",
        )
    return {"bell_am_min": bell, "finish_pm_min": finish}


def _vehicle_type(values: dict[str, Any]) -> VehicleType:
    depot_lon, depot_lat = location(values, prefix="depot_")
    fields = {k: v for k, v in values.items() if not k.startswith("depot_")}
    fields.setdefault("has_assistant", False)
    if fields["seats"] < 1:
        raise FieldError("seats", "seats must be at least 1")
    own = (fields["seats"], fields["wheelchair_spaces"])
    if "layouts" in fields and own not in fields["layouts"]:
        listed = ";".join(layout_label(lay) for lay in fields["layouts"])
        raise FieldError(
            "layouts",
            f"seats and wheelchair_spaces {layout_label(own)} are not one of the layouts {listed}",
        )
    return VehicleType(depot_lon=depot_lon, depot_lat=depot_lat, **fields)


def _schools_from(table: Table) -> tuple[School, ...]:
    rows = build_rows(table, SCHOOL_SPEC, _school)
    if not rows:
        raise table.source.error("no schools: the file has a header but no rows")
    check_unique(table, rows, lambda s: s.school_id, "school_id")
    return tuple(school for _, school in rows)


def _children_from(
    table: Table,
    school_ids: Collection[str],
    *,
    allow_empty: bool = False,
    postcodes: PostcodeLookup | None = None,
) -> tuple[Child, ...]:
    rows = build_rows(table, CHILD_SPEC, lambda values: _child(values, school_ids, postcodes))
    if not rows and not allow_empty:
        raise table.source.error("no children: the file has a header but no rows")
    check_unique(table, rows, lambda c: c.child_id, "child_id")
    ids = {child.child_id for _, child in rows}
    for row, child in rows:
        for other in child.never_with:
            if other not in ids:
                raise table.source.error(
                    f"never_with names unknown child {show(other)}", row=row, field="never_with"
                )
    return tuple(child for _, child in rows)


def _fleet_from(table: Table) -> tuple[VehicleType, ...]:
    rows = build_rows(table, FLEET_SPEC, _vehicle_type)
    check_unique(table, rows, lambda v: v.name, "name")
    return tuple(vehicle for _, vehicle in rows)


def read_schools(path: Path) -> tuple[School, ...]:
    """schools.csv as School objects (at least one)."""
    return _schools_from(csv_table(path))


def read_children(path: Path, *, school_ids: Collection[str]) -> tuple[Child, ...]:
    """children.csv as Child objects (at least one); preferences must name ``school_ids``."""
    return _children_from(csv_table(path), school_ids)


def read_fleet(path: Path) -> tuple[VehicleType, ...]:
    """fleet.csv as vehicle types (may be empty)."""
    return _fleet_from(csv_table(path))


# --- whole scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """What a scenario folder or workbook holds, before the rows are built."""

    schools: Table
    children: Table | None
    fleet: Table | None
    policy: Callable[[], Policy]
    as_of: Callable[[], datetime.date | None]


def _folder_parts(folder: Path) -> _Parts:
    schools = folder / SCHOOLS_FILE
    if not schools.is_file():
        raise InputError(
            SCHOOLS_FILE, f"missing: the scenario folder {folder.name} has no {SCHOOLS_FILE}"
        )
    children, fleet, policy, settings = (
        folder / n for n in (CHILDREN_FILE, FLEET_FILE, POLICY_FILE, SCENARIO_FILE)
    )
    return _Parts(
        schools=csv_table(schools),
        children=csv_table(children) if children.is_file() else None,
        fleet=csv_table(fleet) if fleet.is_file() else None,
        policy=(lambda: read_policy(policy)) if policy.is_file() else Policy,
        as_of=(lambda: read_scenario_settings(settings)) if settings.is_file() else lambda: None,
    )


def _workbook_parts(path: Path) -> _Parts:
    # openpyxl takes about 0.1 s to import and only workbooks need it.
    import openpyxl

    check_workbook(path)  # zip and XML bombs never reach openpyxl

    def unreadable(err: Exception) -> InputError:
        return InputError(path.name, f"not a readable .xlsx workbook ({type(err).__name__})")

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # whatever a malformed file makes openpyxl raise is bad input
        raise unreadable(err) from None
    try:
        sheets = {name.strip().lower(): name for name in book.sheetnames}
        if "schools" not in sheets:
            found = ", ".join(show(name) for name in book.sheetnames)
            raise InputError(
                path.name, f"missing sheet schools (the workbook has: {found})", sheet="schools"
            )
        raw = {
            key: [tuple(row) for row in book[name].iter_rows(values_only=True)]
            for key, name in sheets.items()
            if key in SHEETS
        }
    except InputError:
        raise
    except Exception as err:
        raise unreadable(err) from None
    finally:
        book.close()

    def table(sheet: str) -> Table | None:
        if sheet not in raw:
            return None
        rows = ([cell_text(value) for value in row] for row in raw[sheet])
        return table_from_rows(Source(path.name, sheet), rows)

    # The policy sheet may also hold the scenario's as_of date (key as_of).
    source = Source(path.name, "policy")
    items = list(policy_items(raw.get("policy", []), source))

    def policy() -> Policy:
        return policy_from((item for item in items if item[1] != AS_OF_KEY), source)

    def as_of() -> datetime.date | None:
        for row, _, value in (item for item in items if item[1] == AS_OF_KEY):
            return as_of_from(value, source, row=row)
        return None

    schools = table("schools")
    assert schools is not None
    return _Parts(
        schools=schools,
        children=table("children"),
        fleet=table("fleet"),
        policy=policy,
        as_of=as_of,
    )


def file_sha256(path: Path) -> tuple[str, str]:
    """(file name, sha256 of its bytes): how every input a run reads is recorded."""
    return path.name, hashlib.sha256(path.read_bytes()).hexdigest()


def with_input_files(scenario: Scenario, files: Sequence[Path | None]) -> Scenario:
    """``scenario`` with the (name, sha256) of each given file (None: an option not given)
    after its own sources, so the summary's and manifest's ``inputs`` list every file a
    command read besides the scenario (network, matrix, postcodes, ...)."""
    read = tuple(file_sha256(p) for p in files if p is not None)
    return dataclasses.replace(scenario, sources=(*scenario.sources, *read))


def _sources(path: Path) -> tuple[tuple[str, str], ...]:
    """(name, sha256) of the workbook, or of each scenario file present in the folder."""
    files = [path] if path.is_file() else [path / n for n in SCENARIO_FILES]
    return tuple(file_sha256(f) for f in files if f.is_file())


def load_scenario(
    path: Path,
    *,
    name: str | None = None,
    require_children: bool = True,
    children: Sequence[Child] | None = None,
    seed: int | None = None,
    postcodes: PostcodeLookup | None = None,
    as_of: datetime.date | None = None,
) -> Scenario:
    """A scenario from a folder of CSV files or an .xlsx workbook.

    ``postcodes`` geocodes children given by `postcode` alone (see ``geo.postcodes``).
    ``as_of`` (the date the scenario describes) overrides the folder's optional
    ``scenario.toml`` (``as_of = 2025-01-16``) or the workbook's policy-sheet key ``as_of``.

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
    day = as_of if as_of is not None else parts.as_of()
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
            as_of=day,
            sources=_sources(path),
        )
    except ModelError as err:
        raise InputError(path.name, str(err)) from None
