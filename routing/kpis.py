"""One Summary per solved scenario: the figures a panel, a transport team and a planner compare."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable key order."""
        data = asdict(self)
        data["notes"] = list(self.notes)
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


def summarise_placement(scenario: Scenario, plan: PlacementPlan) -> Summary:
    """Compute the placement KPIs of a plan; transport KPIs stay None (not yet planned)."""
    schools = {s.school_id: s for s in scenario.schools}
    children = {c.child_id: c for c in scenario.children}
    travel_min = np.array([a.travel_s / 60.0 for a in plan.assignments], dtype=float)
    with_prefs = [c for c in scenario.children if c.preferences]
    first_met = sum(
        1
        for c in with_prefs
        if (a := plan.assignment(c.child_id)) is not None and a.school_id == c.preferences[0]
    )
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
    )


def _round(value: float) -> float:
    return round(value, 2)
