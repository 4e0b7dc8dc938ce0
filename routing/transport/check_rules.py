"""The independent route checker's rules on who rides in what, which need no travel times:
coverage (each eligible child on exactly one route, at their own school, or unrouted with a
valid reason: no school place only without a school, no suitable vehicle only when no type suits,
the fleet exhausted only when every suitable type's vehicles are all on routes), a vehicle's
layout (one of its type's) with its seats and wheelchair spaces and the passenger assistant,
travel-alone children riding alone, every route flag a known one with its reason on the route,
and never-together pairs sharing a vehicle.

Like ``check.py`` it shares no code with the planner beyond the domain types.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from sendplan.errors import visible
from sendplan.routing.model import Child, VehicleType, layout_label
from sendplan.routing.transport.plan import Route, RouteFlag, TransportPlan, UnroutedReason


def coverage(
    plan: TransportPlan,
    school_of: Mapping[str, str | None],
    fleet: Mapping[str, VehicleType],
    children: Mapping[str, Child],
    *,
    check_fleet: bool = True,
) -> list[str]:
    """Each eligible child on exactly one route (in one of its school calls, at their own school)
    or unrouted with a valid reason (``fleet_exhausted`` judged only with ``check_fleet``: a
    part of a plan does not show which vehicles the rest uses)."""
    out: list[str] = []
    seen: Counter[str] = Counter()
    for r in plan.routes:
        seen.update(r.child_ids)
    left = Counter(u.child_id for u in plan.unrouted)
    for child_id in sorted(set(seen) | set(left) | set(school_of)):
        if child_id not in school_of:
            out.append(f"child {child_id}: is not a transport-eligible child of this scenario")
        elif seen[child_id] + left[child_id] != 1:
            out.append(
                f"child {child_id}: on {seen[child_id]} routes and unrouted {left[child_id]} times"
            )
    for r in plan.routes:
        taken: Counter[str] = Counter()
        for call in r.school_calls:
            taken.update(call.child_ids)
            for child_id in call.child_ids:
                if child_id in school_of and school_of[child_id] != call.school_id:
                    out.append(
                        f"route {r.route_id}: child {child_id} does not attend {call.school_id}"
                    )
        for child_id in r.child_ids:
            if taken[child_id] != 1:
                out.append(
                    f"route {r.route_id}: child {child_id} is in {taken[child_id]} school calls"
                )
    used = Counter(r.vehicle_type for r in plan.routes)
    for u in plan.unrouted:
        if not isinstance(u.reason, UnroutedReason):
            out.append(f"child {u.child_id}: unrouted without a valid reason ({u.reason!r})")
        elif u.child_id in school_of:
            fault = _unfounded(u.reason, school_of[u.child_id], children.get(u.child_id),
                               fleet, used if check_fleet else None)  # fmt: skip
            if fault:
                out.append(f"child {u.child_id}: unrouted as {u.reason.value} but {fault}")
    return out


def _unfounded(
    reason: UnroutedReason,
    school_id: str | None,
    child: Child | None,
    fleet: Mapping[str, VehicleType],
    used: Counter[str] | None,
) -> str | None:
    """What contradicts an unrouted child's reason (None: nothing does). ``used``: vehicles on
    routes by type, None when the plan may be a part (the fleet is then not judged)."""
    if (reason == UnroutedReason.NOT_PLACED) != (school_id is None):
        return "has a school" if school_id is not None else "has no school"
    if child is None:
        return None
    if reason == UnroutedReason.NO_SUITABLE_VEHICLE and any(
        _suits(v, child) for v in fleet.values()
    ):
        return "a type suits"
    if reason == UnroutedReason.FLEET_EXHAUSTED and used is not None:
        for v in fleet.values():
            if _suits(v, child) and used[v.name] < v.available:
                return f"{visible(v.name)} has {v.available - used[v.name]} of {v.available} free"
    return None


def never_together(plan: TransportPlan, children: Mapping[str, Child]) -> list[str]:
    """Never-together pairs sharing a route, and routes flagged for a pair nobody on them has."""
    out: list[str] = []
    paired = {i for c in children.values() for i in (c.child_id, *c.never_with) if c.never_with}
    for r in plan.routes:
        if RouteFlag.NEVER_TOGETHER.value in r.flags and not paired & set(r.child_ids):
            out.append(f"route {r.route_id}: flagged never_together but nobody on it has a pair")
        on = set(r.child_ids)
        pairs = {
            tuple(sorted((i, o)))
            for i in r.child_ids
            if i in children
            for o in children[i].never_with
            if o in on
        }
        for a, b in sorted(pairs):
            out.append(f"route {r.route_id}: children {a} and {b} must never ride together")
    return out


def vehicle_rules(
    route: Route,
    vehicle: VehicleType,
    kids: Sequence[Child],
) -> list[str]:
    """One route's vehicle: its stated layout is one of the type's, seats and wheelchair spaces
    of that layout at its peak load, the passenger assistant, and travel-alone children riding
    alone (flagged). A route stating no layout may use any of the type's."""
    out: list[str] = []
    seats, chairs = _peak_load(route, kids)
    options = vehicle.layout_options
    stated = _layout(route.layout)
    if route.layout and stated not in options:
        shown = ", ".join(layout_label(lay) for lay in options)
        out.append(f"layout {visible(route.layout)} is not one of {vehicle.name}'s ({shown})")
        stated = None  # and the load is checked against the type's own layouts
    if stated is None:  # the first layout that takes the load (else the first, for the message)
        stated = next((lay for lay in options if lay[0] >= seats and lay[1] >= chairs), options[0])
    name = vehicle.name if len(options) == 1 else f"{vehicle.name} in layout {layout_label(stated)}"
    if seats > stated[0]:
        out.append(f"{seats} seated children but {name} has {stated[0]} seats")
    if chairs > stated[1]:
        out.append(f"{chairs} wheelchair users but {name} has {stated[1]} wheelchair spaces")
    needing = [c.child_id for c in kids if c.needs_assistant]
    if needing and not vehicle.has_assistant:
        out.append(f"child {needing[0]} needs a passenger assistant but {vehicle.name} has none")
    if route.assistant != vehicle.has_assistant:
        out.append(
            f"assistant={route.assistant} but {vehicle.name} has_assistant={vehicle.has_assistant}"
        )
    for flag in route.flags:
        if flag not in _FLAGS:
            out.append(f"unknown flag {visible(flag)}")
    alone = [c.child_id for c in kids if c.travel_alone]
    if RouteFlag.TRAVEL_ALONE.value in route.flags and not alone:
        out.append("flagged travel_alone but nobody on it travels alone")
    if alone and len(kids) > 1:
        out.append(f"child {alone[0]} must travel alone but shares with {len(kids) - 1} others")
    if alone and RouteFlag.TRAVEL_ALONE.value not in route.flags:
        out.append(f"child {alone[0]} travels alone but the route is not flagged travel_alone")
    if len(set(c.child_id for c in kids)) != len(kids):
        out.append("a child appears twice")
    return out


