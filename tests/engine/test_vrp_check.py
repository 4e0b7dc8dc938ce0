"""The independent checker: it accepts a valid result and catches every planted violation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import (
    Problem,
    ProblemBuilder,
    Solution,
    Stop,
    Tour,
    Unassigned,
    UnassignedReason,
    Visit,
    route_cost,
    route_distance,
)
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import MaxIterations


def base_problem() -> Problem:
    points = np.array([(0, 0), (0, 4), (3, 4), (6, 4), (6, 0)], dtype=float)
    m = np.rint(np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2)) * 10).astype(int)
    b = ProblemBuilder(distance=m, duration=m, load_names=["seats", "wheelchair"])
    b.add_depot(0, tw_late=1000)
    b.add_client(1, pickup=[1, 0], service_duration=5, tw_early=0, tw_late=500)
    b.add_client(4, pickup=[0, 1], service_duration=5, skills=["wheelchair"])
    b.add_shipment(Stop(2, service_duration=2), Stop(3, tw_late=800), amount=[2, 0], max_ride=60)
    b.add_vehicle_type(
        num_available=1,
        capacity=[3, 1],
        fixed_cost=100,
        skills=["wheelchair"],
        unit_duration_cost=1,
    )
    return b.build()


def earliest_route(problem: Problem, visits: list[Visit]) -> Tour:
    """Times by a plain forward pass (the windows in base_problem never make anyone wait)."""
    loc, t, times = 0, 0, []
    for v in visits:
        if v.kind == "client":
            where, service = (
                problem.clients[v.index].location,
                problem.clients[v.index].service_duration,
            )
        else:
            s = problem.shipments[v.index]
            stop = s.pickup if v.kind == "pickup" else s.delivery
            where, service = stop.location, stop.service_duration
        t += int(problem.duration[loc, where])
        times.append(t)
        t += service
        loc = where
    end = t + int(problem.duration[loc, 0])
    dist = route_distance(problem, 0, visits)
    return Tour(0, tuple(visits), tuple(times), 0, end, dist, route_cost(problem, 0, dist, end))


def valid_result(problem: Problem) -> Solution:
    visits = [Visit("client", 0), Visit("pickup", 0), Visit("delivery", 0), Visit("client", 1)]
    route = earliest_route(problem, visits)
    return Solution((route,), (), route.cost, route.distance, True, "hand", 0)


def with_route(result: Solution, **changes: object) -> Solution:
    return replace(result, routes=(replace(result.routes[0], **changes),))


def test_a_valid_result_passes() -> None:
    problem = base_problem()
    assert check_solution(problem, valid_result(problem)).violations == ()


def test_solver_results_pass() -> None:
    problem = base_problem()
    result = solve(problem, MaxIterations(100), 1, workers=1)
    assert check_solution(problem, result).ok
    assert not result.unassigned


Plant = Callable[[Problem, Solution], tuple[Problem, Solution]]


def _swap(result: Solution, i: int, j: int) -> Solution:
    r = result.routes[0]
    visits = list(r.visits)
    visits[i], visits[j] = visits[j], visits[i]
    return with_route(result, visits=tuple(visits))


PLANTED: dict[str, tuple[Plant, str]] = {
    "seats over capacity": (
        lambda p, r: (replace(p, vehicle_types=(replace(p.vehicle_types[0], capacity=(2, 1)),)), r),
        "load seats=3 exceeds capacity 2",
    ),
    "service before the window opens": (
        lambda p, r: (replace(p, clients=(replace(p.clients[0], tw_early=100), p.clients[1])), r),
        "outside [100, 500]",
    ),
    "service after the window closes": (
        lambda p, r: (replace(p, clients=(replace(p.clients[0], tw_late=10), p.clients[1])), r),
        "outside [0, 10]",
    ),
    "arrives faster than the travel time": (
        lambda p, r: (p, with_route(r, times=(r.routes[0].times[0] - 1, *r.routes[0].times[1:]))),
        "arrival",
    ),
    "client served twice": (
        lambda p, r: (
            p,
            with_route(
                r, visits=(*r.routes[0].visits, Visit("client", 0)), times=(*r.routes[0].times, 900)
            ),
        ),
        "client 0: on 2 routes",
    ),
    "client missing": (
        lambda p, r: (p, with_route(r, visits=r.routes[0].visits[:3], times=r.routes[0].times[:3])),
        "client 1: on 0 routes and unassigned 0 times",
    ),
    "client both routed and unassigned": (
        lambda p, r: (
            p,
            replace(r, unassigned=(Unassigned("client", 1, UnassignedReason.NOT_ROUTED),)),
        ),
        "client 1: on 1 routes and unassigned 1 times",
    ),
    "distance misreported": (
        lambda p, r: (p, with_route(r, distance=r.routes[0].distance - 1)),
        "recomputed",
    ),
    "cost misreported": (
        lambda p, r: (p, replace(with_route(r, cost=r.cost - 5), cost=r.cost - 5)),
        "cost",
    ),
    "total cost misreported": (
        lambda p, r: (p, replace(r, cost=r.cost + 1)),
        "sum of route costs",
    ),
    "delivery before pickup": (
        lambda p, r: (p, _swap(r, 1, 2)),
        "delivered before it is picked up",
    ),
    "ride over the limit": (
        lambda p, r: (replace(p, shipments=(replace(p.shipments[0], max_ride=20),)), r),
        "exceeds max_ride 20",
    ),
    "missing skill": (
        lambda p, r: (
            replace(p, vehicle_types=(replace(p.vehicle_types[0], skills=frozenset()),)),
            r,
        ),
        "needs ['wheelchair']",
    ),
    "more routes than vehicles": (
        lambda p, r: (
            p,
            replace(
                r,
                routes=(
                    replace(
                        r.routes[0], visits=r.routes[0].visits[:3], times=r.routes[0].times[:3]
                    ),
                    earliest_route(p, [Visit("client", 1)]),
                ),
            ),
        ),
        "2 routes but only 1 vehicles",
    ),
    "false no_compatible_vehicle": (
        lambda p, r: (
            p,
            replace(
                with_route(r, visits=r.routes[0].visits[:3], times=r.routes[0].times[:3]),
                unassigned=(Unassigned("client", 1, UnassignedReason.NO_COMPATIBLE_VEHICLE),),
            ),
        ),
        "marked no_compatible_vehicle but a vehicle type fits",
    ),
    "leaves before the release time": (
        lambda p, r: (replace(p, clients=(replace(p.clients[0], release_time=7), p.clients[1])), r),
        "before 7",
    ),
    "route too long": (
        lambda p, r: (replace(p, vehicle_types=(replace(p.vehicle_types[0], max_duration=50),)), r),
        "exceeds max_duration 50",
    ),
    "back after the depot closes": (
        lambda p, r: (replace(p, depots=(replace(p.depots[0], tw_late=60),)), r),
        "after 60",
    ),
    "pickup without its delivery": (
        lambda p, r: (
            p,
            with_route(
                r,
                visits=tuple(v for v in r.routes[0].visits if v.kind != "delivery"),
                times=r.routes[0].times[:2] + r.routes[0].times[3:],
            ),
        ),
        "picked up but not delivered",
    ),
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_planted_violation_is_caught(name: str) -> None:
    plant, expected = PLANTED[name]
    problem = base_problem()
    planted_problem, planted = plant(problem, valid_result(problem))
    report = check_solution(planted_problem, planted)
    assert not report.ok
    assert any(expected in v for v in report.violations), report.violations


# --- both sides of every limit (a limit met exactly passes; one unit beyond fails) ----------


def _verdict(problem: Problem, result: Solution) -> tuple[str, ...]:
    return check_solution(problem, result).violations


def _client(problem: Problem, k: int, **changes: object) -> Problem:
    clients = list(problem.clients)
    clients[k] = replace(clients[k], **changes)  # type: ignore[arg-type]
    return replace(problem, clients=tuple(clients))


def _vehicle(problem: Problem, **changes: object) -> Problem:
    return replace(problem, vehicle_types=(replace(problem.vehicle_types[0], **changes),))  # type: ignore[arg-type]


def _depot(problem: Problem, **changes: object) -> Problem:
    return replace(problem, depots=(replace(problem.depots[0], **changes),))  # type: ignore[arg-type]


def _boundary(at: Problem, beyond: Problem, result: Solution, words: str) -> None:
    assert _verdict(at, result) == ()
    assert any(words in v for v in _verdict(beyond, result)), _verdict(beyond, result)


def test_window_both_ends_of_a_client() -> None:
    p = base_problem()
    r = valid_result(p)
    t = r.routes[0].times[0]
    _boundary(_client(p, 0, tw_early=t), _client(p, 0, tw_early=t + 1), r, "outside")
    _boundary(_client(p, 0, tw_late=t), _client(p, 0, tw_late=t - 1), r, "outside")


def test_window_both_ends_of_a_shipment_stop() -> None:
    p = base_problem()
    r = valid_result(p)
    t = r.routes[0].times[2]  # the delivery
    ship = p.shipments[0]

    def delivery(**kw: object) -> Problem:
        return replace(p, shipments=(replace(ship, delivery=replace(ship.delivery, **kw)),))  # type: ignore[arg-type]

    _boundary(delivery(tw_late=t), delivery(tw_late=t - 1), r, "outside")
    _boundary(delivery(tw_early=t), delivery(tw_early=t + 1), r, "outside")


def test_service_time_is_waited_for_before_the_next_stop() -> None:
    """The second stop is reached exactly when the first one's 5-unit service and the drive
    are over; one unit sooner is impossible."""
    p = base_problem()
    r = valid_result(p)
    times = r.routes[0].times
    assert _verdict(p, r) == ()
    rushed = with_route(r, times=(times[0], times[1] - 1, *times[2:]))
    assert any("stop 1 (pickup 0): service at" in v for v in _verdict(p, rushed))


def test_return_to_the_depot_exactly_when_possible() -> None:
    p = base_problem()
    r = valid_result(p)
    end = r.routes[0].end_time
    early = with_route(r, end_time=end - 1)
    assert any("before the vehicle can be back" in v for v in _verdict(p, early))


def test_max_ride_and_max_duration_exactly_and_one_under() -> None:
    p = base_problem()
    r = valid_result(p)
    route = r.routes[0]
    ride = route.times[2] - (route.times[1] + p.shipments[0].pickup.service_duration)
    ship = p.shipments[0]
    _boundary(replace(p, shipments=(replace(ship, max_ride=ride),)),
              replace(p, shipments=(replace(ship, max_ride=ride - 1),)), r,
              f"ride {ride} exceeds max_ride {ride - 1}")  # fmt: skip
    duration = route.end_time - route.start_time
    _boundary(_vehicle(p, max_duration=duration), _vehicle(p, max_duration=duration - 1), r,
              f"duration {duration} exceeds max_duration {duration - 1}")  # fmt: skip


def test_load_leaving_the_depot_counts_client_deliveries() -> None:
    """Deliveries ride from the depot: three seats' worth fits a 3-seat vehicle, four do not."""
    p = base_problem()
    r = valid_result(p)
    _boundary(_client(p, 0, delivery=(3, 0)), _client(p, 0, delivery=(4, 0)), r,
              "leaving the depot: load seats=4 exceeds capacity 3")  # fmt: skip


