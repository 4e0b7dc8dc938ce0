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
