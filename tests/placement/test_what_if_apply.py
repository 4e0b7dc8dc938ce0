"""A what-if applied to a scenario: locks hold in the solved plan, weights change the
objective, an option switched on adds its places, and every limit is checked on both sides."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import make_child, make_school, tiny_scenarios

import sendplan
from sendplan.routing.model import Scenario
from sendplan.routing.planning.options import Option
from sendplan.routing.what_if_apply import (
    MAX_LOCKS,
    MAX_MUST_ADMIT,
    MAX_OPTIONS,
    POLICY_LIMITS,
    WhatIf,
    WhatIfError,
    apply_what_if,
    what_if_echo,
)


def _scenario() -> Scenario:
    """Three ASD children near A (2 places); B is further and dearer; P is primary-only, G
    girls-only, X for SLD only, R resourced provision (the "dsp" cohort's)."""
    kids = (make_child("C1", 0.0), make_child("C2", 0.2), make_child("C3", 0.4, age=14))
    schools = (
        make_school("A", 0.5, capacity=2, annual_cost_gbp=20_000.0),
        make_school("B", 6.0, capacity=5, annual_cost_gbp=40_000.0),
        make_school("P", 1.0, age_high=10),
        make_school("G", 1.0, sex="F"),
        make_school("X", 1.0, designations=frozenset({"SLD"})),
        make_school("R", 1.0, type="resourced_provision"),
    )
    return Scenario(name="what-if", children=kids, schools=schools)


def _error(scenario: Scenario, what_if: WhatIf, **kw: object) -> WhatIfError:
    with pytest.raises(WhatIfError) as caught:
        apply_what_if(scenario, what_if, **kw)  # type: ignore[arg-type]
    return caught.value


def test_a_lock_holds_in_the_solved_plan() -> None:
    base = sendplan.solve(_scenario(), sessions=())
    where = {a.child_id: a.school_id for a in base.placement.assignments}  # type: ignore[union-attr]
    moved = next(c for c in ("C1", "C2", "C3") if where[c] == "A")
    changed = apply_what_if(_scenario(), WhatIf(locks=((moved, "B"),)))
    child = next(c for c in changed.children if c.child_id == moved)
    assert child.locked and child.current_school == "B"
    result = sendplan.solve(changed, sessions=())
    after = {a.child_id: a.school_id for a in result.placement.assignments}  # type: ignore[union-attr]
    assert after[moved] == "B" != where[moved]
    # The freed place at A goes to someone else: the plan is re-solved, not just edited.
    assert sum(1 for s in after.values() if s == "A") == 2


@settings(max_examples=25, deadline=None)
@given(scenario=tiny_scenarios(), pick=st.data())
def test_any_admissible_lock_holds(scenario: Scenario, pick: st.DataObject) -> None:
    pairs = [(c.child_id, s.school_id) for c in scenario.children for s in scenario.schools
             if s.admits(c) and (c.cohort == "dsp") == (s.type == "resourced_provision")
             and s.open_on(scenario.as_of)]  # fmt: skip
    if not pairs:
        return
    child_id, school_id = pick.draw(st.sampled_from(pairs))
    result = sendplan.solve(apply_what_if(scenario, WhatIf(locks=((child_id, school_id),))),
                            sessions=(), movers="all")  # fmt: skip
    after = {a.child_id: a.school_id for a in result.placement.assignments}  # type: ignore[union-attr]
    assert after.get(child_id) == school_id


@pytest.mark.parametrize(
    ("school", "why"),
    [
        ("P", "age"),
        ("G", "single-sex"),
        ("X", "designations"),
        ("R", "cohort"),
        ("Z", "no school Z"),
    ],
)
def test_a_lock_the_rules_refuse_names_the_school_field(school: str, why: str) -> None:
    err = _error(_scenario(), WhatIf(locks=(("C1", "A"), ("C3", school))))
    assert err.field == "lock[1].school_id" and why in err.message


def test_a_lock_on_an_unknown_child_or_twice_is_refused() -> None:
    assert _error(_scenario(), WhatIf(locks=(("C9", "A"),))).field == "lock[0].child_id"
    with pytest.raises(WhatIfError) as caught:
        WhatIf(locks=(("C1", "A"), ("C1", "B")))
    assert caught.value.field == "lock[1].child_id"


def test_a_closed_school_takes_no_lock() -> None:
    import datetime as dt

    scenario = _scenario()
    closed = dataclasses.replace(scenario.schools[1], closes=dt.date(2020, 1, 1))
    scenario = dataclasses.replace(scenario, schools=(scenario.schools[0], closed),
                                   as_of=dt.date(2025, 9, 1))  # fmt: skip
    assert "not open" in _error(scenario, WhatIf(locks=(("C1", "B"),))).message


def test_a_policy_weight_changes_the_objective() -> None:
    base = sendplan.solve(_scenario(), sessions=())
    dearer = apply_what_if(_scenario(), WhatIf(policy=(("travel_gbp_per_min", 2_000.0),)))
    assert dearer.policy.travel_gbp_per_min == 2_000.0
    assert dearer.policy.unplaced_gbp == _scenario().policy.unplaced_gbp  # only that weight
    after = sendplan.solve(dearer, sessions=())
    assert after.placement.objective > base.placement.objective  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(POLICY_LIMITS))
