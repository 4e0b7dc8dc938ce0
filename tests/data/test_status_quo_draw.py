"""The status-quo draw: Leicester's special-school children placed as SEN2 January 2025 counts them.

Schools are built from data/schools.csv with plain ``csv`` (not the project loader), so these
tests check the data and the draw whatever the loader accepts.
"""

from __future__ import annotations

import csv
import dataclasses
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import pytest

from sendplan.data.status_quo import (
    PLACEMENT_OF_SCHOOL_TYPE,
    PLACEMENT_TYPES,
    StatusQuo,
    cohort_as_of,
    draw_new_plans,
    draw_status_quo,
    new_plan_rate,
    out_of_city_floor,
    prefer_current_school,
    quotas,
    read_placement_table,
)
from sendplan.data.synthetic import generate_cohort, load_profile
from sendplan.routing.model import NEED_CODES, Child, School

# DfE SEN2 2025 (sen2_2025_caseload.csv), Leicester, January 2025.
SEN2_TYPES = {"la_maintained": 794, "academy_free": 400, "independent": 150, "non_maintained": 1}
AS_OF = date(2025, 1, 16)
SEEDS = (1, 2, 3)


@contextmanager
def data_folder() -> Iterator[Path]:
    with as_file(files("sendplan.data")) as folder:
        yield Path(folder)


def _day(text: str) -> date | None:
    if not text:
        return None
    return date.max if text == "unknown" else date.fromisoformat(text)


def _minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def _need_places(text: str) -> tuple[tuple[str, int], ...]:
    pairs = (item.split(":") for item in text.split(";") if item)
    return tuple((need, int(places)) for need, places in pairs)


def read_schools() -> list[School]:
    with data_folder() as folder, (folder / "schools.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        School(
            school_id=r["school_id"],
            name=r["name"],
            lon=float(r["lon"]),
            lat=float(r["lat"]),
            la_code=r["la_code"],
            type=r["type"],
            age_low=int(r["age_low"]),
            age_high=int(r["age_high"]),
            designations=frozenset(r["designations"].split(";")),
            capacity=int(r["capacity"]),
            annual_cost_gbp=float(r["annual_cost_gbp"]),
            sex=r["sex"],  # type: ignore[arg-type]
            residential_places=int(r["residential_places"]),
            bell_am_min=_minutes(r["bell_am"]),
            finish_pm_min=_minutes(r["finish_pm"]),
            in_area=r["in_area"] == "true",
            opens=_day(r["opens"]),
            closes=_day(r["closes"]),
            capacity_by_designation=_need_places(r["capacity_by_designation"]),
            reserved_by_designation=_need_places(r["reserved_by_designation"]),
        )
        for r in rows
    ]


@pytest.fixture(scope="module")
def schools() -> list[School]:
    return read_schools()


Drawn = dict[int, tuple[tuple[Child, ...], StatusQuo]]


@pytest.fixture(scope="module")
def drawn(schools: list[School]) -> Drawn:
    return {seed: cohort_as_of(schools=schools, seed=seed, as_of=AS_OF) for seed in SEEDS}


def test_scenario_date_is_the_sen2_january_2025_census() -> None:
    with data_folder() as folder:
        config = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    assert config["as_of"] == AS_OF


def test_type_counts_match_sen2_for_seed_1(drawn: Drawn) -> None:
    children, sq = drawn[1]
    assert len(children) == 1345
    for placement, published in SEN2_TYPES.items():
        count = sq.type_counts.get(placement, 0)
        assert abs(count - published) <= 0.03 * published, (placement, count)
    placed = sum(1 for c in children if c.current_school is not None)
    assert placed >= 0.99 * len(children)
    assert len(sq.unplaced) == len(children) - placed


