"""Keeping contracted routes in a re-plan (routing/transport/keep_contracted.py): every plan,
kept routes included, passes the independent checker; a kept route is the baseline route
itself, or (riders gone) the rest of its riders in their order at their times on the same
vehicle and layout, and never gains a rider; with nothing contracted the re-plan is the
continuity re-plan exactly; a kept mixed-school run that loses a rider keeps the rest at their
times; a contracted route that breaks a rule, or whose rider's new sibling must ride with them,
is not kept and says why."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_continuity import (
    CHANGE_KINDS,
    SCHOOLS,
    changed,
    random_changes,
    two_schools,
    with_siblings,
)
from transport_cases import TRAVEL, check, child, plan, random_children, scenario, school

from sendplan.routing.model import Scenario
from sendplan.routing.transport.changes import Applied, Change
from sendplan.routing.transport.continuity import replan_session
from sendplan.routing.transport.evaluate import evaluate_routes
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.keep_contracted import KeptSession, replan_keeping
from sendplan.routing.transport.plan import TransportPlan
from sendplan.routing.transport.planner import school_of_children

ITERATIONS = 40


def keeping(
    applied: Applied,
    baseline: TransportPlan,
    contracted: set[str],
    *,
    continuity: bool = True,
    seed: int = 1,
) -> KeptSession:
    sc = applied.scenario

    def plan_rest(rest: Scenario) -> TransportPlan:
        return plan(rest, iterations=ITERATIONS, seed=seed)

    return replan_keeping(
        sc, school_of_children(sc, None), baseline, plan_rest(sc), TRAVEL,
        contracted=contracted, plan_rest=plan_rest, continuity=continuity,
        handed_back=applied.handed_back, relocated=applied.relocated,
    )  # fmt: skip


def assert_kept_as_contracted(baseline: TransportPlan, got: KeptSession) -> None:
    """Each kept route is the baseline's, less the riders who left, at their times."""
    old = {r.route_id: r for r in baseline.routes}
    new = {r.route_id: r for r in got.continuity.plan.routes}
    for row in got.kept:
        was = old[row.route_id]
        if row.status == "kept":
            assert new[row.route_id] == was
        elif row.status == "kept_fewer_riders":
            now = new[row.route_id]
            left = set(row.riders_left)
            assert now.child_ids == tuple(c for c in was.child_ids if c not in left)
            assert (now.vehicle_type, now.layout) == (was.vehicle_type, was.layout)
            times = {s.child_id: s.time_min for s in was.stops}
            assert all(s.time_min == times[s.child_id] for s in now.stops)
        else:
            assert row.riders_now == 0 and row.why


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    kinds=st.lists(CHANGE_KINDS, min_size=0, max_size=3),
    picks=st.lists(st.integers(min_value=0, max_value=1_000), min_size=3, max_size=3),
    share=st.sampled_from([0.0, 0.3, 0.6, 1.0]),
    continuity=st.booleans(),
)
def test_every_plan_keeping_contracted_routes_passes_the_checker(
    seed: int, kinds: list[str], picks: list[int], share: float, continuity: bool
) -> None:
    sc = with_siblings(two_schools(14, seed))
    base = plan(sc, iterations=ITERATIONS, seed=seed)
    changes = random_changes(sc, base, kinds, picks)
    applied = changed(sc, base, *changes)
    contracted = {r.route_id for k, r in enumerate(base.routes) if (k * 0.37 + seed) % 1 < share}
    got = keeping(applied, base, contracted, continuity=continuity, seed=seed)
    whole = got.continuity.plan
    verdict = check(applied.scenario, whole)
    assert verdict.ok, verdict.violations
    assert {row.route_id for row in got.kept} == contracted
    assert_kept_as_contracted(base, got)
    kept = {row.route_id for row in got.kept if row.kept}
    assert sum(r.route_id in kept for r in whole.routes) == len(kept)
    if not contracted and continuity:
        sc2 = applied.scenario
        plain = replan_session(
            sc2, school_of_children(sc2, None), base, plan(sc2, iterations=ITERATIONS, seed=seed),
            TRAVEL, handed_back=applied.handed_back, relocated=applied.relocated,
        )  # fmt: skip
        assert whole.routes == plain.plan.routes and whole.unrouted == plain.plan.unrouted


