"""Never-together repair: after a school's runs are planned, a run carrying two children who
must never ride together is parted."""

from __future__ import annotations

from collections.abc import Sequence

from sendplan.routing.model import Child, Policy, VehicleType
from sendplan.routing.transport.build_routes import build_route
from sendplan.routing.transport.layouts import kind_key
from sendplan.routing.transport.plan import Route, RouteFlag, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    clashes,
    feasible_taus,
    merged_job,
    solo_ride_s,
)
from sendplan.routing.transport.solo import cheapest_solo


def part_never_together(
    inst: SchoolInstance,
    session: Session,
    routes: list[Route],
    fleet: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> tuple[list[Route], list[Child]]:
    """Repair runs that carry a never-together pair; also returns children left without a
    vehicle.

    The engines know nothing of these pairs (the exact search already avoids them). A run with
    a clash drops the job holding the later child of each clashing pair; the rest keep their
    vehicle and order (re-timed; if a ride limit would then break, every job of the run goes
    on its own). Each dropped job rides on its own run in the cheapest vehicle left, flagged
    ``never_together`` when it holds one of a pair: rare in practice, and always valid, at the
    price of optimality.
    """
    job_of = {c.child_id: k for k, j in enumerate(inst.jobs) for c in j.kids}
    vehicles = {kind_key(v): v for v in fleet}
    out: list[Route] = []
    alone: list[int] = []
    for route in routes:
        ks = list(dict.fromkeys(job_of[i] for i in route.child_ids))
        if not clashes(merged_job(inst, ks).kids):
            out.append(route)
            continue
        keep: list[int] = []
        for k in ks:
            trial = merged_job(inst, [*keep, k])
            if clashes(trial.kids):
                alone.append(k)
            else:
                keep.append(k)
        taus = feasible_taus(inst, session, keep)
        if taus is None:
            alone += keep
            remaining[route.vehicle_type] += 1
            continue
        out.append(
            build_route(
                inst,
                session=session,
                vehicle=vehicles[route.vehicle_type, route.layout],
                order=keep,
                rides_s=taus,
                policy=policy,
            )
        )
    lost: list[Child] = []
    paired = {i for c in inst.children for i in (c.child_id, *c.never_with) if c.never_with}
    for k in alone:
        vehicle = cheapest_solo(inst, session, k, fleet, remaining)
        if vehicle is None:
            lost += inst.jobs[k].kids
            continue
        remaining[vehicle.name] -= 1
        tau = solo_ride_s(inst, session, k)
        out.append(
            build_route(
                inst,
                session=session,
                vehicle=vehicle,
                order=[k],
                rides_s=[tau],
                policy=policy,
                # Only a job holding one of a pair says why; others were split off with it.
                flags=(RouteFlag.NEVER_TOGETHER.value,)
                if any(c.child_id in paired for c in inst.jobs[k].kids)
                else (),
            )
        )
    return out, lost
