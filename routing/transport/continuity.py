"""Mid-year changes with continuity: re-plan a session after changes so that only the routes
that must change change.

Children settled with a driver and escort they know should keep them. A change (a child added
or removed, a new home or school, a route handed back) is absorbed in two steps:

1. *Repair* (``continuity_repair.py``): every route no change touches is kept exactly as it
   is; a route that lost children keeps its vehicle and the rest in their order, re-timed; each
   child who needs a seat is inserted where cost plus disruption rises least, or gets a new run.
2. *Wider re-optimisation where it pays*: the plan from scratch of the changed scenario (same
   seed and work limit, which the caller supplies) is a second candidate. Its routes are first
   matched to the baseline's (each takes the id of the baseline route of the same vehicle type
   it shares most children with), so "the same vehicle" means the same thing in both. Per
   school a change touched, the repaired routes give way to the from-scratch ones when those
   cost less *including* their disruption. Schools no change touched keep their routes as they
   are, even where the plan from scratch runs them cheaper: that difference is part of the
   saving forgone, and it is what keeps settled children settled. Disruption is
   ``disruption_move_gbp`` per child on another route than in the baseline and
   ``disruption_time_gbp`` per child kept on their route whose pick-up (AM) or drop-off (PM) time
   moved by more than ``pickup_tolerance_min`` (policy weights, ``data/policy.toml``).

A baseline route no change touches but that breaks a rule as it stands (a council's current
routes may: ``--evaluate`` lists them) must change too: its children are seated again as a
handed-back route's are.

With both weights 0, continuity is worth nothing and the result is the plan from scratch (its
cost exactly). The saving forgone is this plan's cost minus the plan from scratch's. Every
result passes the independent checker: a repaired plan it rejects (a bug) is replaced by the
plan from scratch, and ``chosen`` says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy, Scenario
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.continuity_repair import repair
from sendplan.routing.transport.plan import Route, TransportPlan, Unrouted


@dataclass(frozen=True)
class ChildChange:
    """One affected child: route and time before (None: not on the baseline) and after (None:
    on no route now). ``moved``: on another route; ``time_moved``: kept on their route, time
    moved by more than the tolerance."""

    child_id: str
    old_route: str | None
    new_route: str | None
    old_time_min: float | None
    new_time_min: float | None
    moved: bool
    time_moved: bool


@dataclass(frozen=True)
class RouteChange:
    """One route that changed: ``status`` is ``changed``, ``new``, ``ended``, ``handed_back`` or
    ``broke_a_rule`` (a baseline route no change touched that breaks a rule: re-planned).
    ``vehicle_type`` is the route's now (before, if it ended); the old and new vehicle type and
    layout (``seats+spaces``; None: no such run; "" where the baseline file does not state it)
    say what a route keeping its id changed to, e.g. ``15+0`` to ``13+1`` for a wheelchair."""

    route_id: str
    school_id: str
    vehicle_type: str
    status: str
    old_children: int
    new_children: int
    old_vehicle_type: str | None = None
    new_vehicle_type: str | None = None
    old_layout: str | None = None
    new_layout: str | None = None


@dataclass(frozen=True)
class Continuity:
    """A session re-planned with continuity, against its baseline and the plan from scratch."""

    plan: TransportPlan
    children: tuple[ChildChange, ...]
    routes: tuple[RouteChange, ...]
    chosen: str  # repair, repair+scratch_schools, from_scratch, from_scratch_after_checker
    disruption_gbp: float
    scratch_cost_gbp: float

    @property
    def moved(self) -> int:
        return sum(c.moved for c in self.children)

    @property
    def saving_forgone_gbp(self) -> float:
        """This plan's cost less the plan from scratch's (per session)."""
        return self.plan.cost_gbp - self.scratch_cost_gbp


ScratchFor = Callable[[frozenset[str] | None], TransportPlan]
"""The changed scenario's plan from scratch (same seed and work limit) for these schools, or for
every school (None); a plan of every school serves for any."""


def replan_session(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    scratch: TransportPlan,
    travel: TravelModel,
    *,
    handed_back: frozenset[str] = frozenset(),
    relocated: frozenset[str] = frozenset(),
) -> Continuity:
    """Re-plan ``baseline`` for the changed ``scenario`` (``school_of``: each transport-eligible
    child's school), given ``scratch``, the changed scenario's plan from scratch."""
    policy = scenario.policy
    plan, chosen, broken = continuity_plan(
        scenario, school_of, baseline, travel, scratch_for=lambda _schools: scratch,
        handed_back=handed_back, relocated=relocated,
    )  # fmt: skip
    children = measure(baseline, plan, policy)
    return Continuity(
        plan=replace(plan, figures={**scratch.figures, "continuity": chosen}),
        children=children,
        routes=route_changes(baseline, plan, handed_back, broken),
        chosen=chosen,
        disruption_gbp=disruption_gbp(children, policy),
        scratch_cost_gbp=scratch.cost_gbp,
    )


def continuity_plan(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    travel: TravelModel,
    *,
    scratch_for: ScratchFor,
    handed_back: frozenset[str] = frozenset(),
    relocated: frozenset[str] = frozenset(),
) -> tuple[TransportPlan, str, frozenset[str]]:
    """The re-planned session, how it was chosen and the baseline routes that broke a rule.
    Only the schools a change touched need their plan from scratch (``scratch_for``)."""
    policy = scenario.policy
    if policy.disruption_move_gbp == 0 and policy.disruption_time_gbp == 0:
        fresh = align_route_ids(baseline, scratch_for(None), handed_back=handed_back)
        return fresh, "from_scratch", frozenset()
    broken = broken_routes(
        scenario, school_of, baseline, travel, handed_back=handed_back, relocated=relocated
    )
    repaired = repair(
        scenario, school_of, baseline, travel, handed_back=handed_back | broken,
        relocated=relocated,
    )  # fmt: skip
    fresh = align_route_ids(baseline, scratch_for(repaired.touched), handed_back=handed_back)
    plan, chosen = _compose(scenario, baseline, repaired.plan, fresh, repaired.touched)
    if not check_transport(scenario, school_of, travel, plan).ok:
        fresh = align_route_ids(baseline, scratch_for(None), handed_back=handed_back)
        return fresh, "from_scratch_after_checker", broken
    return plan, chosen, broken


def measure(
    baseline: TransportPlan, plan: TransportPlan, policy: Policy
) -> tuple[ChildChange, ...]:
    """Every child whose route or time differs between the baseline and the plan (times to the
    hundredth of a minute, as routes.json states them)."""
    old = _stops(baseline)
    new = _stops(plan)
    out = []
    for child_id in sorted(old.keys() | new.keys()):
        (r0, t0), (r1, t1) = old.get(child_id, (None, None)), new.get(child_id, (None, None))
        same_time = t0 is not None and t1 is not None and round(t0, 2) == round(t1, 2)
        if r0 == r1 and same_time:
            continue
        both = r0 is not None and r1 is not None
        moved = both and r0 != r1
        far = both and not moved and abs((t1 or 0.0) - (t0 or 0.0)) > policy.pickup_tolerance_min
        out.append(ChildChange(child_id, r0, r1, t0, t1, moved, far))
    return tuple(out)


def disruption_gbp(children: tuple[ChildChange, ...], policy: Policy) -> float:
    moved = sum(c.moved for c in children)
    late = sum(c.time_moved for c in children)
    return moved * policy.disruption_move_gbp + late * policy.disruption_time_gbp


def broken_routes(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    travel: TravelModel,
    *,
    handed_back: frozenset[str],
    relocated: frozenset[str],
) -> frozenset[str]:
    """Baseline routes no change touches that break a rule as they stand (a council's current
    routes may): they must change, so their children are seated again like a handed-back
    route's. Routes a change touches are re-planned anyway."""
    untouched = [
        r
        for r in baseline.routes
        if r.route_id not in handed_back
        and not relocated & set(r.child_ids)
        and all(
            school_of.get(c) == call.school_id for call in r.school_calls for c in call.child_ids
        )
    ]
    ids = {r.route_id for r in untouched}
    verdict = check_transport(
        scenario, school_of, travel, replace(baseline, routes=tuple(untouched)), check_fleet=False
    )
    named = (
        v[len("route ") :].partition(": ")[0] for v in verdict.violations if v.startswith("route ")
    )
    return frozenset(n for n in named if n in ids)


def route_changes(
    baseline: TransportPlan,
    plan: TransportPlan,
    handed_back: frozenset[str],
    broken: frozenset[str] = frozenset(),
) -> tuple[RouteChange, ...]:
    """Every route added, ended or whose riders or times differ."""
    old = {r.route_id: r for r in baseline.routes}
    new = {r.route_id: r for r in plan.routes}
    out = []
    for route_id in sorted(old.keys() | new.keys()):
        a, b = old.get(route_id), new.get(route_id)
        if a is not None and b is not None and _same(a, b):
            continue
        r = b if b is not None else a
        assert r is not None
        status = (
            "handed_back"
            if route_id in handed_back
            else "broke_a_rule"
            if route_id in broken
            else "new"
            if a is None
            else "ended"
            if b is None
            else "changed"
        )
        out.append(
            RouteChange(
                route_id,
                r.school_id,
                r.vehicle_type,
                status,
                0 if a is None else len(a.stops),
                0 if b is None else len(b.stops),
                None if a is None else a.vehicle_type,
                None if b is None else b.vehicle_type,
                None if a is None else a.layout,
                None if b is None else b.layout,
            )
        )
    return tuple(out)


def align_route_ids(
    baseline: TransportPlan, plan: TransportPlan, *, handed_back: frozenset[str] = frozenset()
) -> TransportPlan:
    """``plan`` with each route renamed to the baseline route of the same vehicle type it shares
    the most children with (largest overlaps first), the rest to fresh ids, so that a child
    on the same vehicle keeps their route id. A route handed back is no one's vehicle now."""
    old = {r.route_id: r for r in baseline.routes if r.route_id not in handed_back}
    pairs = []
    for n, r in enumerate(plan.routes):
        for route_id, b in old.items():
            shared = len(set(r.child_ids) & set(b.child_ids))
            if shared and b.vehicle_type == r.vehicle_type:
                pairs.append((-shared, route_id, n))
    names: dict[int, str] = {}
    taken: set[str] = set()
    for _, route_id, n in sorted(pairs):
        if n not in names and route_id not in taken:
            names[n] = route_id
            taken.add(route_id)
    used = {r.route_id for r in baseline.routes}
    routes = []
    for n, r in enumerate(plan.routes):
        name = names.get(n) or _fresh_id(r, used)
        used.add(name)
        routes.append(replace(r, route_id=name))
    return replace(plan, routes=tuple(routes))


def _fresh_id(route: Route, used: set[str]) -> str:
    k = 1
    while f"{route.session.upper()}-{route.school_id}-N{k:03d}" in used:
        k += 1
    return f"{route.session.upper()}-{route.school_id}-N{k:03d}"


def _compose(
    scenario: Scenario,
    baseline: TransportPlan,
    repaired: TransportPlan,
    fresh: TransportPlan,
    touched: frozenset[str],
) -> tuple[TransportPlan, str]:
    """The repaired plan with each touched school's routes from scratch where those cost less
    with their disruption and vehicles allow. Mixed-school runs are weighed as a whole plan."""
    if any(r.mixed for p in (baseline, repaired, fresh) for r in p.routes):
        return repaired, "repair"
    policy = scenario.policy
    available = {v.name: v.available for v in scenario.fleet}
    plan, swapped = repaired, False
    for school_id in sorted(touched):
        mine = _at(plan, school_id)
        theirs = _at(fresh, school_id)
        if sum(len(r.stops) for r in theirs) < sum(len(r.stops) for r in mine):
            continue  # from scratch leaves children unrouted that the repair seats
        trial = _swap(plan, fresh, school_id)
        used = Counter(r.vehicle_type for r in trial.routes)
        if any(n > available[name] for name, n in used.items()):
            continue
        if _score(baseline, trial, policy) < _score(baseline, plan, policy) - 1e-9:
            plan, swapped = trial, True
    return plan, "repair+scratch_schools" if swapped else "repair"


def _swap(plan: TransportPlan, fresh: TransportPlan, school_id: str) -> TransportPlan:
    """``plan`` with ``school_id``'s routes and unrouted children taken from ``fresh``."""
    routes = [r for r in plan.routes if r.school_id != school_id] + _at(fresh, school_id)
    on = {c for r in routes for c in r.child_ids}
    reasons: dict[str, Unrouted] = {u.child_id: u for u in plan.unrouted}
    reasons.update({u.child_id: u for u in fresh.unrouted})
    unrouted = [u for c, u in sorted(reasons.items()) if c not in on]
    return replace(
        plan,
        routes=tuple(sorted(routes, key=lambda r: r.route_id)),
        unrouted=tuple(u for u in unrouted if u.child_id in _all(plan)),
    )


def _all(plan: TransportPlan) -> set[str]:
    return {c for r in plan.routes for c in r.child_ids} | {u.child_id for u in plan.unrouted}


def _at(plan: TransportPlan, school_id: str) -> list[Route]:
    return [r for r in plan.routes if r.school_id == school_id]


def _score(baseline: TransportPlan, plan: TransportPlan, policy: Policy) -> float:
    return plan.cost_gbp + disruption_gbp(measure(baseline, plan, policy), policy)


def _stops(plan: TransportPlan) -> dict[str, tuple[str, float]]:
    return {s.child_id: (r.route_id, s.time_min) for r in plan.routes for s in r.stops}


def _same(a: Route, b: Route) -> bool:
    return (
        a.child_ids == b.child_ids
        and a.vehicle_type == b.vehicle_type
        and a.layout == b.layout
        and all(
            round(x.time_min, 2) == round(y.time_min, 2)
            for x, y in zip(a.stops, b.stops, strict=True)
        )
    )
