"""The synthetic cohort against the published Leicester figures, and its determinism."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray

from sendplan.api.loader import read_schools
from sendplan.data.synthetic import (
    AGES,
    COHORT_FILE,
    FLAGS_FILE,
    LSOA_FILE,
    ProfileError,
    generate_cohort,
    load_profile,
    rake,
    read_profile,
    spread_unknown,
)
from sendplan.geo.straight_line import haversine_m
from sendplan.routing.model import NEED_CODES, Child, Scenario, School

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SEN = SHARED / "sen_statistics"

# Published: Leicester (856) special-school children by primary need, January 2025
# (sen2_2025_sen_needs_all_plans.csv, breakdown "Special - total"), and by sex
# (sen2_2025_caseload.csv, breakdown Male/Female, special_total).
PUBLISHED_SPECIAL = {
    "ASD": 389, "HI": 20, "MLD": 136, "MSI": 1, "OTH": 110, "PD": 85, "PMLD": 18,
    "SEMH": 283, "SLCN": 203, "SLD": 44, "SpLD": 13, "VI": 11, "unknown": 32,
}  # fmt: skip
PUBLISHED_MALE_SHARE = 987 / 1345
LEICESTER_BBOX = (-1.22, 52.58, -1.04, 52.70)  # lon min, lat min, lon max, lat max
SEEDS = (1, 2, 3)
Cohorts = dict[int, tuple[Child, ...]]


def published_shares() -> dict[str, float]:
    # Unknown need spread over the known needs in proportion, as the profile does.
    known = sum(v for k, v in PUBLISHED_SPECIAL.items() if k != "unknown")
    return {need: PUBLISHED_SPECIAL[need] / known for need in NEED_CODES}


def school(
    school_id: str, lon: float, lat: float, ages: tuple[int, int], needs: str, **kw: Any
) -> School:
    return School(
        school_id=school_id,
        name=f"Test school {school_id}",
        lon=lon,
        lat=lat,
        la_code=kw.pop("la_code", "856"),
        type=kw.pop("type", "la_maintained"),
        age_low=ages[0],
        age_high=ages[1],
        designations=frozenset(needs.split()),
        capacity=kw.pop("capacity", 150),
        annual_cost_gbp=kw.pop("annual_cost_gbp", 25_000.0),
        **kw,
    )


# Every need is admitted at every age 4..19 by at least one school; one is independent.
SCHOOLS = (
    school("S1", -1.1335, 52.6363, (4, 11), "ASD SLCN MLD SLD PMLD PD"),
    school("S2", -1.1000, 52.6500, (11, 19), "ASD SLCN MLD SLD PMLD PD HI VI MSI", type="academy"),
    school("S3", -1.1700, 52.6200, (4, 19), "SEMH OTH SpLD HI VI MSI"),
    school("S4", -1.0550, 52.6950, (7, 19), "ASD SEMH", type="independent", in_area=False),
    school("S5", -1.2000, 52.6000, (4, 19), "SEMH ASD SLCN", type="free"),
    school("S6", -1.3000, 52.7500, (4, 19), " ".join(NEED_CODES), type="academy", la_code="855",
           in_area=False),
)  # fmt: skip


@pytest.fixture(scope="module")
def cohorts() -> Cohorts:
    return {seed: generate_cohort(schools=SCHOOLS, seed=seed) for seed in SEEDS}


# --- the profile ---------------------------------------------------------------------------------


def test_profile_matches_published_margins() -> None:
    profile = load_profile()
    table = np.asarray(profile.need_age_children)
    assert profile.ages == tuple(range(4, 20))
    assert table.shape == (len(NEED_CODES), len(AGES))
    assert table.sum() == pytest.approx(1345)
    for need, share in profile.need_shares().items():
        assert share == pytest.approx(published_shares()[need], abs=1e-6), need
    assert profile.overall_male_share() == pytest.approx(PUBLISHED_MALE_SHARE, abs=1e-6)
    # Column margins: special-school children by age (caseload), ages 4..19 only.
    facts = list(csv.DictReader((DATA / COHORT_FILE).open(encoding="utf-8")))
    by_age = {int(r["age"]): int(r["count"]) for r in facts if r["table"] == "special_age"}
    ages = np.array([by_age[a] for a in AGES], dtype=float)
    np.testing.assert_allclose(table.sum(axis=0), ages / ages.sum() * 1345, rtol=1e-6)
    assert 12.0 < profile.mean_age() < 14.0
    # A need that never occurs at an age among all plans stays absent among special schools.
    all_plans = {
        (r["need"], int(r["age"])): int(r["count"])
        for r in facts
        if r["table"] == "all_plans_need_age"
    }
    for i, need in enumerate(NEED_CODES):
        for j, age in enumerate(AGES):
            if all_plans[need, age] == 0:
                assert table[i, j] == 0.0


def test_flag_rates_are_sourced_and_sen2_rows_match_the_facts() -> None:
    rows = list(csv.DictReader((DATA / FLAGS_FILE).open(encoding="utf-8")))
    facts = list(csv.DictReader((DATA / COHORT_FILE).open(encoding="utf-8")))
    assert all(r["basis"] and r["why"] for r in rows)
    special = {r["need"]: int(r["count"]) for r in facts if r["table"] == "special_need"}
    independent = {
        r["need"]: int(r["count"])
        for r in facts
        if r["table"] == "special_need_placement" and r["placement"] == "independent"
    }
    england = {r["table"]: int(r["count"]) for r in facts if r["area"] == "England"}
    rates = load_profile().rates
    for i, need in enumerate(NEED_CODES):
        assert rates.independent_first_preference[i] == pytest.approx(
            independent[need] / special[need], abs=5e-5
        )
        assert rates.residential_need[i] == pytest.approx(
            england["residential_placements"] / england["special_total"], abs=5e-5
        )
    assumed = {r["flag"] for r in rows if r["basis"] == "assumption"}
    assert {"wheelchair", "needs_assistant", "travel_alone"} <= assumed
    # Transport eligibility is the policy's rules' decision at solve time, not a drawn rate.
    assert "transport_eligible" not in {r["flag"] for r in rows}


def _shared_value(source: str) -> int:
    """The count a cohort_profile row's ``source`` names, looked up in the shared SEN2 file."""
    match = re.fullmatch(r"(\S+\.csv): (\S+) (\d{6}|\d{4}) (.+) / (.+); (\w+)", source)
    assert match, source
    name, area, year, topic, breakdown, column = match.groups()
    with (SEN / name).open(encoding="utf-8-sig", newline="") as fh:
        hits = [
            r
            for r in csv.DictReader(fh)
            if r["time_period"] == year
            and r["breakdown_topic"] == topic
            and r["breakdown"] == breakdown
            and (r["old_la_code"] == area if area.isdigit() else r["geographic_level"] == area)
        ]
    assert len(hits) == 1, source
    return int(hits[0][column])


