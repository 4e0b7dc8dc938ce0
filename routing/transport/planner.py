"""Plan SEND home-to-school routes for one session (AM or PM) on the generic routing engine.

The formulation
---------------
Each school is solved on its own (single-school routes); when the policy sets
``mixed_school_routes``, ``mixed.py`` then merges nearby schools' runs where that is cheaper.

*Morning, reversed in time.* A morning run ends at the school at a fixed time ``A`` (the latest
arrival in the policy window, ``bell - arrival_window_min[0]``). Read backwards it is a VRPTW:
start at the school at time 0, visit the children in reverse pick-up order on the transposed
duration and distance matrices (one-way streets make them asymmetric), finish at the operator's
depot (the dead-heading leg to the first pick-up). The engine's service start time ``tau`` at a
child's stop is then exactly the child's ride (vehicle leaves their stop -> arrives at school),
so the child's maximum ride becomes the time window ``[0, max_ride]``. Boarding times are the
service durations. In real time the child boards at ``A - tau - boarding``.

*Afternoon, forwards.* The run leaves school at ``D = finish_pm + pm_departure_after_finish_min``
(time 0 in the engine), drops children off, and ends at the depot; a child's ride is again the
engine's service start time, within ``[0, max_ride]``.

The other dead-heading leg (depot -> school before a PM run, school -> depot after an AM run)
is the same for every run of a vehicle type at a school, so it is folded into the fixed cost.

*Vehicles.* One engine vehicle type per fleet type and layout (``layouts.py``, the layouts of a
type sharing its vehicles): loads (seats, wheelchair spaces) where a wheelchair user takes a
space and no seat; the skill ``assistant`` on types with a passenger
assistant, required by children who need one (the assistant's cost is in the type's fixed
cost). Costs are integers in 1e-5 GBP (a thousandth of a penny), so that the per-metre cost of
a per-km price in pence is whole; durations are seconds rounded up (so planned times stay
feasible on the travel model's exact times) and distances metres rounded.

*Solo routes.* ``travel_alone`` children and children whose direct journey already exceeds
their limit ride alone, on the cheapest suitable vehicle, flagged. They are planned first
(``solo.py``).

*Siblings and never-together pairs.* A flagged sibling group (same school) is one engine job:
its members are picked up (dropped off) one after another in child-id order, so the job arrives
at the first member's home and leaves from the last one's; its load and skills are the sums,
its service time is every boarding plus the drives between the homes, and its time window the
tightest member limit less that member's extra ride inside the job (``school_instance.py``).
The route expands it back into one stop per child (``build_routes.py``). A group is planned
apart when one member travels alone, two members must never ride together, no vehicle type
carries them all, or their joint pick-up already breaks a limit. Never-together pairs are kept
apart by the exact search (``exact.py``, for schools with at most ``EXACT_MAX_CHILDREN``
children to share runs); after an engine solve a run carrying a pair drops the later child's
job, which rides on its own (flagged ``never_together``), the rest of the run keeping its
vehicle (``never_together.py``).

*Availability* is per fleet type across all schools of the session (one vehicle does one run
per session): schools are solved one after another, largest first, each with what the earlier
ones left, so the plan never uses more vehicles than exist; a child left without a suitable
vehicle is ``fleet_exhausted``.

*Scarce types.* Planning largest school first gives a type that runs short to the schools
planned first, wherever it saves little. When some type may run short (``fleet_probe.py``), a
probe with ``PROBE_SHARE`` of the work limit first plans every school alone with every vehicle
left; a type its plans want more of than exist gets a price (``fleet_prices.py``: the regret of
the last of its runs that can keep it), added to its fixed cost in the engine and in each run's
choice of vehicle (not to the plan's cost), so each school gives it up where that costs least;
vehicles the price leaves unused go at the end to the runs they save most on. Each school's
search then goes on from its probe's plan. Last, two runs of a school are merged into one on a
larger vehicle wherever that is cheaper (``merge_runs.py``), a move the engine's one-job-at-a-time
search does not make.

*Work limits.* A runtime budget is shared among schools in proportion to their children, the
schools small enough for the exact plan taking a token share (what a school leaves unused goes
to the next); an iteration limit applies to each school's solve, which makes the plan
deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Scenario
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.transport.build_routes import routes_from_solution, unrouted_from_solution
from sendplan.routing.transport.exact import exact_routes
from sendplan.routing.transport.fleet_prices import use_leftovers
from sendplan.routing.transport.fleet_probe import (
    Tour,
    initial_tours,
    may_run_short,
    probe_prices,
)
from sendplan.routing.transport.layouts import engine_shares, kinds_used, vehicle_kinds
from sendplan.routing.transport.merge_runs import merge_runs
from sendplan.routing.transport.mixed import improve_with_mixed_runs
from sendplan.routing.transport.never_together import part_never_together
from sendplan.routing.transport.plan import Route, Session, TransportPlan, Unrouted, UnroutedReason
from sendplan.routing.transport.rules import COST_UNITS_PER_GBP, suits
from sendplan.routing.transport.school_instance import engine_problem, instance_for
from sendplan.routing.transport.solo import solo_routes
from sendplan.routing.vrp.solve import solve
from sendplan.routing.vrp.stop import (
    StopCriterion,
    now,
    runtime_share,
    with_limits,
    with_runtime,
)

MIN_SCHOOL_RUNTIME_S = 0.05
# The merge's share of a runtime budget. With ``mixed.MAX_JOBS`` at 250, on the Leicester default
# AM (seed 1, runs back to back) the merge saved 2.2% of its single-school runs' cost at 30 s
# with 0.35 against 1.9% with 0.2, and 6.5% at 120 s with 0.35.
MIXED_SHARE = 0.35
# OR-Tools counts solutions, each far dearer than a PyVRP iteration on pickup-and-delivery with
# ride limits (measured: ~0.3 s each on a 70-job group), so the merge gets fewer of them.
MIXED_ITERATION_DIVISOR = 10
# The probe's share of a runtime budget (and of each school's iterations) when a vehicle type may
# run short (``fleet_probe.py``); the planning proper goes on from the probe's plans, so the
# probe's time is not lost to it. Not tuned: only this value was measured (``fleet_prices.py``).
PROBE_SHARE = 0.25
# Schools with at most this many children to share runs get the exact plan (``exact.py``);
# read at call time, so a test may set it to 0 to plan every school on the engine.
EXACT_MAX_CHILDREN = 5

Progress = Callable[[str], None]


__all__ = ["plan_transport", "school_of_children"]


def school_of_children(
    scenario: Scenario, placement: PlacementPlan | None
) -> dict[str, str | None]:
    """Each child who travels daily and is transport-eligible, with their school: from the
    placement, else ``current_school`` (None: no school place).

    Boarders (a residential place) travel weekly, not daily, so they are on no daily route:
    see ``boarders``.
    """
    undecided = [c.child_id for c in scenario.children if c.transport_eligible is None]
    if undecided:
        # Undecided is not "not eligible": planning would silently route nobody.
        raise ValueError(
            f"{len(undecided)} children (first {undecided[0]}) have transport_eligible left to "
            "the policy: decide it first (sendplan.routing.solve.decide_transport)"
        )
    out: dict[str, str | None] = {}
    placed = {a.child_id: a for a in placement.assignments} if placement is not None else {}
    boarding = boarders(scenario, placement)
    for child in sorted(scenario.children, key=lambda c: c.child_id):
        if not child.transport_eligible or child.child_id in boarding:
            continue
        if placement is None:
            out[child.child_id] = child.current_school
        else:
            a = placed.get(child.child_id)
            out[child.child_id] = None if a is None else a.school_id
    return out


def boarders(scenario: Scenario, placement: PlacementPlan | None) -> dict[str, str]:
    """Children in a residential place (placed in one, or, without a placement, with a
    residential need at a current school that has residential places), with their school."""
    if placement is not None:
        return {a.child_id: a.school_id for a in placement.assignments if a.residential}
    residential = {s.school_id for s in scenario.schools if s.residential_places > 0}
    return {
        c.child_id: c.current_school
        for c in scenario.children
        if c.residential_need and c.current_school in residential
    }


def plan_transport(
    scenario: Scenario,
    placement: PlacementPlan | None,
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    seed: int,
    progress: Progress | None = None,
    workers: int | None = None,
) -> TransportPlan:
    """Routes for every transport-eligible child for one session; the rest unrouted with reasons.

    ``placement`` None means every child goes to their ``current_school``.
    """
    say = progress or (lambda _msg: None)
    t0 = now()
    # One kind per (type, layout), kinds of a type sharing its vehicles (``layouts.py``).
    policy, fleet = scenario.policy, vehicle_kinds(scenario.fleet)
    budget = stop.max_runtime_s()
    mixed_stop = None
    if policy.mixed_school_routes:
        # Single-school runs first, then the merge, each with its share of the runtime.
        iterations = stop.max_iterations()
        mixed_stop = with_limits(
            stop,
            runtime_s=None if budget is None else budget * MIXED_SHARE,
            iterations=None
            if iterations is None
            else max(1, iterations // MIXED_ITERATION_DIVISOR),
        )
        stop = with_runtime(stop, None if budget is None else budget * (1 - MIXED_SHARE))
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    remaining = {v.name: v.available for v in fleet}
    unrouted: list[Unrouted] = []
    by_school: dict[str, list[Child]] = {}
    for child_id, school_id in school_of_children(scenario, placement).items():
        if school_id is None:
            unrouted.append(Unrouted(child_id, UnroutedReason.NOT_PLACED, "no school place"))
        else:
            by_school.setdefault(school_id, []).append(children[child_id])

    def no_vehicle(child: Child) -> Unrouted:
        if not any(suits(v, child) for v in fleet):
            return Unrouted(child.child_id, UnroutedReason.NO_SUITABLE_VEHICLE, _needs(child))
        return Unrouted(child.child_id, UnroutedReason.FLEET_EXHAUSTED, _needs(child))

    order = sorted(by_school, key=lambda s: (-len(by_school[s]), s))
    instances = {
        s: instance_for(schools[s], by_school[s], fleet, travel, session=session, policy=policy)
        for s in order
    }
    routes: dict[str, list[Route]] = {}
    shared: dict[str, list[int]] = {}

    # Solo routes first: they are forced, and they use vehicles too.
    for s in order:
        routes[s], shared[s], lost = solo_routes(instances[s], session, fleet, remaining, policy)
        unrouted += [no_vehicle(c) for c in lost]

    engines: set[str] = set()
    prices: dict[str, float] = {}
    starts: dict[str, list[Tour]] = {}
    if may_run_short(instances, shared, fleet, remaining):
        say(f"{session.upper()} routes: probing which vehicle types run short")
        prices, starts = probe_prices(
            instances, order, shared, fleet, remaining, policy, session=session,
            stop=_probe_stop(stop), seed=seed, workers=workers,
        )  # fmt: skip
    weight_left = sum(_share_weight(len(shared[s])) for s in order)
    for number, s in enumerate(order, start=1):
        inst, ks = instances[s], shared[s]
        if not ks:
            continue
        types = [v for v in fleet if remaining[v.name] > 0]
        routable = [k for k in ks if any(inst.jobs[k].suits(v) for v in types)]
        unrouted += [no_vehicle(c) for k in ks if k not in routable for c in inst.jobs[k].kids]
        if not routable:
            weight_left -= _share_weight(len(ks))
            continue
        if len(routable) <= EXACT_MAX_CHILDREN and all(
            remaining[v.name] >= len(routable) for v in types
        ):
            routes[s] += exact_routes(inst, session, routable, types, remaining, policy)
            engines.add("exact")
            weight_left -= _share_weight(len(ks))
            continue
        problem = engine_problem(
            inst, session, routable, types, remaining, policy, prices=prices
        ).build()
        label = f"{session.upper()} routes: school {number}/{len(order)} ({len(routable)} children)"
        say(label)

        def report(cost: int, label: str = label) -> None:
            say(f"{label}, best £{cost / COST_UNITS_PER_GBP:,.2f}")

        result = solve(
            problem,
            _school_stop(stop, t0, weight_left, _share_weight(len(ks))),
            seed,
            workers=workers,
            progress=report,
            initial=initial_tours(starts.get(s, []), routable, types, remaining),
        )
        by_kind = kinds_used(types, (r.vehicle_type for r in result.routes))
        shares = engine_shares(types, by_kind, remaining)
        if shares is not None:  # a type's layouts together used more vehicles than are left
            types = [v for v, n in zip(types, shares, strict=True) if n > 0]
            kept = [n for n in shares if n > 0]
            problem = engine_problem(
                inst, session, routable, types, remaining, policy, available=kept, prices=prices
            ).build()
            result = solve(
                problem,
                _school_stop(stop, t0, weight_left, _share_weight(len(ks))),
                seed,
                workers=workers,
                progress=report,
            )
        weight_left -= _share_weight(len(ks))
        engines.add(result.engine)
        routes[s] += routes_from_solution(
            inst, session, result, routable, types, remaining, policy, prices
        )
        unrouted += unrouted_from_solution(inst, result, routable, types, no_vehicle)

    for s in order:
        routes[s], lost = part_never_together(
            instances[s], session, routes[s], fleet, remaining, policy
        )
        unrouted += [no_vehicle(c) for c in lost]
    if prices:
        moved = use_leftovers(
            [r for s in order for r in routes[s]], instances, fleet, remaining, prices,
            session=session, policy=policy,
        )  # fmt: skip
        routes = _by_school(moved, order)
    merged = merge_runs(
        [r for s in order for r in routes[s]], instances, fleet, remaining,
        session=session, policy=policy,
    )  # fmt: skip
    routes = _by_school(merged, order)
    mixed: dict[str, float] = {}
    if mixed_stop is not None:
        say(f"{session.upper()} routes: merging nearby schools' runs")
        flat, mixed = improve_with_mixed_runs(
            [r for s in order for r in routes[s]],
            {c.child_id: job for s in order for job in instances[s].jobs for c in job.kids},
            [schools[s] for s in order],
            fleet,
            travel,
            remaining,
            paired={
                i for c in scenario.children if c.never_with for i in (c.child_id, *c.never_with)
            },
            policy=policy,
            session=session,
            stop=mixed_stop,
            seed=seed,
            workers=workers,
        )
        routes = _by_school(flat, order)
        if mixed.get("groups_improved"):
            engines.add("ortools")
    out: list[Route] = []
    for s in sorted(order):
        ranked = sorted(routes[s], key=lambda r: (r.solo, r.vehicle_type, r.child_ids))
        for n, r in enumerate(ranked, start=1):
            out.append(replace(r, route_id=f"{session.upper()}-{s}-{n:03d}"))
    used = {v.name: v.available - remaining[v.name] for v in fleet}
    return TransportPlan(
        session=session,
        routes=tuple(out),
        unrouted=tuple(sorted(unrouted, key=lambda u: u.child_id)),
        travel_model=travel.name,
        seed=seed,
        engine="+".join(sorted(engines)) or "none",
        figures={
            "schools": len(order),
            "vehicles_used_by_type": used,
            "vehicles_available_by_type": {v.name: v.available for v in fleet},
            "mixed_school_routes": policy.mixed_school_routes,
            "fleet_prices_gbp": prices,
            **{f"mixed_{k}": v for k, v in mixed.items()},
        },
    )


def _share_weight(n_children: int) -> float:
    """A school's weight in the runtime shares: its children, but a token weight for a school
    small enough for the exact plan, which takes next to no time (weighted by its children, its
    share went unspent: the Leicester default's 120 s AM run finished in 115 s).

    Measured on the Leicester default AM at 10 s, seed 1, three runs each back to back:
    ``children ** 0.7`` and ``children`` alike, ``children ** 1.5`` 0.6% dearer (the schools
    of 13-40 jobs then stop before their plan settles).
    """
    if n_children <= EXACT_MAX_CHILDREN:
        return 1.0 if n_children else 0.0
    return float(n_children)


def _school_stop(
    stop: StopCriterion, t0: float, weight_left: float, weight: float
) -> StopCriterion:
    """This school's share of the runtime left (``stop.runtime_share``), at least
    ``MIN_SCHOOL_RUNTIME_S``."""
    return runtime_share(
        stop, t0=t0, weight=weight, weight_left=weight_left, floor_s=MIN_SCHOOL_RUNTIME_S
    )


def _by_school(routes: Sequence[Route], order: Sequence[str]) -> dict[str, list[Route]]:
    return {s: [r for r in routes if r.school_id == s] for s in order}


def _probe_stop(stop: StopCriterion) -> StopCriterion:
    """The probe's work limit: ``PROBE_SHARE`` of the runtime and of each solve's iterations."""
    budget, iterations = stop.max_runtime_s(), stop.max_iterations()
    return with_limits(
        stop,
        runtime_s=None if budget is None else budget * PROBE_SHARE,
        iterations=None if iterations is None else max(1, round(iterations * PROBE_SHARE)),
    )


def _needs(child: Child) -> str:
    parts = ["wheelchair space" if child.wheelchair else "seat"]
    if child.needs_assistant:
        parts.append("passenger assistant")
    return "needs " + " and ".join(parts)
