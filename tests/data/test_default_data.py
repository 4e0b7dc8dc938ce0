"""The embedded Leicester default data: it loads, is sourced, and is realistic enough to plan with.

The data folder is found through the package (``sendplan.data``), as the demo finds it. Each file
is read twice: by the project loader (when it is importable) and by plain ``csv``/``tomllib`` plus
the domain constructors, so a loader bug cannot hide a data problem and vice versa.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import networkx as nx
import pytest

from sendplan.api.loader import load_scenario
from sendplan.data.synthetic import generate_cohort
from sendplan.routing.model import (
    NEED_CODES,
    SCHOOL_TYPES,
    Child,
    Policy,
    School,
    VehicleType,
    in_uk,
)

# DfE SEN2 2025 (sen2_2025_caseload.csv): Leicester children with EHC plans in special schools,
# January 2025 (794 LA maintained + 400 academy/free + 150 independent + 1 non-maintained).
LEICESTER_SPECIAL_SCHOOL_CHILDREN_2025 = 1345
SHARED_CASELOAD = (
    Path(__file__).resolve().parents[3] / "shared/data/sen_statistics/sen2_2025_caseload.csv"
)

SCHOOL_COLUMNS = [
    "school_id", "name", "lon", "lat", "la_code", "type", "age_low", "age_high", "sex",
    "designations", "capacity", "residential_places", "annual_cost_gbp", "bell_am", "finish_pm",
    "in_area", "opens", "closes", "capacity_by_designation", "reserved_by_designation",
]  # fmt: skip
# Columns left blank unless a school has them (open before any date modelled, not closing, no
# cap or reservation by need).
OPTIONAL_COLUMNS = {"opens", "closes", "capacity_by_designation", "reserved_by_designation"}
FLEET_COLUMNS = [
    "name", "seats", "wheelchair_spaces", "has_assistant", "fixed_cost_gbp", "cost_per_km_gbp",
    "available", "depot_lon", "depot_lat",
]  # fmt: skip
SOURCE_COLUMNS = ["school_id", "field", "value_basis", "source", "note"]
# school_sources.csv names schools.csv columns, plus "location" (lon+lat), "age_range"
# (age_low+age_high) and "bell_times" (bell_am+finish_pm).
SOURCE_FIELDS = set(SCHOOL_COLUMNS) - {"lon", "lat", "age_low", "age_high", "bell_am", "finish_pm"}
SOURCE_FIELDS |= {"location", "age_range", "bell_times"}

LLR_LA_CODES = {"855", "857"}
# Leicester City's extent (the 2021 LSOAs in shared/data/population) and Leicester, Leicestershire
# and Rutland's (Code-Point Open LLR postcodes).
LEICESTER_LON, LEICESTER_LAT = (-1.2157, -1.0462), (52.5807, 52.6915)
LLR_LON, LLR_LAT = (-1.60, -0.42), (52.39, 52.98)
CITY_CENTRE = (-1.129859, 52.634226)  # City Hall, LE1 1FZ
SHARED_LSOAS = SHARED_CASELOAD.parents[1] / "population/leicester_lsoa21_imd2025_pop2022.geojson"
SCHOOL_AGES = range(4, 20)


@contextmanager
def data_folder() -> Iterator[Path]:
    with as_file(files("sendplan.data")) as folder:
        yield Path(folder)


def read_csv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with data_folder() as folder, (folder / name).open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def day(text: str) -> date | None:
    """A schools.csv opens/closes cell: blank (None), ``unknown`` (date.max) or an ISO date."""
    if not text:
        return None
    return date.max if text == "unknown" else date.fromisoformat(text)


def need_places(text: str) -> tuple[tuple[str, int], ...]:
    """A ``NEED:PLACES;...`` cell (blank: none)."""
    pairs = (item.split(":") for item in text.split(";") if item)
    return tuple((need, int(places)) for need, places in pairs)


def school_from(row: dict[str, str]) -> School:
    """A School built straight from a CSV row (the loader's job, done independently here)."""
    return School(
        school_id=row["school_id"],
        name=row["name"],
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        la_code=row["la_code"],
        type=row["type"],
        age_low=int(row["age_low"]),
        age_high=int(row["age_high"]),
        designations=frozenset(row["designations"].split(";")),
        capacity=int(row["capacity"]),
        annual_cost_gbp=float(row["annual_cost_gbp"]),
        sex=row["sex"],  # type: ignore[arg-type]
        residential_places=int(row["residential_places"]),
        bell_am_min=minutes(row["bell_am"]),
        finish_pm_min=minutes(row["finish_pm"]),
        in_area={"true": True, "false": False}[row["in_area"]],
        opens=day(row["opens"]),
        closes=day(row["closes"]),
        capacity_by_designation=need_places(row["capacity_by_designation"]),
        reserved_by_designation=need_places(row["reserved_by_designation"]),
    )


@pytest.fixture(scope="module")
def school_rows() -> list[dict[str, str]]:
    header, rows = read_csv("schools.csv")
    assert header == SCHOOL_COLUMNS
    return rows


@pytest.fixture(scope="module")
def schools(school_rows: list[dict[str, str]]) -> list[School]:
    return [school_from(row) for row in school_rows]


@pytest.fixture(scope="module")
def sources() -> list[dict[str, str]]:
    header, rows = read_csv("school_sources.csv")
    assert header == SOURCE_COLUMNS
    return rows


# --- loading ----------------------------------------------------------------------------------


def test_project_loader_reads_the_folder_as_a_scenario(schools: list[School]) -> None:
    with data_folder() as folder:
        scenario = load_scenario(folder, require_children=False)
    assert scenario.children == ()
    assert scenario.schools == tuple(schools)
    assert scenario.policy == Policy()
    assert [v.name for v in scenario.fleet] == [row["name"] for row in read_csv("fleet.csv")[1]]


def test_school_rows_are_well_formed(
    school_rows: list[dict[str, str]], schools: list[School]
) -> None:
    ids = [s.school_id for s in schools]
    assert len(ids) == len(set(ids)), "school_id must be unique"
    assert 35 <= len(schools) <= 50
    for row, school in zip(school_rows, schools, strict=True):
        assert all(
            row[c].strip() == row[c] and (row[c] or c in OPTIONAL_COLUMNS) for c in SCHOOL_COLUMNS
        ), row["school_id"]
        assert school.type in SCHOOL_TYPES
        assert len(school.la_code) == 3 and school.la_code.isdigit()
        assert school.designations, f"{school.school_id} designates no need"
        assert school.capacity > 0
        assert 8 * 60 + 30 <= school.bell_am_min <= 9 * 60 + 30, school.school_id
        assert 14 * 60 + 30 <= school.finish_pm_min <= 16 * 60, school.school_id
        if school.school_id.isdigit():
            assert len(school.school_id) == 6, f"{school.school_id} is not a 6-digit URN"


# --- sources ----------------------------------------------------------------------------------


def test_every_school_has_sourced_capacity_cost_location_and_designations(
    schools: list[School], sources: list[dict[str, str]]
) -> None:
    covered: dict[str, set[str]] = {}
    for row in sources:
        covered.setdefault(row["school_id"], set()).add(row["field"])
    for school in schools:
        missing = {"capacity", "annual_cost_gbp", "location", "designations"} - covered.get(
            school.school_id, set()
        )
        assert not missing, f"{school.school_id} has no source row for {sorted(missing)}"


def test_source_rows_name_real_schools_fields_and_bases(
    schools: list[School], sources: list[dict[str, str]]
) -> None:
    ids = {s.school_id for s in schools}
    for number, row in enumerate(sources, start=2):
        assert row["school_id"] in ids, f"school_sources.csv row {number}: unknown school"
        assert row["field"] in SOURCE_FIELDS, f"school_sources.csv row {number}: {row['field']}"
        assert row["value_basis"] in ("fact", "estimate"), f"school_sources.csv row {number}"
        assert row["source"].strip(), f"school_sources.csv row {number}: no source"


def test_made_up_ids_are_marked_as_estimates(
    schools: list[School], sources: list[dict[str, str]]
) -> None:
    estimated_ids = {
        r["school_id"]
        for r in sources
        if r["field"] == "school_id" and r["value_basis"] == "estimate"
    }
    for school in schools:
        if not school.school_id.isdigit():
            assert school.school_id in estimated_ids, f"{school.school_id} needs an estimate row"


# --- realism --------------------------------------------------------------------------------


def test_every_need_age_and_sex_has_a_school(schools: list[School]) -> None:
    gaps = [
        (need, age, sex)
        for need in NEED_CODES
        for age in SCHOOL_AGES
        for sex in ("M", "F")
        if not any(s.admits(Child("probe", -1.13, 52.63, age, need, sex)) for s in schools)
    ]
    assert not gaps, f"no school admits {gaps[:10]}"


def test_city_places_are_below_demand_and_total_places_above(schools: list[School]) -> None:
    city_special = sum(s.capacity for s in schools if s.in_area and s.type != "resourced_provision")
    total = sum(s.capacity for s in schools)
    assert city_special < LEICESTER_SPECIAL_SCHOOL_CHILDREN_2025 < total
    # Tight in the city (at least 90% of demand) but with real headroom overall.
    assert city_special >= 0.9 * LEICESTER_SPECIAL_SCHOOL_CHILDREN_2025
    assert 1.15 * LEICESTER_SPECIAL_SCHOOL_CHILDREN_2025 <= total <= 2000


def test_out_of_area_and_independent_options_exist(schools: list[School]) -> None:
    independent = [s for s in schools if s.type in ("independent", "non_maintained")]
    assert 8 <= len([s for s in independent if not s.in_area]) <= 16
    outside_llr = [s for s in independent if s.la_code not in LLR_LA_CODES | {"856"}]
    assert len(outside_llr) >= 5
    residential = [s for s in schools if s.residential_places > 0]
    assert {"SEMH", "ASD", "PMLD", "PD", "OTH", "HI", "VI"} <= set().union(
        *(s.designations for s in residential)
    )
    assert any(s.type == "resourced_provision" for s in schools)


def test_costs_follow_the_kind_of_placement(schools: list[School]) -> None:
    for s in schools:
        if s.type == "resourced_provision":
            assert 12_000 <= s.annual_cost_gbp <= 22_000, s.school_id
            assert s.capacity <= 30, s.school_id
        elif s.type in ("la_maintained", "academy", "free"):
            assert 20_000 <= s.annual_cost_gbp <= 35_000, s.school_id
        else:
            assert 25_000 <= s.annual_cost_gbp <= 200_000, s.school_id
            if s.residential_places >= 0.5 * s.capacity:
                assert s.annual_cost_gbp >= 70_000, f"{s.school_id}: residential yet cheap"


def test_in_area_means_leicester_city(schools: list[School]) -> None:
    for s in schools:
        assert s.in_area == (s.la_code == "856"), s.school_id


def test_la_856_special_schools_include_the_known_ones(school_rows: list[dict[str, str]]) -> None:
    city_names = " | ".join(r["name"] for r in school_rows if r["la_code"] == "856")
    for name in ("Ellesmere", "Knighton Fields", "Netherhall", "Oaklands", "West Gate",
                 "Keyham Lodge", "Millgate", "Ash Field"):  # fmt: skip
        assert name in city_names, name


def distance_km(lon: float, lat: float) -> float:
    """Great-circle distance from Leicester's centre."""
    lon0, lat0 = (math.radians(v) for v in CITY_CENTRE)
    lon1, lat1 = math.radians(lon), math.radians(lat)
    h = (
        math.sin((lat1 - lat0) / 2) ** 2
        + math.cos(lat0) * math.cos(lat1) * math.sin((lon1 - lon0) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_coordinates_sit_in_their_regions(schools: list[School]) -> None:
    for s in schools:
        assert in_uk(s.lon, s.lat), s.school_id
        km = distance_km(s.lon, s.lat)
        if s.la_code == "856":
            assert LEICESTER_LON[0] <= s.lon <= LEICESTER_LON[1], s.school_id
            assert LEICESTER_LAT[0] <= s.lat <= LEICESTER_LAT[1], s.school_id
            assert km <= 9, f"{s.school_id} is {km:.0f} km from the city centre"
        elif s.la_code in LLR_LA_CODES:
            assert LLR_LON[0] <= s.lon <= LLR_LON[1], s.school_id
            assert LLR_LAT[0] <= s.lat <= LLR_LAT[1], s.school_id
            assert 4 <= km <= 50, f"{s.school_id} is {km:.0f} km from the city centre"
        else:
            # East and West Midlands, Lincolnshire, Greater Manchester: a day trip away.
            assert 20 <= km <= 150, f"{s.school_id} is {km:.0f} km from the city centre"


def test_in_area_schools_are_inside_the_city_boundary(schools: list[School]) -> None:
    if not SHARED_LSOAS.is_file():
        pytest.skip("shared Leicester LSOA boundaries are not present")
    from shapely.geometry import Point, shape
    from shapely.ops import unary_union

    features = json.loads(SHARED_LSOAS.read_text(encoding="utf-8"))["features"]
    city = unary_union([shape(f["geometry"]) for f in features]).buffer(0.002)  # ~150 m slack
    for s in schools:
        assert city.contains(Point(s.lon, s.lat)) == s.in_area, s.school_id


def test_sen2_figure_matches_the_shared_statistics() -> None:
    if not SHARED_CASELOAD.is_file():
        pytest.skip("shared SEN2 statistics are not present")
    with SHARED_CASELOAD.open(newline="", encoding="utf-8-sig") as f:
        totals = {
            int(r["special_total"])
            for r in csv.DictReader(f)
            if r["old_la_code"] == "856"
            and r["time_period"] == "202425"
            and r["breakdown_topic"] == "All EHC plans"
        }
    assert totals == {LEICESTER_SPECIAL_SCHOOL_CHILDREN_2025}


# --- fleet ----------------------------------------------------------------------------------


def test_fleet_has_each_vehicle_with_and_without_an_assistant() -> None:
    header, rows = read_csv("fleet.csv")
    assert header == FLEET_COLUMNS
    fleet = [
        VehicleType(
            name=r["name"],
            seats=int(r["seats"]),
            wheelchair_spaces=int(r["wheelchair_spaces"]),
            has_assistant={"true": True, "false": False}[r["has_assistant"]],
            fixed_cost_gbp=float(r["fixed_cost_gbp"]),
            cost_per_km_gbp=float(r["cost_per_km_gbp"]),
            available=int(r["available"]),
            depot_lon=float(r["depot_lon"]),
            depot_lat=float(r["depot_lat"]),
        )
        for r in rows
    ]
    assert len({v.name for v in fleet}) == len(fleet)
    plain = {v.name: v for v in fleet if not v.has_assistant}
    assisted = {v.name.removesuffix("_pa"): v for v in fleet if v.has_assistant}
    assert plain.keys() == assisted.keys() and len(plain) >= 4
    for name, base in plain.items():
        pa = assisted[name]
        assert pa.wheelchair_spaces == base.wheelchair_spaces
        assert pa.seats == base.seats - 1, "the assistant takes a seat"
        assert 25 <= pa.fixed_cost_gbp - base.fixed_cost_gbp <= 50, name
        assert pa.cost_per_km_gbp == base.cost_per_km_gbp
    assert any(v.wheelchair_spaces > 0 for v in fleet)
    assert max(v.seats for v in fleet) >= 15
    for v in fleet:
        assert 1.0 <= v.cost_per_km_gbp <= 4.0, v.name
        assert LEICESTER_LON[0] <= v.depot_lon <= LEICESTER_LON[1], v.name
        assert LEICESTER_LAT[0] <= v.depot_lat <= LEICESTER_LAT[1], v.name


# --- policy ---------------------------------------------------------------------------------


def test_policy_file_sets_every_field_to_its_default() -> None:
    with data_folder() as folder:
        text = (folder / "policy.toml").read_text(encoding="utf-8")
    document = tomllib.loads(text)
    assert set(document) == {f.name for f in dataclasses.fields(Policy)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in document.items()}
    assert Policy(**values) == Policy()  # type: ignore[arg-type]


def test_policy_keys_each_carry_a_reason() -> None:
    with data_folder() as folder:
        lines = (folder / "policy.toml").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            comment = lines[number - 1] if number else ""
            assert comment.startswith("# ") and len(comment) > 12, f"policy.toml line {number + 1}"


# --- documentation ----------------------------------------------------------------------------


def test_synthetic_cohorts_fit_the_places_ignoring_distance(schools: list[School]) -> None:
    """Max-flow over (need, age, sex, residential) groups: capacity, designation and age allow a
    place for every synthetic child; distance and cost are the optimiser's business."""
    for seed in (1, 2, 3):
        children = generate_cohort(schools=tuple(schools), seed=seed)
        groups = Counter((c.primary_need, c.age, c.sex, c.residential_need) for c in children)
        graph = nx.DiGraph()
        for key, count in groups.items():
            need, age, sex, residential = key
            probe = Child("probe", -1.13, 52.63, age, need, sex, residential_need=residential)
            graph.add_edge("children", key, capacity=count)
            for s in schools:
                if s.admits(probe) and (not residential or s.residential_places > 0):
                    graph.add_edge(key, s.school_id, capacity=count)
        for s in schools:
            graph.add_edge(s.school_id, "places", capacity=s.capacity)
        placed = nx.maximum_flow_value(graph, "children", "places")
        assert placed == len(children), f"seed {seed}: only {placed} of {len(children)} fit"


def test_sources_summary_matches_the_schools(schools: list[School]) -> None:
    with data_folder() as folder:
        text = (folder / "SOURCES.md").read_text(encoding="utf-8")
    match = re.search(r"What is included \((\d+) rows, ([\d,]+) modelled places\)", text)
    assert match, "SOURCES.md lost its 'What is included' summary"
    assert int(match[1]) == len(schools)
    assert int(match[2].replace(",", "")) == sum(s.capacity for s in schools)


def test_sources_document_has_every_section() -> None:
    with data_folder() as folder:
        text = (folder / "SOURCES.md").read_text(encoding="utf-8")
    for heading in ("## Schools", "## Costs", "## Fleet", "## Policy"):
        assert f"\n{heading}" in text, heading
    assert "\n## Cohort profile and child population" in text
    for table in ("cohort_profile.csv", "flags_profile.csv", "lsoa_children.csv"):
        assert f"`{table}`" in text, table