@pytest.mark.skipif(not SEN.is_dir(), reason="../shared/data/sen_statistics not present")
def test_every_profile_fact_matches_its_source_file() -> None:
    facts = list(csv.DictReader((DATA / COHORT_FILE).open(encoding="utf-8")))
    assert len(facts) > 300
    for row in facts:
        assert int(row["count"]) == _shared_value(row["source"]), row


LSOA_GEOJSON = SHARED / "population" / "leicester_lsoa21_imd2025_pop2022.geojson"


def test_lsoa_table_is_compact_and_totals_leicester() -> None:
    assert (DATA / LSOA_FILE).stat().st_size < 400_000
    lsoas = load_profile().lsoas
    assert len(lsoas) == 200
    assert sum(lsoa.children_0_15 for lsoa in lsoas) == 77_855  # mid-2022, ages 0-15
    assert len({lsoa.ward for lsoa in lsoas}) == 21
    assert all(1 <= lsoa.imd_decile <= 10 for lsoa in lsoas)
    # Published centroids lie in (or, for odd shapes, within ~200 m of) their own polygon.
    for lsoa in lsoas:
        assert lsoa.polygon.distance(shapely.Point(lsoa.lon, lsoa.lat)) < 0.003, lsoa.code


@pytest.mark.skipif(not LSOA_GEOJSON.is_file(), reason="../shared LSOA GeoJSON not present")
def test_simplified_polygons_stay_close_to_the_originals() -> None:
    from pyproj import Transformer

    to_grid = Transformer.from_crs(4326, 27700, always_xy=True).transform
    features = json.loads(LSOA_GEOJSON.read_text(encoding="utf-8"))["features"]
    original = {f["properties"]["LSOA code"]: f for f in features}
    for lsoa in load_profile().lsoas:
        feature = original[lsoa.code]
        assert feature["properties"]["Pop_0015_2022"] == lsoa.children_0_15
        assert feature["properties"]["Ward Name"] == lsoa.ward
        a = shapely.transform(
            shapely.geometry.shape(feature["geometry"]), to_grid, interleaved=False
        )
        b = shapely.transform(lsoa.polygon, to_grid, interleaved=False)
        assert shapely.hausdorff_distance(a, b) < 30.0, lsoa.code  # metres
        assert abs(a.area - b.area) / a.area < 0.05, lsoa.code


