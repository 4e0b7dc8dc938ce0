"""Solo runs: a job rides alone, on the cheapest suitable vehicle left, when a child in it
travels alone or its direct journey already exceeds its ride limit (flagged why). Solo runs are
forced, so they are planned before a school's shared runs, and they use vehicles too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sendplan.routing.model import Child, Policy, VehicleType
from sendplan.routing.transport.build_routes import build_route
from sendplan.routing.transport.plan import Route, RouteFlag, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    run_cost_gbp,
    solo_ride_s,
)


def cheapest_solo(
    inst: SchoolInstance,
    session: Session,
    k: int,
    fleet: Sequence[VehicleType],
    remaining: Mapping[str, int],
) -> VehicleType | None:
    """The cheapest vehicle type left that suits the k-th job riding alone (None if none)."""
    job = inst.jobs[k]
    best: tuple[float, str, VehicleType] | None = None
    for v in fleet:
        if remaining[v.name] < 1 or not job.suits(v):
            continue
        key = (run_cost_gbp(inst, session, v, [k]), v.name, v)
        if best is None or key[:2] < best[:2]:
            best = key
    return None if best is None else best[2]


def solo_flags(inst: SchoolInstance, session: Session, k: int) -> tuple[str, ...]:
    """Why the k-th job must ride alone: travel-alone, or a direct ride already over its limit
    (none: it may share a run)."""
    job = inst.jobs[k]
    flags = [RouteFlag.TRAVEL_ALONE.value] if job.travel_alone else []
    if solo_ride_s(inst, session, k) > job.limit_s:
        flags.append(RouteFlag.DIRECT_RIDE_OVER_LIMIT.value)
    return tuple(flags)


def solo_routes(
    inst: SchoolInstance,
    session: Session,
    fleet: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> tuple[list[Route], list[int], list[Child]]:
    """The school's flagged solo routes (``remaining`` is updated for the vehicles used), the
    jobs left to share runs, and the children of solo jobs that no vehicle left suits."""
    routes: list[Route] = []
    shared: list[int] = []
    lost: list[Child] = []
    for k, job in enumerate(inst.jobs):
        flags = solo_flags(inst, session, k)
        if not flags:
            shared.append(k)
            continue
        vehicle = cheapest_solo(inst, session, k, fleet, remaining)
        if vehicle is None:
            lost += job.kids
            continue
        remaining[vehicle.name] -= 1
        routes.append(
            build_route(
                inst,
                session=session,
                vehicle=vehicle,
                order=[k],
                rides_s=[solo_ride_s(inst, session, k)],
                policy=policy,
                flags=tuple(flags),
            )
        )
    return routes, shared, lost