@pytest.mark.parametrize("seed", SEEDS)
def test_every_placement_is_admissible_open_and_within_capacity(
    drawn: Drawn, schools: list[School], seed: int
) -> None:
    children, sq = drawn[seed]
    by_id = {s.school_id: s for s in schools}
    roll: Counter[str] = Counter()
    boarders: Counter[str] = Counter()
    relaxed = set(sq.residential_relaxed)
    for child in children:
        if child.current_school is None:
            assert child.child_id in sq.unplaced
            continue
        school = by_id[child.current_school]
        assert school.admits(child), child
        assert school.open_on(AS_OF), f"{school.school_id} is not open on {AS_OF}"
        assert school.type != "resourced_provision", "special children take no DSP place"
        roll[school.school_id] += 1
        if child.residential_need and child.child_id not in relaxed:
            assert school.residential_places > 0, child
            boarders[school.school_id] += 1
    for school_id, count in roll.items():
        assert count <= by_id[school_id].capacity, school_id
    by_need = Counter((c.current_school, c.primary_need) for c in children if c.current_school)
    for (school_id, need), count in by_need.items():
        cap = by_id[str(school_id)].designation_capacity(need)
        assert cap is None or count <= cap, (school_id, need)
    assert not any(s.reserved_by_designation for s in schools)  # the draw does not apply them
    for school_id, count in boarders.items():
        assert count <= by_id[school_id].residential_places, school_id
    # A residential child takes a day place only where no residential place admits them (the
    # draw records who): a handful at most.
    assert len(relaxed) <= 3
    for child_id in relaxed:
        child = next(c for c in children if c.child_id == child_id)
        assert child.residential_need


def test_schools_not_open_on_the_date_take_no_one(drawn: Drawn, schools: list[School]) -> None:
    closed = {s.school_id for s in schools if not s.open_on(AS_OF)}
    assert {"EST-LEI-006", "EST-LEI-007"} <= closed  # Leicester Therapeutic School, Indie
    for children, _ in drawn.values():
        assert not closed & {c.current_school for c in children}


def test_the_draw_is_deterministic_and_depends_on_the_seed(
    drawn: Drawn, schools: list[School]
) -> None:
    again, sq = cohort_as_of(schools=schools, seed=1, as_of=AS_OF)
    assert again == drawn[1][0]
    assert sq.type_counts == drawn[1][1].type_counts
    assert [c.current_school for c in drawn[1][0]] != [c.current_school for c in drawn[2][0]]


def test_need_age_and_sex_totals_are_those_of_the_plain_cohort(
    drawn: Drawn, schools: list[School]
) -> None:
    plain = generate_cohort(schools=schools, seed=1)
    placed = drawn[1][0]
    key = lambda c: (c.primary_need, c.age, c.sex)  # noqa: E731
    assert Counter(map(key, plain)) == Counter(map(key, placed))
    shares = load_profile().need_shares()
    counts = Counter(c.primary_need for c in placed)
    for need in NEED_CODES:
        assert abs(counts[need] - shares[need] * len(placed)) <= 1, need
    assert all(c.transport_eligible is None for c in placed)


def test_new_plans_follow_sen2_calendar_2024(drawn: Drawn) -> None:
    assert new_plan_rate() == pytest.approx(44 / 1345)
    for children, _ in drawn.values():
        assert sum(c.new_plan for c in children) in (43, 44, 45)
    plain = drawn[1][0][:100]
    plain = tuple(c for c in plain if not c.new_plan)
    assert not any(c.new_plan for c in draw_new_plans(plain, rate=0.0, seed=1))
    assert all(c.new_plan for c in draw_new_plans(plain, rate=1.0, seed=1))


def test_placement_table_is_sen2_by_type() -> None:
    table = read_placement_table()
    for placement in PLACEMENT_TYPES:
        total = sum(table[need, placement] for need in NEED_CODES)
        assert total == pytest.approx(SEN2_TYPES[placement])
    assert sum(table.values()) == pytest.approx(1345)


def test_quotas_sum_to_the_children_and_follow_the_table(drawn: Drawn) -> None:
    children = drawn[1][0]
    type_quota, need_type = quotas(children, read_placement_table(), np.random.default_rng(0))
    assert type_quota == SEN2_TYPES
    by_need = Counter(c.primary_need for c in children)
    for need in NEED_CODES:
        assert sum(need_type[need, t] for t in PLACEMENT_TYPES) == by_need[need]
    small, _ = quotas(children[:100], read_placement_table(), np.random.default_rng(0))
    assert sum(small.values()) == 100
    assert abs(small["la_maintained"] - 100 * 794 / 1345) < 1


