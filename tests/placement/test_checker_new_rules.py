"""The placement checker's rules for reserved places, opening dates and cohorts: each catches a
hand-made violation and accepts the plan exactly at the limit. Plans are built with the true
figures (``test_checker_limits.plan``), so only the rule under test can fail."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from test_checker_limits import TRAVEL, check, child, fails, passes, plan, scenario, school

from sendplan.routing.model import Scenario
from sendplan.routing.placement.plan import UnplacedReason

DAY = date(2025, 9, 1)
TWO_NEEDS = frozenset({"ASD", "SLD"})


def _dated(sc: Scenario, day: date | None = DAY) -> Scenario:
    return dataclasses.replace(sc, as_of=day)


# --- reserved places ------------------------------------------------------------------------


def test_unreserved_places_limit_children_beyond_their_reserved_places() -> None:
    # Capacity 3, ASD 2 reserved: one unreserved place.
    s1 = school("S1", capacity=3, designations=TWO_NEEDS, reserved_by_designation=(("ASD", 2),))
    kids = [child("A1"), child("A2"), child("A3"), child("B1", primary_need="SLD"),
            child("B2", primary_need="SLD")]  # fmt: skip
    sc = scenario(kids, [s1])
    # At the limit: 2 ASD in reserved places, 1 SLD in the unreserved one; or 3 ASD.
    passes(sc, plan(sc, {"A1": "S1", "A2": "S1", "B1": "S1"},
                    {k: UnplacedReason.CAPACITY_EXHAUSTED for k in ("A3", "B2")}))  # fmt: skip
    passes(sc, plan(sc, {"A1": "S1", "A2": "S1", "A3": "S1"},
                    {k: UnplacedReason.CAPACITY_EXHAUSTED for k in ("B1", "B2")}))  # fmt: skip
    # Two SLD children (total 2 < capacity 3) already break the unreserved limit.
    fails(
        sc,
        plan(sc, {"B1": "S1", "B2": "S1"},
             {k: UnplacedReason.CAPACITY_EXHAUSTED for k in ("A1", "A2", "A3")}),
        "school S1: 2 children beyond the places reserved", "unreserved places 1",
    )  # fmt: skip


def test_locked_children_beyond_their_reserved_places_raise_the_limit() -> None:
    s1 = school("S1", capacity=2, designations=TWO_NEEDS, reserved_by_designation=(("ASD", 1),))
    kids = [child(f"L{k}", primary_need="SLD", locked=True, current_school="S1") for k in (1, 2)]
    sc = scenario(kids, [s1])
    passes(sc, plan(sc, {"L1": "S1", "L2": "S1"}))


def test_locked_children_beyond_reserved_places_add_up_over_every_need() -> None:
    """Capacity 5 with 1 + 1 + 2 reserved (ASD, SLD, MLD): one unreserved place. Locked, two
    ASD and two SLD children are one beyond their reservation each, and one MLD child within
    its: the locked raise the unreserved limit to 2, the sum over the needs."""
    needs = frozenset({"ASD", "SLD", "MLD"})
    reserved = (("ASD", 1), ("SLD", 1), ("MLD", 2))
    locked = [child(f"{n}{k}", primary_need=need, locked=True, current_school="S1")
              for n, need, many in (("A", "ASD", 2), ("B", "SLD", 2), ("M", "MLD", 1))
              for k in range(many)]  # fmt: skip
    s1 = school("S1", capacity=5, designations=needs, reserved_by_designation=reserved)
    sc = scenario(locked, [s1])
    passes(sc, plan(sc, {c.child_id: "S1" for c in locked}))
    # With a sixth place, one more ASD child who is not locked goes beyond the limit of 2.
    kids = [*locked, child("A9")]
    sc2 = scenario(kids, [dataclasses.replace(s1, capacity=6)])
    report = check(sc2, plan(sc2, {c.child_id: "S1" for c in kids}))
    assert report.violations == (
        "school S1: 3 children beyond the places reserved for their need "
        "(reserved_by_designation), unreserved places 2",
    )


def test_room_in_reserved_places_makes_capacity_exhausted_false() -> None:
    s1 = school("S1", capacity=2, designations=TWO_NEEDS, reserved_by_designation=(("ASD", 1),))
    kids = [child("A1"), child("B1", primary_need="SLD")]
    sc = scenario(kids, [s1])
    # B1 holds the one unreserved place; A1 still has its reserved place: not full for A1.
    fails(sc, plan(sc, {"B1": "S1"}, {"A1": UnplacedReason.CAPACITY_EXHAUSTED}), "has room")
    # For an SLD child the school is full: the one place left is reserved for ASD.
    kids2 = [child("A1"), child("B1", primary_need="SLD"), child("B2", primary_need="SLD")]
    sc2 = scenario(kids2, [s1], unplaced_gbp=1.0)  # leaving A1 out is then the cheaper
    passes(sc2, plan(sc2, {"A1": "S1", "B1": "S1"}, {"B2": UnplacedReason.CAPACITY_EXHAUSTED}))
    out = {"B2": UnplacedReason.CAPACITY_EXHAUSTED, "A1": UnplacedReason.COSTS_MORE_THAN_UNPLACED}
    passes(sc2, plan(sc2, {"B1": "S1"}, out))


def test_full_for_a_need_exactly_when_its_reserved_places_and_the_unreserved_are_taken() -> None:
    """Capacity 3 with ASD 1 and MLD 1 reserved: one unreserved place, and the school never
    full as a whole below. The unreserved place taken, a need is full once its own reserved
    places are: ASD with its one place used (exactly), SLD with none reserved (and no SLD child
    placed); MLD, its place free, has room."""
    needs = frozenset({"ASD", "SLD", "MLD"})
    s1 = school("S1", capacity=3, designations=needs,
                reserved_by_designation=(("ASD", 1), ("MLD", 1)))  # fmt: skip
    kids = [child("A1"), child("A2"), child("B1", primary_need="SLD"),
            child("B2", primary_need="SLD"), child("M1", primary_need="MLD")]  # fmt: skip
    sc = scenario(kids, [s1], unplaced_gbp=1.0)  # leaving M1 out is then the cheaper
    full, dearer = UnplacedReason.CAPACITY_EXHAUSTED, UnplacedReason.COSTS_MORE_THAN_UNPLACED
    # A1 in the ASD place, B1 in the unreserved one.
    passes(sc, plan(sc, {"A1": "S1", "B1": "S1"}, {"A2": full, "B2": full, "M1": dearer}))
    fails(sc, plan(sc, {"A1": "S1", "B1": "S1"}, {"A2": full, "B2": full, "M1": full}),
          "child M1: unplaced as capacity_exhausted but school S1 has room")  # fmt: skip
    # A1 and A2 (one beyond the ASD place, in the unreserved one): full for SLD, none placed.
    passes(sc, plan(sc, {"A1": "S1", "A2": "S1"}, {"B1": full, "B2": full, "M1": dearer}))


def test_must_admit_over_capacity_counts_places_beyond_the_unreserved_ones() -> None:
    s1 = school("S1", capacity=2, designations=TWO_NEEDS, reserved_by_designation=(("ASD", 1),))
    kids = [child("B1", primary_need="SLD"), child("B2", primary_need="SLD")]
    sc = scenario(kids, [s1])
    where = {"B1": "S1", "B2": "S1"}
    passes(sc, plan(sc, where, must_admit=("S1",), over_capacity=(("S1", 1),)))
    fails(sc, plan(sc, where, must_admit=("S1",)), "stated over capacity by 0, recomputed 1")


# --- opening and closing dates ----------------------------------------------------------------


def test_a_school_is_open_from_its_opening_day_until_the_day_before_it_closes() -> None:
    for opens, closes, is_open in (
        (DAY, None, True),
        (DAY + timedelta(days=1), None, False),
        (None, DAY + timedelta(days=1), True),
        (None, DAY, False),
        (date.max, None, False),
    ):
        sc = _dated(scenario([child("C1")], [school("S1", opens=opens, closes=closes)]))
        placed = plan(sc, {"C1": "S1"})
        if is_open:
            passes(sc, placed)
        else:
            fails(sc, placed, "child C1 at school S1", "not open on 2025-09-01")
    # Without an as_of date every school is open.
    sc = _dated(scenario([child("C1")], [school("S1", opens=date.max)]), None)
    passes(sc, plan(sc, {"C1": "S1"}))


def test_a_locked_child_at_a_closed_school_is_not_held_there() -> None:
    kid = child("C1", locked=True, current_school="S1")
    sc = _dated(scenario([kid], [school("S1", closes=DAY), school("S2")]))
    report = check(sc, plan(sc, {"C1": "S1"}))
    assert any("not open" in v for v in report.violations), report.violations
    passes(sc, plan(sc, {"C1": "S2"}))  # placed elsewhere: fine, and not "locked elsewhere"
    # Left unplaced (its only school closed): no "locked but unplaced", reason no open school.
    sc1 = _dated(scenario([kid], [school("S1", closes=DAY)]))
    passes(sc1, plan(sc1, {}, {"C1": UnplacedReason.NO_OPEN_SCHOOL}))


def test_no_open_school_is_the_expected_unplaced_reason() -> None:
    sc = _dated(scenario([child("C1")], [school("S1", opens=date.max)]))
    passes(sc, plan(sc, {}, {"C1": UnplacedReason.NO_OPEN_SCHOOL}))
    fails(sc, plan(sc, {}, {"C1": UnplacedReason.CAPACITY_EXHAUSTED}), "no_open_school")
    # Not admissible at all comes first, open or not.
    sc2 = _dated(scenario([child("C1", primary_need="SLD")], [school("S1", opens=date.max)]))
    passes(sc2, plan(sc2, {}, {"C1": UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE}))
    fails(sc2, plan(sc2, {}, {"C1": UnplacedReason.NO_OPEN_SCHOOL}), "unplaced reason")


# --- cohorts --------------------------------------------------------------------------------


def test_a_dsp_child_only_at_a_resourced_provision() -> None:
    sc = scenario([child("C1", cohort="dsp")],
                  [school("D1", type="resourced_provision"), school("S1")])  # fmt: skip
    passes(sc, plan(sc, {"C1": "D1"}))
    fails(sc, plan(sc, {"C1": "S1"}), "child C1 at school S1", "a dsp child", "la_maintained")


def test_a_special_child_at_a_resourced_provision_only_under_the_policy() -> None:
    schools = [school("D1", type="resourced_provision"), school("S1")]
    sc = scenario([child("C1")], schools)
    passes(sc, plan(sc, {"C1": "S1"}))
    fails(sc, plan(sc, {"C1": "D1"}), "a special child", "resourced_provision")
    allowed = scenario([child("C1")], schools, special_cohort_in_dsp=True)
    passes(allowed, plan(allowed, {"C1": "D1"}))


def test_cohort_decides_the_no_school_reason() -> None:
    sc = scenario([child("C1", cohort="dsp")], [school("S1")])
    passes(sc, plan(sc, {}, {"C1": UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE}))
    fails(sc, plan(sc, {}, {"C1": UnplacedReason.CAPACITY_EXHAUSTED}), "unplaced reason")


def test_travel_model_is_the_test_one() -> None:
    assert TRAVEL.name == "linear-test"
