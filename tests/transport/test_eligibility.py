"""Walking-distance review flags and personal transport budgets beside a seat's cost."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from transport_cases import TRAVEL, child, plan, scenario

from sendplan.api.loader import load_scenario
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Policy
from sendplan.routing.transport.eligibility import (
    METRES_PER_MILE,
    ptb_gbp_per_year,
    ptb_options,
    ptb_rate,
    walking_distance_flags,
)
from sendplan.routing.transport.entitlement import apply_entitlements, decide_entitlements
from sendplan.routing.transport.planner import school_of_children


def road_m(dx_km: float) -> float:
    c = child("X", dx_km, 0)
    s = scenario([c]).schools[0]
    _s, m = TRAVEL.pairs(np.array([[c.lon, c.lat]]), np.array([[s.lon, s.lat]]))
    return float(m[0])


def test_statutory_walking_distances_by_age() -> None:
    # straight-line km east of school, with circuity 1.3: 1.9 km ~ 1.5 miles, 3.1 km ~ 2.5 miles
    kids = [
        child("YOUNG_NEAR", 1.9, 0, age=7),
        child("YOUNG_MID", 3.1, 0, age=7),
        child("OLD_MID", 3.1, 0, age=9),
        child("OLD_FAR", 4.5, 0, age=9),
    ]
    sc = scenario(kids)
    flagged = {
        f.child_id: f for f in walking_distance_flags(sc, school_of_children(sc, None), TRAVEL)
    }
    assert road_m(1.9) < 2 * METRES_PER_MILE < road_m(3.1) < 3 * METRES_PER_MILE < road_m(4.5)
    assert set(flagged) == {"YOUNG_NEAR", "OLD_MID"}
    assert math.isclose(flagged["YOUNG_NEAR"].limit_m, 2 * METRES_PER_MILE)
    assert math.isclose(flagged["OLD_MID"].limit_m, 3 * METRES_PER_MILE)


def test_ptb_cost_and_seat_cost() -> None:
    assert math.isclose(
        ptb_gbp_per_year(METRES_PER_MILE, pence_per_mile=50, annual_gbp=100, days=190),
        100 + 0.5 * 4 * 190,
    )
    kids = [child("ALONE", 4, 0, travel_alone=True)] + [
        child(f"C{i}", 1, 0.2 * i) for i in range(4)
    ]
    sc = scenario(kids)
    p = plan(sc)
    options = {o.child_id: o for o in ptb_options(sc, school_of_children(sc, None), TRAVEL, [p])}
    alone = p.route_of("ALONE")
    assert alone is not None
    # A solo child's seat costs the whole run, twice a day (only AM planned), every school day,
    # both on average and at the margin.
    for cost in (options["ALONE"].seat_marginal_gbp_per_year,
                 options["ALONE"].seat_average_gbp_per_year):  # fmt: skip
        assert math.isclose(cost or 0, alone.cost_gbp * 2 * 190)
    shared = options["C1"]
    run = p.route_of("C1")
    assert run is not None and len(run.stops) > 1
    # Average: the run's cost shared by its riders; marginal: only the detour to this stop.
    assert math.isclose(
        shared.seat_average_gbp_per_year or 0, run.cost_gbp / len(run.stops) * 2 * 190
    )
    marginal = shared.seat_marginal_gbp_per_year
    assert marginal is not None and 0 <= marginal < run.cost_gbp * 380
    d = options["ALONE"].distance_m
    assert math.isclose(
        options["ALONE"].ptb_gbp_per_year,
        sc.policy.ptb_annual_gbp
        + sc.policy.ptb_pence_per_mile / 100 * 4 * d / METRES_PER_MILE * 190,
    )
    # "PTB cheaper" is judged against the average, not the (usually far lower) marginal cost.
    for o in options.values():
        assert o.ptb_cheaper == (
            o.seat_average_gbp_per_year is not None
            and o.ptb_gbp_per_year < o.seat_average_gbp_per_year
        )


def test_new_policy_fields_round_trip_through_the_writer_and_loader(tmp_path: Path) -> None:
    policy = Policy(
        pm_departure_after_finish_min=7.0,
        ptb_pence_per_mile=30.0,
        ptb_annual_gbp=250.0,
        ptb_pre16_pence_per_mile=20.0,
        ptb_pre16_annual_gbp=150.0,
        post16_from_age=17,
    )
    sc = dataclasses.replace(scenario([child("C1", 1, 1)]), policy=policy)
    write_scenario(sc, tmp_path / "s")
    assert load_scenario(tmp_path / "s").policy == policy


def test_walking_flags_are_for_pre16_children_only() -> None:
    # Both live ~1.5 miles away; the statutory walking distance is for compulsory school age.
    kids = [child("AGE15", 1.9, 0, age=15), child("AGE16", 1.9, 0, age=16)]
    sc = scenario(kids)
    flagged = {f.child_id for f in walking_distance_flags(sc, school_of_children(sc, None), TRAVEL)}
    assert flagged == {"AGE15"}
    later = scenario(kids, post16_from_age=17)
    flagged = {
        f.child_id for f in walking_distance_flags(later, school_of_children(later, None), TRAVEL)
    }
    assert flagged == {"AGE15", "AGE16"}


def test_ptb_options_use_the_rate_for_the_age() -> None:
    rates = dict(
        ptb_pence_per_mile=45.0,
        ptb_annual_gbp=500.0,
        ptb_pre16_pence_per_mile=30.0,
        ptb_pre16_annual_gbp=200.0,
    )
    sc = scenario([child("AGE15", 5, 0, age=15), child("AGE16", 5, 0, age=16)], **rates)
    assert ptb_rate(sc.policy, 15) == (30.0, 200.0)
    assert ptb_rate(sc.policy, 16) == (45.0, 500.0)
    options = {o.child_id: o for o in ptb_options(sc, school_of_children(sc, None), TRAVEL, [])}
    miles = 4 * road_m(5) / METRES_PER_MILE * 190
    assert math.isclose(options["AGE15"].ptb_gbp_per_year, 200.0 + 0.30 * miles)
    assert math.isclose(options["AGE16"].ptb_gbp_per_year, 500.0 + 0.45 * miles)
    assert options["AGE15"].seat_average_gbp_per_year is None  # no plan given


def test_review_after_entitlements_does_not_count_a_child_twice() -> None:
    """A child the rules left within walking distance, or gave a post-16 budget, is not
    eligible after ``apply_entitlements``: the review neither flags them nor offers a budget."""
    kids = [
        child("NEAR", 1.0, 0, age=10, transport_eligible=None),
        child("NEAR_PA", 1.0, 0.1, age=10, needs_assistant=True, transport_eligible=None),
        child("POST16_PA", 6.0, 0, age=17, needs_assistant=True, transport_eligible=None),
        child("FAR", 6.0, 0.1, age=10, transport_eligible=None),
    ]
    sc = scenario(kids)
    done = apply_entitlements(sc, decide_entitlements(sc, None, TRAVEL))
    school_of = school_of_children(done, None)
    assert set(school_of) == {"NEAR_PA", "FAR"}
    flags = walking_distance_flags(done, school_of, TRAVEL)
    assert [f.child_id for f in flags] == ["NEAR_PA"]  # a seat by the SEN proxy: reviewed
    options = ptb_options(done, school_of, TRAVEL, [])
    assert sorted(o.child_id for o in options) == ["FAR", "NEAR_PA"]
