"""The mixed phase's group caps (``mixed.MAX_JOBS``, ``mixed.MAX_SCHOOLS``) and the vehicles
its searches are offered, both sides."""

from __future__ import annotations

import math
from collections import Counter

from transport_cases import TRAVEL, child, fleet, plan, scenario, school

from sendplan.routing.model import Policy
from sendplan.routing.transport.layouts import kind_key, vehicle_kinds
from sendplan.routing.transport.mixed import (
    MAX_JOBS,
    MAX_SCHOOLS,
    SPARE_VEHICLE_SHARE,
    _offered,
    group_schools,
)

NEAR = [school(f"S{i}", 0.3 * i, 0) for i in range(MAX_SCHOOLS + 1)]


def test_a_group_holds_at_most_max_jobs() -> None:
    pair = NEAR[:2]
    at_cap = {"S0": MAX_JOBS - 80, "S1": 80}
    assert group_schools(pair, at_cap, TRAVEL, policy=Policy(), session="am") == [["S0", "S1"]]
    over = {"S0": MAX_JOBS - 79, "S1": 80}
    assert group_schools(pair, over, TRAVEL, policy=Policy(), session="am") == []


def test_a_150_job_school_may_join_an_80_job_neighbour() -> None:
    """The Leicester default's largest school and its neighbour, never grouped under a 150 cap."""
    jobs = {"S0": 150, "S1": 80}
    assert group_schools(NEAR[:2], jobs, TRAVEL, policy=Policy(), session="am") == [["S0", "S1"]]


def test_a_group_holds_at_most_max_schools() -> None:
    jobs = {s.school_id: 1 for s in NEAR}
    groups = group_schools(NEAR, jobs, TRAVEL, policy=Policy(), session="am")
    # Every pair is near enough: one full group, the last school left with no free partner.
    assert [len(g) for g in groups] == [MAX_SCHOOLS]


def test_a_group_search_is_offered_its_runs_vehicles_and_a_share_more() -> None:
    kids = [child(f"A{i}", 5 + 0.2 * i, 5, school_id="S0") for i in range(9)]
    runs = list(plan(scenario(kids, NEAR[:1])).routes)
    kinds = vehicle_kinds(fleet())
    used = Counter((r.vehicle_type, r.layout) for r in runs)
    spare = max(2, math.ceil(len(runs) * SPARE_VEHICLE_SHARE))
    for v in kinds:
        now = used[kind_key(v)]
        assert _offered(v, runs, 50) == now + spare
        # Never more than the type has free, never fewer than its runs hold.
        assert _offered(v, runs, now) == now
        assert _offered(v, runs, now + 1) == now + 1
