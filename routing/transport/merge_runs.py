"""Merging two runs of a school into one on a larger vehicle, where that is cheaper.

The engine's local search moves one job at a time, so two taxi runs that one minibus would do
for less stay two taxi runs: each single move into an empty minibus run first adds the
minibus's fixed cost (measured: on eight children next to a school, PyVRP kept two taxis at
£58.66 over 2,000 iterations where one minibus run costs £37.69). This pass looks at every
pair of a school's shared runs, tries the second run's jobs as one block at every place in the
first one's driving order, on every kind that suits the merged run and has a vehicle free, and
makes the merge that saves most, until none saves. A merge keeps every rule: rides within their
limits (the times are recomputed), seats, wheelchair spaces and assistants, never-together
pairs apart, and vehicles within what is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sendplan.routing.model import Policy, VehicleType
from sendplan.routing.transport.build_routes import build_route, job_order
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    clashes,
    feasible_taus,
    merged_job,
    run_cost_gbp,
)

__all__ = ["merge_runs"]


def merge_runs(
    routes: Sequence[Route],
    instances: Mapping[str, SchoolInstance],
    fleet: Sequence[VehicleType],
    remaining: dict[str, int],
    *,
    session: Session,
    policy: Policy,
) -> list[Route]:
    """The routes with runs merged while a merge saves; ``remaining`` is updated."""
    out = [r for r in routes if r.solo]
    by_school: dict[str, list[Route]] = {}
    for r in routes:
        if not r.solo:
            by_school.setdefault(r.school_id, []).append(r)
    for s in sorted(by_school):
        inst = instances[s]
        runs = [(job_order(inst, r), r) for r in by_school[s]]
        while (best := _best_merge(inst, session, runs, fleet, remaining)) is not None:
            i, j, order, vehicle = best
            remaining[runs[i][1].vehicle_type] += 1
            remaining[runs[j][1].vehicle_type] += 1
            remaining[vehicle.name] -= 1
            taus = feasible_taus(inst, session, order)
            assert taus is not None  # _best_merge only offers orders whose rides fit
            route = build_route(
                inst, session=session, vehicle=vehicle, order=order, rides_s=taus, policy=policy
            )
            runs = [run for k, run in enumerate(runs) if k not in (i, j)] + [(order, route)]
        out += [route for _, route in runs]
    return out


def _best_merge(
    inst: SchoolInstance,
    session: Session,
    runs: Sequence[tuple[list[int], Route]],
    fleet: Sequence[VehicleType],
    remaining: Mapping[str, int],
) -> tuple[int, int, list[int], VehicleType] | None:
    """The merge that saves most: (first run, second run, driving order, kind), or None."""
    most_seats = max((v.seats for v in fleet), default=0)
    most_chairs = max((v.wheelchair_spaces for v in fleet), default=0)
    best: tuple[float, int, int, list[int], VehicleType] | None = None
    for i, (a, run_a) in enumerate(runs):
        for j, (b, run_b) in enumerate(runs):
            if i == j:
                continue
            both = merged_job(inst, a + b)
            if both.seats > most_seats or both.chairs > most_chairs or clashes(both.kids):
                continue
            freed = Counter((run_a.vehicle_type, run_b.vehicle_type))
            free = [v for v in fleet if both.suits(v) and remaining[v.name] + freed[v.name] > 0]
            if not free:
                continue
            for at in range(len(a) + 1):
                order = a[:at] + b + a[at:]
                if feasible_taus(inst, session, order) is None:
                    continue
                for v in free:
                    cost = run_cost_gbp(inst, session, v, order)
                    saving = run_a.cost_gbp + run_b.cost_gbp - cost
                    if saving > 1e-6 and (best is None or saving > best[0] + 1e-9):
                        best = (saving, i, j, order, v)
    return None if best is None else best[1:]