def test_capacity_at_and_one_under_the_peak_load() -> None:
    p = base_problem()
    r = valid_result(p)  # peak: client 0's seat + the shipment's two = 3
    _boundary(_vehicle(p, capacity=(3, 1)), _vehicle(p, capacity=(2, 1)), r,
              "load seats=3 exceeds capacity 2")  # fmt: skip
    # The wheelchair dimension on its own: client 1 picks up one wheelchair at the end.
    _boundary(_vehicle(p, capacity=(3, 1)), _vehicle(p, capacity=(3, 0)), r,
              "load wheelchair=1 exceeds capacity 0")  # fmt: skip


def test_depot_and_vehicle_time_limits_both_ends() -> None:
    p = base_problem()
    r = valid_result(p)
    route = r.routes[0]
    start, end = route.start_time, route.end_time
    _boundary(_depot(p, tw_late=end), _depot(p, tw_late=end - 1), r, f"after {end - 1}")
    _boundary(_vehicle(p, tw_late=end), _vehicle(p, tw_late=end - 1), r, f"after {end - 1}")
    _boundary(_vehicle(p, tw_early=start), _vehicle(p, tw_early=start + 1), r,
              f"before {start + 1}")  # fmt: skip
    _boundary(_client(p, 1, release_time=start), _client(p, 1, release_time=start + 1), r,
              f"before {start + 1}")  # fmt: skip
    late_start = with_route(r, start_time=start + 1)
    assert any("after depot closes" in v for v in _verdict(_depot(p, tw_late=start), late_start))
    assert any(
        f"before depot opens {end + 1}" in v
        for v in _verdict(_depot(p, tw_early=end + 1, tw_late=10_000), r)
    )