# --- raking --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 5), elements=st.floats(0.1, 100.0)),
    arrays(np.float64, 4, elements=st.floats(1.0, 50.0)),
    arrays(np.float64, 5, elements=st.floats(1.0, 50.0)),
)
def test_rake_meets_both_margins(
    seed: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]
) -> None:
    cols = cols * rows.sum() / cols.sum()
    table = rake(seed, row_totals=rows, column_totals=cols)
    np.testing.assert_allclose(table.sum(axis=1), rows, rtol=1e-6)
    np.testing.assert_allclose(table.sum(axis=0), cols, rtol=1e-6)
    # Raking keeps the seed's odds ratios (it only multiplies rows and columns).
    ratio = table / seed
    np.testing.assert_allclose(ratio[0, 0] * ratio[1, 1], ratio[0, 1] * ratio[1, 0], rtol=1e-6)


def test_rake_rejects_inconsistent_totals() -> None:
    seed = np.ones((2, 2))
    with pytest.raises(ValueError, match="differ"):
        rake(seed, row_totals=np.array([1.0, 1.0]), column_totals=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="converge"):
        # A structural zero pattern that cannot carry these margins.
        rake(
            np.array([[1.0, 0.0], [0.0, 1.0]]),
            row_totals=np.array([1.0, 3.0]),
            column_totals=np.array([2.0, 2.0]),
            max_iterations=50,
        )


def test_spread_unknown_keeps_the_total_and_the_proportions() -> None:
    spread = spread_unknown(PUBLISHED_SPECIAL)
    assert sum(spread.values()) == pytest.approx(1345)
    assert spread["ASD"] / spread["SEMH"] == pytest.approx(389 / 283)


# --- the generated mix against the published figures ---------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_mix_matches_published_figures(cohorts: Cohorts, seed: int) -> None:
    children = cohorts[seed]
    n = len(children)
    assert n == 1345
    counts = Counter(c.primary_need for c in children)
    for need, share in published_shares().items():
        assert abs(counts[need] / n - share) < 0.025, need  # 2.5 percentage points
    male = sum(c.sex == "M" for c in children) / n
    assert abs(male - PUBLISHED_MALE_SHARE) < 0.03
    mean_age = sum(c.age for c in children) / n
    assert abs(mean_age - load_profile().mean_age()) < 0.7
    assert all(4 <= c.age <= 19 for c in children)


