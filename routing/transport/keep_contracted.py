"""Keep contracted routes fixed in a re-plan and re-plan only the rest (``sendplan routes
--baseline ROUTES --contracts CONTRACTS.csv --keep-contracted``).

A route whose contract is in force is the operator's for the contract's term: it keeps its
vehicle, layout, riders, their order and their times, and no new child joins it (that would
change what the contract priced). A kept route is simply a route the re-plan may not touch: it
and its riders are taken out of the problem (its riders are not to be seated again, its vehicle
is not free), the rest is re-planned by the continuity re-plan of ``continuity.py`` (with the
policy's disruption weights, changes or none, so that only what must change changes; from
scratch when the caller asks, as the CLI does when both weights are 0), and the kept routes
are put back. The whole plan then goes to the independent checker.

What a change does to a contracted route, each reported with its ``status``:

- ``kept``: nothing touched it; it is the baseline route as it was.
- ``kept_fewer_riders``: riders left it (removed, moved home or school, or no longer entitled);
  the others keep their order and times, the vehicle its layout (it waits where a child no
  longer rides, which a travel model keeping the triangle inequality always allows).
- ``ended``: every rider left; the contract is still in force but the route carries no one.
- ``handed_back``: its operator handed it back; its riders are re-planned with the rest.
- ``broke_a_rule``: as it stands it breaks a rule (``why`` says which); it cannot be kept, so
  its riders are re-planned with the rest.
- ``released``: kept, the whole plan would break a rule (a rider's sibling, say, needs a seat
  and must ride with them); it is re-planned with the rest instead.

With no route kept the result is exactly the continuity re-plan without ``--keep-contracted``
(from scratch: the plan from scratch, its routes named after the baseline routes they share
most riders with, as a continuity re-plan names them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.continuity import (
    Continuity,
    continuity_plan,
    disruption_gbp,
    measure,
    route_changes,
)
from sendplan.routing.transport.evaluate import evaluate_routes
from sendplan.routing.transport.existing import ExistingStop
from sendplan.routing.transport.plan import Route, Session, TransportPlan

KEPT = ("kept", "kept_fewer_riders")
"""The statuses of a contracted route that is in the plan as the operator runs it."""

PlanRest = Callable[[Scenario], TransportPlan]
"""The plan from scratch of a scenario (the rest: kept riders not eligible, kept vehicles
taken), with the same seed and work limit as the plan from scratch of the whole."""


@dataclass(frozen=True)
class Stated:
    """What a baseline file states of a route beyond its stops (routes.json does): its layout
    and when the vehicle leaves and is back at its depot. ``--evaluate`` already keeps these
    where they fit the rules (``existing.py``); taking them back again here is a safeguard for
    a kept route: the stated layout where it holds the load, the stated depot times where the
    legs allow them (a time stated to the hundredth may be a few hundredths of a second too
    tight to keep)."""

    layout: str = ""
    start_min: float | None = None
    end_min: float | None = None


@dataclass(frozen=True)
class KeptRoute:
    """What became of one contracted route of one session."""

    route_id: str
    session: Session
    status: str
    riders_before: int
    riders_now: int
    riders_left: tuple[str, ...] = ()
    why: str = ""

    @property
    def kept(self) -> bool:
        return self.status in KEPT


@dataclass(frozen=True)
class KeptSession:
    """A session re-planned around its kept routes, and what became of each contracted one."""

    continuity: Continuity
    kept: tuple[KeptRoute, ...]


def replan_keeping(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    scratch: TransportPlan,
    travel: TravelModel,
    *,
    contracted: Collection[str],
    plan_rest: PlanRest,
    continuity: bool,
    handed_back: frozenset[str] = frozenset(),
    relocated: frozenset[str] = frozenset(),
    stated: Mapping[str, Stated] | None = None,
) -> KeptSession:
    """Re-plan ``baseline`` for the (changed) ``scenario`` keeping its routes named in
    ``contracted`` (contracts in force). ``scratch`` is the whole plan from scratch (the
    yardstick of the saving forgone); ``continuity`` False plans the rest from scratch.
    ``stated``: what the baseline file states of its routes beyond their stops, by route id."""
    rows: dict[str, KeptRoute] = {}
    kept: dict[str, Route] = {}
    for route in baseline.routes:
        if route.route_id in contracted:
            row, fixed = _keep_one(
                scenario, school_of, travel, route, handed_back=handed_back,
                relocated=relocated, stated=(stated or {}).get(route.route_id, Stated()),
            )  # fmt: skip
            rows[route.route_id] = row
            if fixed is not None:
                kept[route.route_id] = fixed
    while True:
        plan, chosen, broken = _rest(
            scenario, school_of, baseline, scratch, travel, kept, plan_rest=plan_rest,
            continuity=continuity, handed_back=handed_back, relocated=relocated,
        )  # fmt: skip
        verdict = check_transport(scenario, school_of, travel, plan)
        named = _named(verdict.violations, kept)
        if verdict.ok or not named:
            break  # a plan the checker rejects for no kept route's sake is the caller's to refuse
        for route_id, why in named.items():
            del kept[route_id]
            rows[route_id] = replace(rows[route_id], status="released", riders_now=0, why=why)
    policy = scenario.policy
    children = measure(baseline, plan, policy)
    figures = {**scratch.figures, "continuity": chosen, "kept_contracted": len(kept)}
    return KeptSession(
        Continuity(
            plan=replace(plan, figures=figures),
            children=children,
            routes=route_changes(baseline, plan, handed_back, broken),
            chosen=chosen,
            disruption_gbp=disruption_gbp(children, policy),
            scratch_cost_gbp=scratch.cost_gbp,
        ),
        tuple(rows[k] for k in sorted(rows)),
    )


def _rest(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    scratch: TransportPlan,
    travel: TravelModel,
    kept: Mapping[str, Route],
    *,
    plan_rest: PlanRest,
    continuity: bool,
    handed_back: frozenset[str],
    relocated: frozenset[str],
) -> tuple[TransportPlan, str, frozenset[str]]:
    """The whole plan: the rest re-planned around the kept routes, the kept routes put back."""
    riders = {c for r in kept.values() for c in r.child_ids}
    rest = rest_scenario(scenario, kept.values(), continuity=continuity)
    rest_school_of = {c: s for c, s in school_of.items() if c not in riders}
    others = tuple(r for r in baseline.routes if r.route_id not in kept)
    rest_baseline = replace(baseline, routes=others)
    # Nothing kept: the rest is the whole, planned as the re-plan without keeping plans it.
    rest_scratch = scratch if not kept else plan_rest(rest)
    plan, chosen, broken = continuity_plan(
        rest, rest_school_of, rest_baseline, travel, scratch_for=lambda _schools: rest_scratch,
        handed_back=handed_back, relocated=relocated,
    )  # fmt: skip
    if kept:
        routes = tuple(sorted((*plan.routes, *kept.values()), key=lambda r: r.route_id))
        plan = replace(plan, routes=routes)
    return plan, chosen, broken


def rest_scenario(scenario: Scenario, kept: Collection[Route], *, continuity: bool) -> Scenario:
    """``scenario`` without the kept routes: their riders not to be seated (not eligible here)
    and their vehicles not free; disruption weights 0 when the rest is planned from scratch."""
    policy = scenario.policy
    if not continuity:
        policy = replace(policy, disruption_move_gbp=0.0, disruption_time_gbp=0.0)
    if not kept and policy == scenario.policy:
        return scenario
    riders = {c for r in kept for c in r.child_ids}
    used = Counter(r.vehicle_type for r in kept)
    children = tuple(
        replace(c, transport_eligible=False) if c.child_id in riders else c
        for c in scenario.children
    )
    fleet = tuple(
        replace(v, available=max(0, v.available - used[v.name])) if used[v.name] else v
        for v in scenario.fleet
    )
    return replace(scenario, children=children, fleet=fleet, policy=policy)


def _keep_one(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    route: Route,
    *,
    handed_back: frozenset[str],
    relocated: frozenset[str],
    stated: Stated,
) -> tuple[KeptRoute, Route | None]:
    """What becomes of one contracted route, and the route kept (None: not kept)."""
    before = len(route.stops)
    row = KeptRoute(route.route_id, route.session, "kept", before, before)
    if route.route_id in handed_back:
        why = "its operator handed it back: its riders are re-planned"
        return replace(row, status="handed_back", riders_now=0, why=why), None
    at = {c: call.school_id for call in route.school_calls for c in call.child_ids}
    stays = [c for c in route.child_ids if school_of.get(c) == at[c] and c not in relocated]
    left = tuple(c for c in route.child_ids if c not in stays)
    if not stays:
        why = "every rider left it: the contract is in force but the route carries no one"
        return replace(row, status="ended", riders_now=0, riders_left=left, why=why), None
    fixed = route if not left else fewer_riders(scenario, school_of, travel, route, stays)
    problems = route_violations(scenario, school_of, travel, fixed)
    if problems:
        why = "; ".join(problems)
        return replace(row, status="broke_a_rule", riders_now=0, riders_left=left, why=why), None
    fixed = as_stated(scenario, school_of, travel, fixed, stated, same_stops=not left)
    if left:
        why = f"{len(left)} rider{'s' if len(left) > 1 else ''} left it; the rest keep their times"
        return replace(row, status="kept_fewer_riders", riders_now=len(stays),
                       riders_left=left, why=why), fixed  # fmt: skip
    return replace(row, why="in force and untouched: kept as it is"), fixed


def as_stated(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    route: Route,
    stated: Stated,
    *,
    same_stops: bool,
) -> Route:
    """``route`` in its stated layout where that holds the load, and (when its stops are the
    stated ones) leaving and back at the depot at the stated times where the legs allow."""
    out = route
    if stated.layout and stated.layout != route.layout:
        trial = replace(route, layout=stated.layout)
        if not route_violations(scenario, school_of, travel, trial):
            out = trial
    if same_stops and stated.start_min is not None and stated.end_min is not None:
        # the depot legs as rebuilt are tight: an earlier start or later return always fits
        out = replace(
            out,
            start_min=min(stated.start_min, route.start_min),
            end_min=max(stated.end_min, route.end_min),
        )
    return out


def fewer_riders(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    route: Route,
    stays: Sequence[str],
) -> Route:
    """``route`` with only ``stays`` on board, in their order, at their times and school calls
    (rebuilt as ``--evaluate`` reads a route whose every time is stated exactly), on the same
    vehicle in the same layout."""
    call_of = {c: call for call in route.school_calls for c in call.child_ids}
    times = {s.child_id: s.time_min for s in route.stops}
    stops = [
        ExistingStop(
            route_id=route.route_id,
            vehicle_type=route.vehicle_type,
            school_id=call_of[c].school_id,
            session=route.session,
            stop_order=n,
            child_id=c,
            time_min=times[c],
            school_time_min=call_of[c].time_min,
            precision_min=0.0,
        )
        for n, c in enumerate(stays, start=1)
    ]
    mine = {c: school_of[c] for c in stays}
    rebuilt = evaluate_routes(scenario, mine, travel, stops, session=route.session).plan.routes[0]
    return replace(rebuilt, layout=route.layout or rebuilt.layout)


def route_violations(
    scenario: Scenario, school_of: Mapping[str, str | None], travel: TravelModel, route: Route
) -> tuple[str, ...]:
    """The rules ``route`` breaks on its own (its riders, vehicle, times and rides)."""
    alone = TransportPlan(route.session, (route,), (), travel.name, 0, "kept")
    verdict = check_transport(scenario, school_of, travel, alone, check_fleet=False)
    prefix = f"route {route.route_id}: "
    return tuple(v[len(prefix) :] for v in verdict.violations if v.startswith(prefix))


def _named(violations: Sequence[str], kept: Mapping[str, Route]) -> dict[str, str]:
    """Kept routes a violation of the whole plan names (the route's own, or a sibling group
    split over it and another), with the first such violation."""
    out: dict[str, str] = {}
    for v in violations:
        for route_id in kept:
            own = v.startswith(f"route {route_id}: ")
            split = v.startswith("sibling group ") and repr(route_id) in v.partition(" routes ")[2]
            if (own or split) and route_id not in out:
                out[route_id] = v
    return out