def test_fleet_size_exactly_and_one_over() -> None:
    p = _vehicle(base_problem(), num_available=2)
    r = valid_result(p)
    route = r.routes[0]
    first = replace(route, visits=route.visits[:3], times=route.times[:3])
    first = replace(first, **_costed(p, first))
    second = earliest_route(p, [Visit("client", 1)])
    two = Solution((first, second), (), first.cost + second.cost,
                   first.distance + second.distance, True, "hand", 0)  # fmt: skip
    _boundary(p, _vehicle(p, num_available=1), two, "2 routes but only 1 vehicles")


def _costed(p: Problem, route: Tour) -> dict[str, int]:
    """end_time, distance and cost of ``route`` recomputed for its visits."""
    redone = earliest_route(p, list(route.visits))
    return {"end_time": redone.end_time, "distance": redone.distance, "cost": redone.cost}


@pytest.mark.parametrize("step", [1, -1])
def test_distances_and_costs_over_and_understated(step: int) -> None:
    p = base_problem()
    r = valid_result(p)
    route = r.routes[0]
    d = with_route(r, distance=route.distance + step)
    assert any("distance" in v and "recomputed" in v for v in _verdict(p, replace(
        d, distance=r.distance + step)))  # fmt: skip
    c = with_route(r, cost=route.cost + step)
    assert any("cost" in v and "recomputed" in v for v in _verdict(p, replace(
        c, cost=r.cost + step)))  # fmt: skip
    assert any("result cost" in v for v in _verdict(p, replace(r, cost=r.cost + step)))
    assert any("result distance" in v for v in _verdict(p, replace(r, distance=r.distance + step)))


