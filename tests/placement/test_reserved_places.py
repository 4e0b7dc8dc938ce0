"""Reserved places per need, caps per need, schools not open on the scenario date and the
dsp/special cohorts: the solver against an exhaustive oracle written from the rules, in every
mode, and every plan through the independent checker."""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import make_child, make_school, tiny_scenarios

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Child, ModelError, Policy, Scenario, School
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.explain import explain_plan
from sendplan.routing.placement.place import place
from sendplan.routing.placement.plan import PlacementError, PlacementPlan, UnplacedReason

TRAVEL = StraightLineModel()
AS_OF = date(2025, 9, 1)


def _scenario(children: list[Child], schools: list[School], **kw: Any) -> Scenario:
    policy = Policy(**kw.pop("policy", {}))
    return Scenario(
        name="reserved", children=tuple(children), schools=tuple(schools), policy=policy, **kw
    )


def _checked(scenario: Scenario, **kw: Any) -> PlacementPlan:
    plan = place(scenario, TRAVEL, **kw)
    report = check_placement(scenario, TRAVEL, plan)
    assert report.ok, report.violations
    return plan


def _where(plan: PlacementPlan) -> dict[str, str]:
    return {a.child_id: a.school_id for a in plan.assignments}


# --- the oracle: every assignment of the free children, filtered by the rules ---------------


def _open(school: School, day: date | None) -> bool:
    if day is None:
        return True
    return (school.opens is None or school.opens <= day) and (
        school.closes is None or day < school.closes
    )


def _oracle(scenario: Scenario, must_admit: tuple[str, ...] = ()) -> tuple[int, tuple[int, ...]]:
    """(least weighted objective, best lexicographic levels) over every feasible plan."""
    policy, day = scenario.policy, scenario.as_of
    schools = {s.school_id: s for s in scenario.schools}
    seconds: dict[tuple[str, str], float] = {}
    for c in scenario.children:
        for s in scenario.schools:
            t, _ = TRAVEL.pairs(np.array([[c.lon, c.lat]]), np.array([[s.lon, s.lat]]))
            seconds[c.child_id, s.school_id] = float(t[0])

    def cost(c: Child, s: School) -> int:
        pref = 0.0
        if c.preferences:
            named = c.preferences
            pref = (
                named.index(s.school_id) * policy.preference_gbp_per_rank
                if s.school_id in named
                else policy.not_preferred_gbp
            )
        return round(
            policy.weight_placement_cost * s.annual_cost_gbp
            + policy.travel_gbp_per_min * seconds[c.child_id, s.school_id] / 60.0
            + pref
            + (0.0 if s.in_area else policy.out_of_area_gbp)
        )

    def may(c: Child, s: School) -> bool:
        dsp_site = s.type == "resourced_provision"
        cohort_ok = (
            dsp_site if c.cohort == "dsp" else (not dsp_site or policy.special_cohort_in_dsp)
        )
        limit = (
            math.inf
            if c.residential_need
            else policy.max_travel_min_primary
            if c.age <= 10
            else policy.max_travel_min_secondary
        )
        return (
            _open(s, day)
            and cohort_ok
            and c.primary_need in s.designations
            and s.age_low <= c.age <= s.age_high
            and s.sex in ("mixed", c.sex)
            and (not c.residential_need or s.residential_places > 0)
            and seconds[c.child_id, s.school_id] <= limit * 60.0
        )

    held = [
        c for c in scenario.children
        if c.locked and _open(schools[str(c.current_school)], day)
    ]  # fmt: skip
    free = [c for c in scenario.children if c not in held]
    options = [[None, *(s for s in scenario.schools if may(c, s))] for c in free]
    best_w: int | None = None
    best_lex: tuple[int, ...] | None = None
    for combo in itertools.product(*options):
        at = [(c, schools[str(c.current_school)], True) for c in held] + [
            (c, s, False) for c, s in zip(free, combo, strict=True) if s is not None
        ]
        over_total = 0
        feasible = True
        for s in scenario.schools:
            mine = [(c, lk) for c, x, lk in at if x.school_id == s.school_id]
            n_locked = sum(lk for _, lk in mine)
            soft = s.school_id in must_admit
            res = sum(c.residential_need for c, _ in mine)
            res_locked = sum(c.residential_need for c, lk in mine if lk)
            if res > max(s.residential_places, res_locked):
                feasible = False
            if not soft and len(mine) > max(s.capacity, n_locked):
                feasible = False
            beyond = beyond_locked = 0
            for need in {c.primary_need for c, _ in mine}:
                n = sum(c.primary_need == need for c, _ in mine)
                n_lk = sum(c.primary_need == need for c, lk in mine if lk)
                cap = s.designation_capacity(need)
                if cap is not None and n > max(cap, n_lk):
                    feasible = False
                r = dict(s.reserved_by_designation).get(need, 0)
                beyond += max(0, n - r)
                beyond_locked += max(0, n_lk - r)
            general = s.capacity - sum(r for _, r in s.reserved_by_designation)
            excess = beyond - max(general, beyond_locked)
            if excess > 0:
                if soft:
                    over_total += excess
                else:
                    feasible = False
        if not feasible:
            continue
        placed = [(c, s) for c, s, _ in at]
        unplaced = len(scenario.children) - len(placed)
        over_gbp = round(policy.over_capacity_gbp) * over_total
        w = sum(cost(c, s) for c, s in placed) + round(policy.unplaced_gbp) * unplaced + over_gbp
        lex = (
            len(placed),
            sum(s.in_area for _, s in placed),
            sum(round(s.annual_cost_gbp) for _, s in placed) + over_gbp,
            sum(round(seconds[c.child_id, s.school_id]) for c, s in placed),
        )
        best_w = w if best_w is None else min(best_w, w)
        key = (lex[0], lex[1], -lex[2], -lex[3])
        if best_lex is None or key > (best_lex[0], best_lex[1], -best_lex[2], -best_lex[3]):
            best_lex = lex
    assert best_w is not None and best_lex is not None
    return best_w, best_lex


