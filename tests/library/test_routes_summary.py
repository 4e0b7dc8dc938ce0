"""A routes run (children at their current schools, no placement of its own): placement-only
figures are null, not 0; cross-border and boarders come from the current schools, recomputed
here by hand, and the cost per transported child counts the boarders as a placement run does."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from strategies import make_child, make_school

import sendplan
from sendplan.routing.model import Scenario, VehicleType

SCHOOLS = (
    make_school("NEAR", 1.0, capacity=30),
    make_school("HOME", 5.0, capacity=30, residential_places=5, type="non_maintained"),
    make_school("OVER", 9.0, capacity=30, la_code="855", in_area=False),
)
FLEET = (
    VehicleType(name="taxi", seats=4, wheelchair_spaces=0, has_assistant=True,
                fixed_cost_gbp=60.0, cost_per_km_gbp=1.2, available=20,
                depot_lon=-1.13, depot_lat=52.64),
)  # fmt: skip


def scenario() -> Scenario:
    kids = (
        # Daily riders (the policy decides), one from another LA at NEAR.
        make_child("C01", 6.0, current_school="NEAR", transport_eligible=None),
        make_child("C02", 7.0, current_school="NEAR", transport_eligible=None, home_la="855"),
        make_child("C03", -4.0, current_school="OVER", transport_eligible=None),
        make_child("C04", -6.0, current_school="OVER", transport_eligible=None, home_la="855"),
        # Boarders: a residential need at a school with residential places.
        make_child("B01", 30.0, current_school="HOME", residential_need=True),
        make_child("B02", -20.0, current_school="HOME", residential_need=True, home_la="857"),
        # A residential need at a day school: a daily rider, not a boarder.
        make_child("D01", 3.0, current_school="NEAR", residential_need=True),
        # Post-16, needs an assistant, no wheelchair: a personal budget.
        make_child("P01", 12.0, current_school="NEAR", age=17, needs_assistant=True,
                   transport_eligible=None),
    )  # fmt: skip
    return Scenario(name="routes-only", children=kids, schools=SCHOOLS, fleet=FLEET)


@pytest.fixture(scope="module")
def result() -> sendplan.Result:
    return sendplan.solve(
        scenario(), sessions=("am",), stop=sendplan.MaxIterations(20), placement="current"
    )


def test_placement_only_figures_are_null_not_zero(result: sendplan.Result) -> None:
    s = result.summary
    assert result.placement is None
    data = json.loads(json.dumps(s.to_dict()))
    for key in ("placed", "placed_residential", "classes", "arcs", "over_capacity_places"):
        assert data[key] is None, key


def test_cross_border_counts_children_at_a_school_in_another_la(result: sendplan.Result) -> None:
    sc = scenario()
    la = {s.school_id: s.la_code for s in sc.schools}
    by_hand = sum(1 for c in sc.children if la[str(c.current_school)] != c.home_la)
    # C02 (855 at 856), C03 (856 at 855), B02 (857 at 856); C04 is 855 at 855.
    assert by_hand == 3
    assert result.summary.placed_cross_border == by_hand


def test_boarders_and_cost_per_child_match_a_recomputation(result: sendplan.Result) -> None:
    sc = scenario()
    s = result.summary
    policy = sc.policy
    residential = {x.school_id for x in sc.schools if x.residential_places > 0}
    boarding = [c for c in sc.children if c.residential_need and c.current_school in residential]
    schools = {x.school_id: x for x in sc.schools}
    homes = np.array([(c.lon, c.lat) for c in boarding])
    at = [schools[str(c.current_school)] for c in boarding]
    metres = result.travel.pairs(homes, np.array([(x.lon, x.lat) for x in at]))[1].tolist()
    boarder_gbp = sum(
        policy.boarder_journeys_per_year * policy.transport_gbp_per_km * m / 1000 for m in metres
    )
    assert s.boarders == len(boarding) == 2
    assert s.entitlements_by_offer is not None and s.entitlements_by_offer["boarder"] == 2
    assert s.boarder_transport_gbp_per_year == pytest.approx(boarder_gbp, abs=0.005)
    assert boarder_gbp > 0
    # Routes, budgets and boarders over the children they serve.
    on_routes = {c for p in result.transport for r in p.routes for c in r.child_ids}
    route_year = sum(p.cost_gbp for p in result.transport) * 2 * policy.school_days_per_year
    assert s.ptb_gbp_per_year is not None and s.entitlements_by_offer["ptb"] == 1
    expected = (route_year + s.ptb_gbp_per_year + boarder_gbp) / (len(on_routes) + 1 + 2)
    assert s.cost_per_transported_child_gbp is not None
    assert math.isclose(s.cost_per_transported_child_gbp, expected, abs_tol=0.011)
    without = (route_year + s.ptb_gbp_per_year) / (len(on_routes) + 1)
    assert abs(s.cost_per_transported_child_gbp - without) > 0.02  # boarders change it


def test_a_solved_placement_still_counts_its_own_boarders() -> None:
    r = sendplan.solve(scenario(), sessions=("am",), stop=sendplan.MaxIterations(20))
    s = r.summary
    assert r.placement is not None
    assert s.placed == 8 and s.classes is not None and s.arcs is not None
    residential = sum(a.residential for a in r.placement.assignments)
    assert s.boarders == s.placed_residential == residential >= 2
    assert s.over_capacity_places == 0 and s.placed_cross_border is not None
