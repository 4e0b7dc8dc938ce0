"""The rows of placements.csv and placements.xlsx: one per child, typed (text, numbers,
booleans, None for an empty cell), so both files carry the same figures.

Besides the school, reasons and explanations, each row carries the child's unrounded direct
journey (``travel_s``, ``distance_m``) and its share of the plan's objective term by term
(:mod:`sendplan.routing.placement.terms`): the ``objective_gbp`` column sums to the plan's
objective to the pound.
"""

from __future__ import annotations

from collections.abc import Sequence

from sendplan.routing.model import Scenario
from sendplan.routing.placement.explain import Explanation
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.placement.terms import TERM_COLUMNS, objective_terms
from sendplan.routing.summary import locked_over_capacity, locked_unsuitable

CellValue = str | int | float | bool | None

PLACEMENT_COLUMNS = (
    "child_id", "status", "school_id", "school_name", "school_la_code", "travel_min", "distance_km",
    "annual_cost_gbp", "preference_rank", "in_area", "residential", "cross_border", "reasons",
    "flags", "unplaced_reason", "detail", "alternatives", "first_preference",
    "first_preference_status", "first_preference_extra_gbp", "travel_s", "distance_m",
    *TERM_COLUMNS,
)  # fmt: skip

# Columns shown rounded to this many decimals (the CSV's text, the workbook's number format);
# every other number is written whole (ints) or unrounded (floats, shortest exact text).
DECIMALS = {"travel_min": 1, "distance_km": 2, "annual_cost_gbp": 0,
            "first_preference_extra_gbp": 0}  # fmt: skip


def review_flags(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Per child, what a person should review: a locked child at a school that cannot meet their
    need (``locked_unsuitable``) or among locked children over its capacity
    (``locked_over_capacity``)."""
    out: dict[str, list[str]] = {c: ["locked_unsuitable"] for c in locked_unsuitable(scenario)}
    over = locked_over_capacity(scenario)
    for c in scenario.children:
        if c.locked and c.current_school in over:
            out.setdefault(c.child_id, []).append("locked_over_capacity")
    return {c: tuple(f) for c, f in out.items()}


def _alternatives_cell(explanation: Explanation | None) -> str:
    """``school:fee delta GBP:journey delta min`` per alternative, best first, ``;``-joined."""
    if explanation is None:
        return ""
    return ";".join(
        f"{x.school_id}:{x.cost_delta_gbp:+.0f}:{x.travel_delta_s / 60.0:+.1f}"
        for x in explanation.alternatives
    )


def _preference_cells(explanation: Explanation | None) -> dict[str, CellValue]:
    pref = explanation.first_preference if explanation is not None else None
    if pref is None:
        return dict.fromkeys(
            ("first_preference", "first_preference_status", "first_preference_extra_gbp")
        )
    return {
        "first_preference": pref.school_id,
        "first_preference_status": pref.status,
        "first_preference_extra_gbp": pref.extra_total_gbp,
    }


def placement_rows(
    scenario: Scenario, plan: PlacementPlan, explanations: Sequence[Explanation] = ()
) -> list[dict[str, CellValue]]:
    """One row per child (placed or unplaced) by child_id, keyed by ``PLACEMENT_COLUMNS``.

    ``alternatives`` lists up to three feasible alternatives as ``school:fee delta GBP:journey
    delta min``; ``first_preference_extra_gbp`` is the yearly placement + estimated transport
    cost of honouring the first preference (see ``sendplan.routing.placement.explain``).
    """
    schools = {s.school_id: s for s in scenario.schools}
    explained = {e.child_id: e for e in explanations}
    flags = review_flags(scenario)
    terms = objective_terms(scenario, plan)
    rows: list[dict[str, CellValue]] = []
    for a in plan.assignments:
        school = schools[a.school_id]
        row: dict[str, CellValue] = dict.fromkeys(PLACEMENT_COLUMNS)
        row.update(
            child_id=a.child_id,
            status="placed",
            school_id=a.school_id,
            school_name=school.name,
            school_la_code=school.la_code,
            travel_min=a.travel_s / 60.0,
            distance_km=a.distance_m / 1000.0,
            annual_cost_gbp=a.annual_cost_gbp,
            preference_rank=a.preference_rank,
            in_area=a.in_area,
            residential=a.residential,
            cross_border=a.cross_border,
            reasons=";".join(a.reasons),
            flags=";".join(flags.get(a.child_id, ())),
            alternatives=_alternatives_cell(explained.get(a.child_id)),
            travel_s=float(a.travel_s),
            distance_m=float(a.distance_m),
        )
        rows.append(row)
    for u in plan.unplaced:
        row = dict.fromkeys(PLACEMENT_COLUMNS)
        row.update(
            child_id=u.child_id, status="unplaced", unplaced_reason=str(u.reason), detail=u.detail
        )
        rows.append(row)
    for row in rows:
        child_id = str(row["child_id"])
        row.update(_preference_cells(explained.get(child_id)))
        share = terms[child_id]
        row.update({column: getattr(share, column) for column in TERM_COLUMNS})
    rows.sort(key=lambda r: str(r["child_id"]))
    return rows


def csv_text(column: str, value: CellValue) -> str:
    """A typed cell as placements.csv writes it: booleans ``true``/``false``, the ``DECIMALS``
    columns rounded, other floats in their shortest exact form (``repr``), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    digits = DECIMALS.get(column)
    if digits is not None and isinstance(value, int | float):
        return f"{value:.{digits}f}"
    return repr(value) if isinstance(value, float) else str(value)


__all__ = [
    "DECIMALS",
    "PLACEMENT_COLUMNS",
    "CellValue",
    "csv_text",
    "placement_rows",
    "review_flags",
]