def _stops(route_id: str, vehicle: str, school_id: str, kids: list[str]) -> list[ExistingStop]:
    return [ExistingStop(route_id, vehicle, school_id, "am", n, c) for n, c in enumerate(kids, 1)]


def test_a_contracted_route_that_breaks_a_rule_is_not_kept_and_says_why() -> None:
    kids = [child(f"A{i}", 6.0 * (-1) ** i, 0.0, ride_limit_min=25.0) for i in range(2)]
    kids += [child(f"B{i}", -2.0, 0.3 * i, school_id="S2") for i in range(3)]
    sc = scenario(kids, schools=SCHOOLS)
    rows = _stops("R1", "taxi", "S1", ["A0", "A1"]) + _stops("R3", "minibus_8", "S2", ["B0", "B1"])
    rows += _stops("R4", "taxi", "S2", ["B2"])
    base = evaluate_routes(sc, school_of_children(sc, None), TRAVEL, rows, session="am").plan
    applied = changed(sc, base)
    got = keeping(applied, base, {"R1", "R3"})
    status = {row.route_id: row for row in got.kept}
    assert status["R1"].status == "broke_a_rule" and "exceeds limit" in status["R1"].why
    assert status["R3"].status == "kept"
    assert check(applied.scenario, got.continuity.plan).ok
    assert_kept_as_contracted(base, got)


def test_a_new_sibling_of_a_kept_rider_releases_the_route_rather_than_split_them() -> None:
    kids = [child(f"A{i}", 2.0 + 0.1 * i, 1.0, sibling_group="G" if i == 0 else None)
            for i in range(2)]  # fmt: skip
    kids += [child(f"B{i}", -2.0, 0.3 * i, school_id="S2") for i in range(2)]
    sc = scenario(kids, schools=SCHOOLS)
    rows = _stops("R1", "minibus_8", "S1", ["A0", "A1"]) + _stops("R2", "taxi", "S2", ["B0", "B1"])
    base = evaluate_routes(sc, school_of_children(sc, None), TRAVEL, rows, session="am").plan
    sibling = replace(child("N1", 2.05, 1.1, age=11), sibling_group="G")
    add = Change("add_child", 2, child_id="N1", school_id="S1", child=sibling)
    applied = changed(sc, base, add)
    got = keeping(applied, base, {"R1", "R2"})
    status = {row.route_id: row for row in got.kept}
    assert status["R1"].status == "released" and "sibling group G" in status["R1"].why
    assert status["R2"].status == "kept"
    whole = got.continuity.plan
    assert check(applied.scenario, whole).ok
    assert whole.route_of("N1") is whole.route_of("A0")
    assert_kept_as_contracted(base, got)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10_000), continuity=st.booleans())
def test_a_kept_mixed_school_run_losing_a_rider_keeps_the_rest_at_their_times(
    seed: int, continuity: bool
) -> None:
    kids = random_children(20, seed, radius_km=3.0, schools=("S1", "S2"))
    sc = scenario(kids, schools=[school("S1"), school("S2", 0.5, 0.3)], mixed_school_routes=True)
    base = plan(sc, iterations=ITERATIONS, seed=seed)
    mixed = [r for r in base.routes if r.mixed and len(r.stops) >= 3]
    assume(mixed)
    gone = mixed[0].child_ids[1]
    applied = changed(sc, base, Change("remove_child", 2, child_id=gone))
    got = keeping(applied, base, {r.route_id for r in base.routes}, continuity=continuity)
    assert check(applied.scenario, got.continuity.plan).ok
    status = {row.route_id: row.status for row in got.kept}
    assert status[mixed[0].route_id] == "kept_fewer_riders"
    assert_kept_as_contracted(base, got)
