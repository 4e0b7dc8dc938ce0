"""The repair step of a continuity re-plan (``continuity.py``): keep every route a change does not
touch exactly as it is, take the children who lost their seat off their routes, and seat each
again (``continuity_seat.py``: the cheapest feasible insertion counting disruption, or a new run).

A route that only lost children keeps its vehicle, its layout, the order of the rest and their
times (the vehicle waits where a child no longer rides; re-timed tight only if a leg no longer
fits, which a travel model keeping the triangle inequality never does). The children who need
a seat (new, moved home or school, or on a route handed back) are seated school by school,
wheelchair users first (they fit fewest runs), then by child id, so the repair is
deterministic. A mixed-school run a change touches is taken apart: its children are seated again
on their own school's runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Scenario, VehicleType
from sendplan.routing.transport.continuity_seat import Run, SchoolRuns, Seating
from sendplan.routing.transport.layouts import layout_of, vehicle_kinds
from sendplan.routing.transport.plan import Route, TransportPlan, Unrouted, UnroutedReason


@dataclass(frozen=True)
class Repaired:
    """The repaired plan and the schools a change touched."""

    plan: TransportPlan
    touched: frozenset[str]


def repair(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    baseline: TransportPlan,
    travel: TravelModel,
    *,
    handed_back: frozenset[str],
    relocated: frozenset[str],
) -> Repaired:
    """The baseline with the least change that seats every child of ``school_of``."""
    policy, session = scenario.policy, baseline.session
    kinds = vehicle_kinds(scenario.fleet)
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    old: dict[str, tuple[str, float]] = {
        s.child_id: (r.route_id, s.time_min) for r in baseline.routes for s in r.stops
    }
    runs: list[Run] = []
    need: list[str] = []
    touched: set[str] = set()
    for r in sorted(baseline.routes, key=lambda r: r.route_id):
        at = {c: call.school_id for call in r.school_calls for c in call.child_ids}
        stays = [
            c
            for c in r.child_ids
            if r.route_id not in handed_back and school_of.get(c) == at[c] and c not in relocated
        ]
        lost = [c for c in r.child_ids if c not in stays]
        need += [c for c in lost if school_of.get(c)]
        if not lost:
            runs.append(
                Run(
                    r.route_id,
                    r.school_id,
                    _kind(kinds, r, r.child_ids, children),
                    list(r.child_ids),
                    flags=r.flags,
                    original=r,
                )
            )
            continue
        touched.update(at.values())
        if r.mixed:
            need += stays
        elif stays:
            runs.append(
                Run(
                    r.route_id,
                    r.school_id,
                    _kind(kinds, r, stays, children),
                    stays,
                    flags=r.flags,
                    was=r,
                )
            )
    on_route = {c for r in baseline.routes for c in r.child_ids}
    need += [c for c, s in sorted(school_of.items()) if s and c not in on_route]
    need = sorted(set(need), key=lambda c: (not children[c].wheelchair, c))
    touched.update(s for c in need if (s := school_of[c]) is not None)
    remaining = {v.name: v.available for v in scenario.fleet}
    for run in runs:
        remaining[run.kind.name] -= 1
    unrouted = [
        Unrouted(c, UnroutedReason.NOT_PLACED, "no school place")
        for c, s in sorted(school_of.items())
        if s is None
    ]
    used_ids = {r.route_id for r in baseline.routes}
    for school_id in sorted(touched):
        mine = [r for r in runs if r.school_id == school_id and not _mixed(r)]
        wanting = [c for c in need if school_of[c] == school_id]
        kids = [children[c] for r in mine for c in r.order] + [children[c] for c in wanting]
        if not kids:
            continue
        here = SchoolRuns(schools[school_id], kids, kinds, travel, session, policy)
        for run in mine:
            taus = here.taus(run.order)
            if taus is not None:
                run.taus = taus
            elif run.dirty:  # cannot happen on a metric; re-seat them if it does
                runs.remove(run)
                remaining[run.kind.name] += 1
                wanting += run.order
            # An untouched run that breaks a limit as it stands (a council's) takes nobody.
        mine = [r for r in runs if r.school_id == school_id and not _mixed(r)]

        def add(run: Run, mine: list[Run] = mine) -> None:
            runs.append(run)
            mine.append(run)

        seating = Seating(
            here, mine, add, kinds, remaining, old, children, used_ids,
            frozenset(r.route_id for r in baseline.routes),
        )  # fmt: skip
        for child_id in wanting:
            if (left := seating.seat(child_id)) is not None:
                unrouted.append(left)
        for run in mine:
            if run.dirty and run.order:
                run.original = here.route(run)
    runs = [r for r in runs if r.order]
    routes = tuple(
        sorted((r.original for r in runs if r.original is not None), key=lambda r: r.route_id)
    )
    plan = TransportPlan(
        session=session,
        routes=routes,
        unrouted=tuple(sorted(unrouted, key=lambda u: u.child_id)),
        travel_model=travel.name,
        seed=baseline.seed,
        engine="continuity",
    )
    return Repaired(plan, frozenset(touched))


def _mixed(run: Run) -> bool:
    return run.original is not None and run.original.mixed


def _kind(
    kinds: Sequence[VehicleType],
    route: Route,
    riders: Sequence[str],
    children: Mapping[str, Child],
) -> VehicleType:
    """The kind (type and layout) a baseline route runs as: its stated layout, else the type's
    first layout that carries ``riders``."""
    same = [v for v in kinds if v.name == route.vehicle_type]
    for v in same:
        if layout_of(v) == route.layout:
            return v
    chairs = sum(children[c].wheelchair for c in riders if c in children)
    seats = len(riders) - chairs
    fits = [v for v in same if v.seats >= seats and v.wheelchair_spaces >= chairs]
    return (fits or same)[0]