# --- random tiny scenarios with every new rule ------------------------------------------------

_DAYS = (None, AS_OF - timedelta(days=1), AS_OF, AS_OF + timedelta(days=1), date.max)


@st.composite
def _rich(draw: st.DrawFn) -> tuple[Scenario, tuple[str, ...]]:
    """Tiny scenarios whose schools may reserve and cap places per need, open late or close,
    be resourced provisions; children of both cohorts; a must-admit school or none."""
    base = draw(tiny_scenarios(max_children=5, max_schools=3))
    soft = draw(st.sampled_from([(), *((s.school_id,) for s in base.schools)]))
    schools = []
    for s in base.schools:
        reserved: list[tuple[str, int]] = []
        caps: list[tuple[str, int]] = []
        if s.residential_places == 0:
            left = s.capacity
            for need in sorted(s.designations):
                if draw(st.booleans()):
                    places = draw(st.integers(0, left))
                    reserved.append((need, places))
                    left -= places
                if draw(st.integers(0, 3)) == 0:
                    # A cap is never below that need's reserved places (the model refuses it).
                    floor = dict(reserved).get(need, 0)
                    caps.append((need, draw(st.integers(floor, s.capacity))))
        opens = draw(st.sampled_from(_DAYS))
        closes = draw(st.sampled_from(_DAYS[:-1]))
        if opens is not None and closes is not None and closes <= opens:
            closes = None
        kind = draw(st.sampled_from((s.type, s.type, "resourced_provision")))
        schools.append(
            dataclasses.replace(
                s,
                type=kind,
                reserved_by_designation=tuple(reserved),
                capacity_by_designation=tuple(caps),
                opens=opens,
                closes=closes,
            )
        )
    children = tuple(
        dataclasses.replace(c, cohort=draw(st.sampled_from(("special", "special", "dsp"))))
        for c in base.children
    )
    policy = dataclasses.replace(base.policy, special_cohort_in_dsp=draw(st.booleans()))
    scenario = dataclasses.replace(
        base,
        schools=tuple(schools),
        children=children,
        policy=policy,
        as_of=draw(st.sampled_from((AS_OF, None))),
    )
    return scenario, soft


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rich())
def test_every_mode_equals_the_oracle_with_reserved_places_dates_and_cohorts(
    case: tuple[Scenario, tuple[str, ...]],
) -> None:
    scenario, soft = case
    best_w, best_lex = _oracle(scenario, soft)
    weighted = _checked(scenario, must_admit=soft)
    assert weighted.objective == best_w
    lexicographic = _checked(scenario, mode="lexicographic", must_admit=soft)
    assert lexicographic.levels == best_lex
    preferences = _checked(scenario, mode="lexicographic_preferences", must_admit=soft)
    assert preferences.levels[:2] == best_lex[:2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rich())
