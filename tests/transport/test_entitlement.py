"""Transport entitlement rules (issue 12): each rule on both sides of its limit, applying the
offers, and the KPIs (cost per transported child, solo share) recomputed by hand."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from strategies import tiny_scenarios
from transport_cases import LAT0, LON0, child, plan, scenario, school

from sendplan.geo.straight_line import EARTH_RADIUS_M, StraightLineModel
from sendplan.routing.kpis import cost_per_transported_child_gbp, solo_share
from sendplan.routing.model import Scenario
from sendplan.routing.summary import Summary, summarise_transport
from sendplan.routing.transport.eligibility import METRES_PER_MILE
from sendplan.routing.transport.entitlement import (
    BOARDER,
    COUNCIL,
    NO_PLACE,
    POST16_NO,
    POST16_PTB,
    POST16_VEHICLE,
    PRE16_FAR,
    PRE16_NEAR,
    PRE16_SEND,
    Entitlement,
    apply_entitlements,
    decide_entitlements,
    summarise_entitlements,
)
from sendplan.routing.transport.plan import Route, RouteStop, TransportPlan

WALK = StraightLineModel(circuity_factor=1.0)
TWO_MILES = 2 * METRES_PER_MILE
THREE_MILES = 3 * METRES_PER_MILE


def east_km(metres: float) -> float:
    """The ``dx_km`` (transport_cases' 1/68 degree of longitude per km) that puts a child
    ``metres`` due east of the school along the great circle (circuity 1)."""
    dlon = 2 * math.asin(math.sin(metres / (2 * EARTH_RADIUS_M)) / math.cos(math.radians(LAT0)))
    return math.degrees(dlon) * 68.0


def kid(child_id: str, metres: float, **kw: Any) -> Any:
    kw.setdefault("transport_eligible", None)
    return child(child_id, east_km(metres), 0, **kw)


def decide(sc: Scenario, **kw: Any) -> dict[str, Entitlement]:
    return {e.child_id: e for e in decide_entitlements(sc, None, WALK, **kw)}


def test_the_distance_builder_is_exact_to_a_millimetre() -> None:
    c = kid("C", TWO_MILES)
    _s, m = WALK.pairs(np.array([[c.lon, c.lat]]), np.array([[LON0, LAT0]]))
    assert abs(float(m[0]) - TWO_MILES) < 1e-3


def test_two_miles_under_8_one_metre_either_side() -> None:
    got = decide(
        scenario(
            [
                kid("IN7", TWO_MILES - 1, age=7),
                kid("OUT7", TWO_MILES + 1, age=7),
                kid("OUT8", TWO_MILES + 1, age=8),  # 2 miles is no limit at 8
            ]
        )
    )
    assert (got["IN7"].offer, got["IN7"].reason) == ("none", PRE16_NEAR)
    assert (got["OUT7"].offer, got["OUT7"].reason) == ("seat", PRE16_FAR)
    assert (got["OUT8"].offer, got["OUT8"].reason) == ("none", PRE16_NEAR)
    assert abs((got["IN7"].walk_distance_m or 0) - (TWO_MILES - 1)) < 1e-3
    assert got["OUT7"].ptb_gbp_per_year is None


def test_three_miles_from_8_one_metre_either_side() -> None:
    got = decide(
        scenario(
            [
                kid("IN8", THREE_MILES - 1, age=8),
                kid("OUT8", THREE_MILES + 1, age=8),
                kid("IN15", THREE_MILES - 1, age=15),
                kid("OUT15", THREE_MILES + 1, age=15),
            ]
        )
    )
    assert {k: e.offer for k, e in got.items()} == {
        "IN8": "none", "OUT8": "seat", "IN15": "none", "OUT15": "seat",
    }  # fmt: skip


def test_walking_limits_are_policy_fields() -> None:
    kids = [kid("A", TWO_MILES + 1, age=7), kid("B", 1000, age=9)]
    got = decide(
        scenario(kids, walking_distance_under8_miles=2.5, walking_distance_from8_miles=0.5)
    )
    assert got["A"].offer == "none" and got["B"].offer == "seat"


def test_age_15_walks_by_the_statute_age_16_needs_complex_send() -> None:
    far = THREE_MILES + 1
    got = decide(scenario([kid("P15", far, age=15), kid("P16", far, age=16)]))
    assert (got["P15"].offer, got["P15"].reason) == ("seat", PRE16_FAR)
    assert (got["P16"].offer, got["P16"].reason) == ("none", POST16_NO)
    # The post-16 age is a policy field: at 17, a 16-year-old is under the pre-16 rules.
    later = decide(scenario([kid("P16", far, age=16)], post16_from_age=17))
    assert later["P16"].offer == "seat"


def test_sen_proxy_gives_a_pre16_seat_within_walking_distance() -> None:
    got = decide(
        scenario(
            [
                kid("WC", 500, age=10, wheelchair=True),
                kid("PA", 500, age=10, needs_assistant=True),
                kid("NONE", 500, age=10),
            ]
        )
    )
    assert (got["WC"].offer, got["WC"].reason) == ("seat", PRE16_SEND)
    assert (got["PA"].offer, got["PA"].reason) == ("seat", PRE16_SEND)
    assert got["NONE"].offer == "none"


def test_post16_wheelchair_seat_assistant_budget_at_the_post16_rate() -> None:
    drive = StraightLineModel(circuity_factor=1.3)
    sc = scenario(
        [
            kid("WC", 5000, age=17, wheelchair=True, needs_assistant=True),
            kid("PA", 5000, age=17, needs_assistant=True),
            kid("PA15", 5000, age=15, needs_assistant=True),
        ],
        ptb_pence_per_mile=45.0,
        ptb_annual_gbp=500.0,
        ptb_pre16_pence_per_mile=99.0,
        ptb_pre16_annual_gbp=999.0,
    )
    got = decide(sc, drive=drive)
    assert (got["WC"].offer, got["WC"].reason) == ("seat", POST16_VEHICLE)
    assert (got["PA"].offer, got["PA"].reason) == ("ptb", POST16_PTB)
    assert got["PA15"].offer == "seat"  # pre-16: the SEN proxy, not a budget
    # Mileage on the drive model (1.3 x 5 km), 4 single trips a day, 190 days, 45p + £500.
    miles = 4 * 1.3 * 5000 / METRES_PER_MILE * 190
    assert math.isclose(got["PA"].ptb_gbp_per_year or 0, 500 + 0.45 * miles, rel_tol=1e-9)
    assert abs((got["PA"].walk_distance_m or 0) - 5000) < 1e-3  # walk distance kept apart
    assert got["WC"].ptb_gbp_per_year is None
    # Without a drive model the walk model's distance is the mileage.
    plain = decide(sc)["PA"].ptb_gbp_per_year or 0
    assert math.isclose(plain, 500 + 0.45 * miles / 1.3, rel_tol=1e-9)


def test_council_decisions_are_taken_as_given() -> None:
    got = decide(
        scenario(
            [
                kid("YES", 100, age=17, transport_eligible=True),  # near, post-16, not complex
                kid("NO", 20_000, age=7, transport_eligible=False, wheelchair=True),
            ]
        )
    )
    assert (got["YES"].offer, got["YES"].reason) == ("seat", COUNCIL)
    assert (got["NO"].offer, got["NO"].reason) == ("none", COUNCIL)


def test_boarders_and_children_without_a_place() -> None:
    schools = [school("S1", residential_places=5), school("S2", 1, 0)]
    got = decide(
        scenario(
            [
                kid("BOARD", 20_000, age=12, residential_need=True),
                kid("DAY", 20_000, age=12, residential_need=True, school_id="S2"),
                kid("NOWHERE", 20_000, age=12, school_id=None),
            ],
            schools,
        )
    )
    assert (got["BOARD"].offer, got["BOARD"].reason) == ("boarder", BOARDER)
    assert got["BOARD"].school_id == "S1" and got["BOARD"].walk_distance_m is None
    assert got["DAY"].offer == "seat"  # no residential place at S2: a day pupil
    assert (got["NOWHERE"].offer, got["NOWHERE"].reason) == ("none", NO_PLACE)


class CountingModel:
    """A travel model that counts its calls and the points asked."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.name = "counting"

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        self.calls.append(len(origins))
        return WALK.pairs(origins, destinations)

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        raise AssertionError("not used")


def test_distances_come_in_one_batch_per_model() -> None:
    kids = [kid(f"C{i}", 1000 * (i + 1), age=6 + i) for i in range(12)]
    kids.append(kid("PTB", 4000, age=18, needs_assistant=True))
    walk, drive = CountingModel(), CountingModel()
    decide_entitlements(scenario(kids), None, walk, drive=drive)
    assert walk.calls == [13] and drive.calls == [1]


def test_summary_counts_and_spend() -> None:
    sc = scenario(
        [
            kid("A", 100, age=7),
            kid("B", 20_000, age=7),
            kid("C", 3000, age=17, needs_assistant=True),
            kid("D", 6000, age=19, needs_assistant=True),
        ]
    )
    ents = decide_entitlements(sc, None, WALK)
    s = summarise_entitlements(ents)
    assert s["entitlements_by_offer"] == {"seat": 1, "ptb": 2, "none": 1, "boarder": 0}
    assert s["entitlements_by_reason"] == {PRE16_NEAR: 1, POST16_PTB: 2, PRE16_FAR: 1}
    miles = 4 * 9000 / METRES_PER_MILE * 190
    assert math.isclose(s["ptb_gbp_per_year"], round(2 * 500 + 0.45 * miles, 2))


def test_apply_gives_the_planner_concrete_decisions() -> None:
    sc = scenario(
        [
            kid("NEAR", 100, age=7),
            kid("FAR", 20_000, age=7),
            kid("KEEP", 100, transport_eligible=True),
        ]
    )
    done = apply_entitlements(sc, decide_entitlements(sc, None, WALK))
    assert {c.child_id: c.transport_eligible for c in done.children} == {
        "NEAR": False, "FAR": True, "KEEP": True,
    }  # fmt: skip
    try:
        apply_entitlements(sc, ())
    except ValueError as err:
        assert "FAR" in str(err) or "NEAR" in str(err)
    else:
        raise AssertionError("an undecided child without an entitlement must be an error")
    # Nothing undecided: no entitlement needed, the scenario comes back equal.
    assert apply_entitlements(done, ()) == done


@settings(max_examples=60, deadline=None)
@given(tiny_scenarios(max_children=6), st.data())
def test_apply_changes_only_transport_eligible(sc: Scenario, data: st.DataObject) -> None:
    choices = st.sampled_from((None, None, True, False))
    sc = dataclasses.replace(
        sc,
        children=tuple(
            dataclasses.replace(c, transport_eligible=data.draw(choices)) for c in sc.children
        ),
    )
    ents = decide_entitlements(sc, None, WALK)
    offers = {e.child_id: e.offer for e in ents}
    assert set(offers) == {c.child_id for c in sc.children}
    done = apply_entitlements(sc, ents)
    assert dataclasses.replace(done, children=sc.children) == sc
    for before, after in zip(sc.children, done.children, strict=True):
        assert dataclasses.replace(after, transport_eligible=before.transport_eligible) == before
        if before.transport_eligible is None:
            assert after.transport_eligible == (offers[before.child_id] == "seat")
        else:
            assert after.transport_eligible is before.transport_eligible


def route(route_id: str, kids: tuple[str, ...], cost: float, session: Any = "am") -> Route:
    stops = tuple(RouteStop(k, 480.0, 10.0, 2.0) for k in kids)
    return Route(route_id, "taxi", "S1", session, stops, 470.0, 500.0, 530.0, 1e4, cost, False)


def runs(session: Any, *riders: tuple[str, ...]) -> TransportPlan:
    """One session's plan of hand-made runs, one per rider tuple."""
    routes = tuple(route(f"{session}{n}", kids, 50.0, session) for n, kids in enumerate(riders))
    return TransportPlan(session, routes, (), "straight-line", 1, "hand")


def test_solo_share_counts_pre16_children_alone_in_every_session() -> None:
    sc = scenario(
        [
            kid("A", 5000, age=9),
            kid("B", 5000, age=9),
            kid("C", 5000, age=9),
            kid("D", 5000, age=12),
            kid("OLD", 5000, age=17, wheelchair=True),
        ]
    )
    am = runs("am", ("A",), ("B", "C"), ("D",), ("OLD",))
    pm = runs("pm", ("A",), ("B",), ("C", "D"), ("OLD",))
    # AM only: A and D alone of A, B, C, D (OLD is post-16: not counted).
    assert solo_share(sc, [am]) == 2 / 4
    # Both sessions: only A rides alone in every run; D and B share one of theirs.
    assert solo_share(sc, [am, pm]) == 1 / 4
    assert solo_share(sc, []) is None
    assert solo_share(sc, [runs("am", ("OLD",))]) is None


def test_cost_per_transported_child_by_hand_on_a_tiny_plan() -> None:
    kids = [
        kid("ALONE", 4000, age=12, travel_alone=True, transport_eligible=True),
        *(kid(f"C{i}", 6000 + 200 * i, age=10, transport_eligible=True) for i in range(3)),
    ]
    sc = scenario(kids)
    p = plan(sc)
    route_year = sum(r.cost_gbp for r in p.routes) * 2 * 190  # AM only: doubled for the day
    fields = summarise_transport(sc, [p], checker_ok=True)
    assert fields["transported"] == 4
    assert math.isclose(fields["transport_cost_gbp_per_year"], round(route_year, 2))
    ptb = [Entitlement("P1", "S1", "ptb", POST16_PTB, 1.0, 1234.5)]
    ignored = [Entitlement("N1", "S1", "none", POST16_NO, 1.0, None)]
    summary = Summary(children=6, **fields)  # no placement solved: boarders not costed
    expected = (fields["transport_cost_gbp_per_year"] + 1234.5) / (4 + 1)
    got = cost_per_transported_child_gbp(summary, ptb + ignored)
    assert got is not None and math.isclose(got, round(expected, 2))
    with_boarders = dataclasses.replace(summary, boarders=2, boarder_transport_gbp_per_year=800.0)
    expected = (fields["transport_cost_gbp_per_year"] + 1234.5 + 800.0) / (4 + 1 + 2)
    got = cost_per_transported_child_gbp(with_boarders, ptb)
    assert got is not None and math.isclose(got, round(expected, 2))
    alone = sum(len(r.child_ids) == 1 for r in p.routes)
    assert alone >= 1 and solo_share(sc, [p]) == alone / 4  # ALONE rides alone
    assert cost_per_transported_child_gbp(Summary(children=6), ptb) is None
    nobody = Summary(children=0, transported=0, transport_cost_gbp_per_year=0.0)
    assert cost_per_transported_child_gbp(nobody, ()) is None
