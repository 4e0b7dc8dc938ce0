"""One Summary per solved scenario: the figures a panel, a transport team and a planner compare."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from sendplan.routing.explain import Explanation
from sendplan.routing.model import Scenario
from sendplan.routing.plan import PlacementPlan


@dataclass(frozen=True)
class Summary:
    """The KPIs of DESIGN.md. Transport figures are None until a transport plan exists."""

    children: int
    placed: int
    unplaced: int
    placed_in_area: int
    placed_out_of_area: int
    placed_independent: int
    placed_residential: int
    first_preference_met: int
    children_with_preferences: int
    unplaced_by_reason: dict[str, int]
    placement_cost_gbp_per_year: float
    mean_travel_min: float | None
    p95_travel_min: float | None
    max_travel_min: float | None
    objective: float
    optimal: bool
    solver: str
    travel_model: str
    seed: int | None
    versions: dict[str, str]
    transported: int | None = None
    vehicles: int | None = None
    routes: int | None = None
    transport_cost_gbp_per_day: float | None = None
    transport_cost_gbp_per_year: float | None = None
    max_ride_min: float | None = None
    rides_over_limit: int | None = None
    solo_routes: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Issue 4: cross-border placements, the what-if mode and the cost of first preferences.
    placed_cross_border: int = 0
    mode: str = "weighted"
    must_admit: tuple[str, ...] = ()
    over_capacity_places: int = 0
    over_capacity_by_school: dict[str, int] = field(default_factory=dict)
    levels: tuple[int, ...] = ()
    classes: int = 0
    arcs: int = 0
    # Unlocked children with preferences whose first preference was not chosen, by status
    # (feasible, full, over_max_travel, ...), and the summed extra cost of honouring those
    # that were feasible (placement + estimated transport, GBP per year).
    first_preference_not_met_by_status: dict[str, int] = field(default_factory=dict)
    first_preference_feasible_extra_gbp_per_year: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable key order."""
        data = asdict(self)
        data["notes"] = list(self.notes)
        data["must_admit"] = list(self.must_admit)
        data["levels"] = list(self.levels)
        return data


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
        notes=("transport not yet planned: transport figures are null",),
        placed_cross_border=sum(1 for a in plan.assignments if a.cross_border),
        mode=plan.mode,
        must_admit=plan.must_admit,
        over_capacity_places=sum(n for _, n in plan.over_capacity),
        over_capacity_by_school=dict(plan.over_capacity),
        levels=plan.levels,
        classes=plan.classes,
        arcs=plan.arcs,
        first_preference_not_met_by_status=dict(sorted(by_status.items())),
        first_preference_feasible_extra_gbp_per_year=None
        if feasible_extra is None
        else round(feasible_extra, 2),
    )


def _round(value: float) -> float:
    return round(value, 2)
