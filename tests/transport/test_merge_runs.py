"""Merging two runs into one on a larger vehicle (``merge_runs.py``): the engine alone keeps two
taxis where one minibus is cheaper; the merge finds it, and never breaks a ride limit, a
never-together pair or the vehicles left."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transport_cases import (
    check,
    child,
    instances,
    plan,
    random_children,
    scenario,
    school,
    vehicle,
)

from sendplan.routing.model import Scenario
from sendplan.routing.transport import planner
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.merge_runs import merge_runs
from sendplan.routing.transport.plan import Route

TAXI = vehicle("taxi", 4, 0, False, 18.0, 1.80)
BUS = vehicle("bus", 8, 1, True, 30.0, 1.00, 1)


def _near(n: int = 8, **kw: Any) -> Scenario:
    kids = [child(f"A{i}", 0.3 * (i % 4), 0.3 * (i // 4), **kw) for i in range(n)]
    return scenario(kids, [school()], (TAXI, BUS))


def _taxis_only(sc: Scenario) -> tuple[Route, ...]:
    return plan(scenario(list(sc.children), list(sc.schools), (TAXI,)), iterations=100).routes


def test_two_taxi_runs_become_one_minibus_run() -> None:
    sc = _near()
    taxis = _taxis_only(sc)
    assert [r.vehicle_type for r in taxis] == ["taxi", "taxi"]
    remaining = {"taxi": 48, "bus": 1}
    merged = merge_runs(taxis, instances(sc), vehicle_kinds(sc.fleet), remaining,
                        session="am", policy=sc.policy)  # fmt: skip
    assert [r.vehicle_type for r in merged] == ["bus"]
    assert remaining == {"taxi": 50, "bus": 0}
    assert merged[0].cost_gbp < sum(r.cost_gbp for r in taxis) - 15


def test_the_planner_ends_with_the_minibus_run() -> None:
    sc = _near()
    p = plan(sc, iterations=300)
    assert check(sc, p).ok
    assert [r.vehicle_type for r in p.routes] == ["bus"]


def test_no_minibus_left_means_no_merge() -> None:
    sc = _near()
    taxis = _taxis_only(sc)
    remaining = {"taxi": 48, "bus": 0}
    same = merge_runs(taxis, instances(sc), vehicle_kinds(sc.fleet), remaining,
                      session="am", policy=sc.policy)  # fmt: skip
    assert same == list(taxis) and remaining == {"taxi": 48, "bus": 0}


def test_a_never_together_pair_in_the_two_runs_is_not_merged() -> None:
    sc = _near()
    taxis = _taxis_only(sc)
    a, b = taxis[0].child_ids[0], taxis[1].child_ids[0]
    pair = {a: (b,), b: (a,)}
    kids = [replace(c, never_with=pair.get(c.child_id, ())) for c in sc.children]
    apart = scenario(kids, list(sc.schools), sc.fleet)
    same = merge_runs(taxis, instances(apart), vehicle_kinds(apart.fleet),
                      {"taxi": 48, "bus": 1}, session="am", policy=apart.policy)  # fmt: skip
    assert [r.vehicle_type for r in same] == ["taxi", "taxi"]


def test_a_merge_that_breaks_a_ride_limit_is_not_made() -> None:
    """Both sides of the limit: the merged run's longest ride is the limit to the second."""
    sc = _near()
    taxis = _taxis_only(sc)
    merged = merge_runs(taxis, instances(sc), vehicle_kinds(sc.fleet), {"taxi": 48, "bus": 1},
                        session="am", policy=sc.policy)  # fmt: skip
    longest = max(s.ride_min for s in merged[0].stops)
    for limit, runs in ((longest + 0.5, 1), (longest - 0.5, 2)):
        tight = _near(ride_limit_min=limit)
        got = merge_runs(taxis, instances(tight), vehicle_kinds(tight.fleet),
                         {"taxi": 48, "bus": 1}, session="am", policy=tight.policy)  # fmt: skip
        assert len(got) == runs
        assert all(s.ride_min <= limit for r in got for s in r.stops)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(6, 18), st.sampled_from(["am", "pm"]))
def test_merged_plans_pass_the_checker_and_cost_no_more(seed: int, n: int, session: str) -> None:
    kids = random_children(n, seed, radius_km=4.0, schools=("S1", "S2"))
    sc = scenario(kids, [school("S1"), school("S2", 1.0, 1.0)],
                  (TAXI, vehicle("taxi_pa", 3, 0, True, 53.0, 1.8), BUS,
                   vehicle("wav", 4, 1, False, 25.0, 2.2)))  # fmt: skip
    p = plan(sc, session, iterations=30)  # type: ignore[arg-type]
    report = check(sc, p)
    assert report.ok, report.violations
    with pytest.MonkeyPatch.context() as m:
        m.setattr(planner, "merge_runs", lambda routes, *a, **k: list(routes))
        unmerged = plan(sc, session, iterations=30)  # type: ignore[arg-type]
    assert p.cost_gbp <= unmerged.cost_gbp + 1e-6
