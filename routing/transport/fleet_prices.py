"""Prices for vehicle types that the schools want more of than there are.

The planner plans schools one after another, each with the vehicles the earlier ones left
(``planner.py``), so when a type runs short the schools planned first take it where it saves
little and those planned last go without where it would save much. A short probe plans every
school alone, with every vehicle left; for each type the probes use more of than exist, each of
its runs gets a *regret*: what its jobs would cost on the other types (its driving order cut into
consecutive runs, each on the cheapest other kind that suits it and keeps every ride within its
limit), less what they cost on it. The runs that regret losing the type most should keep it, so
its price is set halfway between the regret of the last run that can keep it and the first that
cannot. The planning proper adds the price to the type's fixed cost in the engine and when
choosing each run's vehicle (never to the plan's cost), so each school gives the type up where
that costs least: the price is the Lagrangian multiplier of the type's availability, read off the
probes. Vehicles a price leaves unused go, at the end, to the runs they save most on
(``use_leftovers``).

On the Leicester default AM the probes want about 33 of the 20 16-seat minibuses with an
assistant. Measured there (``bench transport --baseline pyvrp --seeds 1-5 --time-limit 60``, with
``merge_runs.py``): sendplan over plain PyVRP per school, mean ratio 0.9902 and max 0.9955,
against 0.9983 and 1.0021 before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sendplan.routing.model import Policy, VehicleType
from sendplan.routing.transport.build_routes import build_route, job_order
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    feasible_taus,
    merged_job,
    run_cost_gbp,
)

__all__ = ["regret_gbp", "scarcity_prices", "use_leftovers"]


def regret_gbp(
    inst: SchoolInstance,
    session: Session,
    order: Sequence[int],
    kind: VehicleType,
    others: Sequence[VehicleType],
) -> float:
    """What the run's jobs cost on the ``others`` kinds (its order cut into consecutive runs,
    each on the cheapest kind that suits it, every ride within its limit) less what the run
    costs on ``kind``; ``inf`` when no cut fits.

    The cut is an upper bound on the others' best plan for these jobs, so the regret is too."""
    n = len(order)
    best = [0.0] + [math.inf] * n
    for j in range(1, n + 1):
        for i in range(j):
            if best[i] == math.inf:
                continue
            seg = order[i:j]
            if feasible_taus(inst, session, seg) is None:
                continue
            run = merged_job(inst, seg)
            costs = [run_cost_gbp(inst, session, v, seg) for v in others if run.suits(v)]
            if costs:
                best[j] = min(best[j], best[i] + min(costs))
    return best[n] - run_cost_gbp(inst, session, kind, order)


def scarcity_prices(
    regrets: Mapping[str, Sequence[float]], available: Mapping[str, int]
) -> dict[str, float]:
    """Per type name, the price that leaves ``available`` of its runs (by ``regrets``, one a run
    the probes made on it) on it; types the probes fit in get none, nor do types whose runs
    cannot do without them (a price would not free a vehicle)."""
    prices: dict[str, float] = {}
    for name, values in sorted(regrets.items()):
        keep = available.get(name, 0)
        if len(values) <= keep:
            continue
        ranked = sorted(values, reverse=True)
        first_out = ranked[keep]
        if first_out == math.inf:
            continue
        last_in = ranked[keep - 1] if keep > 0 else math.inf
        # Halfway, or (when the last run kept cannot do without the type) just above the first
        # run left out; a regret at or below 0 needs no price to leave.
        top = last_in if last_in < math.inf else first_out + max(abs(first_out), 1.0)
        price = (first_out + top) / 2
        if price > 0:
            prices[name] = price
    return prices


def use_leftovers(
    routes: Sequence[Route],
    instances: Mapping[str, SchoolInstance],
    fleet: Sequence[VehicleType],
    remaining: dict[str, int],
    prices: Mapping[str, float],
    *,
    session: Session,
    policy: Policy,
) -> list[Route]:
    """Routes with the vehicles of priced types left over moved to the shared runs they save
    most on (same driving order, so every ride stays as it was); ``remaining`` is updated."""
    out = list(routes)
    for name in sorted(prices):
        kinds = [v for v in fleet if v.name == name]
        offers: list[tuple[float, int, VehicleType]] = []
        for i, r in enumerate(out):
            if r.solo or r.vehicle_type == name:
                continue
            inst = instances[r.school_id]
            order = job_order(inst, r)
            run = merged_job(inst, order)
            fits = [v for v in kinds if run.suits(v)]
            if not fits:
                continue
            v = min(fits, key=lambda v: (run_cost_gbp(inst, session, v, order), v.seats))
            saving = r.cost_gbp - run_cost_gbp(inst, session, v, order)
            if saving > 1e-9:
                offers.append((saving, i, v))
        for _saving, i, v in sorted(offers, key=lambda o: (-o[0], o[1])):
            if remaining[name] <= 0:
                break
            r = out[i]
            inst = instances[r.school_id]
            order = job_order(inst, r)
            taus = feasible_taus(inst, session, order)
            if taus is None:  # cannot happen for a planned run; never move one that breaks
                continue
            remaining[name] -= 1
            remaining[r.vehicle_type] += 1
            out[i] = build_route(
                inst, session=session, vehicle=v, order=order, rides_s=taus, policy=policy
            )
    return out
