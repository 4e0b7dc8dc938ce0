"""Write a solved scenario's summary.json and placements.csv, byte-deterministic."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sendplan.routing.kpis import Summary
from sendplan.routing.model import Scenario
from sendplan.routing.plan import PlacementPlan

PLACEMENT_COLUMNS = (
    "child_id", "status", "school_id", "school_name", "school_la_code", "travel_min", "distance_km",
    "annual_cost_gbp", "preference_rank", "in_area", "residential", "reasons", "unplaced_reason",
    "detail",
)  # fmt: skip


def write_summary(summary: Summary, path: Path) -> None:
    """summary.json with sorted keys, so the same plan gives the same bytes."""
    path.write_text(
        json.dumps(summary.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def write_placements_csv(scenario: Scenario, plan: PlacementPlan, path: Path) -> None:
    """One row per child (placed or unplaced), ordered by child_id; pseudonymous ids only."""
    schools = {s.school_id: s for s in scenario.schools}
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
                "reasons": ";".join(a.reasons),
                "unplaced_reason": "",
                "detail": "",
            }
        )
    for u in plan.unplaced:
        row = dict.fromkeys(PLACEMENT_COLUMNS, "")
        row.update(
            child_id=u.child_id, status="unplaced", unplaced_reason=str(u.reason), detail=u.detail
        )
        rows.append(row)
    rows.sort(key=lambda r: r["child_id"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLACEMENT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
