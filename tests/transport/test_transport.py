"""The transport planner: brute-force optima, reversed = forward time, every rule, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transport_cases import (
    TRAVEL,
    check,
    child,
    fleet,
    plan,
    planned_and_checked,
    random_children,
    scenario,
    school,
    vehicle,
)

from sendplan.api.defaults import leicester_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.placement.place import place
from sendplan.routing.solve import decide_transport
from sendplan.routing.transport import planner
from sendplan.routing.transport.check import check_transport, forward_rides
from sendplan.routing.transport.plan import RouteFlag, TransportPlan, UnroutedReason
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.transport.rules import int_matrices
from sendplan.routing.travel import TravelModels, straight_line_model
from sendplan.routing.vrp.stop import MaxIterations

# ------------------------------------------------------------------- brute-force oracle (AM)


def oracle_cost_gbp(sc: Scenario) -> float:
    """Cheapest AM plan by enumerating every partition of the children into runs, every
    driving order and every vehicle type (availability ample), on integer matrices built here."""
    policy, s = sc.policy, sc.schools[0]
    kids = list(sc.children)
    depot = (sc.fleet[0].depot_lon, sc.fleet[0].depot_lat)
    pts = np.array([(s.lon, s.lat), depot, *((c.lon, c.lat) for c in kids)], dtype=float)
    secs, metres = TRAVEL.matrix(pts, pts)
    dur = np.ceil(secs - 1e-9).astype(int)
    dist = np.rint(metres).astype(int)
    np.fill_diagonal(dur, 0)
    np.fill_diagonal(dist, 0)
    board = [
        round(
            60 * (policy.boarding_wheelchair_min if c.wheelchair else policy.boarding_walk_on_min)
        )
        for c in kids
    ]
    limit = [math.floor(policy.ride_limit_min(c) * 60 + 1e-9) for c in kids]
    solo = [c.travel_alone or dur[2 + i, 0] > limit[i] for i, c in enumerate(kids)]

    def block_cost(block: tuple[int, ...]) -> float:
        if len(block) > 1 and any(solo[i] for i in block):
            return math.inf
        best = math.inf
        for order in itertools.permutations(block):
            # ride of each child: legs after their stop and the boarding of those picked up later
            ok, after = True, 0
            for pos in range(len(order) - 1, -1, -1):
                i = order[pos]
                nxt = 0 if pos == len(order) - 1 else 2 + order[pos + 1]
                after += dur[2 + i, nxt]
                if after > limit[i] and not solo[i]:
                    ok = False
                after += board[i]
            if not ok:
                continue
            path = [1, *(2 + i for i in order), 0, 1]
            metres_run = sum(dist[a, b] for a, b in itertools.pairwise(path))
            for v in sc.fleet:
                chairs = sum(kids[i].wheelchair for i in order)
                if chairs > v.wheelchair_spaces or len(order) - chairs > v.seats:
                    continue
                if any(kids[i].needs_assistant for i in order) and not v.has_assistant:
                    continue
                best = min(best, v.fixed_cost_gbp + v.cost_per_km_gbp * metres_run / 1000)
        return best

    n = len(kids)
    best = {0: 0.0}
    for mask in range(1, 1 << n):
        low = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << low)
        options = [math.inf]
        sub = rest
        while True:
            block_mask = sub | (1 << low)
            block = tuple(i for i in range(n) if block_mask >> i & 1)
            options.append(block_cost(block) + best[mask & ~block_mask])
            if sub == 0:
                break
            sub = (sub - 1) & rest
        best[mask] = min(options)
    return best[(1 << n) - 1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 5), seed=st.integers(0, 10_000), limit=st.sampled_from([12.0, 20.0, 45.0]))
def test_tiny_plans_equal_the_brute_force_optimum(n: int, seed: int, limit: float) -> None:
    sc = scenario(random_children(n, seed, radius_km=5.0), ride_limit_min_secondary=limit,
                  ride_limit_min_primary=limit)  # fmt: skip
    p = planned_and_checked(sc, iterations=300)
    assert not p.unrouted
    assert math.isclose(p.cost_gbp, oracle_cost_gbp(sc), abs_tol=1e-6)


# ----------------------------------------------------- reversed time equals forward evaluation


def _int_legs_rides(sc: Scenario, route_stops: list[str], session: str) -> list[int]:
    kids = {c.child_id: c for c in sc.children}
    s = sc.schools[0]
    pts = np.array([(s.lon, s.lat), *((kids[c].lon, kids[c].lat) for c in route_stops)])
    dur, _ = int_matrices(TRAVEL, pts)
    n = len(route_stops)
    if session == "am":
        legs = [int(dur[1 + i, 2 + i]) for i in range(n - 1)] + [int(dur[n, 0])]
    else:
        legs = [int(dur[0, 1])] + [int(dur[1 + i, 2 + i]) for i in range(n - 1)]
    board = [600 if kids[c].wheelchair else 120 for c in route_stops]
    return [round(r) for r in forward_rides(session, legs, board)]  # type: ignore[arg-type]


def test_reversed_time_rides_equal_a_forward_evaluation() -> None:
    sc = scenario(random_children(40, 7, radius_km=8.0))
    for session in ("am", "pm"):
        p = planned_and_checked(sc, session)  # type: ignore[arg-type]
        shared = [r for r in p.routes if len(r.stops) > 1]
        assert len(shared) >= 5
        for r in shared:
            engine = [round(s.ride_min * 60) for s in r.stops]
            assert engine == _int_legs_rides(sc, list(r.child_ids), session)


def test_asymmetric_travel_uses_the_transposed_matrix_in_the_morning() -> None:
    class OneWay:
        """Straight-line times, but driving north costs double (a one-way system)."""

        name = "one-way"

        def matrix(self, o: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            s, m = TRAVEL.matrix(o, d)
            north = d[None, :, 1] > o[:, None, 1]
            return np.where(north, 2 * s, s), m

        def pairs(self, o: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            s, m = TRAVEL.pairs(o, d)
            return np.where(d[:, 1] > o[:, 1], 2 * s, s), m

    sc = scenario(random_children(12, 3, radius_km=6.0, flags=False))
    travel = OneWay()
    for session in ("am", "pm"):
        p = plan_transport(sc, None, travel, session=session, stop=MaxIterations(200), seed=1,
                           workers=1)  # type: ignore[arg-type]  # fmt: skip
        report = check_transport(sc, school_of_children(sc, None), travel, p)
        assert report.ok, report.violations


# ----------------------------------------------------------------------------- the rules


def test_every_eligible_child_is_routed_or_unrouted_with_a_reason() -> None:
    kids = random_children(30, 11)
    kids.append(child("NOSCHOOL", 1, 1, school_id=None))  # type: ignore[arg-type]
    kids.append(child("INELIGIBLE", 1, 2, transport_eligible=False))
    kids.append(child("CHAIR_PA", 2, 1, wheelchair=True, needs_assistant=True))
    no_wav_pa = tuple(v for v in fleet() if v.name != "wav_pa")
    sc = scenario(kids, vehicles=no_wav_pa)
    p = planned_and_checked(sc)
    reasons = {u.child_id: u.reason for u in p.unrouted}
    assert reasons["NOSCHOOL"] == UnroutedReason.NOT_PLACED
    assert reasons["CHAIR_PA"] == UnroutedReason.NO_SUITABLE_VEHICLE
    on_routes = [c for r in p.routes for c in r.child_ids]
    assert "INELIGIBLE" not in on_routes and "INELIGIBLE" not in reasons
    assert len(on_routes) == len(set(on_routes))
    assert set(on_routes) | set(reasons) == {c.child_id for c in kids} - {"INELIGIBLE"}


def test_wheelchair_users_take_spaces_and_assistants_ride_when_needed() -> None:
    kids = [child(f"W{i}", i * 0.3, 0.5, wheelchair=True) for i in range(3)]
    kids += [child(f"A{i}", -i * 0.3, 0.5, needs_assistant=True) for i in range(3)]
    p = planned_and_checked(scenario(kids))
    vehicles = {v.name: v for v in fleet()}
    for r in p.routes:
        chairs = sum(c.startswith("W") for c in r.child_ids)
        assert chairs <= vehicles[r.vehicle_type].wheelchair_spaces
        if any(c.startswith("A") for c in r.child_ids):
            assert r.assistant and vehicles[r.vehicle_type].has_assistant


def test_travel_alone_and_over_limit_children_ride_alone_flagged() -> None:
    kids = [child(f"C{i}", 1 + i * 0.2, 1, age=12) for i in range(5)]
    kids.append(child("ALONE", 1.1, 1.1, travel_alone=True))
    kids.append(child("FAR", 30, 0, age=12))  # ~40 min direct on the straight-line model
    sc = scenario(kids, ride_limit_min_secondary=20.0)
    for session in ("am", "pm"):
        p = planned_and_checked(sc, session)  # type: ignore[arg-type]
        alone, far = p.route_of("ALONE"), p.route_of("FAR")
        assert alone is not None and alone.child_ids == ("ALONE",) and alone.solo
        assert RouteFlag.TRAVEL_ALONE in alone.flags
        assert far is not None and far.child_ids == ("FAR",) and far.solo
        assert RouteFlag.DIRECT_RIDE_OVER_LIMIT in far.flags and far.stops[0].ride_min > 20.0
        assert not p.unrouted


def test_ride_limits_and_school_times_hold_morning_and_afternoon() -> None:
    sc = scenario(random_children(25, 5, radius_km=7.0), ride_limit_min_primary=25.0,
                  ride_limit_min_secondary=30.0)  # fmt: skip
    bell, finish = sc.schools[0].bell_am_min, sc.schools[0].finish_pm_min
    am, pm = planned_and_checked(sc, "am"), planned_and_checked(sc, "pm")
    for r in am.routes:
        assert bell - 20 <= r.school_time_min <= bell - 5
        assert all(s.time_min < r.school_time_min for s in r.stops)
    for r in pm.routes:
        assert r.school_time_min >= finish
    for p in (am, pm):
        for r in p.routes:
            if not r.solo:
                assert all(s.ride_min <= 30.0 for s in r.stops)


def test_per_child_ride_override_is_respected() -> None:
    kids = [child(f"C{i}", 3 + i * 0.5, 2, age=14) for i in range(6)]
    kids.append(child("STRICT", 3.2, 2.1, age=14, ride_limit_min=12.0))
    p = planned_and_checked(scenario(kids))
    strict = p.route_of("STRICT")
    assert strict is not None
    assert next(s.ride_min for s in strict.stops if s.child_id == "STRICT") <= 12.0


def test_fleet_availability_is_shared_by_all_schools() -> None:
    small = (vehicle("taxi", 4, 0, False, 18.0, 1.8, n=3),)
    kids = random_children(20, 2, schools=("S1", "S2"), flags=False, radius_km=4.0)
    sc = scenario(kids, schools=[school("S1"), school("S2", 2.0, 1.0)], vehicles=small)
    p = planned_and_checked(sc)
    assert len(p.routes) <= 3
    assert p.transported + len(p.unrouted) == 20
    assert {u.reason for u in p.unrouted} <= {
        UnroutedReason.FLEET_EXHAUSTED,
        UnroutedReason.NOT_ROUTED,
    }
    assert p.unrouted  # 3 taxis cannot carry 20 children


def test_single_school_routes_by_default() -> None:
    kids = random_children(30, 9, schools=("S1", "S2"))
    sc = scenario(kids, schools=[school("S1"), school("S2", 0.5, 0.5)])
    p = planned_and_checked(sc)
    school_of = {c.child_id: c.current_school for c in kids}
    for r in p.routes:
        assert {school_of[c] for c in r.child_ids} == {r.school_id}


def test_same_seed_and_iterations_give_the_same_plan() -> None:
    sc = scenario(random_children(35, 4, schools=("S1", "S2")),
                  schools=[school("S1"), school("S2", -2.0, 1.0)])  # fmt: skip
    a, b = plan(sc, seed=3), plan(sc, seed=3)
    assert a.routes == b.routes and a.unrouted == b.unrouted
    assert check(sc, a).ok


def test_leicester_default_subset_respects_every_rule() -> None:
    # Eligibility is decided by the policy's rules for the placed schools (about half the
    # cohort): 250 children leave more than 100 to route.
    sc = leicester_scenario(n_children=250)
    travel = straight_line_model(sc)
    placement = place(sc, travel)
    sc = decide_transport(sc, placement, TravelModels(travel))
    p = plan_transport(sc, placement, travel, session="am", stop=MaxIterations(100), seed=1,
                       workers=1)  # fmt: skip
    report = check_transport(sc, school_of_children(sc, placement), travel, p)
    assert report.ok, report.violations[:5]
    assert p.transported > 100


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_engine_path_never_beats_the_oracle(n: int, seed: int) -> None:
    """With the exact small-school path off, the engine's plans are valid and never below the
    proven optimum (a plan below it would mean a broken rule or a miscounted cost)."""
    sc = scenario(random_children(n, seed, radius_km=5.0))
    assert engine_only_plan(sc).cost_gbp >= oracle_cost_gbp(sc) - 1e-6


def engine_only_plan(sc: Scenario) -> TransportPlan:
    """The checked plan with the exact small-school path switched off."""
    saved = planner.EXACT_MAX_CHILDREN
    planner.EXACT_MAX_CHILDREN = 0
    try:
        return planned_and_checked(sc, iterations=300)
    finally:
        planner.EXACT_MAX_CHILDREN = saved


# Five-child instances on which the engine, starting from PyVRP's unscaled default penalties,
# missed the optimum (11 of the first 40 seeds; the vehicle-type choice dominated).
ENGINE_MISSED_UNSCALED = (6, 7, 8, 11, 19, 21, 23, 29, 32, 33, 39)


@pytest.mark.parametrize("seed", ENGINE_MISSED_UNSCALED)
def test_engine_path_reaches_the_oracle_on_mixed_fleets(seed: int) -> None:
    """Penalties scaled to the cost per second let the engine alone find the proven optimum
    where the exact small-school path used to be needed."""
    sc = scenario(random_children(5, seed, radius_km=5.0))
    assert math.isclose(engine_only_plan(sc).cost_gbp, oracle_cost_gbp(sc), abs_tol=1e-6)


@pytest.mark.parametrize("session", ["am", "pm"])
def test_plans_keep_the_limit_with_own_boarding_counted(session: str) -> None:
    """With ``ride_counts_own_boarding`` the planner leaves room for each child's own loading:
    reported rides include it, stay within every limit, and the checker agrees."""
    kids = random_children(14, 21, schools=("S1",))
    sc = scenario(kids, ride_counts_own_boarding=True)
    p = planned_and_checked(sc, session, iterations=100)  # type: ignore[arg-type]
    limits = {c.child_id: sc.policy.ride_limit_min(c) for c in kids}
    for r in p.routes:
        call = r.school_time_min
        for s in r.stops:
            # AM: from the start of boarding to arrival; PM: leaving school to alighting done.
            counted = call - s.time_min if session == "am" else s.time_min + s.boarding_min - call
            assert s.ride_min == pytest.approx(counted)
            assert s.ride_min <= limits[s.child_id] + 1e-6
