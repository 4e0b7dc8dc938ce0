"""The SEND route checker on both sides of every limit, for AM and PM, solo and shared runs,
walk-on and wheelchair riders, both signs of every reported figure, and the flags that could
excuse a breach. Each plan is built by hand on a tight schedule, so only the planted fault (or
nothing, just inside a limit) stands.

Travel is linear in the lon + lat offset on exact binary fractions: 2**-6 degree is exactly one
minute (and 1,000 m), so rides can sit exactly on a limit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import NDArray

from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType
from sendplan.routing.transport.check import TransportCheck, check_transport
from sendplan.routing.transport.plan import (
    Route,
    RouteFlag,
    RouteStop,
    SchoolCall,
    Session,
    TransportPlan,
    Unrouted,
    UnroutedReason,
)

LON, LAT = -1.0, 52.5
MINUTE = 2.0**-6  # degrees
EPS = 2.0**-12  # minutes: far above float noise, far below any tolerance that matters


class LinearTravel:
    """One minute and 1 km per 2**-6 degree of lon + lat offset."""

    name = "linear-test"

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        minutes = np.abs(np.asarray(destinations) - np.asarray(origins)).sum(axis=1) / MINUTE
        return minutes * 60.0, minutes * 1000.0

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        o, d = np.asarray(origins), np.asarray(destinations)
        minutes = np.abs(d[None, :, :] - o[:, None, :]).sum(axis=2) / MINUTE
        return minutes * 60.0, minutes * 1000.0


TRAVEL = LinearTravel()
BELL, FINISH = 9 * 60, 15 * 60


def kid(cid: str, minutes_east: float, **kw: object) -> Child:
    values: dict[str, object] = {
        "child_id": cid, "lon": LON + minutes_east * MINUTE, "lat": LAT, "age": 9,
        "primary_need": "ASD", "sex": "M", "current_school": "S1",
    }  # fmt: skip
    values.update(kw)
    return Child(**values)  # type: ignore[arg-type]


def van(name: str = "van", seats: int = 4, spaces: int = 1, pa: bool = False,
        available: int = 10) -> VehicleType:  # fmt: skip
    return VehicleType(name, seats, spaces, pa, 20.0, 2.0, available, LON, LAT)


SCHOOL = School(
    school_id="S1", name="S1", lon=LON, lat=LAT, la_code="856", type="la_maintained",
    age_low=2, age_high=19, designations=frozenset({"ASD"}), capacity=50,
    annual_cost_gbp=20_000.0, bell_am_min=BELL, finish_pm_min=FINISH,
)  # fmt: skip


def scenario(
    kids: Sequence[Child], fleet: Sequence[VehicleType] = (), **policy: object
) -> Scenario:
    return Scenario(name="limits", children=tuple(kids), schools=(SCHOOL,),
                    fleet=tuple(fleet) or (van(),), policy=Policy(**policy))  # type: ignore[arg-type]  # fmt: skip


def leg(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (abs(a[0] - b[0]) + abs(a[1] - b[1])) / MINUTE


def route(
    sc: Scenario,
    ids: Sequence[str],
    session: Session = "am",
    *,
    at: float | None = None,
    vehicle: str | None = None,
    rid: str = "R1",
    flags: tuple[str, ...] = (),
) -> Route:
    """A run through ``ids`` in order on a tight schedule, arriving (AM, default 08:55) or
    leaving (PM, default finish + 10) at ``at``, with every reported figure true."""
    pol = sc.policy
    v = next(x for x in sc.fleet if x.name == (vehicle or sc.fleet[0].name))
    kids = [next(c for c in sc.children if c.child_id == i) for i in ids]
    board = [pol.boarding_wheelchair_min if c.wheelchair else pol.boarding_walk_on_min
             for c in kids]  # fmt: skip
    homes = [(c.lon, c.lat) for c in kids]
    here, depot = (SCHOOL.lon, SCHOOL.lat), (v.depot_lon, v.depot_lat)
    if session == "am":
        arrive = BELL - pol.arrival_window_min[0] if at is None else at
        times, t = [0.0] * len(kids), arrive
        nxt = here
        for k in range(len(kids) - 1, -1, -1):
            t -= leg(homes[k], nxt) + board[k]
            times[k] = t
            nxt = homes[k]
        rides = [arrive - (times[k] + board[k]) for k in range(len(kids))]
        path = [depot, *homes, here, depot]
        start, end, call = times[0] - leg(depot, homes[0]), arrive + leg(here, depot), arrive
    else:
        leave = FINISH + pol.pm_departure_after_finish_min if at is None else at
        times, t, prev = [], leave, here
        for k in range(len(kids)):
            t += leg(prev, homes[k])
            times.append(t)
            t += board[k]
            prev = homes[k]
        rides = [times[k] - leave for k in range(len(kids))]
        path = [depot, here, *homes, depot]
        start, end, call = leave - leg(depot, here), t + leg(homes[-1], depot), leave
    distance = sum(leg(a, b) for a, b in itertools.pairwise(path)) * 1000.0
    return Route(
        route_id=rid, vehicle_type=v.name, school_id="S1", session=session,
        stops=tuple(RouteStop(c.child_id, times[k], rides[k], board[k])
                    for k, c in enumerate(kids)),
        start_min=start, school_time_min=call, end_min=end, distance_m=distance,
        cost_gbp=v.fixed_cost_gbp + v.cost_per_km_gbp * distance / 1000.0,
        assistant=v.has_assistant, solo=bool(flags), flags=flags,
    )  # fmt: skip


def plan_of(
    routes: Sequence[Route], session: Session = "am", unrouted: Sequence[Unrouted] = ()
) -> TransportPlan:
    return TransportPlan(session=session, routes=tuple(routes), unrouted=tuple(unrouted),
                         travel_model=TRAVEL.name, seed=1, engine="test")  # fmt: skip


def check(sc: Scenario, p: TransportPlan) -> TransportCheck:
    school_of = {c.child_id: c.current_school for c in sc.children if c.transport_eligible}
    return check_transport(sc, school_of, TRAVEL, p)


def passes(sc: Scenario, p: TransportPlan) -> None:
    report = check(sc, p)
    assert report.ok, report.violations


def fails(sc: Scenario, p: TransportPlan, *words: str) -> None:
    report = check(sc, p)
    assert any(all(w in v for w in words) for v in report.violations), report.violations


def with_stop(r: Route, k: int, **changes: object) -> Route:
    stops = list(r.stops)
    stops[k] = replace(stops[k], **changes)  # type: ignore[arg-type]
    return replace(r, stops=tuple(stops))


SESSIONS: tuple[Session, ...] = ("am", "pm")


# --- ride limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("session", SESSIONS)
@pytest.mark.parametrize(
    ("extra", "limit", "age", "own"),
    [(45, 45, 9, None), (75, 75, 14, None), (30, 30, 14, 30.0)],
)
def test_a_shared_ride_at_and_just_over_its_limit(
    session: Session, extra: float, limit: float, age: int, own: float | None
) -> None:
    """Two riders; the far one's ride is exactly its limit (passes), then a little more."""
    for over, ok in ((0.0, True), (EPS * 64, False)):
        far = extra - 2 - 1 + over  # + one minute to the near child, + its 2 min boarding
        kids = [kid("NEAR", 1, age=age), kid("FAR", 1 + far, age=age, ride_limit_min=own)]
        sc = scenario(kids)
        ids = ["FAR", "NEAR"] if session == "am" else ["NEAR", "FAR"]
        p = plan_of([route(sc, ids, session)], session)
        ride = next(s.ride_min for s in p.routes[0].stops if s.child_id == "FAR")
        assert ride == pytest.approx(limit + over)
        if ok:
            passes(sc, p)
        else:
            fails(sc, p, "child FAR: ride", f"exceeds limit {limit:g} min")


