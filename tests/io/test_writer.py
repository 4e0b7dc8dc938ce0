"""The scenario writer: exact input format, deterministic bytes, and load(write(s)) == s."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendplan.api.columns import CHILD_SPEC, FLEET_SPEC, SCHOOL_SPEC
from sendplan.api.loader import load_scenario
from sendplan.api.writer import (
    CHILD_COLUMNS,
    FLEET_COLUMNS,
    SCHOOL_COLUMNS,
    format_number,
    format_time,
    write_children_csv,
    write_scenario,
)
from sendplan.routing.model import (
    NEED_CODES,
    SCHOOL_TYPES,
    UK_LAT,
    UK_LON,
    Child,
    Policy,
    Scenario,
    School,
    VehicleType,
)

# --- a small strategy for valid scenarios (kept here so this file stands alone) ----------------

lons = st.floats(min_value=UK_LON[0], max_value=UK_LON[1])
lats = st.floats(min_value=UK_LAT[0], max_value=UK_LAT[1])
money = st.floats(min_value=0, max_value=1e7, allow_nan=False) | st.sampled_from([0.1, 35000.0])
# Names as councils type them: stripped, non-empty, CSV specials and formula starts welcome
# (written with a guarding quote, read back without it).
texts = st.text(alphabet=st.sampled_from("abcXYZ019 ,\"'-é&=+@;"), min_size=1, max_size=12).filter(
    lambda t: t == t.strip() and t != ""
)
# Ids: the safe set (letters, digits, '-', '_', '.', starting with a letter or digit).
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,11}", fullmatch=True)
la_codes = st.from_regex(r"[1-9][0-9]{2}", fullmatch=True)
needs = st.sampled_from(NEED_CODES)


@st.composite
def schools(draw: st.DrawFn, school_id: str) -> School:
    age_low = draw(st.integers(2, 19))
    capacity = draw(st.integers(0, 300))
    return School(
        school_id=school_id,
        name=draw(texts),
        lon=draw(lons),
        lat=draw(lats),
        la_code=draw(la_codes),
        type=draw(st.sampled_from(SCHOOL_TYPES)),
        age_low=age_low,
        age_high=draw(st.integers(age_low, 25)),
        designations=frozenset(draw(st.lists(needs, min_size=1, max_size=4))),
        capacity=capacity,
        annual_cost_gbp=draw(money),
        sex=draw(st.sampled_from(["mixed", "M", "F"])),
        residential_places=draw(st.integers(0, capacity)),
        bell_am_min=(bell := draw(st.integers(6 * 60, 20 * 60 - 1))),
        finish_pm_min=draw(st.integers(bell + 1, 20 * 60)),
        in_area=draw(st.booleans()),
    )


@st.composite
def children(draw: st.DrawFn, child_id: str, school_ids: list[str]) -> Child:
    current = draw(st.none() | st.sampled_from(school_ids))
    return Child(
        child_id=child_id,
        lon=draw(lons),
        lat=draw(lats),
        age=draw(st.integers(2, 25)),
        primary_need=draw(needs),
        sex=draw(st.sampled_from(["M", "F"])),
        secondary_needs=tuple(draw(st.lists(needs, unique=True, max_size=3))),
        residential_need=draw(st.booleans()),
        wheelchair=draw(st.booleans()),
        needs_assistant=draw(st.booleans()),
        travel_alone=draw(st.booleans()),
        ride_limit_min=draw(st.none() | st.floats(min_value=1, max_value=300)),
        current_school=current,
        locked=current is not None and draw(st.booleans()),
        preferences=tuple(draw(st.lists(st.sampled_from(school_ids), unique=True, max_size=3))),
        transport_eligible=draw(st.booleans()),
        home_la=draw(la_codes),
    )


@st.composite
def vehicle_types(draw: st.DrawFn, name: str) -> VehicleType:
    return VehicleType(
        name=name,
        seats=draw(st.integers(1, 70)),
        wheelchair_spaces=draw(st.integers(0, 6)),
        has_assistant=draw(st.booleans()),
        fixed_cost_gbp=draw(st.floats(min_value=0, max_value=1e5)),
        cost_per_km_gbp=draw(st.floats(min_value=0, max_value=10)),
        available=draw(st.integers(0, 50)),
        depot_lon=draw(lons),
        depot_lat=draw(lats),
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    low = draw(st.floats(min_value=0, max_value=60))
    return Policy(
        ride_limit_min_primary=draw(st.floats(min_value=1, max_value=200)),
        travel_gbp_per_min=draw(money),
        arrival_window_min=(low, draw(st.floats(min_value=low, max_value=120))),
        school_days_per_year=draw(st.integers(1, 366)),
        circuity_factor=draw(st.floats(min_value=1, max_value=3)),
    )


def unique_ids(
    prefix_texts: st.SearchStrategy[str], *, min_size: int, max_size: int
) -> st.SearchStrategy[list[str]]:
    return st.lists(prefix_texts, unique=True, min_size=min_size, max_size=max_size)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    school_ids = draw(unique_ids(ids, min_size=1, max_size=4))
    child_ids = draw(unique_ids(ids, min_size=1, max_size=6))
    names = draw(unique_ids(ids, min_size=0, max_size=3))
    return Scenario(
        name="round-trip",
        children=tuple(draw(children(c, school_ids)) for c in child_ids),
        schools=tuple(draw(schools(s)) for s in school_ids),
        fleet=tuple(draw(vehicle_types(n)) for n in names),
        policy=draw(policies()),
        seed=draw(st.none() | st.integers(0, 2**31)),
    )


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_load_of_write_gives_the_scenario_back(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp, "a"), Path(tmp, "b")
        write_scenario(scenario, first)
        loaded = load_scenario(first, name=scenario.name, seed=scenario.seed)
        assert loaded == scenario
        write_scenario(loaded, second)
        assert folder_bytes(first) == folder_bytes(second)


# --- the format, byte for byte ----------------------------------------------------------------

SCHOOL = School(
    "120001", "Ash Field, \"Academy\"", -1.085, 52.655, "856", "academy", 4, 19,
    frozenset({"SLD", "PD", "PMLD"}), 120, 42000.0, residential_places=2, bell_am_min=530,
)  # fmt: skip
CHILD = Child(
    "C1", -1.1335, 52.6363, 7, "PMLD", "M", secondary_needs=("SLD", "PD"), wheelchair=True,
    ride_limit_min=37.5, preferences=("120001",),
)  # fmt: skip


def test_files_are_in_the_exact_input_format(tmp_path: Path) -> None:
    write_scenario(Scenario("x", (CHILD,), (SCHOOL,)), tmp_path)
    assert (tmp_path / "children.csv").read_text(encoding="utf-8").splitlines() == [
        ",".join(CHILD_COLUMNS),
        "C1,-1.1335,52.6363,7,M,PMLD,SLD;PD,false,true,false,false,true,37.5,,false,120001,856",
    ]
    assert (tmp_path / "schools.csv").read_text(encoding="utf-8").splitlines()[1] == (
        '120001,"Ash Field, ""Academy""",-1.085,52.655,856,academy,4,19,mixed,SLD;PMLD;PD,'
        "120,2,42000,08:50,15:15,true"
    )
    assert (tmp_path / "fleet.csv").read_text(encoding="utf-8") == ",".join(FLEET_COLUMNS) + "\n"
    policy = tomllib.loads((tmp_path / "policy.toml").read_text(encoding="utf-8"))
    assert set(policy) == set(Policy.__dataclass_fields__)
    assert b"\r" not in (tmp_path / "children.csv").read_bytes()


