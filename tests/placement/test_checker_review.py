"""The placement checker against faults an independent review found it letting through: a
placement beyond the child's nearest candidates, must-admit schools and the mode declared by
the plan itself, a child left out as "capacity exhausted" beside a must-admit school, an
optimal plan with a child where a school with room costs less, and "costs more than leaving
them out" beside a cheap place. Each on both sides of its edge.

Built on ``test_checker_limits.py``'s helpers (linear travel; a plan with true figures)."""

from __future__ import annotations

import pytest
from test_checker_limits import HOUR, TRAVEL, check, child, fails, passes, plan, scenario, school

from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.plan import UnplacedReason


@pytest.mark.parametrize(("school_id", "ok"), [("S1", True), ("S2", True), ("S3", False)])
def test_a_placement_must_be_among_the_nearest_candidates_or_a_preference(
    school_id: str, ok: bool
) -> None:
    """With two candidates a child, C1 may go to S1 or S2 (nearest) and to S3 only when it is
    a preference."""
    sites = [school(f"S{k}", k * HOUR / 8, capacity=5) for k in (1, 2, 3)]
    sc = scenario([child("C1")], sites, max_candidates=2)
    p = plan(sc, {"C1": school_id})
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child C1 at school S3: not one of the child's 2 nearest admissible "
              "schools, nor a preference")  # fmt: skip
        wanted = scenario([child("C1", preferences=("S3",))], sites, max_candidates=2)
        passes(wanted, plan(wanted, {"C1": school_id}))


def test_schools_equally_near_as_the_farthest_candidate_count_as_near() -> None:
    """S2 and S3 on one site: either may be the second candidate, so neither is flagged."""
    sites = [school("S1", HOUR / 8), school("S2", HOUR / 4), school("S3", HOUR / 4)]
    sc = scenario([child("C1")], sites, max_candidates=2)
    passes(sc, plan(sc, {"C1": "S3"}))
    passes(sc, plan(sc, {"C1": "S2"}))


def test_the_plan_cannot_declare_its_own_must_admit_schools_or_mode() -> None:
    sc = scenario([child("C1"), child("C2")], [school("S1", capacity=1)])
    soft = plan(sc, {"C1": "S1", "C2": "S1"}, must_admit=("S1",), over_capacity=(("S1", 1),))
    assert check(sc, soft).ok  # trusted when the caller does not say what it asked for
    asked = check_placement(sc, TRAVEL, soft, mode="weighted", must_admit=())
    assert "plan must-admit schools ['S1'], but [] were asked for" in asked.violations
    assert "2 children placed, capacity 1" in " ".join(asked.violations), asked.violations
    assert check_placement(sc, TRAVEL, soft, mode="weighted", must_admit=["S1"]).ok
    lexi = check_placement(sc, TRAVEL, soft, mode="lexicographic", must_admit=["S1"])
    assert "plan mode 'weighted', but 'lexicographic' was asked for" in lexi.violations


@pytest.mark.parametrize(("over_gbp", "ok"), [(999_999.0, False), (1_000_000.0, True)])
def test_capacity_exhausted_is_false_beside_a_must_admit_school_that_may_take_the_child(
    over_gbp: float, ok: bool
) -> None:
    """S1 is full but must-admit: a place over its capacity is offered while it costs less
    than leaving a child out (``unplaced_gbp``, 1,000,000), so C2 is not left for want of room."""
    sc = scenario([child("C1"), child("C2")], [school("S1", capacity=1)],
                  over_capacity_gbp=over_gbp)  # fmt: skip
    p = plan(sc, {"C1": "S1"}, {"C2": UnplacedReason.CAPACITY_EXHAUSTED}, must_admit=("S1",))
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child C2: unplaced as capacity_exhausted but must-admit school S1 may "
              "take them over its places")  # fmt: skip


@pytest.mark.parametrize(("fee", "ok"), [(20_001.0, True), (20_001.5, False)])
def test_an_optimal_plan_has_no_child_where_a_school_with_room_costs_less(
    fee: float, ok: bool
) -> None:
    """C1 at S2 (fee ``fee``) while S1 (20,000, same site) has room: within the pound of
    rounding slack the plan may be optimal, beyond it not; not claimed optimal, it may be."""
    sc = scenario([child("C1")], [school("S1"), school("S2", annual_cost_gbp=fee)])
    p = plan(sc, {"C1": "S2"}, optimal=True)
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child C1 at school S2: school S1 has room at 20,000 GBP against 20,002 "
              "here, in a plan stated optimal")  # fmt: skip
    passes(sc, plan(sc, {"C1": "S2"}))
