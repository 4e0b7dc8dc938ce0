"""The mixed phase's group caps (``mixed.MAX_JOBS``, ``mixed.MAX_SCHOOLS``), both sides."""

from __future__ import annotations

from transport_cases import TRAVEL, school

from sendplan.routing.model import Policy
from sendplan.routing.transport.mixed import MAX_JOBS, MAX_SCHOOLS, group_schools

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
