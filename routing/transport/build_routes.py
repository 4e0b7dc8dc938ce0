"""Routes in real time from a school's runs: one ``Route`` from a driving order and engine times,
the routes of an engine solution (each run on the cheapest vehicle type that still fits), and
the children the engine left unassigned."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sendplan.routing.model import Child, Policy, VehicleType
from sendplan.routing.transport.layouts import layout_of
from sendplan.routing.transport.plan import (
    Route,
    RouteStop,
    Session,
    Unrouted,
    UnroutedReason,
)
from sendplan.routing.transport.rules import (
    Job,
    boarding_s,
    reported_ride_s,
    route_cost_gbp,
    school_time_min,
)
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    merged_job,
    run_cost_gbp,
    run_path,
)
from sendplan.routing.vrp.problem import Solution, UnassignedReason


def build_route(
    inst: SchoolInstance,
    *,
    session: Session,
    vehicle: VehicleType,
    order: Sequence[int],
    rides_s: Sequence[int],
    policy: Policy,
    flags: tuple[str, ...] = (),
) -> Route:
    """A Route in real time from the jobs' driving order and engine times, one stop a child."""
    school_s = round(school_time_min(inst.school, policy, session) * 60)
    kids: list[Child] = []
    rides: list[int] = []
    for k, tau in zip(order, rides_s, strict=True):
        job = inst.jobs[k]
        kids += job.kids
        rides += [tau + o for o in job.offsets_s]
    board = [boarding_s(c, policy) for c in kids]
    path = run_path(inst, session, vehicle.name, order)
    if session == "am":
        times = [school_s - r - b for r, b in zip(rides, board, strict=True)]
        start = times[0] - int(inst.dur[path[0], path[1]])
        end = school_s + int(inst.dur[0, path[-1]])
    else:
        times = [school_s + r for r in rides]
        start = school_s - int(inst.dur[path[0], 0])
        end = times[-1] + board[-1] + int(inst.dur[path[-2], path[-1]])
    distance = inst.metres(path, order)
    stops = tuple(
        RouteStop(
            child_id=c.child_id,
            time_min=t / 60,
            ride_min=reported_ride_s(r, b, policy) / 60,
            boarding_min=b / 60,
        )
        for c, t, r, b in zip(kids, times, rides, board, strict=True)
    )
    return Route(
        route_id="",
        vehicle_type=vehicle.name,
        school_id=inst.school.school_id,
        session=session,
        stops=stops,
        start_min=start / 60,
        school_time_min=school_s / 60,
        end_min=end / 60,
        distance_m=float(distance),
        cost_gbp=route_cost_gbp(vehicle, distance),
        assistant=vehicle.has_assistant,
        solo=bool(flags),
        flags=flags,
        layout=layout_of(vehicle),
    )


def routes_from_solution(
    inst: SchoolInstance,
    session: Session,
    result: Solution,
    routable: Sequence[int],
    types: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
    prices: Mapping[str, float] | None = None,
) -> list[Route]:
    """Real-time routes from the engine's; ``remaining`` is updated for the vehicles used.

    Each run then gets the cheapest vehicle type that suits all its children and is still
    available: the engine's search rarely changes a route's vehicle type (measured: on tiny
    instances it kept a wheelchair taxi with assistant where a taxi with assistant was cheaper),
    and with the order fixed the choice is exact and cannot break a ride limit. ``prices`` (per
    type name, ``fleet_prices.py``) count in that choice as they did in the engine's.
    """
    price = prices or {}
    runs = []
    for r in result.routes:
        ks = [routable[v.index] for v in r.visits]
        rides = list(r.times)
        if session == "am":  # the engine drove backwards from school
            ks, rides = ks[::-1], rides[::-1]
        remaining[types[r.vehicle_type].name] -= 1
        runs.append((ks, rides, types[r.vehicle_type]))
    out = []
    for ks, rides, engine_type in runs:
        remaining[engine_type.name] += 1
        run = merged_job(inst, ks)

        def fits(v: VehicleType, run: Job = run) -> bool:
            return remaining[v.name] > 0 and run.suits(v)

        def cost(v: VehicleType, ks: list[int] = ks) -> tuple[float, str]:
            return (run_cost_gbp(inst, session, v, ks) + price.get(v.name, 0.0), v.name)

        best = min((v for v in types if fits(v)), key=cost, default=engine_type)
        remaining[best.name] -= 1
        out.append(
            build_route(inst, session=session, vehicle=best, order=ks, rides_s=rides, policy=policy)
        )
    return out


def job_order(inst: SchoolInstance, route: Route) -> list[int]:
    """The jobs of a planned run in driving order (a sibling job's children ride one after
    another)."""
    job_of = {c.child_id: k for k, job in enumerate(inst.jobs) for c in job.kids}
    order: list[int] = []
    for stop in route.stops:
        k = job_of[stop.child_id]
        if not order or order[-1] != k:
            order.append(k)
    return order


def unrouted_from_solution(
    inst: SchoolInstance,
    result: Solution,
    routable: Sequence[int],
    types: Sequence[VehicleType],
    no_vehicle: Callable[[Child], Unrouted],
) -> list[Unrouted]:
    """The children of the jobs the engine left unassigned, with the reason."""
    out = []
    for u in result.unassigned:
        for child in inst.jobs[routable[u.index]].kids:
            if u.reason == UnassignedReason.NO_COMPATIBLE_VEHICLE:
                out.append(no_vehicle(child))
            else:
                detail = f"engine: {u.reason.value}; {len(types)} vehicle types left"
                out.append(Unrouted(child.child_id, UnroutedReason.NOT_ROUTED, detail))
    return out