def test_each_policy_limit_holds_on_both_sides(name: str) -> None:
    low, high = POLICY_LIMITS[name]
    for inside in (low, high):
        WhatIf(policy=((name, inside),))
    for outside in (low - 1e-6 * max(1.0, abs(low)) - 1e-9, high * (1 + 1e-9) + 1e-9, math.nan,
                    math.inf):  # fmt: skip
        with pytest.raises(WhatIfError) as caught:
            WhatIf(policy=((name, outside),))
        assert caught.value.field == f"policy.{name}"


def test_only_whitelisted_policy_fields_change() -> None:
    with pytest.raises(WhatIfError) as caught:
        WhatIf(policy=(("ride_limit_min_primary", 30.0),))
    assert caught.value.field == "policy.ride_limit_min_primary"


def test_over_capacity_must_stay_below_unplaced() -> None:
    fine = WhatIf(policy=(("over_capacity_gbp", 999_999.0), ("unplaced_gbp", 1_000_000.0)))
    assert apply_what_if(_scenario(), fine).policy.over_capacity_gbp == 999_999.0
    equal = WhatIf(policy=(("over_capacity_gbp", 1_000_000.0), ("unplaced_gbp", 1_000_000.0)))
    assert _error(_scenario(), equal).field == "policy.over_capacity_gbp"


def _many(field: str, n: int) -> WhatIf:
    if field == "lock":
        return WhatIf(locks=tuple((f"C{i}", "A") for i in range(n)))
    if field == "must_admit":
        return WhatIf(must_admit=tuple(f"S{i}" for i in range(n)))
    return WhatIf(options=tuple((f"O{i}", True) for i in range(n)))


@pytest.mark.parametrize(
    ("field", "most"),
    [("lock", MAX_LOCKS), ("must_admit", MAX_MUST_ADMIT), ("options", MAX_OPTIONS)],
)
def test_list_lengths_hold_on_both_sides(field: str, most: int) -> None:
    _many(field, most)
    with pytest.raises(WhatIfError) as caught:
        _many(field, most + 1)
    assert caught.value.field == field


def test_must_admit_names_a_school_and_reaches_the_plan() -> None:
    assert _error(_scenario(), WhatIf(must_admit=("Z",))).field == "must_admit[0]"
    what_if = WhatIf(must_admit=("A",), policy=(("over_capacity_gbp", 1_000.0),))
    changed = apply_what_if(_scenario(), what_if)
    result = sendplan.solve(changed, sessions=(), must_admit=what_if.must_admit)
    assert dict(result.placement.over_capacity).get("A", 0) == 1  # type: ignore[union-attr]
    assert result.summary.must_admit_effects["A"]["moved_in"]


def _options() -> tuple[Option, ...]:
    return (
        Option("OPT-A", places=3, capital_gbp=1e6, earliest_year=2026, school_id="A"),
        Option("OPT-A2", places=2, capital_gbp=1e6, earliest_year=2026, school_id="A",
               requires="OPT-A"),
        Option("OPT-N", places=4, capital_gbp=2e6, earliest_year=2026, lon=-1.13, lat=52.63,
               designations=frozenset({"ASD"}), age_low=4, age_high=19, exclusive_group="g",
               revenue_gbp_per_place=30_000.0),
        Option("OPT-M", places=4, capital_gbp=2e6, earliest_year=2026, lon=-1.12, lat=52.63,
               designations=frozenset({"ASD"}), age_low=4, age_high=19, exclusive_group="g",
               revenue_gbp_per_place=30_000.0),
    )  # fmt: skip


