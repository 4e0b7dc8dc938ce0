"""The status quo: every child at their current school, measured exactly as a plan is.

:func:`status_quo_plan` turns the children's current schools into a :class:`PlacementPlan`
(direct journeys from the drive travel model, each school's fee), so the status quo goes through
the same :func:`~sendplan.routing.summary.summarise_placement` (and, in ``solve``, the same route
planner) as the optimised plan. :func:`comparison_kpis` reads one flat dict of figures from
either; :func:`compare` puts the two side by side with their difference (optimised minus status
quo, key by key), the ``comparison`` block of summary.json.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.placement.costs import arc_cost_gbp
from sendplan.routing.placement.plan import (
    Assignment,
    PlacementPlan,
    Unplaced,
    UnplacedReason,
)
from sendplan.routing.summary import Summary, summarise_placement, year_cost_gbp
from sendplan.routing.transport.plan import TransportPlan

STATUS_QUO_SOLVER = "status-quo"

# School types as SEN2 groups special-school placements; any other type is counted under its own.
TYPE_GROUPS: dict[str, str] = {
    "la_maintained": "la_maintained",
    "academy": "academy_free",
    "free": "academy_free",
    "independent": "independent",
    "non_maintained": "non_maintained",
    "resourced_provision": "resourced_provision",
}
TYPE_KEYS = tuple(f"placed_{g}" for g in dict.fromkeys(TYPE_GROUPS.values()))

COMPARISON_KEYS: tuple[str, ...] = (
    "children", "placed", "unplaced", "placement_cost_gbp_per_year", "objective",
    "mean_travel_min", "max_travel_min", "placed_in_area", "placed_out_of_area",
    "out_of_area_share", *TYPE_KEYS, "over_capacity_schools", "over_capacity_places",
    "transported", "routes", "transport_cost_gbp_per_year",
)  # fmt: skip
"""The figures compared, the same keys for the status quo, the optimised plan and the
difference. ``placed_in_area`` counts children at a school with ``in_area`` true (inside the
commissioning LA), as the Summary does; ``out_of_area_share`` is ``placed_out_of_area / placed``;
``over_capacity_*`` compare each school's roll (children placed there) with its capacity;
transport figures are None when no route was planned."""

DIGITS: dict[str, int] = {
    "placement_cost_gbp_per_year": 2, "objective": 2, "mean_travel_min": 2,
    "max_travel_min": 2, "out_of_area_share": 4, "transport_cost_gbp_per_year": 2,
}  # fmt: skip
"""Decimal places of each non-count figure, as the Summary rounds it. :func:`comparison_kpis`
gives them unrounded and :func:`compare` rounds once: each figure, and each difference from
the unrounded figures (rounded figures subtracted could be a unit of the last place out)."""


def has_status_quo(scenario: Scenario) -> bool:
    """Whether every child has a current school (and there is at least one child)."""
    return bool(scenario.children) and all(c.current_school for c in scenario.children)


def status_quo_plan(scenario: Scenario, travel: TravelModel) -> PlacementPlan:
    """Every child at their current school, as a plan: direct journeys by ``travel``, the
    school's fee, in area and cross border as the solver records them, residential when the
    child has a residential need and the school residential places; ``objective`` is the
    weighted objective those placements would have. ``over_capacity`` stays empty (it records
    must-admit schools); rolls over capacity are in :func:`comparison_kpis`.

    A child whose current school is not open on ``scenario.as_of`` is unplaced
    (``no_open_school_meets_need``), costing ``unplaced_gbp`` as in the solver's objective.
    Raises ValueError when a child has no current school.
    """
    missing = [c.child_id for c in scenario.children if not c.current_school]
    if missing:
        raise ValueError(
            f"{len(missing)} children have no current school (first {missing[0]}): "
            "there is no status quo to measure"
        )
    schools = {s.school_id: s for s in scenario.schools}
    # A child whose school is not open on the scenario date has no place today: unplaced, not
    # counted at a closed school.
    closed = [
        c for c in scenario.children if not schools[str(c.current_school)].open_on(scenario.as_of)
    ]
    unplaced = tuple(
        Unplaced(
            child_id=c.child_id,
            reason=UnplacedReason.NO_OPEN_SCHOOL,
            detail=f"current school {c.current_school} is not open on {scenario.as_of}",
        )
        for c in sorted(closed, key=lambda c: c.child_id)
    )
    shut = {c.child_id for c in closed}
    children = sorted(
        (c for c in scenario.children if c.child_id not in shut), key=lambda c: c.child_id
    )
    at = [schools[str(c.current_school)] for c in children]
    homes = np.array([(c.lon, c.lat) for c in children], dtype=np.float64).reshape(-1, 2)
    sites = np.array([(s.lon, s.lat) for s in at], dtype=np.float64).reshape(-1, 2)
    seconds, metres = travel.pairs(homes, sites) if children else (np.zeros(0), np.zeros(0))
    assignments = []
    objective = 0
    for child, school, t, d in zip(
        children, at, np.asarray(seconds).tolist(), np.asarray(metres).tolist(), strict=True
    ):
        rank = child.preferences.index(school.school_id) + 1 if (
            school.school_id in child.preferences
        ) else None  # fmt: skip
        assignments.append(
            Assignment(
                child_id=child.child_id,
                school_id=school.school_id,
                travel_s=float(t),
                distance_m=float(d),
                annual_cost_gbp=float(school.annual_cost_gbp),
                preference_rank=rank,
                in_area=school.in_area,
                residential=child.residential_need and school.residential_places > 0,
                reasons=("current_school",),
                cross_border=child.home_la != school.la_code,
            )
        )
        objective += arc_cost_gbp(child, school, float(t), scenario.policy)
    objective += round(len(unplaced) * scenario.policy.unplaced_gbp)
    return PlacementPlan(
        assignments=tuple(assignments),
        unplaced=unplaced,
        objective=float(objective),
        optimal=False,
        travel_model=travel.name,
        solver=STATUS_QUO_SOLVER,
        mode="status_quo",
    )


def status_quo_summary(scenario: Scenario, travel: TravelModel) -> tuple[PlacementPlan, Summary]:
    """The status-quo plan and its placement Summary (see :func:`status_quo_plan`)."""
    plan = status_quo_plan(scenario, travel)
    return plan, summarise_placement(scenario, plan)


def school_rolls(plan: PlacementPlan) -> Counter[str]:
    """Children placed at each school."""
    return Counter(a.school_id for a in plan.assignments)


def comparison_kpis(
    scenario: Scenario,
    plan: PlacementPlan,
    summary: Summary,
    *,
    transport: Sequence[TransportPlan] = (),
) -> dict[str, Any]:
    """The :data:`COMPARISON_KEYS` figures of one plan, its Summary and its planned sessions'
    routes (``transport``; without them the Summary's rounded cost), the non-count figures
    unrounded (:func:`compare` rounds them as the Summary does: :data:`DIGITS`)."""
    groups = {s.school_id: TYPE_GROUPS.get(s.type, s.type) for s in scenario.schools}
    by_type = Counter(f"placed_{groups[a.school_id]}" for a in plan.assignments)
    capacity = {s.school_id: s.capacity for s in scenario.schools}
    over = {sid: n - capacity[sid] for sid, n in school_rolls(plan).items() if n > capacity[sid]}
    placed = len(plan.assignments)
    out_of_area = sum(1 for a in plan.assignments if not a.in_area)
    # The same arithmetic as summarise_placement, stopping short of its rounding.
    travel_min = np.array([a.travel_s / 60.0 for a in plan.assignments], dtype=float)
    transport_cost = (
        year_cost_gbp(scenario, transport) if transport else summary.transport_cost_gbp_per_year
    )
    figures: dict[str, Any] = {
        "children": summary.children,
        "placed": summary.placed,
        "unplaced": summary.unplaced,
        "placement_cost_gbp_per_year": sum(a.annual_cost_gbp for a in plan.assignments),
        "objective": plan.objective,
        "mean_travel_min": float(travel_min.mean()) if placed else None,
        "max_travel_min": float(travel_min.max()) if placed else None,
        "placed_in_area": summary.placed_in_area,
        "placed_out_of_area": summary.placed_out_of_area,
        "out_of_area_share": out_of_area / placed if placed else None,
        **{key: by_type.get(key, 0) for key in TYPE_KEYS},
        "over_capacity_schools": len(over),
        "over_capacity_places": sum(over.values()),
        "transported": summary.transported,
        "routes": summary.routes,
        "transport_cost_gbp_per_year": transport_cost,
    }
    return {key: figures[key] for key in COMPARISON_KEYS}


def _rounded(key: str, value: Any) -> Any:
    """A figure as the comparison shows it: counts as they are, others to :data:`DIGITS`."""
    if value is None or isinstance(value, int):
        return value
    return round(float(value), DIGITS.get(key, 4))


def difference(status_quo: dict[str, Any], optimised: dict[str, Any]) -> dict[str, Any]:
    """Optimised minus status quo, key by key (None where either is None), from the figures as
    given (unrounded from :func:`comparison_kpis`), rounded once."""
    out: dict[str, Any] = {}
    for key in COMPARISON_KEYS:
        a, b = status_quo.get(key), optimised.get(key)
        if a is None or b is None:
            out[key] = None
        elif isinstance(a, int) and isinstance(b, int):
            out[key] = b - a
        else:
            out[key] = _rounded(key, float(b) - float(a))
    return out


def compare(status_quo: dict[str, Any], optimised: dict[str, Any]) -> dict[str, Any]:
    """The ``comparison`` block: both sets of figures, rounded as the Summary rounds them, and
    their difference, computed before rounding."""
    return {
        "status_quo": {key: _rounded(key, value) for key, value in status_quo.items()},
        "optimised": {key: _rounded(key, value) for key, value in optimised.items()},
        "difference": difference(status_quo, optimised),
    }


__all__ = [
    "COMPARISON_KEYS", "DIGITS", "compare", "comparison_kpis", "difference", "has_status_quo",
    "school_rolls", "status_quo_plan", "status_quo_summary",
]  # fmt: skip