def test_written_columns_are_the_loaders_columns() -> None:
    for written, spec in (
        (CHILD_COLUMNS, CHILD_SPEC),
        (SCHOOL_COLUMNS, SCHOOL_SPEC),
        (FLEET_COLUMNS, FLEET_SPEC),
    ):
        assert set(written) <= set(spec.columns)
        assert {n for n, c in spec.columns.items() if c.required} <= set(written)


@pytest.mark.parametrize("value", [0.1 + 0.2, -1.1335, 1e-7, 1e20, 45000.0, 2.0**60, -0.5])
def test_numbers_round_trip_exactly(value: float) -> None:
    assert float(format_number(value)) == value


def test_whole_numbers_have_no_decimal_point() -> None:
    assert (format_number(45000.0), format_number(75)) == ("45000", "75")


def test_times_are_hh_mm() -> None:
    assert (format_time(0), format_time(530), format_time(1439)) == ("00:00", "08:50", "23:59")
    with pytest.raises(ValueError):
        format_time(1440)


def test_write_children_csv_alone(tmp_path: Path) -> None:
    path = tmp_path / "kids.csv"
    write_children_csv([CHILD, CHILD.__class__(**{**_fields(CHILD), "child_id": "C2"})], path)
    rows = path.read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[0] for r in rows] == ["child_id", "C1", "C2"]


def _fields(child: Child) -> dict[str, object]:
    return {name: getattr(child, name) for name in Child.__dataclass_fields__}
