"""One Summary per solved scenario: the figures a panel, a transport team and a planner compare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from sendplan.routing.model import Policy, Scenario
from sendplan.routing.placement.explain import Explanation
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.transport.plan import TransportPlan


@dataclass(frozen=True)
class Summary:
    """The KPIs of DESIGN.md, one shape from every entry point.

    A figure that was not computed is None (null in JSON): the placement figures when the
    children kept their current schools (but ``placed_cross_border``, counted at the current
    schools), the transport figures when no session was planned.
    ``max_ride_min`` is the longest ride observed in the plan, never a limit.
    """

    children: int
    placed: int | None = None
    unplaced: int | None = None
    placed_in_area: int | None = None
    placed_out_of_area: int | None = None
    placed_independent: int | None = None
    placed_residential: int | None = None
    first_preference_met: int | None = None
    children_with_preferences: int | None = None
    unplaced_by_reason: dict[str, int] | None = None
    placement_cost_gbp_per_year: float | None = None
    mean_travel_min: float | None = None
    p95_travel_min: float | None = None
    max_travel_min: float | None = None
    objective: float | None = None
    optimal: bool | None = None
    solver: str | None = None
    travel_model: str = ""
    seed: int | None = None
    versions: dict[str, str] = field(default_factory=dict)
    transported: int | None = None
    vehicles: int | None = None
    routes: int | None = None
    transport_cost_gbp_per_day: float | None = None
    transport_cost_gbp_per_year: float | None = None
    max_ride_min: float | None = None
    rides_over_limit: int | None = None
    solo_routes: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # How the run was made: the work limit of the routing search and the input files' sha256.
    work_limit: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    # Transport detail: which sessions, how a day's cost was formed, the independent route
    # checker's verdict, children not routed, and the review counts (transport_review.csv).
    sessions: tuple[str, ...] = ()
    transport_cost_basis: str | None = None
    mixed_school_routes: int | None = None
    unrouted: int | None = None
    transport_checker_ok: bool | None = None
    walking_distance_flags: int | None = None
    ptb_cheaper_than_seat: int | None = None
    # --must-admit: per named school, who moved in, places over capacity, and why (or why not).
    must_admit_effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Lexicographic mode: what ``levels`` measure, most important first.
    levels_order: tuple[str, ...] = ()
    # Locked children (kept at their current school) whom their school could not take today:
    # those it does not admit (need, age, sex, residential) and, per school, the places its
    # locked children alone are over capacity. Reported for review, never moved.
    locked_unsuitable: tuple[str, ...] = ()
    locked_over_capacity_by_school: dict[str, int] = field(default_factory=dict)
    # Boarders (residential places) travel home and back weekly or termly, never on daily
    # routes: their number and the yearly cost of their journeys (policy journeys per year x
    # transport_gbp_per_km x the home-school distance), not in transport_cost_gbp_per_year.
    boarders: int | None = None
    boarder_transport_gbp_per_year: float | None = None
    # --evaluate: per session, the existing routes' cost, rule breaches and the saving.
    evaluation: dict[str, Any] | None = None
    # Issue 4: cross-border placements, the what-if mode and the cost of first preferences.
    # None (not 0) when there was no placement: a routes run's children at their current
    # schools have their cross-border count (``cross_border_at_current_schools``), no classes.
    placed_cross_border: int | None = None
    mode: str = "weighted"
    must_admit: tuple[str, ...] = ()
    over_capacity_places: int | None = None
    over_capacity_by_school: dict[str, int] = field(default_factory=dict)
    levels: tuple[int, ...] = ()
    classes: int | None = None
    arcs: int | None = None
    # Unlocked children with preferences whose first preference was not chosen, by status
    # (feasible, full, over_max_travel, ...), and the summed extra cost of honouring those
    # that were feasible (placement + estimated transport, GBP per year).
    first_preference_not_met_by_status: dict[str, int] = field(default_factory=dict)
    first_preference_feasible_extra_gbp_per_year: float | None = None
    # Issue 12: which children were placed this year (``movers_rule``, "phase_transfer" or
    # "all", and how many: the others stayed locked at their current school), and, when every
    # child has a current school, the status quo beside the optimised plan with their
    # difference: {"status_quo": {...}, "optimised": {...}, "difference": {...}}, the same keys
    # in each (``sendplan.routing.status_quo.COMPARISON_KEYS``).
    movers_rule: str | None = None
    movers: int | None = None
    comparison: dict[str, Any] | None = None
    # Transport offers by the policy's rules (``transport.entitlement``; children the council
    # decided count as "seat"/"none" with reason "council decision"), personal budgets' yearly
    # spend, cost per child helped (routes + budgets + boarders, ``routing.kpis``) and the share
    # of pre-16 routed children riding alone: comparable with NAO/CCN figures.
    entitlements_by_offer: dict[str, int] | None = None
    entitlements_by_reason: dict[str, int] | None = None
    ptb_gbp_per_year: float | None = None
    cost_per_transported_child_gbp: float | None = None
    solo_share: float | None = None
    # Issue 18: the measures councils report (``council_measures``); None when no session was
    # planned.
    council_measures: dict[str, Any] | None = None
    # --contracts (with --evaluate): the current routes priced by contract beside the model's
    # estimate (``transport.contracts.price_contracts``); with --keep-contracted: this plan's
    # routes, the kept ones by contract.
    contracts: dict[str, Any] | None = None
    # The council measures of the status quo's routes (planned for the same sessions by the
    # same planner), beside ``council_measures``; None when the status quo was not planned.
    council_measures_status_quo: dict[str, Any] | None = None
    # --evaluate: the council measures of the current routes read (all sessions read).
    council_measures_evaluated: dict[str, Any] | None = None
    # --keep-contracted: what became of each contracted route in force, per session.
    kept_contracted: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable key order."""
        data = asdict(self)
        data["notes"] = list(self.notes)
        data["must_admit"] = list(self.must_admit)
        data["levels"] = list(self.levels)
        data["sessions"] = list(self.sessions)
        data["levels_order"] = list(self.levels_order)
        data["locked_unsuitable"] = list(self.locked_unsuitable)
        return data