@pytest.mark.parametrize("session", SESSIONS)
def test_the_over_limit_flag_excuses_only_a_solo_run_whose_direct_journey_is_over(
    session: Session,
) -> None:
    flag = (RouteFlag.DIRECT_RIDE_OVER_LIMIT.value,)
    sc = scenario([kid("FAR", 50), kid("NEAR", 1)])
    passes(sc, plan_of([route(sc, ["FAR"], session, flags=flag),
                        route(sc, ["NEAR"], session, rid="R2")], session))  # fmt: skip
    unflagged = [route(sc, ["FAR"], session), route(sc, ["NEAR"], session, rid="R2")]
    fails(sc, plan_of(unflagged, session), "child FAR: ride 50.0 min exceeds limit 45 min")
    shared = ["FAR", "NEAR"] if session == "am" else ["NEAR", "FAR"]
    fails(sc, plan_of([route(sc, shared, session, flags=flag)], session),
          "child FAR: ride", "exceeds limit 45 min")  # fmt: skip


def test_a_flag_does_not_excuse_a_solo_ride_made_long_by_the_run_itself() -> None:
    """Direct journey 40 min (within 45) but the run arrives late: flagged, still a breach."""
    sc = scenario([kid("C1", 40)])
    r = route(sc, ["C1"], flags=(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value,))
    early = replace(r, start_min=r.start_min - 10)
    slow = with_stop(early, 0, time_min=r.stops[0].time_min - 10, ride_min=r.stops[0].ride_min + 10)
    fails(sc, plan_of([slow]), "child C1: ride 50.0 min exceeds limit 45 min")


