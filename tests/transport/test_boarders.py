"""Boarders (residential places) travel weekly or termly: never on daily routes, costed by the
policy's journeys per year, and never unplaceable for the daily travel cap (issue 11)."""

from __future__ import annotations

import dataclasses

import pytest

import sendplan
from sendplan.routing.summary import boarder_journey_gbp
from sendplan.routing.transport.planner import boarders, school_of_children


@pytest.fixture(scope="module")
def result(results: dict[str, sendplan.Result]) -> sendplan.Result:
    """The Leicester default placed and routed (both sessions), shared with the report tests."""
    return results["demo"]


def test_boarders_are_never_on_a_daily_route(result: sendplan.Result) -> None:
    assert result.placement is not None
    boarding = boarders(result.scenario, result.placement)
    assert boarding, "the Leicester default has residential placements"
    assert boarding == {a.child_id: a.school_id for a in result.placement.assignments
                        if a.residential}  # fmt: skip
    on_routes = {c for p in result.transport for r in p.routes for c in r.child_ids}
    unrouted = {u.child_id for p in result.transport for u in p.unrouted}
    assert not (set(boarding) & (on_routes | unrouted))
    assert not set(boarding) & set(school_of_children(result.scenario, result.placement))


def test_boarders_are_costed_by_journeys_per_year(result: sendplan.Result) -> None:
    assert result.placement is not None
    policy = result.scenario.policy
    expected = sum(
        policy.boarder_journeys_per_year * policy.transport_gbp_per_km * a.distance_m / 1000
        for a in result.placement.assignments
        if a.residential
    )
    s = result.summary
    assert s.boarders == len(boarders(result.scenario, result.placement))
    assert s.boarder_transport_gbp_per_year == pytest.approx(expected, abs=0.01)
    termly = dataclasses.replace(policy, boarder_journeys_per_year=12)
    assert boarder_journey_gbp(10_000.0, termly) == pytest.approx(12 * 10 * 1.5)


def test_without_a_placement_boarders_come_from_residential_need_and_places() -> None:
    scenario = sendplan.leicester_scenario(seed=2, n_children=80)
    residential = next(s for s in scenario.schools if s.residential_places > 0)
    day = next(s for s in scenario.schools if s.residential_places == 0)
    # The default cohort has boarders of its own (a residential need at a current school with
    # residential places): none here but the two children below, so the expectation is exact.
    kids = [dataclasses.replace(c, residential_need=False) for c in scenario.children]
    kids[0] = dataclasses.replace(
        kids[0], residential_need=True, current_school=residential.school_id
    )
    kids[1] = dataclasses.replace(kids[1], residential_need=True, current_school=day.school_id)
    sc = dataclasses.replace(scenario, children=tuple(kids))
    assert boarders(sc, None) == {kids[0].child_id: residential.school_id}
