"""The checker's rules at their edges: each test fails if one rule is weakened by one step.

Written against the survivors of ``make mutation MUTATION_FLAGS="--only engine"``: every rule is
met exactly (the verdict is empty) and broken by the least amount (the verdict is exactly the
expected messages, so a changed message, a lost message or a spurious one all fail).
"""

from __future__ import annotations

from dataclasses import replace

from test_vrp_check import _client, _depot, _vehicle, base_problem, earliest_route, valid_result

from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import (
    Depot,
    Problem,
    Solution,
    Tour,
    Unassigned,
    UnassignedReason,
    Visit,
)

C0, C1 = Visit("client", 0), Visit("client", 1)
P0, D0 = Visit("pickup", 0), Visit("delivery", 0)
NOT_ROUTED = UnassignedReason.NOT_ROUTED
NO_VEHICLE = UnassignedReason.NO_COMPATIBLE_VEHICLE


def _solution(*routes: Tour, unassigned: tuple[Unassigned, ...] = ()) -> Solution:
    """A result whose totals are the sums of its routes' (as an engine would report them)."""
    cost = sum(r.cost for r in routes)
    distance = sum(r.distance for r in routes)
    return Solution(tuple(routes), unassigned, cost, distance, True, "hand", 0)


def _verdict(problem: Problem, result: Solution) -> tuple[str, ...]:
    return check_solution(problem, result).violations


def _shipment(problem: Problem, **changes: object) -> Problem:
    return replace(problem, shipments=(replace(problem.shipments[0], **changes),))  # type: ignore[arg-type]


# --- jobs legitimately left out ------------------------------------------------------------


def test_a_dropped_client_with_a_reason_passes() -> None:
    p = base_problem()
    for k, kept in ((0, [P0, D0, C1]), (1, [C0, P0, D0])):
        route = earliest_route(p, kept)
        dropped = _solution(route, unassigned=(Unassigned("client", k, NOT_ROUTED),))
        assert _verdict(p, dropped) == ()


def test_a_dropped_shipment_with_a_reason_passes() -> None:
    p = base_problem()
    route = earliest_route(p, [C0, C1])
    assert _verdict(p, _solution(route, unassigned=(Unassigned("shipment", 0, NOT_ROUTED),))) == ()


def test_a_shipment_only_route_has_no_release_time() -> None:
    """Release times belong to the clients on a route: with both clients left out, the shipment's
    route may leave at 0 however late the clients are released."""
    p = _client(_client(base_problem(), 0, release_time=50), 1, release_time=50)
    route = earliest_route(p, [P0, D0])
    left = (Unassigned("client", 0, NOT_ROUTED), Unassigned("client", 1, NOT_ROUTED))
    assert route.start_time == 0
    assert _verdict(p, _solution(route, unassigned=left)) == ()
    # Routed, client 1 holds the route back until 50.
    both = earliest_route(p, [P0, D0, C1])
    assert _verdict(p, _solution(both, unassigned=left[:1])) == ("route 0: starts at 0, before 50",)


def test_a_client_left_out_and_also_routed_twice_is_caught() -> None:
    p = base_problem()
    twice = earliest_route(p, [C0, P0, D0, C1, C1])
    extra = _solution(twice, unassigned=(Unassigned("client", 1, NOT_ROUTED),))
    assert "client 1: on 2 routes and unassigned 1 times" in _verdict(p, extra)


# --- unassigned entries that name no job -------------------------------------------------


def test_unassigned_entries_naming_no_job_are_caught() -> None:
    """A wrong kind, a negative index, an index equal to the count, and a shipment index that
    would be a client's (2 clients, 1 shipment) all name no job; index 0 of each kind does."""
    p = base_problem()
    r = valid_result(p)
    for kind, index in (("pickup", 0), ("client", -1), ("client", 2), ("shipment", 1),
                        ("shipment", -1), ("vehicle", 0)):  # fmt: skip
        for reason in UnassignedReason:
            ghost = replace(r, unassigned=(Unassigned(kind, index, reason),))  # type: ignore[arg-type]
            assert _verdict(p, ghost) == (f"unassigned {kind} {index} does not exist",)


def test_a_ghost_marked_no_compatible_vehicle_is_reported_not_crashed_on() -> None:
    """The checker once looked up the job to test the reason and raised IndexError (index equal
    to the count), or judged a job of another kind or index (-1, a pickup as a shipment)."""
    p = base_problem()
    r = valid_result(p)
    for kind, index in (("client", 2), ("shipment", 1), ("client", -1), ("pickup", 0)):
        ghost = replace(r, unassigned=(Unassigned(kind, index, NO_VEHICLE),))  # type: ignore[arg-type]
        assert _verdict(p, ghost) == (f"unassigned {kind} {index} does not exist",)