def _school(school_id: str, kind: str, capacity: int, *, in_area: bool, **kw: object) -> School:
    return School(
        school_id=school_id,
        name=school_id,
        lon=-1.13 if in_area else -1.40,
        lat=52.63,
        la_code="856" if in_area else "855",
        type=kind,
        age_low=4,
        age_high=19,
        designations=frozenset({"ASD"}),
        capacity=capacity,
        annual_cost_gbp=30_000.0,
        in_area=in_area,
        **kw,  # type: ignore[arg-type]
    )


def test_out_of_city_floor_on_a_hand_made_example() -> None:
    schools = [
        _school("LA1", "la_maintained", 6, in_area=True),
        _school("AC1", "academy", 5, in_area=True),
        _school("IND1", "independent", 9, in_area=True, opens=date(2026, 6, 1)),  # not yet open
        _school("DSP1", "resourced_provision", 50, in_area=True),  # not a special school
        _school("LA2", "la_maintained", 10, in_area=False),
        _school("IND2", "independent", 10, in_area=False),
    ]
    quota = {"la_maintained": 8, "academy_free": 3, "independent": 2, "non_maintained": 1}
    # LA 8 - 6 = 2 beyond the city; academy 3 <= 5; independent 2 and non-maintained 1, with
    # no city school of either open: (2 + 0 + 2 + 1) / 14.
    assert out_of_city_floor(quota, schools, date(2025, 1, 16)) == (5, pytest.approx(5 / 14))
    # Once the city independent school is open, its places count.
    assert out_of_city_floor(quota, schools, date(2026, 9, 1))[0] == 3


def test_leicester_floor_is_about_16_percent(schools: list[School]) -> None:
    floor, share = out_of_city_floor(SEN2_TYPES, schools, AS_OF)
    # 151 independent/non-maintained (no city school open) + 794 - 730 city LA-maintained places.
    assert floor == 151 + 794 - 730
    assert share == pytest.approx(215 / 1345)
    assert share > 0.08 + 0.02  # the council's 2018 share (94 of 1,178) is out of reach


@pytest.mark.parametrize("seed", SEEDS)
def test_out_of_city_share_is_at_least_the_floor(drawn: Drawn, seed: int) -> None:
    children, sq = drawn[seed]
    _, floor = out_of_city_floor(sq.type_quota, read_schools(), AS_OF)
    placed = len(children) - len(sq.unplaced)
    assert sq.out_of_city / placed >= floor - len(sq.unplaced) / placed - 0.005
    assert sq.out_of_city_share < 0.30


def test_type_quotas_hold_when_feasible_and_are_soft_when_not() -> None:
    children = [
        Child(f"C{i}", -1.13 + 0.001 * i, 52.63, 10, "ASD", "M", cohort="special") for i in range(6)
    ]
    schools = [
        _school("LA1", "la_maintained", 6, in_area=True),
        _school("IND2", "independent", 2, in_area=False),
    ]
    table = {(n, t): 0.0 for n in NEED_CODES for t in PLACEMENT_TYPES}
    table["ASD", "la_maintained"] = 4.0
    table["ASD", "independent"] = 2.0
    sq = draw_status_quo(children, schools, as_of=None, seed=3, table=table)
    assert sq.type_counts == {"la_maintained": 4, "independent": 2}
    assert sq.type_quotas_met and sq.need_type_quotas_met and not sq.unplaced
    # Independent quota 4 but 2 places: the draw still places everyone and says so.
    table["ASD", "la_maintained"], table["ASD", "independent"] = 2.0, 4.0
    sq = draw_status_quo(children, schools, as_of=None, seed=3, table=table)
    assert sq.type_counts == {"la_maintained": 4, "independent": 2}
    assert not sq.type_quotas_met and not sq.unplaced
    # The DSP cohort is left alone.
    dsp = Child("D1", -1.13, 52.63, 10, "ASD", "M", cohort="dsp")
    sq = draw_status_quo([*children, dsp], schools, as_of=None, seed=3, table=table)
    assert "D1" not in sq.placements


