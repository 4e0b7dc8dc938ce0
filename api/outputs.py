"""Write a solved scenario's summary.json and placements.csv, byte-deterministic."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from sendplan.routing.explain import Explanation
from sendplan.routing.kpis import Summary
from sendplan.routing.model import Scenario
from sendplan.routing.plan import PlacementPlan

PLACEMENT_COLUMNS = (
    "child_id", "status", "school_id", "school_name", "school_la_code", "travel_min", "distance_km",
    "annual_cost_gbp", "preference_rank", "in_area", "residential", "cross_border", "reasons",
    "unplaced_reason", "detail", "alternatives", "first_preference", "first_preference_status",
    "first_preference_extra_gbp",
)  # fmt: skip


def write_summary(summary: Summary, path: Path) -> None:
    """summary.json with sorted keys, so the same plan gives the same bytes."""
    path.write_text(
        json.dumps(summary.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _alternatives_cell(explanation: Explanation | None) -> str:
    """``school:fee delta GBP:journey delta min`` per alternative, best first, ``;``-joined."""
    if explanation is None:
        return ""
    return ";".join(
        f"{x.school_id}:{x.cost_delta_gbp:+.0f}:{x.travel_delta_s / 60.0:+.1f}"
        for x in explanation.alternatives
    )


def _preference_cells(explanation: Explanation | None) -> dict[str, str]:
    pref = explanation.first_preference if explanation is not None else None
    if pref is None:
        return {"first_preference": "", "first_preference_status": "",
                "first_preference_extra_gbp": ""}  # fmt: skip
    return {
        "first_preference": pref.school_id,
        "first_preference_status": pref.status,
        "first_preference_extra_gbp": f"{pref.extra_total_gbp:.0f}",
    }


def write_explanations_json(explanations: Sequence[Explanation], path: Path) -> None:
    """explanations.json: per child, the alternatives and the first preference's cost."""
    path.write_text(
        json.dumps([e.to_dict() for e in explanations], indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def write_placements_csv(
    scenario: Scenario,
    plan: PlacementPlan,
    path: Path,
    explanations: Sequence[Explanation] = (),
) -> None:
    """One row per child (placed or unplaced), ordered by child_id; pseudonymous ids only.

    ``alternatives`` lists up to three feasible alternatives as ``school:fee delta GBP:journey
    delta min``; ``first_preference_extra_gbp`` is the yearly placement + estimated transport
    cost of honouring the first preference (see ``sendplan.routing.explain``).
    """
    schools = {s.school_id: s for s in scenario.schools}
    explained = {e.child_id: e for e in explanations}
    rows: list[dict[str, str]] = []
    for a in plan.assignments:
        school = schools[a.school_id]
        rows.append(
            {
                "child_id": a.child_id,
                "status": "placed",
                "school_id": a.school_id,
                "school_name": school.name,
                "school_la_code": school.la_code,
                "travel_min": f"{a.travel_s / 60.0:.1f}",
                "distance_km": f"{a.distance_m / 1000.0:.2f}",
                "annual_cost_gbp": f"{a.annual_cost_gbp:.0f}",
                "preference_rank": "" if a.preference_rank is None else str(a.preference_rank),
                "in_area": "true" if a.in_area else "false",
                "residential": "true" if a.residential else "false",
                "cross_border": "true" if a.cross_border else "false",
                "reasons": ";".join(a.reasons),
                "unplaced_reason": "",
                "detail": "",
                "alternatives": _alternatives_cell(explained.get(a.child_id)),
                **_preference_cells(explained.get(a.child_id)),
            }
        )
    for u in plan.unplaced:
        row = dict.fromkeys(PLACEMENT_COLUMNS, "")
        row.update(
            child_id=u.child_id, status="unplaced", unplaced_reason=str(u.reason), detail=u.detail
        )
        row.update(_preference_cells(explained.get(u.child_id)))
        rows.append(row)
    rows.sort(key=lambda r: r["child_id"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLACEMENT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