def test_a_dropped_shipment_is_caught_both_ways() -> None:
    p = base_problem()
    r = valid_result(p)
    route = r.routes[0]
    keep = [i for i, v in enumerate(route.visits) if v.kind == "client"]
    dropped = with_route(r, visits=tuple(route.visits[i] for i in keep),
                         times=tuple(route.times[i] for i in keep))  # fmt: skip
    assert any("shipment 0: 0 pickups, 0 deliveries, unassigned 0 times" in v
               for v in _verdict(p, dropped))  # fmt: skip
    also_left = replace(r, unassigned=(Unassigned("shipment", 0, UnassignedReason.NOT_ROUTED),))
    assert any("shipment 0: 1 pickups, 1 deliveries, unassigned 1 times" in v
               for v in _verdict(p, also_left))  # fmt: skip
    only_delivery = with_route(r, visits=tuple(v for v in route.visits if v.kind != "pickup"),
                               times=route.times[:1] + route.times[2:])  # fmt: skip
    assert any("delivered but not picked up" in v for v in _verdict(p, only_delivery))


def test_bad_references_and_reasons_are_caught() -> None:
    p = base_problem()
    r = valid_result(p)
    ghost = replace(r, unassigned=(Unassigned("client", 7, UnassignedReason.NOT_ROUTED),))
    assert any("unassigned client 7 does not exist" in v for v in _verdict(p, ghost))
    stray = with_route(r, visits=(*r.routes[0].visits[:3], Visit("client", 9)))
    assert any("refers to a job that does not exist" in v for v in _verdict(p, stray))
    odd = replace(r, unassigned=(Unassigned("client", 1, "tired"),))  # type: ignore[arg-type]
    assert any("without a valid reason" in v for v in _verdict(p, odd))
    alien = with_route(r, vehicle_type=3)
    assert any("vehicle type 3 does not exist" in v for v in _verdict(p, alien))
    empty = replace(r, routes=(*r.routes, replace(r.routes[0], visits=(), times=())))
    assert any("has no visits" in v for v in _verdict(_vehicle(p, num_available=2), empty))
    short = with_route(r, times=r.routes[0].times[:2])
    assert any("2 times for 4 visits" in v for v in _verdict(p, short))


def test_no_compatible_vehicle_only_when_none_fits() -> None:
    """Client 1 needs the wheelchair skill and space: with neither available the reason holds."""
    p = base_problem()
    r = valid_result(p)
    route = r.routes[0]
    without = with_route(r, visits=route.visits[:3], times=route.times[:3])
    reason = (Unassigned("client", 1, UnassignedReason.NO_COMPATIBLE_VEHICLE),)
    claimed = replace(without, unassigned=reason)
    assert any("a vehicle type fits" in v for v in _verdict(p, claimed))
    for unfit in (_vehicle(p, skills=frozenset()), _vehicle(p, capacity=(3, 0))):
        assert not any("a vehicle type fits" in v for v in _verdict(unfit, claimed))


def test_negative_load_is_caught() -> None:
    """A delivery before its pickup unloads what is not aboard."""
    p = base_problem()
    r = valid_result(p)
    v = r.routes[0].visits
    swapped = with_route(r, visits=(v[0], v[2], v[1], v[3]))
    assert any("negative load" in x for x in _verdict(p, swapped))