@pytest.mark.parametrize("session", SESSIONS)
def test_other_childrens_boarding_counts_in_a_ride(session: Session) -> None:
    """A wheelchair user's 10 minutes of loading add to the ride of whoever is already aboard."""
    sc = scenario([kid("A", 10), kid("WC", 11, wheelchair=True)])
    ids = ["A", "WC"] if session == "am" else ["WC", "A"]
    p = plan_of([route(sc, ids, session)], session)
    rides = {s.child_id: s.ride_min for s in p.routes[0].stops}
    assert rides["A"] == pytest.approx(1 + 10 + 11 if session == "am" else 11 + 10 + 1)
    passes(sc, p)
    who = 0 if session == "am" else 1
    fails(sc, plan_of([with_stop(p.routes[0], who, ride_min=rides["A"] - 10)], session),
          "child A: ride", "reported")  # fmt: skip


@pytest.mark.parametrize(("wheelchair", "stated"), [(True, 2.0), (False, 10.0)])
def test_boarding_time_is_the_policy_s_for_each_kind_of_rider(
    wheelchair: bool, stated: float
) -> None:
    sc = scenario([kid("C1", 5, wheelchair=wheelchair)])
    r = route(sc, ["C1"])
    fails(sc, plan_of([with_stop(r, 0, boarding_min=stated)]), f"boarding {stated} min")


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_reported_ride_over_and_understated(sign: float) -> None:
    sc = scenario([kid("C1", 5)])
    r = route(sc, ["C1"])
    passes(sc, plan_of([with_stop(r, 0, ride_min=r.stops[0].ride_min + sign * 5e-5)]))
    fails(sc, plan_of([with_stop(r, 0, ride_min=r.stops[0].ride_min + sign * 1e-3)]),
          "child C1: ride", "reported")  # fmt: skip


# --- school windows and sessions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrive", "ok"),
    [(BELL - 20, True), (BELL - 20 - EPS * 64, False), (BELL - 5, True),
     (BELL - 5 + EPS * 64, False)],
)  # fmt: skip
def test_am_arrival_window_both_ends(arrive: float, ok: bool) -> None:
    sc = scenario([kid("C1", 5)])
    p = plan_of([route(sc, ["C1"], at=arrive)])
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "arrives at S1", "outside 5-20 min before the 09:00 bell")


@pytest.mark.parametrize(("leave", "ok"), [(FINISH, True), (FINISH - EPS * 64, False)])
def test_pm_departure_not_before_finish(leave: float, ok: bool) -> None:
    sc = scenario([kid("C1", 5)])
    p = plan_of([route(sc, ["C1"], "pm", at=leave)], "pm")
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "leaves S1 at", "before 15:00")


def test_an_am_plan_made_of_pm_runs_is_caught() -> None:
    sc = scenario([kid("C1", 5)])
    fails(sc, plan_of([route(sc, ["C1"], "pm")], "am"), "session pm in a am plan")


