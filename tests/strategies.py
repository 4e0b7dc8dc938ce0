"""Test data builders: hypothesis strategies for tiny random Scenarios and a seeded generator for
medium synthetic ones. Every child is invented; ids are pseudonymous (C1, S1, ...).

Import from a test module as ``from strategies import tiny_scenarios`` (pytest puts ``tests/`` on
the path).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from sendplan.routing.model import NEED_CODES, Child, Policy, Scenario, School

# Leicester Clock Tower; tiny instances scatter points around it.
CENTRE_LON = -1.1335
CENTRE_LAT = 52.6363


# One km east or west at Leicester's latitude, in degrees of longitude.
KM_LON = 1.0 / (111.195 * math.cos(math.radians(CENTRE_LAT)))


def make_school(school_id: str, km_east: float = 0.0, **kw: object) -> School:
    """A one-need (ASD) all-age school ``km_east`` of the centre; ``kw`` overrides any field."""
    values: dict[str, object] = {
        "school_id": school_id,
        "name": f"School {school_id}",
        "lon": CENTRE_LON + km_east * KM_LON,
        "lat": CENTRE_LAT,
        "la_code": "856",
        "type": "la_maintained",
        "age_low": 4,
        "age_high": 19,
        "designations": frozenset({"ASD"}),
        "capacity": 10,
        "annual_cost_gbp": 25_000.0,
    }
    values.update(kw)
    return School(**values)  # type: ignore[arg-type]


def make_child(child_id: str, km_east: float = 0.0, **kw: object) -> Child:
    """A nine-year-old boy with ASD ``km_east`` of the centre; ``kw`` overrides any field."""
    values: dict[str, object] = {
        "child_id": child_id,
        "lon": CENTRE_LON + km_east * KM_LON,
        "lat": CENTRE_LAT,
        "age": 9,
        "primary_need": "ASD",
        "sex": "M",
    }
    values.update(kw)
    return Child(**values)  # type: ignore[arg-type]


# A few needs only, so that random schools often admit random children.
TINY_NEEDS = ("ASD", "SLD", "SEMH")
TINY_COSTS_GBP = (0.0, 18_500.0, 24_000.0, 41_000.0, 67_500.0)

# Offsets in hundredths of a degree: up to ~40 km, so some pairs exceed the travel limits.
_offset = st.integers(-35, 35).map(lambda k: k / 100.0)


@st.composite
def tiny_schools(draw: st.DrawFn, *, max_schools: int = 3) -> tuple[School, ...]:
    """1..max_schools random schools S1.. with small capacities."""
    n = draw(st.integers(1, max_schools))
    schools = []
    for j in range(n):
        age_low = draw(st.integers(4, 16))
        capacity = draw(st.integers(0, 3))
        schools.append(
            School(
                school_id=f"S{j + 1}",
                name=f"School {j + 1}",
                lon=CENTRE_LON + draw(_offset),
                lat=CENTRE_LAT + draw(_offset),
                la_code="856",
                type=draw(st.sampled_from(("la_maintained", "academy", "independent"))),
                age_low=age_low,
                age_high=draw(st.integers(age_low, 19)),
                designations=frozenset(
                    draw(st.sets(st.sampled_from(TINY_NEEDS), min_size=1, max_size=3))
                ),
                capacity=capacity,
                annual_cost_gbp=draw(st.sampled_from(TINY_COSTS_GBP)),
                sex=draw(st.sampled_from(("mixed", "mixed", "mixed", "M", "F"))),
                residential_places=draw(st.integers(0, capacity)),
                in_area=draw(st.booleans()),
            )
        )
    return tuple(schools)


@st.composite
def tiny_children(
    draw: st.DrawFn, schools: tuple[School, ...], *, max_children: int = 6
) -> tuple[Child, ...]:
    """1..max_children random children C1.. with needs, ages, flags, preferences and locks."""
    ids = [s.school_id for s in schools]
    n = draw(st.integers(1, max_children))
    children = []
    for i in range(n):
        preferences = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
        locked = draw(st.integers(0, 6)) == 0
        current = draw(st.sampled_from(ids)) if locked else None
        children.append(
            Child(
                child_id=f"C{i + 1}",
                lon=CENTRE_LON + draw(_offset),
                lat=CENTRE_LAT + draw(_offset),
                age=draw(st.integers(4, 19)),
                primary_need=draw(st.sampled_from(TINY_NEEDS)),
                sex=draw(st.sampled_from(("M", "F"))),
                residential_need=draw(st.integers(0, 4)) == 0,
                preferences=tuple(preferences),
                locked=locked,
                current_school=current,
            )
        )
    return tuple(children)


# Weights that vary the trade-offs but keep the unplaced penalty dominant (placing comes first).
tiny_policies = st.builds(
    Policy,
    weight_placement_cost=st.sampled_from((0.0, 0.5, 1.0)),
    travel_gbp_per_min=st.sampled_from((0.0, 300.0, 1_234.5)),
    preference_gbp_per_rank=st.sampled_from((0.0, 4_000.0)),
    not_preferred_gbp=st.sampled_from((0.0, 12_000.0)),
    out_of_area_gbp=st.sampled_from((0.0, 10_000.0)),
    max_travel_min_primary=st.sampled_from((30.0, 60.0)),
    max_travel_min_secondary=st.sampled_from((45.0, 90.0)),
)


@st.composite
def tiny_scenarios(draw: st.DrawFn, *, max_children: int = 6, max_schools: int = 3) -> Scenario:
    """A random Scenario small enough for exhaustive search."""
    schools = draw(tiny_schools(max_schools=max_schools))
    children = draw(tiny_children(schools, max_children=max_children))
    return Scenario(name="tiny", children=children, schools=schools, policy=draw(tiny_policies))


def synthetic_scenario(
    *, seed: int, n_children: int, n_schools: int, places_per_child: float = 0.95
) -> Scenario:
    """A seeded synthetic scenario around Leicester: all twelve needs, capacities averaging
    ``places_per_child`` places per child overall (so some schools fill), a few residential
    places, preferences and locks."""
    rng = np.random.default_rng(seed)
    needs = np.array(NEED_CODES)
    mean_places = places_per_child * n_children / n_schools
    schools = []
    for j in range(n_schools):
        age_low = int(rng.choice([2, 4, 11]))
        age_high = int(rng.choice([11, 16, 19])) if age_low < 11 else int(rng.choice([16, 19]))
        capacity = int(rng.integers(int(0.5 * mean_places), int(1.5 * mean_places) + 2))
        schools.append(
            School(
                school_id=f"S{j:04d}",
                name=f"School {j}",
                lon=round(CENTRE_LON + float(rng.normal(0.0, 0.15)), 5),
                lat=round(CENTRE_LAT + float(rng.normal(0.0, 0.10)), 5),
                la_code="856",
                type=str(rng.choice(["la_maintained", "academy", "independent"])),
                age_low=age_low,
                age_high=age_high,
                designations=frozenset(
                    str(x) for x in rng.choice(needs, size=int(rng.integers(2, 7)), replace=False)
                ),
                capacity=capacity,
                annual_cost_gbp=float(rng.integers(15, 90) * 1_000),
                residential_places=min(capacity, int(rng.integers(0, 6)))
                if rng.random() < 0.2
                else 0,
                in_area=bool(rng.random() < 0.8),
            )
        )
    school_ids = [s.school_id for s in schools]
    children = []
    for i in range(n_children):
        n_prefs = int(rng.integers(0, 4))
        prefs = tuple(str(x) for x in rng.choice(school_ids, size=n_prefs, replace=False))
        locked = bool(rng.random() < 0.05)
        children.append(
            Child(
                child_id=f"C{i:05d}",
                lon=round(CENTRE_LON + float(rng.normal(0.0, 0.08)), 5),
                lat=round(CENTRE_LAT + float(rng.normal(0.0, 0.05)), 5),
                age=int(rng.integers(4, 20)),
                primary_need=str(rng.choice(needs)),
                sex="M" if rng.random() < 0.7 else "F",
                residential_need=bool(rng.random() < 0.01),
                preferences=prefs,
                locked=locked,
                current_school=str(rng.choice(school_ids)) if locked else None,
            )
        )
    return Scenario(
        name=f"synthetic-{seed}", children=tuple(children), schools=tuple(schools), seed=seed
    )
