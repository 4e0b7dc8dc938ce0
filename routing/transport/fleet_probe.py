"""The probe behind the fleet's prices (``fleet_prices.py``): every school planned alone, in a
short search, with every vehicle left after the solo runs; the types those plans use more of
than exist get a price, and each school's plan is where its search proper starts from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sendplan.routing.model import Policy, VehicleType
from sendplan.routing.transport.fleet_prices import regret_gbp, scarcity_prices
from sendplan.routing.transport.layouts import kind_key
from sendplan.routing.transport.plan import Session
from sendplan.routing.transport.school_instance import SchoolInstance, engine_problem
from sendplan.routing.vrp.problem import InitialTour, Visit
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import StopCriterion, now, runtime_share

Tour = tuple[tuple[str, str], tuple[int, ...]]
"""A probe's run: its kind (``layouts.kind_key``) and its jobs in the engine's order."""

MIN_PROBE_RUNTIME_S = 0.05

__all__ = ["Tour", "initial_tours", "may_run_short", "probe_prices"]


def may_run_short(
    instances: Mapping[str, SchoolInstance],
    shared: Mapping[str, Sequence[int]],
    fleet: Sequence[VehicleType],
    remaining: Mapping[str, int],
) -> bool:
    """Whether some type could run short: at least two schools have runs to plan and, over
    them, more jobs that the type suits than it has vehicles left."""
    schools = [s for s in instances if shared[s]]
    if len(schools) < 2:
        return False
    for name in sorted({v.name for v in fleet}):
        kinds = [v for v in fleet if v.name == name]
        suited = sum(
            any(instances[s].jobs[k].suits(v) for v in kinds) for s in schools for k in shared[s]
        )
        if suited > remaining[name]:
            return True
    return False


def probe_prices(
    instances: Mapping[str, SchoolInstance],
    order: Sequence[str],
    shared: Mapping[str, Sequence[int]],
    fleet: Sequence[VehicleType],
    remaining: Mapping[str, int],
    policy: Policy,
    *,
    session: Session,
    stop: StopCriterion,
    seed: int,
    workers: int | None,
) -> tuple[dict[str, float], dict[str, list[Tour]]]:
    """Plan each school alone (``stop`` shared among them by their jobs): the prices of the
    types their plans want more of than ``remaining``, and each school's runs."""
    t0 = now()
    types = [v for v in fleet if remaining[v.name] > 0]
    plans: dict[str, list[tuple[VehicleType, list[int]]]] = {}
    schools = [s for s in order if shared[s]]
    weight_left = float(sum(len(shared[s]) for s in schools))
    for s in schools:
        inst = instances[s]
        routable = [k for k in shared[s] if any(inst.jobs[k].suits(v) for v in types)]
        weight = float(len(shared[s]))
        part = runtime_share(
            stop, t0=t0, weight=weight, weight_left=weight_left, floor_s=MIN_PROBE_RUNTIME_S
        )
        weight_left -= weight
        if not routable:
            continue
        problem = engine_problem(inst, session, routable, types, remaining, policy).build()
        result = solve(problem, part, seed, workers=workers)
        plans[s] = [
            (types[r.vehicle_type], [routable[v.index] for v in r.visits]) for r in result.routes
        ]
    used = Counter(v.name for runs in plans.values() for v, _ in runs)
    regrets: dict[str, list[float]] = {}
    for name in sorted(n for n, count in used.items() if count > remaining[n]):
        others = [v for v in types if v.name != name]
        for s, runs in plans.items():
            for v, ks in runs:
                if v.name == name:
                    driving = ks[::-1] if session == "am" else ks
                    regret = regret_gbp(instances[s], session, driving, v, others)
                    regrets.setdefault(name, []).append(regret)
    starts = {s: [(kind_key(v), tuple(ks)) for v, ks in runs] for s, runs in plans.items()}
    return scarcity_prices(regrets, remaining), starts


def initial_tours(
    tours: Sequence[Tour],
    routable: Sequence[int],
    types: Sequence[VehicleType],
    remaining: Mapping[str, int],
) -> tuple[InitialTour, ...]:
    """A probe's runs as a search's initial routes: those whose kind is among ``types`` and
    whose jobs are all ``routable``, in order, while their type has vehicles left."""
    index = {kind_key(v): i for i, v in enumerate(types)}
    position = {k: i for i, k in enumerate(routable)}
    left = dict(remaining)
    out: list[InitialTour] = []
    for key, ks in tours:
        i = index.get(key)
        if i is None or left[key[0]] <= 0 or any(k not in position for k in ks):
            continue
        left[key[0]] -= 1
        out.append((i, tuple(Visit("client", position[k]) for k in ks)))
    return tuple(out)