@pytest.mark.parametrize("seed", SEEDS)
def test_flags_follow_the_rates_and_stay_consistent(cohorts: Cohorts, seed: int) -> None:
    children = cohorts[seed]
    rates = load_profile().rates
    n = len(children)
    index = {need: i for i, need in enumerate(NEED_CODES)}
    for flag in ("wheelchair", "needs_assistant", "residential_need"):
        p = np.array([getattr(rates, flag)[index[c.primary_need]] for c in children])
        observed = sum(getattr(c, flag) for c in children)
        sd = math.sqrt(float((p * (1 - p)).sum()))
        assert abs(observed - p.sum()) <= 4 * sd + 1, flag
    residential = sum(c.residential_need for c in children) / n
    assert abs(residential - rates.residential_need[0]) < 0.01  # within 1 percentage point
    for c in children:
        if c.travel_alone:
            assert c.age >= 11 and not c.wheelchair and not c.needs_assistant
        assert c.transport_eligible is None
        assert not c.locked and c.current_school is None and c.home_la == "856"
    # PMLD children mostly use wheelchairs, ASD children rarely: the per-need rates are applied.
    by_need = {need: [c for c in children if c.primary_need == need] for need in ("PD", "ASD")}
    assert sum(c.wheelchair for c in by_need["PD"]) / len(by_need["PD"]) > 0.3
    assert sum(c.wheelchair for c in by_need["ASD"]) / len(by_need["ASD"]) < 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_homes_lie_inside_leicester_where_children_live(cohorts: Cohorts, seed: int) -> None:
    children = cohorts[seed]
    lsoas = load_profile().lsoas
    city = shapely.union_all([lsoa.polygon for lsoa in lsoas])
    lon = np.array([c.lon for c in children])
    lat = np.array([c.lat for c in children])
    assert shapely.contains_xy(city, lon, lat).all()
    lo_lon, lo_lat, hi_lon, hi_lat = LEICESTER_BBOX
    assert ((lo_lon <= lon) & (lon <= hi_lon) & (lo_lat <= lat) & (lat <= hi_lat)).all()
    assert all(round(c.lon, 5) == c.lon and round(c.lat, 5) == c.lat for c in children)
    # Homes per ward follow the child population (each within 3 percentage points).
    ward_children = Counter[str]()
    for lsoa in lsoas:
        ward_children[lsoa.ward] += lsoa.children_0_15
    ward_homes = Counter[str]()
    for c in children:
        ward_homes[
            next(x.ward for x in lsoas if x.polygon.covers(shapely.Point(c.lon, c.lat)))
        ] += 1
    total = sum(ward_children.values())
    for ward, kids in ward_children.items():
        assert abs(ward_homes[ward] / len(children) - kids / total) < 0.03, ward


# --- preferences ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_preferences_name_admitting_schools_nearer_ones_likelier(
    cohorts: Cohorts, seed: int
) -> None:
    children = cohorts[seed]
    by_id = {s.school_id: s for s in SCHOOLS}
    stating = [c for c in children if c.preferences]
    assert all(1 <= len(c.preferences) <= 3 for c in stating)
    for c in stating:
        assert all(by_id[p].admits(c) for p in c.preferences)
    assert abs(len(stating) / len(children) - 0.6) < 0.05
    Scenario(name="t", children=children, schools=SCHOOLS)  # preferences name real schools

    def distance_m(c: Child, s: School) -> float:
        return float(haversine_m(np.array([c.lon]), np.array([c.lat]), np.array([s.lon]),
                                 np.array([s.lat]))[0])  # fmt: skip

    first = np.mean([distance_m(c, by_id[c.preferences[0]]) for c in stating])
    anywhere = np.mean(
        [np.mean([distance_m(c, s) for s in SCHOOLS if s.admits(c)]) for c in stating]
    )
    assert first < 0.8 * anywhere


def test_first_preference_is_independent_at_the_published_rate(cohorts: Cohorts) -> None:
    rates = load_profile().rates
    index = {need: i for i, need in enumerate(NEED_CODES)}
    chosen, expected, variance = 0, 0.0, 0.0
    for children in cohorts.values():
        for c in children:
            kinds = {s.type == "independent" for s in SCHOOLS if s.admits(c)}
            if c.preferences and kinds == {True, False}:
                p = rates.independent_first_preference[index[c.primary_need]]
                chosen += next(s for s in SCHOOLS if s.school_id == c.preferences[0]).type == (
                    "independent"
                )
                expected += p
                variance += p * (1 - p)
    assert expected > 20
    assert abs(chosen - expected) <= 4 * math.sqrt(variance) + 1


def test_no_admitting_school_means_no_preferences() -> None:
    only_asd = (school("A1", -1.13, 52.63, (4, 19), "ASD"),)
    children = generate_cohort(schools=only_asd, seed=5, n_children=300)
    assert any(c.preferences for c in children)
    for c in children:
        if c.primary_need != "ASD":
            assert c.preferences == ()
    assert all(c.preferences == () for c in generate_cohort(schools=(), seed=5, n_children=50))


# --- determinism and validity --------------------------------------------------------------------


def test_same_seed_same_cohort_different_seed_different(cohorts: Cohorts) -> None:
    assert generate_cohort(schools=SCHOOLS, seed=1) == cohorts[1]
    assert cohorts[1] != cohorts[2]
    assert [c.child_id for c in cohorts[1]][:3] == ["C00001", "C00002", "C00003"]