def _peak_load(route: Route, kids: Sequence[Child]) -> tuple[int, int]:
    """Most seated children and wheelchair users on board at once. A single-school run carries
    all of them to (from) school; a mixed run empties at each AM call and fills at each PM one.
    """
    aboard = [0, 0]
    peak = aboard.copy()
    pick = route.session == "am"
    by_id = {c.child_id: c for c in kids}
    for i, kid in enumerate([*kids, None]):  # calls placed outside the run are not counted
        for call in route.school_calls:
            if call.after_stops == i:
                for child_id in call.child_ids:
                    if child_id in by_id:
                        aboard[by_id[child_id].wheelchair] += -1 if pick else 1
        peak = list(map(max, peak, aboard))
        if kid is not None:
            aboard[kid.wheelchair] += 1 if pick else -1
            peak = list(map(max, peak, aboard))
    return peak[0], peak[1]


def _suits(vehicle: VehicleType, child: Child) -> bool:
    space_ok = any(
        (spaces if child.wheelchair else seats) >= 1 for seats, spaces in vehicle.layout_options
    )
    return space_ok and (vehicle.has_assistant or not child.needs_assistant)


_FLAGS = frozenset(f.value for f in RouteFlag)
_LAYOUT = re.compile(r"(\d{1,4})\+(\d{1,4})")


def _layout(text: str) -> tuple[int, int] | None:
    """A stated ``seats+spaces`` layout (None: blank or not of that form)."""
    match = _LAYOUT.fullmatch(text)
    return None if match is None else (int(match[1]), int(match[2]))
