"""An independent checker: recomputes a :class:`Solution` from its :class:`Problem` alone.

It trusts nothing the engine reports. It re-derives loads, service times against windows and
travel times, release times, route durations, ride times, precedence, skills, fleet size,
distances and costs, and it checks that every job is routed exactly once or left out with a
reason. It shares no code with the engines or their adapters.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from sendplan.routing.vrp.problem import Problem, Solution, Tour, UnassignedReason, Visit


@dataclass(frozen=True)
class SolutionCheck:
    violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def check_solution(problem: Problem, result: Solution) -> SolutionCheck:
    """Every rule the result breaks, each as one line naming the route and stop."""
    out = _check_coverage(problem, result)
    used = Counter(r.vehicle_type for r in result.routes)
    for k, count in sorted(used.items()):
        if not 0 <= k < len(problem.vehicle_types):
            out.append(f"vehicle type {k} does not exist")
        elif count > problem.vehicle_types[k].num_available:
            avail = problem.vehicle_types[k].num_available
            out.append(f"vehicle type {k}: {count} routes but only {avail} vehicles")
    total_cost = total_distance = 0
    for r, route in enumerate(result.routes):
        if not 0 <= route.vehicle_type < len(problem.vehicle_types):
            continue
        if not _indices_valid(problem, route):
            out.append(f"route {r}: refers to a job that does not exist")
            continue
        if not route.visits:
            out.append(f"route {r}: has no visits")
        out += [f"route {r}: {v}" for v in _check_route(problem, route)]
        total_cost += route.cost
        total_distance += route.distance
    if total_cost != result.cost:
        out.append(f"result cost {result.cost} != sum of route costs {total_cost}")
    if total_distance != result.distance:
        out.append(f"result distance {result.distance} != sum of route distances {total_distance}")
    return SolutionCheck(tuple(out))


def _indices_valid(problem: Problem, route: Tour) -> bool:
    for v in route.visits:
        limit = len(problem.clients) if v.kind == "client" else len(problem.shipments)
        if v.kind not in ("client", "pickup", "delivery") or not 0 <= v.index < limit:
            return False
    return True


def _check_coverage(problem: Problem, result: Solution) -> list[str]:
    out: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    for route in result.routes:
        for v in route.visits:
            seen[(v.kind, v.index)] += 1
    left: Counter[tuple[str, int]] = Counter((u.kind, u.index) for u in result.unassigned)
    for u in result.unassigned:
        if not isinstance(u.reason, UnassignedReason):
            out.append(f"{u.kind} {u.index}: unassigned without a valid reason ({u.reason!r})")
    for i in range(len(problem.clients)):
        on_routes, off = seen[("client", i)], left[("client", i)]
        if on_routes + off != 1:
            out.append(f"client {i}: on {on_routes} routes and unassigned {off} times")
    for j in range(len(problem.shipments)):
        p, d, off = seen[("pickup", j)], seen[("delivery", j)], left[("shipment", j)]
        if not ((p == d == 1 and off == 0) or (p == d == 0 and off == 1)):
            out.append(f"shipment {j}: {p} pickups, {d} deliveries, unassigned {off} times")
    ghosts: set[tuple[str, int]] = set()
    for kind, index in left:
        limit = len(problem.clients) if kind == "client" else len(problem.shipments)
        if kind not in ("client", "shipment") or not 0 <= index < limit:
            out.append(f"unassigned {kind} {index} does not exist")
            ghosts.add((kind, index))
    for u in result.unassigned:
        if (
            (u.kind, u.index) not in ghosts
            and u.reason == UnassignedReason.NO_COMPATIBLE_VEHICLE
            and _some_vehicle_fits(problem, u.kind, u.index)
        ):
            out.append(f"{u.kind} {u.index}: marked no_compatible_vehicle but a vehicle type fits")
    return out


def _some_vehicle_fits(problem: Problem, kind: str, index: int) -> bool:
    dims = range(len(problem.load_names))
    if kind == "client":
        c = problem.clients[index]
        need = [max(c.delivery[d], c.pickup[d]) for d in dims]
        skills = c.skills
    else:
        s = problem.shipments[index]
        need, skills = list(s.amount), s.skills
    return any(
        skills <= vt.skills and all(need[d] <= vt.capacity[d] for d in dims)
        for vt in problem.vehicle_types
    )


def _location(problem: Problem, v: Visit) -> int:
    if v.kind == "client":
        return problem.clients[v.index].location
    s = problem.shipments[v.index]
    return s.pickup.location if v.kind == "pickup" else s.delivery.location


def _window_and_service(problem: Problem, v: Visit) -> tuple[int, int, int]:
    if v.kind == "client":
        c = problem.clients[v.index]
        return c.tw_early, c.tw_late, c.service_duration
    s = problem.shipments[v.index]
    stop = s.pickup if v.kind == "pickup" else s.delivery
    return stop.tw_early, stop.tw_late, stop.service_duration


def _check_route(problem: Problem, route: Tour) -> list[str]:
    out: list[str] = []
    vt = problem.vehicle_types[route.vehicle_type]
    start_depot, end_depot = problem.depots[vt.start_depot], problem.depots[vt.end_depot]
    visits = route.visits
    if len(route.times) != len(visits):
        return [f"{len(route.times)} times for {len(visits)} visits"]

    # skills
    for v in visits:
        job = problem.clients[v.index] if v.kind == "client" else problem.shipments[v.index]
        skills = job.skills
        if not skills <= vt.skills:
            missing = sorted(skills - vt.skills)
            out.append(f"{v.kind} {v.index} needs {missing} which vehicle type lacks")

    # loads: clients' deliveries ride from the start depot (Problem validation gives every load
    # vector one entry per load name)
    dims = range(len(problem.load_names))
    load = [0 for _ in dims]
    for v in visits:
        if v.kind == "client":
            load = [load[d] + problem.clients[v.index].delivery[d] for d in dims]

    def over(where: str) -> None:
        for d in dims:
            if load[d] > vt.capacity[d]:
                name = problem.load_names[d]
                out.append(f"{where}: load {name}={load[d]} exceeds capacity {vt.capacity[d]}")

    over("leaving the depot")
    for pos, v in enumerate(visits):
        if v.kind == "client":
            c = problem.clients[v.index]
            load = [load[d] - c.delivery[d] + c.pickup[d] for d in dims]
        else:
            amount = problem.shipments[v.index].amount
            sign = 1 if v.kind == "pickup" else -1
            load = [load[d] + sign * amount[d] for d in dims]
        if any(x < 0 for x in load):
            out.append(f"stop {pos} ({v.kind} {v.index}): negative load {load}")
        over(f"after stop {pos} ({v.kind} {v.index})")

    # precedence and ride times
    where = {(v.kind, v.index): pos for pos, v in enumerate(visits)}
    for (kind, j), pos in where.items():
        if kind != "pickup":
            continue
        dpos = where.get(("delivery", j))
        if dpos is None:
            out.append(f"shipment {j}: picked up but not delivered on this route")
            continue
        if dpos in range(pos):  # the delivery comes earlier on the route
            out.append(f"shipment {j}: delivered before it is picked up")
        ship = problem.shipments[j]
        ride = route.times[dpos] - (route.times[pos] + ship.pickup.service_duration)
        if ship.max_ride is not None and ride > ship.max_ride:
            out.append(f"shipment {j}: ride {ride} exceeds max_ride {ship.max_ride}")
    for (kind, j), _pos in where.items():
        if kind == "delivery" and ("pickup", j) not in where:
            out.append(f"shipment {j}: delivered but not picked up on this route")

    # times
    release = max(
        (problem.clients[v.index].release_time for v in visits if v.kind == "client"), default=0
    )
    earliest_start = max(vt.tw_early, start_depot.tw_early, release)
    if route.start_time < earliest_start:
        out.append(f"starts at {route.start_time}, before {earliest_start}")
    if route.start_time > start_depot.tw_late:
        out.append(f"starts at {route.start_time}, after depot closes {start_depot.tw_late}")
    t_free, loc = route.start_time, start_depot.location
    for pos, v in enumerate(visits):
        early, late, service = _window_and_service(problem, v)
        nxt = _location(problem, v)
        arrive = t_free + int(problem.duration[loc, nxt])
        t = route.times[pos]
        if t < arrive:
            out.append(f"stop {pos} ({v.kind} {v.index}): service at {t}, arrival {arrive}")
        if not early <= t <= late:
            out.append(f"stop {pos} ({v.kind} {v.index}): service at {t} outside [{early}, {late}]")
        t_free, loc = t + service, nxt
    back = t_free + int(problem.duration[loc, end_depot.location])
    if route.end_time < back:
        out.append(f"ends at {route.end_time}, before the vehicle can be back at {back}")
    if route.end_time < end_depot.tw_early:
        out.append(f"ends at {route.end_time}, before depot opens {end_depot.tw_early}")
    latest_end = min(vt.tw_late, end_depot.tw_late)
    if route.end_time > latest_end:
        out.append(f"ends at {route.end_time}, after {latest_end}")
    duration = route.end_time - route.start_time
    if duration > vt.max_duration:
        out.append(f"duration {duration} exceeds max_duration {vt.max_duration}")

    # distance and cost
    path = [start_depot.location, *(_location(problem, v) for v in visits), end_depot.location]
    distance = sum(int(problem.distance[a, b]) for a, b in itertools.pairwise(path))
    if distance != route.distance:
        out.append(f"distance {route.distance} reported, {distance} recomputed")
    cost = vt.fixed_cost + vt.unit_distance_cost * distance + vt.unit_duration_cost * duration
    if cost != route.cost:
        out.append(f"cost {route.cost} reported, {cost} recomputed")
    return out