def test_no_compatible_vehicle_for_a_client() -> None:
    p = base_problem()
    route = earliest_route(p, [C0, P0, D0])
    claimed = _solution(route, unassigned=(Unassigned("client", 1, NO_VEHICLE),))
    assert _verdict(p, claimed) == (
        "client 1: marked no_compatible_vehicle but a vehicle type fits",
    )
    # Wheelchair need 1: capacity 1 fits, 0 does not; the client's pickup alone decides.
    assert _verdict(_vehicle(p, capacity=(3, 0)), claimed) == ()
    # A client's need is the larger of its delivery and its pickup, per dimension.
    for delivery, fits in (((3, 0), True), ((4, 0), False), ((0, 1), True), ((0, 2), False)):
        q = _client(p, 1, delivery=delivery)
        expected = ("client 1: marked no_compatible_vehicle but a vehicle type fits",) * fits
        assert _verdict(q, claimed) == expected, delivery


def test_no_compatible_vehicle_for_a_shipment() -> None:
    """The shipment needs 2 seats and no skill: a 3-seat vehicle fits it, so the reason is false;
    it becomes true when the amount outgrows every vehicle or a skill is missing."""
    p = base_problem()
    route = earliest_route(p, [C0, C1])
    claimed = _solution(route, unassigned=(Unassigned("shipment", 0, NO_VEHICLE),))
    false_claim = ("shipment 0: marked no_compatible_vehicle but a vehicle type fits",)
    assert _verdict(p, claimed) == false_claim
    assert _verdict(_shipment(p, amount=(3, 0)), claimed) == false_claim
    assert _verdict(_shipment(p, amount=(4, 0)), claimed) == ()
    assert _verdict(_shipment(p, amount=(0, 1)), claimed) == false_claim
    assert _verdict(_shipment(p, amount=(0, 2)), claimed) == ()
    assert _verdict(_shipment(p, skills=frozenset({"stretcher"})), claimed) == ()
    assert _verdict(_shipment(p, skills=frozenset({"wheelchair"})), claimed) == false_claim
    # Several vehicle types: one that fits is enough.
    big = replace(p.vehicle_types[0], capacity=(4, 1), skills=frozenset({"stretcher"}))
    two = replace(_shipment(p, amount=(4, 0), skills=frozenset({"stretcher"})),
                  vehicle_types=(p.vehicle_types[0], big))  # fmt: skip
    assert _verdict(two, claimed) == false_claim


# --- routes that refer to something that does not exist ----------------------------------


def test_a_route_on_the_vehicle_type_one_past_the_last() -> None:
    """Vehicle type 1 of 1 does not exist; the route after it is still checked and summed."""
    p = _vehicle(base_problem(), num_available=2)
    r = valid_result(p)
    good = r.routes[0]
    alien = Tour(1, (), (), 0, 0, 0, 0)
    assert _verdict(p, _solution(alien, good)) == ("vehicle type 1 does not exist",)
    misreported = replace(good, distance=good.distance + 1)
    assert _verdict(p, _solution(alien, misreported)) == (
        "vehicle type 1 does not exist",
        f"route 1: distance {good.distance + 1} reported, {good.distance} recomputed",
    )


def test_a_route_after_one_naming_a_missing_job_is_still_checked() -> None:
    p = _vehicle(base_problem(), num_available=2)
    good = valid_result(p).routes[0]
    stray = Tour(0, (Visit("client", 9),), (40,), 0, 100, 0, 0)  # costs nothing, so no total is off
    slow = replace(good, end_time=good.end_time - 1)
    assert _verdict(p, _solution(stray, slow)) == (
        "route 0: refers to a job that does not exist",
        f"route 1: ends at {good.end_time - 1}, before the vehicle can be back at {good.end_time}",
        f"route 1: cost {good.cost} reported, {good.cost - 1} recomputed",
    )


def test_visits_naming_no_job_are_caught() -> None:
    """Index equal to the count, a shipment index that would be a client's, a wrong kind."""
    p = _vehicle(base_problem(), num_available=2)
    good = valid_result(p).routes[0]
    for bogus in (Visit("client", 2), Visit("pickup", 1), Visit("delivery", 1),
                  Visit("client", -1), Visit("pickup", -1), Visit("shipment", 0)):  # type: ignore[arg-type]  # fmt: skip
        stray = Tour(0, (bogus,), (900,), 0, 1000, 0, 0)
        assert _verdict(p, _solution(good, stray)) == (
            "route 1: refers to a job that does not exist",
        ), bogus


# --- skills of shipments ------------------------------------------------------------------


