"""The exact plan for a school with a handful of children to share runs: every partition into
runs, every driving order and every vehicle type, so that the plan is proven optimal."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sendplan.routing.model import Policy, VehicleType
from sendplan.routing.transport.build_routes import build_route
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    clashes,
    feasible_taus,
    merged_job,
    run_cost_gbp,
)


def exact_routes(
    inst: SchoolInstance,
    session: Session,
    ks: Sequence[int],
    types: Sequence[VehicleType],
    remaining: dict[str, int],
    policy: Policy,
) -> list[Route]:
    """The proven cheapest runs for a handful of children: every partition, order and type.

    Used for schools with at most ``planner.EXACT_MAX_CHILDREN`` children to share runs, so
    that their plans are proven optimal. (The engine alone used to miss the optimum on about one
    such instance in four, where the choice between vehicle types dominates; with PyVRP's
    penalties scaled to our costs it reaches it on those instances, see
    ``tests/transport/test_transport.py``.)
    """

    def rides_of(order: tuple[int, ...]) -> list[int] | None:
        return feasible_taus(inst, session, [ks[i] for i in order])

    best_block: dict[int, tuple[float, tuple[int, ...], list[int], VehicleType] | None] = {}
    for mask in range(1, 1 << len(ks)):
        members = tuple(i for i in range(len(ks)) if mask >> i & 1)
        merged = merged_job(inst, [ks[i] for i in members])
        fitting = [v for v in types if merged.suits(v)]
        found = None
        if clashes(merged.kids):
            fitting = []  # never-together children may not share this run
        for order in itertools.permutations(members):
            rides = rides_of(order)
            if rides is None:
                continue
            for v in fitting:
                run = [ks[i] for i in order]
                key = (run_cost_gbp(inst, session, v, run), order, rides, v)
                if found is None or key[:2] < found[:2]:
                    found = key
        best_block[mask] = found
    # best[mask]: cheapest cover of mask, the block holding its lowest child chosen first
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for mask in range(1, 1 << len(ks)):
        low = mask & -mask
        rest, sub = mask & ~low, mask & ~low
        choice: tuple[float, list[int]] | None = None
        while True:
            block = sub | low
            found = best_block[block]
            if found is not None and best.get(mask & ~block) is not None:
                total = found[0] + best[mask & ~block][0]
                if choice is None or total < choice[0] - 1e-9:
                    choice = (total, [block, *best[mask & ~block][1]])
            if sub == 0:
                break
            sub = (sub - 1) & rest
        if choice is not None:
            best[mask] = choice
    out = []
    for block in best[(1 << len(ks)) - 1][1]:
        found = best_block[block]
        assert found is not None
        _cost, order, rides, v = found
        remaining[v.name] -= 1
        out.append(
            build_route(
                inst,
                session=session,
                vehicle=v,
                order=[ks[i] for i in order],
                rides_s=rides,
                policy=policy,
            )
        )
    return out