def test_homes_and_flags_do_not_depend_on_the_schools(cohorts: Cohorts) -> None:
    without = generate_cohort(schools=(), seed=1)
    strip = [(c.child_id, c.lon, c.lat, c.age, c.primary_need, c.wheelchair) for c in without]
    assert strip == [(c.child_id, c.lon, c.lat, c.age, c.primary_need, c.wheelchair)
                     for c in cohorts[1]]  # fmt: skip


def test_identical_across_hash_seeds() -> None:
    code = (
        "import hashlib; from sendplan.data.synthetic import generate_cohort;"
        "import tests.data.test_synthetic as t;"
        "print(hashlib.sha256(repr(generate_cohort(schools=t.SCHOOLS, seed=7, n_children=200))"
        ".encode()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[2]
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True,
                             capture_output=True, text=True)  # fmt: skip
        digests.add(out.stdout.strip())
    here = generate_cohort(schools=SCHOOLS, seed=7, n_children=200)
    digests.add(hashlib.sha256(repr(here).encode()).hexdigest())
    assert len(digests) == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**63 - 1), st.integers(0, 40))
def test_every_child_is_valid_for_any_seed(seed: int, n: int) -> None:
    children = generate_cohort(schools=SCHOOLS, seed=seed, n_children=n)
    assert len(children) == n
    assert [c.child_id for c in children] == [f"C{i:05d}" for i in range(1, n + 1)]
    for c in children:
        assert 4 <= c.age <= 19 and c.primary_need in NEED_CODES and c.sex in ("M", "F")
        assert isinstance(c.lon, float) and isinstance(c.lat, float)
        assert all(any(s.school_id == p and s.admits(c) for s in SCHOOLS) for p in c.preferences)
    Scenario(name="h", children=children, schools=SCHOOLS)
    counts = Counter(c.primary_need for c in children)
    for need, share in load_profile().need_shares().items():
        assert abs(counts[need] - n * share) < 1.0 + 1e-9, need  # need counts exact to one child


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n_children"):
        generate_cohort(schools=SCHOOLS, seed=1, n_children=-1)
    with pytest.raises(ValueError, match="seed"):
        generate_cohort(schools=SCHOOLS, seed=-1)


# --- bad profile tables --------------------------------------------------------------------------


@pytest.fixture
def profile_copy(tmp_path: Path) -> Path:
    for name in (COHORT_FILE, FLAGS_FILE, LSOA_FILE):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_copy_of_the_tables_reads_the_same(profile_copy: Path) -> None:
    assert read_profile(profile_copy).need_age_children == load_profile().need_age_children


def test_bad_rate_names_file_row_and_field(profile_copy: Path) -> None:
    _edit(profile_copy / FLAGS_FILE, "wheelchair,PMLD,0.8,", "wheelchair,PMLD,1.8,")
    with pytest.raises(ProfileError, match=r"flags_profile\.csv row \d+ field rate"):
        read_profile(profile_copy)


def test_missing_fact_is_named(profile_copy: Path) -> None:
    path = profile_copy / COHORT_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("special_age,,7,")), "utf-8")
    with pytest.raises(ProfileError, match=r"cohort_profile\.csv: no special_age row for age=7"):
        read_profile(profile_copy)


def test_bad_polygon_and_header_are_named(profile_copy: Path) -> None:
    _edit(profile_copy / LSOA_FILE, "POLYGON ((", "POLYGON ((x ")
    with pytest.raises(ProfileError, match=r"lsoa_children\.csv row 2 field polygon_wkt"):
        read_profile(profile_copy)
    _edit(profile_copy / FLAGS_FILE, "flag,need,rate", "flag,need,ratio")
    with pytest.raises(ProfileError, match=r"flags_profile\.csv row 1"):
        read_profile(profile_copy)


# --- the real data folder ------------------------------------------------------------------------


@pytest.mark.skipif(
    not (DATA / "schools.csv").is_file() or importlib.util.find_spec("sendplan.api.loader") is None,
    reason="data/schools.csv or sendplan.api.loader not available yet",
)
def test_cohort_with_the_embedded_schools() -> None:

    schools = read_schools(DATA / "schools.csv")
    children = generate_cohort(schools=schools, seed=1)
    scenario = Scenario(name="leicester", children=children, schools=schools)
    assert len(scenario.children) == 1345
    by_id = {s.school_id: s for s in schools}
    assert any(c.preferences for c in children)
    for c in children:
        assert all(by_id[p].admits(c) for p in c.preferences)