def test_an_am_run_calling_at_school_before_its_pick_up_is_caught() -> None:
    sc = scenario([kid("C1", 5)])
    r = route(sc, ["C1"])
    early = replace(r, calls=(SchoolCall("S1", r.school_time_min, 0, ("C1",)),))
    fails(sc, plan_of([early]), "school call S1 is on the wrong side")


# --- times and the depot -------------------------------------------------------------------


@pytest.mark.parametrize("session", SESSIONS)
def test_each_planned_time_leaves_room_for_the_drive(session: Session) -> None:
    sc = scenario([kid("A", 5), kid("B", 8)])
    ids = ["B", "A"] if session == "am" else ["A", "B"]
    r = route(sc, ids, session)
    k = 1  # the second stop in driving order
    passes(sc, plan_of([r], session))
    rushed = with_stop(r, k, time_min=r.stops[k].time_min - EPS * 64)
    fails(sc, plan_of([rushed], session), f"child {ids[k]} at", "cannot be reached")


@pytest.mark.parametrize("session", SESSIONS)
def test_depot_departure_and_return_both_bounds(session: Session) -> None:
    sc = scenario([kid("C1", 5)])
    r = route(sc, ["C1"], session)
    passes(sc, plan_of([replace(r, start_min=r.start_min - 5, end_min=r.end_min + 5)], session))
    fails(sc, plan_of([replace(r, start_min=r.start_min + EPS * 64)], session),
          "leaves the depot too late")  # fmt: skip
    fails(sc, plan_of([replace(r, end_min=r.end_min - EPS * 64)], session),
          "back at the depot before it can be")  # fmt: skip


# --- seats, wheelchair spaces, assistants, travel alone ------------------------------------


@pytest.mark.parametrize(("n", "ok"), [(3, True), (4, False)])
def test_seats_at_and_one_over(n: int, ok: bool) -> None:
    kids = [kid(f"C{k}", 2 + k) for k in range(n)]
    sc = scenario(kids, [van(seats=3, spaces=0)])
    p = plan_of([route(sc, [c.child_id for c in kids])])
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "4 seated children but van has 3 seats")


@pytest.mark.parametrize(("n", "ok"), [(1, True), (2, False)])
def test_wheelchair_spaces_at_and_one_over(n: int, ok: bool) -> None:
    kids = [kid(f"W{k}", 2 + k, wheelchair=True) for k in range(n)]
    sc = scenario(kids, [van(seats=1, spaces=1)])
    p = plan_of([route(sc, [c.child_id for c in kids])])
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "2 wheelchair users but van has 1 wheelchair spaces")


def test_a_wheelchair_user_takes_a_space_not_a_seat() -> None:
    kids = [kid("A", 2), kid("W", 3, wheelchair=True)]
    sc = scenario(kids, [van(seats=1, spaces=1)])
    passes(sc, plan_of([route(sc, ["A", "W"])]))


def refitted() -> VehicleType:
    """A minibus refitted between runs: 8 seats, or 6 and a wheelchair space, or 4 and two."""
    return replace(van("bus", seats=8, spaces=0), layouts=((8, 0), (6, 1), (4, 2)))


@pytest.mark.parametrize(("seated", "chairs", "ok"), [(6, 1, True), (7, 1, False), (5, 2, False)])
def test_a_run_stating_no_layout_takes_the_first_that_fits_its_load(
    seated: int, chairs: int, ok: bool
) -> None:
    """6 + 1 fits the second layout exactly (the first has no space for the chair); 7 + 1 and
    5 + 2 fit none, and the message names the first layout."""
    kids = [kid(f"C{k}", 1 + k) for k in range(seated)]
    kids += [kid(f"W{k}", 1 + seated + k, wheelchair=True) for k in range(chairs)]
    sc = scenario(kids, [refitted()])
    p = plan_of([route(sc, [c.child_id for c in kids])])
    assert p.routes[0].layout == ""
    if ok:
        passes(sc, p)
        return
    assert check(sc, p).violations == (
        f"route R1: {chairs} wheelchair users but bus in layout 8+0 has 0 wheelchair spaces",
    )


