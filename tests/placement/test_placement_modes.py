"""Placement modes: lexicographic ordering and the soft-capacity "what if" mode against brute
force, cross-border flags, candidate caps, classes of identical children and request errors.
Every plan produced here also goes through the independent checker."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    make_child,
    make_school,
    synthetic_scenario,
    tiny_scenarios,
)
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.loader import load_scenario
from sendplan.api.writer import write_scenario
from sendplan.errors import InputError
from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.place import place
from sendplan.routing.placement.plan import PlacementError, PlacementPlan, UnplacedReason

TRAVEL = StraightLineModel()


_school = make_school

_child = make_child


def _scenario(children: list[Child], schools: list[School], **policy: Any) -> Scenario:
    return Scenario(
        name="modes", children=tuple(children), schools=tuple(schools), policy=Policy(**policy)
    )


def _checked(scenario: Scenario, **kw: Any) -> PlacementPlan:
    plan = place(scenario, TRAVEL, **kw)
    report = check_placement(scenario, TRAVEL, plan)
    assert report.ok, report.violations
    return plan


# --- brute force over every feasible plan ---


def _brute_force(
    scenario: Scenario, must_admit: Sequence[str]
) -> tuple[int, tuple[int, int, int, int], tuple[int, int, int, int, int]]:
    """(least weighted objective, best lexicographic levels, best levels with preference ranks
    before cost) over every feasible plan, written
    from the rules: locked children fixed, capacity soft only at ``must_admit`` schools."""
    policy = scenario.policy
    schools, children = list(scenario.schools), list(scenario.children)
    homes = np.array([[c.lon, c.lat] for c in children for _ in schools])
    sites = np.array([[s.lon, s.lat] for _ in children for s in schools])
    seconds, _ = TRAVEL.pairs(homes, sites)
    travel = {
        (c.child_id, s.school_id): float(seconds[i * len(schools) + j])
        for i, c in enumerate(children)
        for j, s in enumerate(schools)
    }

    def weighted(child: Child, school: School) -> int:
        if not child.preferences:
            pref = 0.0
        elif school.school_id in child.preferences:
            pref = child.preferences.index(school.school_id) * policy.preference_gbp_per_rank
        else:
            pref = policy.not_preferred_gbp
        return round(
            policy.weight_placement_cost * school.annual_cost_gbp
            + policy.travel_gbp_per_min * travel[child.child_id, school.school_id] / 60.0
            + pref
            + (0.0 if school.in_area else policy.out_of_area_gbp)
        )

    def may_attend(child: Child, school: School) -> bool:
        limit = (
            policy.max_travel_min_primary if child.age <= 10 else policy.max_travel_min_secondary
        )
        if child.residential_need:  # boarders travel weekly: no daily cap
            limit = math.inf
        return (
            child.primary_need in school.designations
            and school.age_low <= child.age <= school.age_high
            and school.sex in ("mixed", child.sex)
            and (not child.residential_need or school.residential_places > 0)
            and travel[child.child_id, school.school_id] <= limit * 60.0
        )

    over_gbp = round(policy.over_capacity_gbp)

    def missed(child: Child, school: School) -> int:
        named = child.preferences
        return named.index(school.school_id) if school.school_id in named else len(named)

    fixed_w, fixed, fixed_p = 0, [0, 0, 0, 0], 0
    left = {s.school_id: s.capacity for s in schools}
    res_left = {s.school_id: s.residential_places for s in schools}
    free = []
    for child in children:
        if child.locked:
            school = scenario.school(str(child.current_school))
            fixed_w += weighted(child, school)
            fixed[0] += 1
            fixed[1] += school.in_area
            fixed[2] += round(school.annual_cost_gbp)
            fixed[3] += round(travel[child.child_id, school.school_id])
            fixed_p += missed(child, school)
            left[school.school_id] -= 1
            res_left[school.school_id] -= child.residential_need
        else:
            free.append(child)
    options: list[list[School | None]] = [
        [None, *(s for s in schools if may_attend(c, s))] for c in free
    ]
    best_w: int | None = None
    best_lex: tuple[int, int, int, int] | None = None
    best_pref: tuple[int, int, int, int, int] | None = None
    for combo in itertools.product(*options):
        used = dict.fromkeys(left, 0)
        used_res = dict.fromkeys(left, 0)
        w, lex, pref = fixed_w, list(fixed), fixed_p
        for child, choice in zip(free, combo, strict=True):
            if choice is None:
                w += round(policy.unplaced_gbp)
                continue
            school = choice
            used[school.school_id] += 1
            used_res[school.school_id] += child.residential_need
            w += weighted(child, school)
            lex[0] += 1
            lex[1] += school.in_area
            lex[2] += round(school.annual_cost_gbp)
            lex[3] += round(travel[child.child_id, school.school_id])
            pref += missed(child, school)
        if any(used_res[k] > max(res_left[k], 0) for k in used):
            continue
        if not _pools_ok(scenario, free, combo):
            continue
        over = 0
        feasible = True
        for k in used:
            extra = used[k] - max(left[k], 0)
            if extra > 0:
                if k not in must_admit:
                    feasible = False
                over += extra
        if not feasible:
            continue
        w += over_gbp * over
        lex[2] += over_gbp * over
        levels = (lex[0], lex[1], lex[2], lex[3])
        best_w = w if best_w is None else min(best_w, w)
        if best_lex is None or (levels[0], levels[1], -levels[2], -levels[3]) > (
            best_lex[0],
            best_lex[1],
            -best_lex[2],
            -best_lex[3],
        ):
            best_lex = levels
        with_pref = (lex[0], lex[1], pref, lex[2], lex[3])
        if best_pref is None or (with_pref[0], with_pref[1], *(-v for v in with_pref[2:])) > (
            best_pref[0],
            best_pref[1],
            *(-v for v in best_pref[2:]),
        ):
            best_pref = with_pref
    assert best_w is not None and best_lex is not None and best_pref is not None
    return best_w, best_lex, best_pref


def _pools_ok(scenario: Scenario, free: list[Child], combo: Sequence[School | None]) -> bool:
    """Places per designation: children of each need (locked too) within the reserved places,
    unless locked children alone exceed them."""
    for school in scenario.schools:
        for need, places in school.capacity_by_designation:
            locked = sum(
                1
                for c in scenario.children
                if c.locked and c.current_school == school.school_id and c.primary_need == need
            )
            placed = sum(
                1
                for c, choice in zip(free, combo, strict=True)
                if choice is not None
                and choice.school_id == school.school_id
                and c.primary_need == need
            )
            if locked + placed > max(places, locked):
                return False
    return True


@st.composite
def _with_pools(draw: st.DrawFn) -> Scenario:
    """Tiny scenarios whose non-residential schools may reserve places per need."""
    scenario = draw(tiny_scenarios(max_children=5, max_schools=3))
    schools = []
    for school in scenario.schools:
        pools: list[tuple[str, int]] = []
        if school.residential_places == 0:
            for need in sorted(school.designations):
                if draw(st.booleans()):
                    pools.append((need, draw(st.integers(0, school.capacity))))
        schools.append(dataclasses.replace(school, capacity_by_designation=tuple(pools)))
    return dataclasses.replace(scenario, schools=tuple(schools))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_pools())
def test_places_per_designation_equal_brute_force(scenario: Scenario) -> None:
    best_w, best_lex, _ = _brute_force(scenario, ())
    assert _checked(scenario).objective == best_w
    assert _checked(scenario, mode="lexicographic").levels == best_lex


def test_places_per_designation_bind_and_are_checked() -> None:
    school = _school("A", 0.0, capacity=5, designations=frozenset({"ASD", "SLD"}),
                     capacity_by_designation=(("ASD", 1),))  # fmt: skip
    far = _school("B", 30.0, designations=frozenset({"ASD"}))
    children = [_child("C1", 0.5), _child("C2", 1.0), _child("C3", 0.5, primary_need="SLD")]
    scenario = _scenario(children, [school, far])
    plan = _checked(scenario)
    where = {a.child_id: a.school_id for a in plan.assignments}
    assert where == {"C1": "A", "C2": "B", "C3": "A"}
    c2 = plan.assignment("C2")
    assert c2 is not None and "nearer_suitable_schools_full" in c2.reasons
    # Moving C2 to A breaks the ASD reservation: the checker names school, need and rule.
    moved = tuple(
        dataclasses.replace(a, school_id="A", travel_s=plan.assignment("C1").travel_s * 2)  # type: ignore[union-attr]
        if a.child_id == "C2"
        else a
        for a in plan.assignments
    )
    report = check_placement(scenario, TRAVEL, dataclasses.replace(plan, assignments=moved))
    assert any("capacity_by_designation" in v and "ASD" in v for v in report.violations)


def test_places_per_designation_with_residential_places_is_refused() -> None:
    school = _school("A", capacity=5, residential_places=1,
                     capacity_by_designation=(("ASD", 2),))  # fmt: skip
    with pytest.raises(PlacementError, match="residential"):
        place(_scenario([_child("C1")], [school]), TRAVEL)


def test_places_per_designation_round_trip_through_files(tmp_path: Path) -> None:
    school = _school("A", capacity=5, designations=frozenset({"ASD", "SLD"}),
                     capacity_by_designation=(("ASD", 2), ("SLD", 3)))  # fmt: skip
    scenario = _scenario([_child("C1")], [school, _school("B")])
    write_scenario(scenario, tmp_path / "s")
    loaded = load_scenario(tmp_path / "s")
    assert loaded.school("A").capacity_by_designation == (("ASD", 2), ("SLD", 3))
    assert loaded.school("B").capacity_by_designation == ()


@st.composite
def _with_must_admit(draw: st.DrawFn) -> tuple[Scenario, tuple[str, ...]]:
    scenario = draw(tiny_scenarios(max_children=5, max_schools=3))
    ids = [s.school_id for s in scenario.schools]
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    penalty = draw(st.sampled_from((0.0, 30_000.0, 100_000.0)))
    policy = dataclasses.replace(scenario.policy, over_capacity_gbp=penalty)
    return dataclasses.replace(scenario, policy=policy), tuple(chosen)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_must_admit())
def test_both_modes_equal_brute_force(case: tuple[Scenario, tuple[str, ...]]) -> None:
    scenario, must_admit = case
    best_w, best_lex, best_pref = _brute_force(scenario, must_admit)
    weighted = _checked(scenario, must_admit=must_admit)
    assert weighted.objective == best_w
    lex = _checked(scenario, mode="lexicographic", must_admit=must_admit)
    assert lex.levels == best_lex
    prefs = _checked(scenario, mode="lexicographic_preferences", must_admit=must_admit)
    assert prefs.levels == best_pref
    assert prefs.levels[:2] == lex.levels[:2]
    assert lex.mode == "lexicographic" and lex.optimal
    # The lexicographic plan never places fewer children than the weighted one.
    assert len(lex.assignments) >= len(weighted.assignments)


# --- lexicographic ordering, pinned ---


def test_lexicographic_places_more_where_weighted_prices_a_child_out() -> None:
    # Unplaced costs less than the only place: weighted leaves the child out, lexicographic not.
    scenario = _scenario([_child("C1")], [_school("A", 1.0)], unplaced_gbp=1_000.0)
    weighted = _checked(scenario)
    assert weighted.assignments == ()
    assert [u.reason for u in weighted.unplaced] == [UnplacedReason.COSTS_MORE_THAN_UNPLACED]
    lex = _checked(scenario, mode="lexicographic")
    assert [a.school_id for a in lex.assignments] == ["A"]
    assert lex.levels[0] == 1


def test_lexicographic_puts_in_area_before_cost_and_cost_before_travel() -> None:
    cheap_away = _school("A", 1.0, annual_cost_gbp=10_000.0, in_area=False)
    dear_home = _school("B", 20.0, annual_cost_gbp=60_000.0)
    plan = _checked(_scenario([_child("C1")], [cheap_away, dear_home]), mode="lexicographic")
    assert plan.assignments[0].school_id == "B"
    near_dear = _school("A", 1.0, annual_cost_gbp=30_000.0)
    far_cheap = _school("B", 20.0, annual_cost_gbp=29_999.0)
    plan = _checked(_scenario([_child("C1")], [near_dear, far_cheap]), mode="lexicographic")
    assert plan.assignments[0].school_id == "B"
    same_fee = [_school("A", 20.0), _school("B", 1.0)]
    plan = _checked(_scenario([_child("C1")], same_fee), mode="lexicographic")
    assert plan.assignments[0].school_id == "B"


def test_lexicographic_levels_are_reported_and_checked() -> None:
    scenario = synthetic_scenario(seed=5, n_children=400, n_schools=15)
    plan = _checked(scenario, mode="lexicographic")
    placed = len(plan.assignments)
    assert plan.levels[:2] == (placed, sum(a.in_area for a in plan.assignments))
    bad = dataclasses.replace(plan, levels=(placed, plan.levels[1], plan.levels[2] - 1, 0))
    assert not check_placement(scenario, TRAVEL, bad).ok
    weighted = _checked(scenario)
    assert placed >= len(weighted.assignments)
    assert weighted.levels == ()


# --- soft capacity ---


def test_must_admit_school_goes_over_capacity_and_reports_it() -> None:
    schools = [_school("A", 0.0, capacity=1), _school("B", 100.0)]  # B is beyond the limit
    children = [_child(f"C{i}", 0.5 * i) for i in range(1, 4)]
    scenario = _scenario(children, schools)
    hard = _checked(scenario)
    assert len(hard.assignments) == 1 and len(hard.unplaced) == 2
    soft = _checked(scenario, must_admit=["A"])
    assert len(soft.assignments) == 3 and soft.over_capacity == (("A", 2),)
    assert soft.must_admit == ("A",)
    assert soft.objective == pytest.approx(
        sum(a.annual_cost_gbp + 300 * a.travel_s / 60 for a in soft.assignments)
        + 2 * Policy().over_capacity_gbp,
        abs=3,
    )
    # The checker accepts the excess only at a must-admit school and checks the figures.
    not_soft = dataclasses.replace(soft, must_admit=(), over_capacity=())
    report = check_placement(scenario, TRAVEL, not_soft)
    assert any("capacity" in v and "A" in v for v in report.violations)
    understated = dataclasses.replace(soft, over_capacity=(("A", 1),))
    report = check_placement(scenario, TRAVEL, understated)
    assert any("over capacity" in v for v in report.violations)


def test_soft_capacity_penalty_above_unplaced_leaves_children_out() -> None:
    schools = [_school("A", 0.0, capacity=1)]
    scenario = _scenario([_child("C1", 1.0), _child("C2", 2.0)], schools, over_capacity_gbp=2e6)
    plan = _checked(scenario, must_admit=["A"])
    assert len(plan.assignments) == 1 and plan.over_capacity == ()


# --- cross-border, caps, classes ---


def test_cross_border_is_flagged_and_checked() -> None:
    schools = [_school("A", 1.0, la_code="855")]
    scenario = _scenario([_child("C1", home_la="856"), _child("C2", home_la="855")], schools)
    plan = _checked(scenario)
    flags = {a.child_id: a.cross_border for a in plan.assignments}
    assert flags == {"C1": True, "C2": False}
    lie = tuple(dataclasses.replace(a, cross_border=False) for a in plan.assignments)
    report = check_placement(scenario, TRAVEL, dataclasses.replace(plan, assignments=lie))
    assert any("C1" in v and "cross_border" in v for v in report.violations)


def test_candidate_cap_keeps_the_nearest_and_the_preferences() -> None:
    schools = [_school(f"S{k}", 2.0 * k) for k in range(1, 6)]
    child = _child("C1", 0.0, preferences=("S5",))
    capped = _scenario([child, _child("C2", 0.0)], schools, max_candidates=2)
    plan = _checked(capped)
    where = {a.child_id: a.school_id for a in plan.assignments}
    assert where == {"C1": "S5", "C2": "S1"}
    assert plan.arcs < _checked(_scenario([child, _child("C2")], schools)).arcs


def test_synthetic_capped_plans_pass_the_checker() -> None:
    scenario = synthetic_scenario(seed=9, n_children=800, n_schools=30)
    capped = dataclasses.replace(scenario, policy=Policy(max_candidates=3))
    plan = _checked(capped)
    assert len(plan.assignments) + len(plan.unplaced) == 800


def test_identical_children_share_one_class_and_match_separate_solving() -> None:
    schools = [_school("A", 0.0, capacity=3), _school("B", 4.0, capacity=3)]
    twins = [_child(f"C{i}", 1.0) for i in range(5)]
    plan = _checked(_scenario(twins, schools))
    assert plan.classes == 1
    assert [a.school_id for a in plan.assignments] == ["A", "A", "A", "B", "B"]
    # Nudging each home a metre apart breaks the class but not the optimum's value.
    apart = [dataclasses.replace(c, lon=c.lon + i * 1e-5) for i, c in enumerate(twins)]
    separate = _checked(_scenario(apart, schools))
    assert separate.classes == 5
    assert abs(separate.objective - plan.objective) < 10


# --- errors and the CLI ---


def test_unknown_mode_or_school_is_an_error() -> None:
    scenario = _scenario([_child("C1")], [_school("A")])
    with pytest.raises(PlacementError, match="mode"):
        place(scenario, TRAVEL, mode="fastest")
    with pytest.raises(PlacementError, match="NOPE"):
        place(scenario, TRAVEL, must_admit=["NOPE"])


def test_cli_place_modes_and_must_admit(tmp_path: Path) -> None:
    scenario = synthetic_scenario(seed=3, n_children=120, n_schools=8)
    folder = tmp_path / "scenario"
    write_scenario(scenario, folder)
    runner = CliRunner()
    school = sorted(s.school_id for s in scenario.schools)[0]
    out = tmp_path / "out"
    args = ["place", str(folder), "--out", str(out), "--mode", "lexicographic"]
    result = runner.invoke(app, [*args, "--must-admit", school])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "lexicographic" and summary["must_admit"] == [school]
    assert len(summary["levels"]) == 4
    assert (out / "explanations.json").exists()
    result = runner.invoke(app, [*args, "--must-admit", "NOPE"])
    assert result.exit_code == 2 and "NOPE" in result.output
    result = runner.invoke(app, ["place", str(folder), "--out", str(out), "--mode", "x"])
    assert result.exit_code == 2


def test_places_per_designation_bad_cell_names_file_row_and_field(tmp_path: Path) -> None:
    school = _school("A", capacity=5, capacity_by_designation=(("ASD", 2),))
    write_scenario(_scenario([_child("C1")], [school]), tmp_path)
    path = tmp_path / "schools.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("ASD:2", "SLD:2"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(tmp_path)
    message = str(caught.value)
    assert "schools.csv" in message and "row 2" in message
    assert "capacity_by_designation" in message


@settings(max_examples=60, deadline=None)
@given(_with_must_admit(), st.randoms(use_true_random=False))
def test_modes_are_deterministic_under_shuffling(
    case: tuple[Scenario, tuple[str, ...]], rnd: random.Random
) -> None:
    scenario, must_admit = case
    children, schools = list(scenario.children), list(scenario.schools)
    rnd.shuffle(children)
    rnd.shuffle(schools)
    shuffled = dataclasses.replace(scenario, children=tuple(children), schools=tuple(schools))
    for mode in ("weighted", "lexicographic"):
        first = place(scenario, TRAVEL, mode=mode, must_admit=must_admit)
        again = place(shuffled, TRAVEL, mode=mode, must_admit=tuple(reversed(must_admit)))
        assert first == again


def test_preference_level_comes_before_cost_and_is_checked() -> None:
    """lexicographic_preferences gives a child their first preference when it costs more (the
    plain lexicographic mode takes the cheaper school), and the checker recomputes the level."""
    kids = [_child("C1", 0.0, preferences=("DEAR",))]
    schools = [_school("CHEAP", 1.0, annual_cost_gbp=20_000.0),
               _school("DEAR", 1.0, annual_cost_gbp=30_000.0)]  # fmt: skip
    scenario = _scenario(kids, schools)
    plain = _checked(scenario, mode="lexicographic")
    prefs = _checked(scenario, mode="lexicographic_preferences")
    assert [a.school_id for a in plain.assignments] == ["CHEAP"]
    assert [a.school_id for a in prefs.assignments] == ["DEAR"]
    assert prefs.levels[2] == 0 and plain.levels[2] == 20_000
    for step in (1, -1):
        wrong = (*prefs.levels[:2], prefs.levels[2] + step, *prefs.levels[3:])
        report = check_placement(scenario, TRAVEL, dataclasses.replace(prefs, levels=wrong))
        assert any("plan levels" in v for v in report.violations)