def test_residential_children_take_residential_places() -> None:
    kids = [Child(f"R{i}", -1.13, 52.63, 12, "ASD", "F", residential_need=True) for i in range(3)]
    schools = [
        _school("LA1", "la_maintained", 10, in_area=True),
        _school("IND2", "independent", 10, in_area=False, residential_places=2),
    ]
    table = {(n, t): 0.0 for n in NEED_CODES for t in PLACEMENT_TYPES}
    table["ASD", "independent"] = 3.0
    sq = draw_status_quo(kids, schools, as_of=None, seed=1, table=table)
    assert len(sq.residential_relaxed) == 1  # two residential places for three boarders
    assert not sq.unplaced
    boarders = [sq.placements[c.child_id] for c in kids if c.child_id not in sq.residential_relaxed]
    assert boarders == ["IND2", "IND2"]


def test_school_types_map_onto_sen2_placements() -> None:
    assert set(PLACEMENT_OF_SCHOOL_TYPE.values()) == set(PLACEMENT_TYPES)
    assert "resourced_provision" not in PLACEMENT_OF_SCHOOL_TYPE


def test_the_default_scenario_is_leicester_in_january_2025() -> None:
    from sendplan.api.defaults import leicester_scenario

    scenario = leicester_scenario(seed=1)
    assert scenario.as_of == AS_OF
    by_id = {s.school_id: s for s in scenario.schools}
    placed = [c for c in scenario.children if c.current_school is not None]
    assert len(placed) >= 0.99 * len(scenario.children)
    school_of = {c.child_id: by_id[str(c.current_school)] for c in placed}
    counts = Counter(PLACEMENT_OF_SCHOOL_TYPE[s.type] for s in school_of.values())
    for placement, published in SEN2_TYPES.items():
        assert abs(counts[placement] - published) <= 0.03 * published, placement
    assert all(s.open_on(AS_OF) for s in school_of.values())
    assert all(c.transport_eligible is None for c in scenario.children)
    assert 40 <= sum(c.new_plan for c in scenario.children) <= 48


def test_a_per_need_cap_holds() -> None:
    kids = [Child(f"A{i}", -1.13, 52.63, 12, "ASD", "M") for i in range(3)]
    capped = dataclasses.replace(
        _school("LA1", "la_maintained", 10, in_area=True),
        capacity_by_designation=(("ASD", 1),),
    )
    schools = [capped, _school("LA2", "la_maintained", 10, in_area=False)]
    table = {(n, t): 0.0 for n in NEED_CODES for t in PLACEMENT_TYPES}
    table["ASD", "la_maintained"] = 3.0
    sq = draw_status_quo(kids, schools, as_of=None, seed=2, table=table)
    assert Counter(sq.placements.values()) == {"LA1": 1, "LA2": 2}


def test_a_current_school_is_usually_a_preference(drawn: Drawn) -> None:
    children = drawn[1][0]
    stating = [c for c in children if c.preferences and c.current_school]
    assert 0.5 * len(children) <= len(stating) <= 0.7 * len(children)  # about 60% state any
    share = sum(c.current_school in c.preferences for c in stating) / len(stating)
    assert 0.8 <= share <= 0.95
    assert all(1 <= len(c.preferences) <= 3 for c in stating)
    assert all(len(set(c.preferences)) == len(c.preferences) for c in stating)


def test_prefer_current_school_rates() -> None:
    kid = Child("K1", -1.13, 52.63, 10, "ASD", "M", preferences=("A", "B"), current_school="C")
    assert prefer_current_school([kid], rate=1.0, seed=1)[0].preferences == ("C", "A")
    assert prefer_current_school([kid], rate=0.0, seed=1)[0].preferences == ("A", "B")
    kept = dataclasses.replace(kid, preferences=("B", "C"))
    assert prefer_current_school([kept], rate=1.0, seed=1)[0].preferences == ("B", "C")