def test_a_stated_layout_must_be_one_of_the_type_s() -> None:
    kids = [kid("C1", 2), kid("W1", 3, wheelchair=True)]
    sc = scenario(kids, [refitted()])
    r = route(sc, ["C1", "W1"])
    passes(sc, plan_of([replace(r, layout="6+1")]))
    report = check(sc, plan_of([replace(r, layout="5+1")]))
    assert report.violations == ("route R1: layout '5+1' is not one of bus's (8+0, 6+1, 4+2)",)
    # A stated layout too small for the load is named in the message.
    fails(sc, plan_of([replace(r, layout="8+0")]), "1 wheelchair users but bus in layout 8+0")


@pytest.mark.parametrize(("pa", "ok"), [(True, True), (False, False)])
def test_a_child_who_needs_an_assistant_rides_only_with_one(pa: bool, ok: bool) -> None:
    sc = scenario([kid("C1", 3, needs_assistant=True)], [van(pa=pa)])
    p = plan_of([route(sc, ["C1"])])
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child C1 needs a passenger assistant but van has none")


@pytest.mark.parametrize("pa", [True, False])
def test_the_route_s_assistant_flag_must_match_its_vehicle(pa: bool) -> None:
    sc = scenario([kid("C1", 3)], [van(pa=pa)])
    r = route(sc, ["C1"])
    fails(sc, plan_of([replace(r, assistant=not pa)]), f"assistant={not pa}")


def test_travel_alone_with_exactly_one_other_child_is_caught() -> None:
    sc = scenario([kid("ALONE", 3, travel_alone=True), kid("B", 4)])
    fails(sc, plan_of([route(sc, ["B", "ALONE"], flags=(RouteFlag.TRAVEL_ALONE.value,))]),
          "child ALONE must travel alone but shares with 1 others")  # fmt: skip


def test_travel_alone_solo_must_be_flagged() -> None:
    sc = scenario([kid("ALONE", 3, travel_alone=True)])
    passes(sc, plan_of([route(sc, ["ALONE"], flags=(RouteFlag.TRAVEL_ALONE.value,))]))
    fails(sc, plan_of([route(sc, ["ALONE"])]), "not flagged travel_alone")


def test_solo_and_flags_agree() -> None:
    sc = scenario([kid("C1", 3)])
    r = route(sc, ["C1"])
    fails(sc, plan_of([replace(r, solo=True)]), "solo=True but flags=[]")


@pytest.mark.parametrize(("n", "ok"), [(2, True), (3, False)])
def test_vehicles_used_against_availability(n: int, ok: bool) -> None:
    kids = [kid(f"C{k}", 3 + k) for k in range(n)]
    sc = scenario(kids, [van(available=2)])
    p = plan_of([route(sc, [c.child_id], rid=f"R{k}") for k, c in enumerate(kids)])
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "vehicle type van: 3 routes but 2 exist")


# --- coverage and unrouted reasons ----------------------------------------------------------


def test_no_suitable_vehicle_only_when_no_type_fits() -> None:
    wc = kid("WC", 3, wheelchair=True, needs_assistant=True)
    why = [Unrouted("WC", UnroutedReason.NO_SUITABLE_VEHICLE)]
    no_fit = scenario([wc], [van(spaces=0, pa=True), van("wav", spaces=1, pa=False)])
    passes(no_fit, plan_of([], unrouted=why))
    fits = scenario([wc], [van(spaces=0, pa=True), van("wav_pa", spaces=1, pa=True)])
    fails(fits, plan_of([], unrouted=why), "no_suitable_vehicle but a type suits")


def test_a_child_at_another_school_or_ineligible_is_caught() -> None:
    sc = scenario([kid("C1", 3, current_school=None), kid("C2", 4, transport_eligible=False)])
    fails(sc, plan_of([route(sc, ["C1"])]), "child C1 does not attend S1")
    fails(sc, plan_of([route(sc, ["C2"])]), "child C2: is not a transport-eligible child")
    passes(sc, plan_of([], unrouted=[Unrouted("C1", UnroutedReason.NOT_PLACED)]))