def test_an_option_switched_on_adds_its_places() -> None:
    scenario = _scenario()
    before = sum(s.capacity for s in scenario.schools)
    on = apply_what_if(scenario, WhatIf(options=(("OPT-A", True), ("OPT-N", False))),
                       options=_options())  # fmt: skip
    assert sum(s.capacity for s in on.schools) == before + 3
    annex = on.school("OPT-A")
    assert annex.capacity == 3 and annex.lon == scenario.school("A").lon
    off = apply_what_if(scenario, WhatIf(options=(("OPT-A", False),)), options=_options())
    assert off.schools == scenario.schools
    # The extra places at A take the child who went to far B.
    base = sendplan.solve(scenario, sessions=())
    grown = sendplan.solve(on, sessions=())
    assert grown.summary.placed_in_area == base.summary.placed_in_area
    assert grown.summary.mean_travel_min < base.summary.mean_travel_min  # type: ignore[operator]
    # A lock may name the new places.
    locked = apply_what_if(scenario, WhatIf(options=(("OPT-N", True),), locks=(("C1", "OPT-N"),)),
                           options=_options())  # fmt: skip
    assert next(c for c in locked.children if c.child_id == "C1").current_school == "OPT-N"


@pytest.mark.parametrize(
    ("switch", "why"),
    [((("OPT-Q", True),), "no such"), ((("OPT-A2", True),), "needs option OPT-A"),
     ((("OPT-N", True), ("OPT-M", True)), "exclude each other")],
)  # fmt: skip
def test_options_that_cannot_go_together_are_refused(
    switch: tuple[tuple[str, bool], ...], why: str
) -> None:
    err = _error(_scenario(), WhatIf(options=switch), options=_options())
    assert err.field.startswith("options.") and why in err.message
    both = WhatIf(options=(("OPT-A", True), ("OPT-A2", True)))
    assert len(apply_what_if(_scenario(), both, options=_options()).schools) == 8


def test_the_echo_says_what_changed() -> None:
    scenario = _scenario()
    what_if = WhatIf(locks=(("C1", "B"),), must_admit=("A",), options=(("OPT-A", True),),
                     policy=(("travel_gbp_per_min", 500.0),))  # fmt: skip
    echo = what_if_echo(scenario, what_if, _options())
    assert echo["lock"] == [{"child_id": "C1", "school_id": "B", "was_school_id": None,
                             "was_locked": False}]  # fmt: skip
    assert echo["policy"] == {"travel_gbp_per_min": {"from": 300.0, "to": 500.0}}
    assert echo["options"]["OPT-A"]["places"] == 3  # type: ignore[index]
    assert echo["must_admit"] == ["A"]


def test_an_option_at_a_school_keeps_the_childrens_preference_for_it() -> None:
    """WG-32 modelled as a school of its own: a child who prefers A prefers its new places
    next (straight after A, before their later preferences); others are unchanged."""
    base = _scenario()
    kids = (
        dataclasses.replace(base.children[0], preferences=("A", "B")),
        dataclasses.replace(base.children[1], preferences=("B",)),
        base.children[2],
    )
    scenario = dataclasses.replace(base, children=kids)
    options = (Option("A-2", places=2, capital_gbp=0.0, earliest_year=2026, school_id="A"),
               Option("NEW", places=3, capital_gbp=0.0, earliest_year=2026, lon=-1.13, lat=52.63,
                      designations=frozenset({"ASD"}), age_low=4, age_high=19,
                      revenue_gbp_per_place=30_000.0))  # fmt: skip
    changed = apply_what_if(
        scenario, WhatIf(options=(("A-2", True), ("NEW", True))), options=options
    )
    prefs = {c.child_id: c.preferences for c in changed.children}
    assert prefs == {"C1": ("A", "A-2", "B"), "C2": ("B",), "C3": ()}
    off = apply_what_if(scenario, WhatIf(options=(("A-2", False),)), options=options)
    assert [c.preferences for c in off.children] == [c.preferences for c in kids]