def test_plans_pass_the_checker_and_never_use_a_closed_school(
    case: tuple[Scenario, tuple[str, ...]],
) -> None:
    scenario, soft = case
    plan = _checked(scenario, must_admit=soft)
    for a in plan.assignments:
        school = scenario.school(a.school_id)
        child = next(c for c in scenario.children if c.child_id == a.child_id)
        assert _open(school, scenario.as_of), (a.child_id, a.school_id)
        if not (child.locked and child.current_school == a.school_id):
            assert (school.type == "resourced_provision") == (child.cohort == "dsp") or (
                child.cohort == "special" and scenario.policy.special_cohort_in_dsp
            )


# --- hand-made cases ----------------------------------------------------------------------


def test_reserved_places_keep_room_for_their_need_even_when_another_need_is_cheaper() -> None:
    # S1 (near): 3 places, 2 reserved for ASD. Three SLD children want it; 1 fits.
    near = make_school("S1", designations=frozenset({"ASD", "SLD"}), capacity=3,
                       reserved_by_designation=(("ASD", 2),))  # fmt: skip
    far = make_school("S2", 8.0, designations=frozenset({"SLD"}), capacity=5)
    kids = [make_child(f"C{k}", primary_need="SLD") for k in range(3)]
    plan = _checked(_scenario(kids, [near, far]))
    assert sorted(_where(plan).values()) == ["S1", "S2", "S2"]
    # An ASD child fills a reserved place, then the general one with no SLD child there.
    asd = [make_child(f"A{k}") for k in range(3)]
    plan = _checked(_scenario(asd + kids[:1], [near, far]))
    assert [_where(plan)[f"A{k}"] for k in range(3)] == ["S1", "S1", "S1"]
    assert _where(plan)["C0"] == "S2"


def test_reserved_places_hold_in_lexicographic_and_must_admit_modes() -> None:
    near = make_school("S1", designations=frozenset({"ASD", "SLD"}), capacity=2,
                       reserved_by_designation=(("ASD", 1),))  # fmt: skip
    kids = [make_child(f"C{k}", primary_need="SLD") for k in range(3)]
    sc = _scenario(kids, [near])
    for mode in ("lexicographic", "lexicographic_preferences"):
        assert len(_checked(sc, mode=mode).assignments) == 1
    # Must-admit: the general places become soft; two SLD children over them.
    plan = _checked(sc, must_admit=("S1",))
    assert len(plan.assignments) == 3 and plan.over_capacity == (("S1", 2),)


def test_a_locked_child_at_a_school_not_yet_open_is_placed_like_any_other() -> None:
    new = make_school("S1", opens=AS_OF + timedelta(days=1))
    old = make_school("S2", 3.0)
    kid = make_child("C1", locked=True, current_school="S1")
    plan = _checked(_scenario([kid], [new, old], as_of=AS_OF))
    assert _where(plan) == {"C1": "S2"}
    assert "locked_current_placement" not in plan.assignments[0].reasons
    # Open on the day it opens: the lock holds.
    plan = _checked(_scenario([kid], [new, old], as_of=AS_OF + timedelta(days=1)))
    assert _where(plan) == {"C1": "S1"}


def test_no_open_school_is_the_unplaced_reason() -> None:
    closing = make_school("S1", closes=AS_OF)
    unknown = make_school("S2", opens=date.max)
    plan = _checked(_scenario([make_child("C1")], [closing, unknown], as_of=AS_OF))
    assert plan.unplaced[0].reason == UnplacedReason.NO_OPEN_SCHOOL
    # The day before it closes it is open.
    plan = _checked(_scenario([make_child("C1")], [closing], as_of=AS_OF - timedelta(days=1)))
    assert _where(plan) == {"C1": "S1"}


def test_cohorts_go_to_their_own_kind_of_school() -> None:
    dsp_site = make_school("D1", type="resourced_provision")
    special = make_school("S1", 5.0)
    kids = [make_child("C1", cohort="dsp"), make_child("C2")]
    plan = _checked(_scenario(kids, [dsp_site, special]))
    assert _where(plan) == {"C1": "D1", "C2": "S1"}
    # A dsp child has no place at a special school at all.
    plan = _checked(_scenario(kids[:1], [special]))
    assert plan.unplaced[0].reason == UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE
    # Under special_cohort_in_dsp the special child takes the nearer DSP place.
    plan = _checked(_scenario(kids[1:], [dsp_site, special],
                              policy={"special_cohort_in_dsp": True}))  # fmt: skip
    assert _where(plan) == {"C2": "D1"}