LEVELS_ORDERS = {
    "lexicographic": ("placed", "placed_in_area", "placement_cost_gbp", "travel_s"),
    "lexicographic_preferences": (
        "placed", "placed_in_area", "preference_ranks", "placement_cost_gbp", "travel_s",
    ),
}  # fmt: skip
"""What ``levels`` measure, most important first. ``lexicographic``: most children placed, then
most in area, then least cost, then least travel (parental preferences are no level);
``lexicographic_preferences`` puts the fewest preference ranks missed (0 at a first preference,
rank - 1 at a later one, the number named at a school not named) before cost."""


def versions() -> dict[str, str]:
    """Versions of sendplan and the solver engines, recorded in every summary."""
    found = {}
    for dist in ("sendplan", "ortools"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "unknown"
    return found


def summarise_placement(
    scenario: Scenario,
    plan: PlacementPlan,
    explanations: Sequence[Explanation] | None = None,
) -> Summary:
    """Compute the placement KPIs of a plan; transport KPIs stay None (not yet planned).

    With ``explanations`` (from ``explain_plan``) the first-preference cost figures are filled.
    """
    schools = {s.school_id: s for s in scenario.schools}
    children = {c.child_id: c for c in scenario.children}
    travel_min = np.array([a.travel_s / 60.0 for a in plan.assignments], dtype=float)
    with_prefs = [c for c in scenario.children if c.preferences]
    where = {a.child_id: a.school_id for a in plan.assignments}
    first_met = sum(1 for c in with_prefs if where.get(c.child_id) == c.preferences[0])
    by_status: Counter[str] = Counter()
    feasible_extra: float | None = None
    if explanations is not None:
        feasible_extra = 0.0
        for e in explanations:
            if e.first_preference is not None:
                by_status[e.first_preference.status] += 1
                if e.first_preference.status == "feasible":
                    feasible_extra += e.first_preference.extra_total_gbp
    in_area = sum(1 for a in plan.assignments if a.in_area)
    independent = sum(
        1
        for a in plan.assignments
        if schools[a.school_id].type in ("independent", "non_maintained")
    )
    residential = sum(1 for a in plan.assignments if a.residential)
    reasons = Counter(str(u.reason) for u in plan.unplaced)
    placed = len(plan.assignments)
    if placed + len(plan.unplaced) != len(children):
        raise ValueError("the plan does not account for every child exactly once")
    return Summary(
        children=len(children),
        placed=placed,
        unplaced=len(plan.unplaced),
        placed_in_area=in_area,
        placed_out_of_area=placed - in_area,
        placed_independent=independent,
        placed_residential=residential,
        first_preference_met=first_met,
        children_with_preferences=len(with_prefs),
        unplaced_by_reason=dict(sorted(reasons.items())),
        placement_cost_gbp_per_year=round(sum(a.annual_cost_gbp for a in plan.assignments), 2),
        mean_travel_min=_round(float(travel_min.mean())) if placed else None,
        p95_travel_min=_round(float(np.percentile(travel_min, 95))) if placed else None,
        max_travel_min=_round(float(travel_min.max())) if placed else None,
        objective=round(plan.objective, 2),
        optimal=plan.optimal,
        solver=plan.solver,
        travel_model=plan.travel_model,
        seed=scenario.seed,
        versions=versions(),
        boarders=residential,
        locked_unsuitable=locked_unsuitable(scenario),
        locked_over_capacity_by_school=locked_over_capacity(scenario),
        boarder_transport_gbp_per_year=round(
            sum(
                boarder_journey_gbp(a.distance_m, scenario.policy)
                for a in plan.assignments
                if a.residential
            ),
            2,
        ),
        placed_cross_border=sum(1 for a in plan.assignments if a.cross_border),
        mode=plan.mode,
        must_admit=plan.must_admit,
        over_capacity_places=sum(n for _, n in plan.over_capacity),
        over_capacity_by_school=dict(plan.over_capacity),
        levels=plan.levels,
        levels_order=LEVELS_ORDERS.get(plan.mode, ()),
        classes=plan.classes,
        arcs=plan.arcs,
        first_preference_not_met_by_status=dict(sorted(by_status.items())),
        first_preference_feasible_extra_gbp_per_year=None
        if feasible_extra is None
        else round(feasible_extra, 2),
    )


def cross_border_at_current_schools(scenario: Scenario) -> int:
    """Children whose current school is in another LA than their home (as a placement counts
    ``cross_border``); children without a current school in the scenario are not counted."""
    la_of = {s.school_id: s.la_code for s in scenario.schools}
    return sum(
        1
        for c in scenario.children
        if c.current_school in la_of and la_of[c.current_school] != c.home_la
    )


def _round(value: float) -> float:
    return round(value, 2)


def locked_unsuitable(scenario: Scenario) -> tuple[str, ...]:
    """Locked children whose current school does not admit them (need, age, sex, or a
    residential need without residential places), by id."""
    schools = {s.school_id: s for s in scenario.schools}
    out = []
    for c in scenario.children:
        school = schools.get(c.current_school or "")
        unfit = school is not None and (
            not school.admits(c) or (c.residential_need and school.residential_places == 0)
        )
        if c.locked and unfit:
            out.append(c.child_id)
    return tuple(sorted(out))


def locked_over_capacity(scenario: Scenario) -> dict[str, int]:
    """Per school, how many places its locked children alone are over its capacity."""
    locked = Counter(c.current_school for c in scenario.children if c.locked and c.current_school)
    capacity = {s.school_id: s.capacity for s in scenario.schools}
    return {
        sid: n - capacity[sid]
        for sid, n in sorted(locked.items())
        if sid in capacity and n > capacity[sid]
    }


def boarder_journey_gbp(distance_m: float, policy: Policy) -> float:
    """A boarder's yearly journeys home and back: the policy's journeys per year, each priced
    at ``transport_gbp_per_km`` over the home-school distance."""
    return policy.boarder_journeys_per_year * policy.transport_gbp_per_km * distance_m / 1000.0


def summarise_transport(
    scenario: Scenario, plans: Sequence[TransportPlan], *, checker_ok: bool
) -> dict[str, Any]:
    """The transport fields of the Summary for the planned sessions.

    Cost per day sums the planned sessions; with one session planned it is doubled (the other
    run of the day is assumed to cost the same) and ``transport_cost_basis`` says so.
    """
    routes = [r for p in plans for r in p.routes]
    day = day_cost_gbp(plans)
    basis = f"{plans[0].session} x 2" if len(plans) == 1 else "+".join(p.session for p in plans)
    rides = [s.ride_min for r in routes for s in r.stops]
    limits = {c.child_id: scenario.policy.ride_limit_min(c) for c in scenario.children}
    over = sum(1 for r in routes for s in r.stops if s.ride_min > limits[s.child_id] + 1e-6)
    return {
        "transported": len({c for r in routes for c in r.child_ids}),
        "vehicles": max((len(p.routes) for p in plans), default=0),
        "routes": len(routes),
        "transport_cost_gbp_per_day": round(day, 2),
        "transport_cost_gbp_per_year": round(year_cost_gbp(scenario, plans), 2),
        "transport_cost_basis": basis,
        "max_ride_min": round(max(rides), 2) if rides else None,
        "rides_over_limit": over,
        "solo_routes": sum(r.solo for r in routes),
        "mixed_school_routes": sum(r.mixed for r in routes),
        "unrouted": len({u.child_id for p in plans for u in p.unrouted}),
        "transport_checker_ok": checker_ok,
        "sessions": tuple(p.session for p in plans),
        "council_measures": council_measures(scenario, plans),
    }


def day_cost_gbp(plans: Sequence[TransportPlan]) -> float:
    """A school day's route cost: the planned sessions', doubled when one was planned."""
    day = sum(p.cost_gbp for p in plans)
    return 2 * day if len(plans) == 1 else day


def year_cost_gbp(scenario: Scenario, plans: Sequence[TransportPlan]) -> float:
    """The routes' yearly cost, unrounded (``transport_cost_gbp_per_year`` rounds it)."""
    return day_cost_gbp(plans) * scenario.policy.school_days_per_year


RIDE_THRESHOLDS_MIN = (45, 60, 75)


def council_measures(scenario: Scenario, plans: Sequence[TransportPlan]) -> dict[str, Any]:
    """The measures councils use to compare transport plans.

    ``vehicles_by_session``: routes (one vehicle each) per planned session. ``occupancy``: riders
    over the places (seats + wheelchair spaces) of each run's chosen layout, over all runs (a run
    stating no layout counts its type's seats and spaces). ``share_riding_over_min``: per
    threshold, the share of routed children whose longest ride in any session is over it.
    ``solo_runs``: runs with one rider (flagged or not). ``route_cost_per_child_gbp_per_year``:
    the routes' yearly cost (as ``transport_cost_gbp_per_year``) over the children routed; unlike
    ``cost_per_transported_child_gbp`` it leaves out personal budgets and boarders.
    """
    fleet = {v.name: v for v in scenario.fleet}
    routes = [r for p in plans for r in p.routes]
    riders = sum(len(r.stops) for r in routes)
    places = 0
    for r in routes:
        if r.layout:
            seats, spaces = (int(x) for x in r.layout.split("+"))
        else:
            seats, spaces = fleet[r.vehicle_type].seats, fleet[r.vehicle_type].wheelchair_spaces
        places += seats + spaces
    longest: dict[str, float] = {}
    for r in routes:
        for s in r.stops:
            longest[s.child_id] = max(longest.get(s.child_id, 0.0), s.ride_min)
    year = round(year_cost_gbp(scenario, plans), 2)
    return {
        "vehicles_by_session": {p.session: len(p.routes) for p in plans},
        "riders": riders,
        "places": places,
        "occupancy": round(riders / places, 4) if places else None,
        "share_riding_over_min": {
            str(t): round(sum(v > t + 1e-6 for v in longest.values()) / len(longest), 4)
            if longest
            else None
            for t in RIDE_THRESHOLDS_MIN
        },
        "solo_runs": sum(len(r.stops) == 1 for r in routes),
        "route_cost_per_child_gbp_per_year": round(year / len(longest), 2) if longest else None,
    }