def test_a_shipment_needs_its_skills_at_both_ends() -> None:
    p = base_problem()
    r = valid_result(p)
    needs = _shipment(p, skills=frozenset({"stretcher"}))
    assert _verdict(needs, r) == (
        "route 0: pickup 0 needs ['stretcher'] which vehicle type lacks",
        "route 0: delivery 0 needs ['stretcher'] which vehicle type lacks",
    )
    able = _vehicle(needs, skills=frozenset({"wheelchair", "stretcher"}))
    assert _verdict(able, r) == ()


def test_a_client_skill_is_reported_with_the_client() -> None:
    p = base_problem()
    assert _verdict(_vehicle(p, skills=frozenset()), valid_result(p)) == (
        "route 0: client 1 needs ['wheelchair'] which vehicle type lacks",
    )


# --- depot opening hours, separately at the start and the end ----------------------------


def test_starting_before_the_start_depot_opens() -> None:
    p = base_problem()
    r = valid_result(p)
    assert _verdict(_depot(p, tw_early=0), r) == ()
    assert _verdict(_depot(p, tw_early=1), r) == ("route 0: starts at 0, before 1",)


def _shifted(route: Tour, by: int) -> Tour:
    """The same route, everything ``by`` later (duration, distance and cost unchanged)."""
    return replace(route, times=tuple(t + by for t in route.times),
                   start_time=route.start_time + by, end_time=route.end_time + by)  # fmt: skip


def test_starting_exactly_when_the_start_depot_closes() -> None:
    base = base_problem()
    route = _shifted(valid_result(base).routes[0], 5)

    def start_depot_closing(at: int) -> Problem:
        vt = replace(base.vehicle_types[0], start_depot=1)
        return replace(base, depots=(base.depots[0], Depot(0, tw_late=at)), vehicle_types=(vt,))

    assert _verdict(start_depot_closing(5), _solution(route)) == ()
    assert _verdict(start_depot_closing(4), _solution(route)) == (
        "route 0: starts at 5, after depot closes 4",
    )


def test_ending_exactly_when_the_end_depot_opens() -> None:
    base = base_problem()
    r = valid_result(base)
    end = r.routes[0].end_time

    def end_depot_opening(at: int) -> Problem:
        vt = replace(base.vehicle_types[0], end_depot=1)
        return replace(base, depots=(base.depots[0], Depot(0, tw_early=at)), vehicle_types=(vt,))

    assert _verdict(end_depot_opening(end), r) == ()
    assert _verdict(end_depot_opening(end + 1), r) == (
        f"route 0: ends at {end}, before depot opens {end + 1}",
    )


# --- loads, with whole messages -----------------------------------------------------------


def test_capacity_messages_name_the_stop() -> None:
    p = base_problem()
    r = valid_result(p)
    assert _verdict(_vehicle(p, capacity=(3, 0)), r) == (
        "route 0: after stop 3 (client 1): load wheelchair=1 exceeds capacity 0",
    )
    assert _verdict(_vehicle(p, capacity=(2, 1)), r) == (
        "route 0: after stop 1 (pickup 0): load seats=3 exceeds capacity 2",
    )
    assert _verdict(_client(p, 0, delivery=(4, 0)), r) == (
        "route 0: leaving the depot: load seats=4 exceeds capacity 3",
    )


def test_negative_load_message() -> None:
    """Delivering before picking up: the load goes negative, the order is wrong, and the
    (negative) ride is no breach of max_ride."""
    p = base_problem()
    swapped = earliest_route(p, [C0, D0, P0, C1])
    assert _verdict(p, _solution(swapped)) == (
        "route 0: stop 1 (delivery 0): negative load [-1, 0]",
        "route 0: shipment 0: delivered before it is picked up",
    )


# --- every violation is reported, not only the first -------------------------------------


def test_every_pickup_without_its_delivery_is_reported() -> None:
    """Two shipments picked up and never delivered: the second is reported as well."""
    p = base_problem()
    second = replace(p.shipments[0], amount=(0, 0))
    p = replace(p, shipments=(p.shipments[0], second))
    route = earliest_route(p, [C0, P0, Visit("pickup", 1), C1])
    assert _verdict(p, _solution(route)) == (
        "shipment 0: 1 pickups, 0 deliveries, unassigned 0 times",
        "shipment 1: 1 pickups, 0 deliveries, unassigned 0 times",
        "route 0: shipment 0: picked up but not delivered on this route",
        "route 0: shipment 1: picked up but not delivered on this route",
    )


def test_a_missing_job_and_a_broken_route_are_both_reported() -> None:
    p = base_problem()
    route = earliest_route(p, [C0, P0, D0])
    misreported = replace(route, distance=route.distance + 1)
    assert _verdict(p, _solution(misreported)) == (
        "client 1: on 0 routes and unassigned 0 times",
        f"route 0: distance {route.distance + 1} reported, {route.distance} recomputed",
    )