def test_reserved_or_capped_places_with_binding_residential_places_are_refused() -> None:
    mixed = make_school("S1", capacity=4, residential_places=2,
                        reserved_by_designation=(("ASD", 1),))  # fmt: skip
    with pytest.raises(PlacementError, match="residential"):
        place(_scenario([make_child("C1")], [mixed]), TRAVEL)
    # Residential places equal to capacity cannot bind: accepted, and exact.
    boarding = dataclasses.replace(mixed, residential_places=4)
    kids = [make_child("C1", residential_need=True), make_child("C2")]
    assert len(_checked(_scenario(kids, [boarding])).assignments) == 2
    with pytest.raises(PlacementError, match="residential"):
        place(_scenario(kids, [boarding]), TRAVEL, must_admit=("S1",))


def test_capacity_exhausted_detail_names_places_held_for_other_needs() -> None:
    held = make_school("S1", designations=frozenset({"ASD", "SLD"}), capacity=1,
                       reserved_by_designation=(("ASD", 1),))  # fmt: skip
    plan = _checked(_scenario([make_child("C1", primary_need="SLD")], [held]))
    assert plan.unplaced[0].reason == UnplacedReason.CAPACITY_EXHAUSTED
    assert "only for other needs" in plan.unplaced[0].detail


def test_children_beyond_their_reserved_places_share_only_the_unreserved_ones() -> None:
    # 3 places: 1 reserved for ASD, 1 for SLD, 1 unreserved. Three ASD children: two fit.
    two = make_school("S1", designations=frozenset({"ASD", "SLD"}), capacity=3,
                      reserved_by_designation=(("ASD", 1), ("SLD", 1)))  # fmt: skip
    kids = [make_child(f"C{k}") for k in range(3)]
    sc = _scenario(kids, [two])
    for mode in ("weighted", "lexicographic", "lexicographic_preferences"):
        plan = _checked(sc, mode=mode)
        assert len(plan.assignments) == 2, mode
        assert plan.unplaced[0].reason == UnplacedReason.CAPACITY_EXHAUSTED
    # Must-admit: the third goes over the unreserved places (and is counted), not into SLD's.
    plan = _checked(sc, must_admit=("S1",))
    assert len(plan.assignments) == 3 and plan.over_capacity == (("S1", 1),)
    assert plan.objective == _oracle(sc, ("S1",))[0]


def test_a_cap_and_a_reservation_for_the_same_need_both_hold() -> None:
    # ASD: 2 reserved, at most 3 in all; 5 places. Five ASD children: three fit.
    both = make_school("S1", capacity=5, reserved_by_designation=(("ASD", 2),),
                       capacity_by_designation=(("ASD", 3),))  # fmt: skip
    kids = [make_child(f"C{k}") for k in range(5)]
    for mode in ("weighted", "lexicographic"):
        assert len(_checked(_scenario(kids, [both]), mode=mode).assignments) == 3
    # Locked children take their reserved places first: two locked ASD leave 1 ASD place.
    locked = [make_child(f"L{k}", locked=True, current_school="S1") for k in range(2)]
    plan = _checked(_scenario(locked + kids, [both]))
    assert len(plan.assignments) == 3


def test_explain_names_closed_preferences_and_skips_places_held_for_other_needs() -> None:
    closed = make_school("S1", closes=AS_OF)
    held = make_school("S2", 2.0, designations=frozenset({"ASD", "SLD"}), capacity=1,
                       reserved_by_designation=(("SLD", 1),))  # fmt: skip
    far = make_school("S3", 6.0)
    kid = make_child("C1", preferences=("S1",))
    sc = _scenario([kid], [closed, held, far], as_of=AS_OF)
    plan = _checked(sc)
    assert _where(plan) == {"C1": "S3"}
    (why,) = explain_plan(sc, TRAVEL, plan)
    assert why.first_preference is not None and why.first_preference.status == "closed"
    assert [a.school_id for a in why.alternatives] == []  # S2's one place is SLD's
    open_again = dataclasses.replace(
        sc, schools=(closed, dataclasses.replace(held, capacity=2), far)
    )
    plan = _checked(open_again)
    assert _where(plan) == {"C1": "S2"}  # one unreserved place now
    (why,) = explain_plan(open_again, TRAVEL, plan)
    assert [a.school_id for a in why.alternatives] == ["S3"]
    assert why.first_preference is not None and why.first_preference.status == "closed"


def test_reserved_places_may_not_exceed_the_needs_cap() -> None:
    at_cap = make_school("CAP", 1.0, capacity=10, designations=frozenset({"ASD", "MLD"}),
                         capacity_by_designation=(("ASD", 4),),
                         reserved_by_designation=(("ASD", 4),))  # fmt: skip
    assert at_cap.reserved_places("ASD") == 4
    with pytest.raises(ModelError, match="above its cap 4"):
        dataclasses.replace(at_cap, reserved_by_designation=(("ASD", 5),))
