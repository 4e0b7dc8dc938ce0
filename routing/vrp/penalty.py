"""The penalty for leaving a job out: above anything serving it could cost, so an engine routes
every job it can and leaves out only those it cannot."""

from __future__ import annotations

from sendplan.routing.vrp.problem import Problem


def drop_penalty(problem: Problem) -> int:
    """A penalty per job left out, above what serving it alone could cost."""
    dist = int(problem.distance.max())
    dur = int(problem.duration.max())
    horizon = max(
        [c.tw_early + c.service_duration for c in problem.clients]
        + [max(s.pickup.tw_early, s.delivery.tw_early) for s in problem.shipments]
        + [0]
    )
    service = max(
        [c.service_duration for c in problem.clients]
        + [s.pickup.service_duration + s.delivery.service_duration for s in problem.shipments]
        + [0]
    )
    worst = max(
        vt.fixed_cost
        + vt.unit_distance_cost * 3 * dist
        + vt.unit_duration_cost * (3 * dur + service + horizon)
        for vt in problem.vehicle_types
    )
    return 10 * worst + 1000