# --- distance and cost: both signs ----------------------------------------------------------


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_distance_and_cost_over_and_understated(sign: float) -> None:
    sc = scenario([kid("C1", 5)])
    r = route(sc, ["C1"])
    legs = 3  # depot -> home -> school -> depot
    passes(sc, plan_of([replace(r, distance_m=r.distance_m + sign * (legs - 0.5))]))
    fails(sc, plan_of([replace(r, distance_m=r.distance_m + sign * (legs + 0.5))]),
          "m reported")  # fmt: skip
    tol = 0.01 + 2.0 * legs / 1000.0
    passes(sc, plan_of([replace(r, cost_gbp=r.cost_gbp + sign * (tol - 0.001))]))
    fails(sc, plan_of([replace(r, cost_gbp=r.cost_gbp + sign * (tol + 0.001))]), "reported")


def test_recomputed_totals_are_returned() -> None:
    sc = scenario([kid("C1", 5), kid("C2", 7)])
    p = plan_of([route(sc, ["C1"]), route(sc, ["C2"], rid="R2")])
    report = check(sc, p)
    assert report.distance_m == pytest.approx(sum(r.distance_m for r in p.routes))
    assert report.cost_gbp == pytest.approx(sum(r.cost_gbp for r in p.routes))
    assert report.rides_min == pytest.approx({"C1": 5.0, "C2": 7.0})


# --- never together, siblings ---------------------------------------------------------------


def test_never_together_pair_on_one_vehicle_and_a_false_flag() -> None:
    sc = scenario([kid("A", 3, never_with=("B",)), kid("B", 4), kid("C", 5)])
    fails(sc, plan_of([route(sc, ["B", "A"]), route(sc, ["C"], rid="R2")]),
          "children A and B must never ride together")  # fmt: skip
    flag = (RouteFlag.NEVER_TOGETHER.value,)
    passes(sc, plan_of([route(sc, ["A"], flags=flag), route(sc, ["C", "B"], rid="R2")]))
    fails(sc, plan_of([route(sc, ["A", "B"][:1]), route(sc, ["C"], rid="R2", flags=flag),
                       route(sc, ["B"], rid="R3")]),
          "flagged never_together but nobody on it has a pair")  # fmt: skip


def test_siblings_split_without_a_reason_are_caught() -> None:
    kids = [kid("S1a", 3, sibling_group="G"), kid("S1b", 3.5, sibling_group="G"), kid("X", 9)]
    sc = scenario(kids)
    passes(sc, plan_of([route(sc, ["S1b", "S1a"]), route(sc, ["X"], rid="R2")]))
    fails(sc, plan_of([route(sc, ["S1a"]), route(sc, ["S1b", "X"], rid="R2")]),
          "sibling group G at S1: split over routes")  # fmt: skip
    alone = [replace(kids[0], travel_alone=True), *kids[1:]]
    sc2 = scenario(alone)
    passes(sc2, plan_of([route(sc2, ["S1a"], flags=(RouteFlag.TRAVEL_ALONE.value,)),
                         route(sc2, ["S1b", "X"], rid="R2")]))  # fmt: skip


# --- the ride definition: own boarding counted or not (policy) --------------------------------


@pytest.mark.parametrize("session", SESSIONS)
@pytest.mark.parametrize(("direct", "counted", "ok"), [
    (35, True, True), (36, True, False), (45, False, True), (46, False, False),
])  # fmt: skip
def test_own_boarding_counts_in_the_ride_only_when_the_policy_says(
    session: Session, direct: float, counted: bool, ok: bool
) -> None:
    """A wheelchair user 35 min away rides exactly 45 min once their own 10 minutes of loading
    count; 36 min is then over. Without the policy, 45 min direct is the limit."""
    sc = scenario([kid("WC", direct, wheelchair=True)], ride_counts_own_boarding=counted)
    r = route(sc, ["WC"], session)
    if counted:
        r = with_stop(r, 0, ride_min=r.stops[0].ride_min + 10)
    p = plan_of([r], session)
    if ok:
        passes(sc, p)
    else:
        fails(sc, p, "child WC: ride", "exceeds limit 45 min")
