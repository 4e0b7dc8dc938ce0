"""The placement checker on both sides of every limit, for every variant, both signs of every
stated figure, and the flags that could excuse a breach (issue: checkers that catch every
broken rule). Each test plants one fault in an otherwise consistent plan and asserts the
message; its twin just inside the limit passes.

Travel is a linear test model on exact binary fractions of a degree, so a journey can sit
exactly on a limit: 0.0625 degrees of longitude is exactly 3,600 s (60 minutes).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.check import PlacementCheck, check_placement
from sendplan.routing.placement.plan import (
    Assignment,
    PlacementPlan,
    PlacementReason,
    Unplaced,
    UnplacedReason,
)

LON, LAT = -1.0, 52.5
SECONDS_PER_DEGREE = 57_600.0  # 0.0625 degree = 3,600 s
HOUR = 0.0625
TINY = 2.0**-20  # about 0.05 s of travel


class LinearTravel:
    """Seconds proportional to the lon + lat offset; metres ten per second."""

    name = "linear-test"

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        delta = np.abs(np.asarray(destinations) - np.asarray(origins)).sum(axis=1)
        seconds = delta * SECONDS_PER_DEGREE
        return seconds, seconds * 10.0

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        o, d = np.asarray(origins), np.asarray(destinations)
        delta = np.abs(d[None, :, :] - o[:, None, :]).sum(axis=2)
        return delta * SECONDS_PER_DEGREE, delta * SECONDS_PER_DEGREE * 10.0


TRAVEL = LinearTravel()


def school(sid: str, east: float = 0.0, **kw: object) -> School:
    values: dict[str, object] = {
        "school_id": sid, "name": sid, "lon": LON + east, "lat": LAT, "la_code": "856",
        "type": "la_maintained", "age_low": 4, "age_high": 11,
        "designations": frozenset({"ASD"}), "capacity": 2, "annual_cost_gbp": 20_000.0,
    }  # fmt: skip
    values.update(kw)
    return School(**values)  # type: ignore[arg-type]


def child(cid: str, **kw: object) -> Child:
    values: dict[str, object] = {
        "child_id": cid, "lon": LON, "lat": LAT, "age": 9, "primary_need": "ASD", "sex": "M",
    }  # fmt: skip
    values.update(kw)
    return Child(**values)  # type: ignore[arg-type]


def scenario(children: list[Child], schools: list[School], **policy: object) -> Scenario:
    return Scenario(name="limits", children=tuple(children), schools=tuple(schools),
                    policy=Policy(**policy))  # type: ignore[arg-type]  # fmt: skip


def assignment(sc: Scenario, cid: str, sid: str) -> Assignment:
    """``cid`` at ``sid`` with every stated figure and exact reason true."""
    c = next(x for x in sc.children if x.child_id == cid)
    s = sc.school(sid)
    secs, metres = TRAVEL.pairs(np.array([[c.lon, c.lat]]), np.array([[s.lon, s.lat]]))
    rank = c.preferences.index(sid) + 1 if sid in c.preferences else None
    reasons = []
    if c.locked and c.current_school == sid:
        reasons.append(PlacementReason.LOCKED)
    if rank == 1:
        reasons.append(PlacementReason.FIRST_PREFERENCE)
    elif rank is not None:
        reasons.append(PlacementReason.OTHER_PREFERENCE)
    if c.residential_need:
        reasons.append(PlacementReason.RESIDENTIAL_PLACE)
    if not s.in_area:
        reasons.append(PlacementReason.OUT_OF_AREA)
    return Assignment(
        child_id=cid, school_id=sid, travel_s=float(secs[0]), distance_m=float(metres[0]),
        annual_cost_gbp=s.annual_cost_gbp, preference_rank=rank, in_area=s.in_area,
        residential=c.residential_need, reasons=tuple(str(r) for r in reasons),
        cross_border=c.home_la != s.la_code,
    )  # fmt: skip


def plan(
    sc: Scenario,
    where: dict[str, str],
    unplaced: dict[str, UnplacedReason] | None = None,
    **kw: object,
) -> PlacementPlan:
    """A plan placing ``where`` (child -> school), the rest as ``unplaced``, with the true
    objective, so that only the rule under test can fail (not stated optimal unless ``kw``
    says so: a hand-made plan seldom is)."""
    draft = PlacementPlan(
        assignments=tuple(assignment(sc, c, s) for c, s in where.items()),
        unplaced=tuple(Unplaced(c, r, "test") for c, r in (unplaced or {}).items()),
        objective=0.0, optimal=bool(kw.pop("optimal", False)), travel_model=TRAVEL.name,
        solver="test", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return dataclasses.replace(draft, objective=check_placement(sc, TRAVEL, draft).objective)


def check(sc: Scenario, p: PlacementPlan) -> PlacementCheck:
    return check_placement(sc, TRAVEL, p)


def passes(sc: Scenario, p: PlacementPlan) -> None:
    report = check(sc, p)
    assert report.ok, report.violations


def fails(sc: Scenario, p: PlacementPlan, *words: str) -> None:
    report = check(sc, p)
    assert not report.ok
    assert any(all(w in v for w in words) for v in report.violations), report.violations


def replace_assignment(p: PlacementPlan, cid: str, **changes: object) -> PlacementPlan:
    return dataclasses.replace(
        p,
        assignments=tuple(
            dataclasses.replace(a, **changes) if a.child_id == cid else a  # type: ignore[arg-type]
            for a in p.assignments
        ),
    )


# --- admission: age, sex, designation --------------------------------------------------------


@pytest.mark.parametrize(("age", "ok"), [(3, False), (4, True), (11, True), (12, False)])
def test_age_range_both_ends(age: int, ok: bool) -> None:
    sc = scenario([child("C1", age=age)], [school("S1", age_low=4, age_high=11)])
    p = plan(sc, {"C1": "S1"})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "C1", "S1", f"age {age} outside age range 4-11")


@pytest.mark.parametrize(
    ("pupil", "taken", "ok"),
    [("M", "M", True), ("M", "F", False), ("F", "F", True), ("F", "M", False),
     ("M", "mixed", True), ("F", "mixed", True)],
)  # fmt: skip
def test_sex_rule_for_girls_and_boys(pupil: str, taken: str, ok: bool) -> None:
    sc = scenario([child("C1", sex=pupil)], [school("S1", sex=taken)])
    p = plan(sc, {"C1": "S1"})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "C1", "S1", f"admits sex {taken} only")


@pytest.mark.parametrize(("need", "ok"), [("ASD", True), ("SLD", True), ("SEMH", False)])
def test_designation(need: str, ok: bool) -> None:
    sc = scenario([child("C1", primary_need=need)],
                  [school("S1", designations=frozenset({"ASD", "SLD"}))])  # fmt: skip
    p = plan(sc, {"C1": "S1"})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "C1", "S1", f"do not include need {need}")


# --- travel ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "limit_min", "policy_key"),
    [(9, 60, "max_travel_min_primary"), (14, 90, "max_travel_min_secondary")],
)
@pytest.mark.parametrize(("extra", "ok"), [(0.0, True), (TINY, False)])
def test_max_travel_at_and_just_over_the_limit(
    age: int, limit_min: int, policy_key: str, extra: float, ok: bool
) -> None:
    east = HOUR * limit_min / 60 + extra
    sc = scenario([child("C1", age=age)], [school("S1", east, age_high=19)],
                  **{policy_key: float(limit_min)})  # fmt: skip
    p = plan(sc, {"C1": "S1"})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "C1", "S1", f"over the {limit_min}-minute limit")


# --- capacity, residential places, places per designation, must-admit -------------------


@pytest.mark.parametrize(("n", "ok"), [(2, True), (3, False)])
def test_capacity_at_and_one_over(n: int, ok: bool) -> None:
    kids = [child(f"C{k}") for k in range(n)]
    sc = scenario(kids, [school("S1", capacity=2)])
    p = plan(sc, {c.child_id: "S1" for c in kids})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "school S1: 3 children placed, capacity 2")


@pytest.mark.parametrize(("n", "ok"), [(1, True), (2, False)])
def test_residential_places_at_and_one_over(n: int, ok: bool) -> None:
    kids = [child(f"C{k}", residential_need=True) for k in range(n)]
    sc = scenario(kids, [school("S1", capacity=5, residential_places=1)])
    p = plan(sc, {c.child_id: "S1" for c in kids})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "school S1: 2 residential children placed, residential places 1")


def test_residential_need_at_a_school_without_residential_places() -> None:
    sc = scenario([child("C1", residential_need=True)], [school("S1", residential_places=0)])
    fails(sc, plan(sc, {"C1": "S1"}), "C1", "S1", "no residential places")


def test_a_residential_child_also_takes_an_ordinary_place() -> None:
    kids = [child("C1", residential_need=True), child("C2"), child("C3")]
    sc = scenario(kids, [school("S1", capacity=2, residential_places=2)])
    fails(sc, plan(sc, {"C1": "S1", "C2": "S1", "C3": "S1"}), "3 children placed, capacity 2")


@pytest.mark.parametrize(("n", "ok"), [(1, True), (2, False)])
def test_places_per_designation_at_and_one_over(n: int, ok: bool) -> None:
    kids = [child(f"C{k}") for k in range(n)]
    sc = scenario(kids, [school("S1", capacity=5, capacity_by_designation=(("ASD", 1),))])
    p = plan(sc, {c.child_id: "S1" for c in kids})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "school S1: 2 children with need ASD placed, capacity_by_designation 1")


def test_must_admit_excuses_only_the_named_school_and_only_when_stated() -> None:
    kids = [child(f"C{k}") for k in range(3)]
    sc = scenario(kids, [school("S1", capacity=2), school("S2", capacity=2)])
    where = {c.child_id: "S1" for c in kids}
    passes(sc, plan(sc, where, must_admit=("S1",), over_capacity=(("S1", 1),)))
    # The flag names another school: S1's breach stands.
    fails(sc, plan(sc, where, must_admit=("S2",)), "school S1: 3 children placed, capacity 2")
    # Over capacity under- and overstated.
    fails(sc, plan(sc, where, must_admit=("S1",)), "stated over capacity by 0, recomputed 1")
    fails(sc, plan(sc, where, must_admit=("S1",), over_capacity=(("S1", 2),)),
          "stated over capacity by 2, recomputed 1")  # fmt: skip
    fails(sc, plan(sc, {"C0": "S1"}, {"C1": UnplacedReason.COSTS_MORE_THAN_UNPLACED,
                                      "C2": UnplacedReason.COSTS_MORE_THAN_UNPLACED},
                   must_admit=("S1",), over_capacity=(("S1", 1),)),
          "stated over capacity by 1, recomputed 0")  # fmt: skip
    fails(sc, plan(sc, where, must_admit=("S9",)), "must-admit school S9 is not in the scenario")


def test_must_admit_does_not_excuse_residential_places() -> None:
    kids = [child(f"C{k}", residential_need=True) for k in range(2)]
    sc = scenario(kids, [school("S1", capacity=5, residential_places=1)])
    fails(sc, plan(sc, {"C0": "S1", "C1": "S1"}, must_admit=("S1",)),
          "2 residential children placed, residential places 1")  # fmt: skip


# --- locked children ----------------------------------------------------------------------


def locked(cid: str, sid: str, **kw: object) -> Child:
    return child(cid, locked=True, current_school=sid, **kw)


def test_locked_children_may_overfill_their_school_but_no_one_else_may_join() -> None:
    kids = [locked("L1", "S1"), locked("L2", "S1"), locked("L3", "S1"), child("C1")]
    sc = scenario(kids, [school("S1", capacity=2)])
    passes(sc, plan(sc, {"L1": "S1", "L2": "S1", "L3": "S1"},
                    {"C1": UnplacedReason.CAPACITY_EXHAUSTED}))  # fmt: skip
    fails(sc, plan(sc, {"L1": "S1", "L2": "S1", "L3": "S1", "C1": "S1"}),
          "4 children placed, capacity 3")  # fmt: skip


def test_locked_residential_children_raise_only_the_residential_limit_they_fill() -> None:
    kids = [locked("L1", "S1", residential_need=True), locked("L2", "S1", residential_need=True),
            child("C1", residential_need=True)]  # fmt: skip
    sc = scenario(kids, [school("S1", capacity=5, residential_places=1)])
    passes(sc, plan(sc, {"L1": "S1", "L2": "S1"}, {"C1": UnplacedReason.CAPACITY_EXHAUSTED}))
    fails(sc, plan(sc, {"L1": "S1", "L2": "S1", "C1": "S1"}),
          "3 residential children placed, residential places 2")  # fmt: skip


def test_a_locked_child_at_an_unsuitable_current_school_is_valid_elsewhere_not() -> None:
    kids = [locked("L1", "S1", age=15, sex="F", primary_need="SEMH")]
    sc = scenario(kids, [school("S1", 4 * HOUR, sex="M"), school("S2")])
    passes(sc, plan(sc, {"L1": "S1"}))
    fails(sc, plan(sc, {"L1": "S2"}), "L1: locked at school S1 but placed at S2")
    fails(sc, plan(sc, {}, {"L1": UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE}),
          "L1: locked at school S1 but unplaced")  # fmt: skip


def test_an_unlocked_child_at_its_current_school_gets_no_exemption() -> None:
    sc = scenario([child("C1", age=15, current_school="S1")], [school("S1")])
    fails(sc, plan(sc, {"C1": "S1"}), "age 15 outside age range")


# --- unplaced reasons ----------------------------------------------------------------------


def test_capacity_exhausted_is_true_only_when_every_candidate_is_full() -> None:
    kids = [child("C1"), child("C2"), child("C3")]
    sc = scenario(kids, [school("S1", capacity=1), school("S2", HOUR / 2, capacity=1)])
    passes(sc, plan(sc, {"C1": "S1", "C2": "S2"}, {"C3": UnplacedReason.CAPACITY_EXHAUSTED}))
    # One place left at S2: not exhausted.
    fails(sc, plan(sc, {"C1": "S1"}, {"C2": UnplacedReason.CAPACITY_EXHAUSTED,
                                      "C3": UnplacedReason.CAPACITY_EXHAUSTED}),
          "C3: unplaced as capacity_exhausted but school S2 has room")  # fmt: skip


def test_a_full_designation_pool_counts_as_full() -> None:
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1", capacity=5, capacity_by_designation=(("ASD", 1),))])
    passes(sc, plan(sc, {"C1": "S1"}, {"C2": UnplacedReason.CAPACITY_EXHAUSTED}))


def test_a_full_residential_school_counts_as_full_only_for_residential_children() -> None:
    kids = [child("C1", residential_need=True), child("C2", residential_need=True), child("C3")]
    sc = scenario(kids, [school("S1", capacity=5, residential_places=1)])
    passes(sc, plan(sc, {"C1": "S1", "C3": "S1"}, {"C2": UnplacedReason.CAPACITY_EXHAUSTED}))
    fails(sc, plan(sc, {"C1": "S1", "C2": "S1"}, {"C3": UnplacedReason.CAPACITY_EXHAUSTED}))


@pytest.mark.parametrize(
    ("kid", "schools", "truth"),
    [
        (child("C1", primary_need="SEMH"), [school("S1")], "no_school_meets_need_in_age_range"),
        (child("C1", age=12), [school("S1")], "no_school_meets_need_in_age_range"),
        (child("C1", residential_need=True), [school("S1")], "residential_need_unmet"),
        (child("C1"), [school("S1", HOUR + TINY)], "over_max_travel"),
        (child("C1"), [school("S1", capacity=0)], "capacity_exhausted"),
    ],
)
def test_each_unplaced_reason_is_the_most_fundamental(
    kid: Child, schools: list[School], truth: str
) -> None:
    sc = scenario([kid], schools)
    passes(sc, plan(sc, {}, {"C1": UnplacedReason(truth)}))
    for other in UnplacedReason:
        if other.value not in (truth, "placement_costs_more_than_unplaced_penalty"):
            fails(sc, plan(sc, {}, {"C1": other}), "C1")


def test_costs_more_than_unplaced_only_in_a_weighted_plan() -> None:
    sc = scenario([child("C1")], [school("S1")], unplaced_gbp=19_999.0)
    reason = {"C1": UnplacedReason.COSTS_MORE_THAN_UNPLACED}
    passes(sc, plan(sc, {}, reason))
    lexi = plan(sc, {}, reason, mode="lexicographic", levels=(0, 0, 0, 0))
    fails(sc, lexi, "C1: a lexicographic plan leaves the child out beside room")


@pytest.mark.parametrize(("unplaced_gbp", "ok"), [(20_001.0, True), (20_001.5, False)])
def test_costs_more_than_unplaced_only_when_every_school_with_room_does(
    unplaced_gbp: float, ok: bool
) -> None:
    """S1's place costs 20,000 GBP (the fee, no travel): leaving C1 out for 20,001 is within
    the pound of rounding slack, for 20,001.50 it is not."""
    sc = scenario([child("C1")], [school("S1")], unplaced_gbp=unplaced_gbp)
    p = plan(sc, {}, {"C1": UnplacedReason.COSTS_MORE_THAN_UNPLACED})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child C1: unplaced as placement_costs_more_than_unplaced_penalty but "
              "school S1 has room at 20,000 GBP, under unplaced_gbp 20,002")  # fmt: skip


# --- stated figures: both signs -------------------------------------------------------------


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize(
    ("field", "inside", "outside"),
    [("travel_s", 5e-4, 2e-3), ("distance_m", 5e-4, 2e-3), ("annual_cost_gbp", 5e-7, 2e-6)],
)
def test_stated_figures_over_and_understated(
    sign: float, field: str, inside: float, outside: float
) -> None:
    """Within the checker's tolerance (1 ms, 1 mm, a millionth of a pound) passes; just beyond
    it fails, whether the figure is over- or understated."""
    sc = scenario([child("C1")], [school("S1", HOUR / 2)])
    p = plan(sc, {"C1": "S1"})
    true = getattr(p.assignments[0], field)
    passes(sc, replace_assignment(p, "C1", **{field: true + sign * inside}))
    fails(
        sc, replace_assignment(p, "C1", **{field: true + sign * outside}), "C1", f"stated {field}"
    )


@pytest.mark.parametrize(
    ("field", "wrong"),
    [("in_area", False), ("residential", True), ("cross_border", True), ("preference_rank", 2)],
)
def test_stated_flags_that_are_false(field: str, wrong: object) -> None:
    sc = scenario([child("C1", preferences=("S1",))], [school("S1")])
    p = plan(sc, {"C1": "S1"})
    fails(sc, replace_assignment(p, "C1", **{field: wrong}), "C1", f"stated {field}")


def test_preference_rank_missing_when_the_school_was_preferred() -> None:
    sc = scenario([child("C1", preferences=("S2", "S1"))], [school("S1"), school("S2")])
    p = plan(sc, {"C1": "S1"})
    assert p.assignments[0].preference_rank == 2
    fails(sc, replace_assignment(p, "C1", preference_rank=None), "stated preference_rank 0")


@pytest.mark.parametrize(("per_child", "ok"), [(0.99, True), (-0.99, True), (1.01, False),
                                               (-1.01, False)])  # fmt: skip
def test_objective_over_and_understated(per_child: float, ok: bool) -> None:
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1")])
    p = plan(sc, {"C1": "S1", "C2": "S1"})
    stated = dataclasses.replace(p, objective=p.objective + per_child * 2)
    if ok:
        passes(sc, stated)
    else:
        fails(sc, stated, "plan objective")


def test_objective_counts_every_term() -> None:
    """Each term of the formula, recomputed: fee, travel, preference rank, not preferred,
    out of area, unplaced and over capacity."""
    pol = Policy()
    kids = [child("C1", preferences=("S2", "S1")), child("C2", preferences=("S2",)),
            child("C3"), child("C4")]  # fmt: skip
    sc = scenario(kids, [school("S1", HOUR / 4, capacity=1, annual_cost_gbp=30_000.0),
                         school("S2", in_area=False, annual_cost_gbp=50_000.0)])  # fmt: skip
    p = plan(sc, {"C1": "S1", "C2": "S1", "C3": "S2"},
             {"C4": UnplacedReason.COSTS_MORE_THAN_UNPLACED}, must_admit=("S1",),
             over_capacity=(("S1", 1),))  # fmt: skip
    minutes = 15.0
    expected = (
        2 * (pol.weight_placement_cost * 30_000.0 + pol.travel_gbp_per_min * minutes)
        + pol.preference_gbp_per_rank  # C1 at its second preference
        + pol.not_preferred_gbp  # C2 at a school it did not name
        + pol.weight_placement_cost * 50_000.0
        + pol.out_of_area_gbp  # C3 out of area
        + pol.unplaced_gbp  # C4
        + pol.over_capacity_gbp  # S1 one over
    )
    assert p.objective == pytest.approx(expected)


# --- reasons --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [PlacementReason.FIRST_PREFERENCE, PlacementReason.OTHER_PREFERENCE,
     PlacementReason.RESIDENTIAL_PLACE, PlacementReason.OUT_OF_AREA, PlacementReason.LOCKED],
)  # fmt: skip
def test_exact_reasons_stated_falsely_or_left_out(reason: PlacementReason) -> None:
    kids = [child("C1", preferences=("S1",), residential_need=True, locked=True,
                  current_school="S1"), child("C2", preferences=("S2", "S1"))]  # fmt: skip
    sc = scenario(kids, [school("S1", in_area=False, residential_places=1, capacity=3),
                         school("S2")])  # fmt: skip
    p = plan(sc, {"C1": "S1", "C2": "S1"})
    holder = "C1" if reason != PlacementReason.OTHER_PREFERENCE else "C2"
    lacker = "C2" if holder == "C1" else "C1"
    if reason in (PlacementReason.OUT_OF_AREA,):
        lacker = None  # both are out of area
    a = next(x for x in p.assignments if x.child_id == holder)
    dropped = tuple(r for r in a.reasons if r != str(reason))
    fails(sc, replace_assignment(p, holder, reasons=dropped), holder, "true but not stated")
    if lacker is not None:
        b = next(x for x in p.assignments if x.child_id == lacker)
        if str(reason) not in b.reasons:
            fails(sc, replace_assignment(p, lacker, reasons=(*b.reasons, str(reason))),
                  lacker, "stated but false")  # fmt: skip


def test_conditional_reasons_only_when_they_hold() -> None:
    """C1 goes to the far, dear S2 while the near, cheap S1 has room: nearest, lowest-cost and
    nearer-full are all false for C1; for C2 at S1 the first two are true."""
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1", HOUR / 8, capacity=2, annual_cost_gbp=10_000.0),
                         school("S2", HOUR / 2, annual_cost_gbp=30_000.0)])  # fmt: skip
    p = plan(sc, {"C1": "S2", "C2": "S1"})
    conditional = (
        PlacementReason.NEAREST_SUITABLE,
        PlacementReason.LOWEST_COST_SUITABLE,
        PlacementReason.NEARER_SCHOOLS_FULL,
        PlacementReason.LEAST_COST_WITH_ROOM,
    )
    for reason in conditional:
        fails(sc, replace_assignment(p, "C1", reasons=(str(reason),)), "C1", f"reason {reason}")
    ok = (str(PlacementReason.NEAREST_SUITABLE), str(PlacementReason.LOWEST_COST_SUITABLE),
          str(PlacementReason.LEAST_COST_WITH_ROOM))  # fmt: skip
    passes(sc, replace_assignment(p, "C2", reasons=ok))
    fails(sc, replace_assignment(p, "C2", reasons=("made_up",)), "unknown placement reason")


def test_nearer_schools_full_holds_when_every_nearer_school_is_full() -> None:
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1", HOUR / 8, capacity=1), school("S2", HOUR / 2)])
    p = plan(sc, {"C1": "S2", "C2": "S1"})
    passes(sc, replace_assignment(p, "C1", reasons=(str(PlacementReason.NEARER_SCHOOLS_FULL),)))


# --- whole plan ---------------------------------------------------------------------------


def test_lexicographic_levels_each_level_both_ways() -> None:
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1", HOUR / 4), school("S2", HOUR / 2, in_area=False)])
    truth = (2, 1, 40_000, 2_700)  # 900 s + 1,800 s
    p = plan(sc, {"C1": "S1", "C2": "S2"}, mode="lexicographic", levels=truth)
    passes(sc, p)
    for k in range(4):
        for step in (1, -1):
            wrong = tuple(v + step if i == k else v for i, v in enumerate(truth))
            fails(sc, dataclasses.replace(p, levels=wrong), "plan levels")


def test_unknown_mode_and_travel_model() -> None:
    sc = scenario([child("C1")], [school("S1")])
    p = plan(sc, {"C1": "S1"})
    fails(sc, dataclasses.replace(p, mode="greedy"), "plan mode 'greedy' is unknown")
    fails(sc, dataclasses.replace(p, travel_model="other"), "plan travel model 'other'")


def test_many_breaches_are_summarised_not_lost() -> None:
    kids = [child(f"C{k:03d}", age=15) for k in range(60)]
    sc = scenario(kids, [school("S1", capacity=100)])
    report = check(sc, plan(sc, {c.child_id: "S1" for c in kids}))
    ages = [v for v in report.violations if "outside age range" in v]
    assert len(ages) == 50 and "... and 10 more age" in report.violations


def test_least_cost_with_room_ignores_full_schools_and_has_a_pound_of_slack() -> None:
    """C1 at the dearer S2 is still least-cost among schools with room once S1 is full; a
    term within 1 GBP of another school's (solver rounding) still counts as least."""
    kids = [child("C1"), child("C2")]
    sc = scenario(kids, [school("S1", HOUR / 8, capacity=1, annual_cost_gbp=10_000.0),
                         school("S2", HOUR / 2, annual_cost_gbp=30_000.0)])  # fmt: skip
    p = plan(sc, {"C1": "S2", "C2": "S1"})
    least = (str(PlacementReason.LEAST_COST_WITH_ROOM),)
    passes(sc, replace_assignment(p, "C1", reasons=least))
    near = scenario(kids, [school("S1", capacity=1, annual_cost_gbp=20_000.0),
                           school("S2", annual_cost_gbp=20_000.5)], unplaced_gbp=1.0)  # fmt: skip
    q = plan(near, {"C1": "S2"}, {"C2": UnplacedReason.COSTS_MORE_THAN_UNPLACED})
    passes(near, replace_assignment(q, "C1", reasons=least))
    dearer = scenario(kids, [school("S1", capacity=1, annual_cost_gbp=20_000.0),
                             school("S2", annual_cost_gbp=20_002.0)], unplaced_gbp=1.0)  # fmt: skip
    r = plan(dearer, {"C1": "S2"}, {"C2": UnplacedReason.COSTS_MORE_THAN_UNPLACED})
    fails(dearer, replace_assignment(r, "C1", reasons=least), "C1", "stated but false")
