"""``changes.json``: what a mid-year re-plan (``changes.py``) changed, per session and child."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sendplan.api.changes import Replanned
from sendplan.routing.transport.changes import Applied
from sendplan.routing.transport.entitlement import Entitlement
from sendplan.routing.transport.plan import Unrouted


def changes_report(replanned: Replanned, *, seed: int, work_limit: str) -> dict[str, Any]:
    """``changes.json``: per session every affected child and route, the disruption and the
    saving forgone (this plan's cost less the plan from scratch's, same seed and work limit)."""
    policy = replanned.result.scenario.policy
    applied = replanned.applied
    out: dict[str, Any] = {
        "seed": seed,
        "work_limit": work_limit,
        "weights": {
            "disruption_move_gbp": policy.disruption_move_gbp,
            "disruption_time_gbp": policy.disruption_time_gbp,
            "pickup_tolerance_min": policy.pickup_tolerance_min,
        },
        "children_added": sorted(applied.added),
        "children_removed": sorted(applied.removed),
        "children_relocated": sorted(applied.relocated),
        "routes_handed_back": sorted(applied.handed_back),
        "children_moved": replanned.moved,
        "baseline_at_other_school": list(replanned.elsewhere),
        "school_would_not_admit": [
            {"child_id": u.child_id, "school_id": u.school_id, "row": u.row, "why": u.why}
            for u in applied.unsuitable
        ],
        "saving_forgone_gbp_per_day": round(replanned.saving_forgone_gbp, 2),
        "saving_forgone_note": (
            "this plan's cost less a plan from scratch of the changed scenario, same seed and "
            "work limit: what keeping the other routes as they are costs"
        ),
        "sessions": {},
    }
    notes = {
        u.child_id: f"school {u.school_id} would not admit them: {u.why}"
        for u in applied.unsuitable
    }
    for c in replanned.sessions:
        unrouted = {u.child_id: u for u in c.plan.unrouted}
        entitled = replanned.entitlements
        out["sessions"][c.plan.session] = {
            "chosen": c.chosen,
            "cost_gbp": round(c.plan.cost_gbp, 2),
            "from_scratch_cost_gbp": round(c.scratch_cost_gbp, 2),
            "saving_forgone_gbp": round(c.saving_forgone_gbp, 2),
            "disruption_gbp": round(c.disruption_gbp, 2),
            "children_moved": c.moved,
            "times_moved": sum(x.time_moved for x in c.children),
            "children": [
                {
                    "child_id": x.child_id,
                    "old_route": x.old_route,
                    "new_route": x.new_route,
                    "old_time": _hhmm(x.old_time_min),
                    "new_time": _hhmm(x.new_time_min),
                    "moved": x.moved,
                    "time_moved": x.time_moved,
                    "no_route": None
                    if x.new_route is not None
                    else why_no_route(x.child_id, applied, unrouted, entitled),
                    "note": notes.get(x.child_id),
                }
                for x in c.children
            ],
            "routes": [dataclasses.asdict(r) for r in c.routes],
        }
    return out


def why_no_route(
    child_id: str,
    applied: Applied,
    unrouted: Mapping[str, Unrouted],
    entitlements: Mapping[str, Entitlement],
) -> dict[str, str]:
    """Why a child is on no route after the changes: ``reason`` a code, ``detail`` in words."""
    if child_id in applied.removed:
        return {"reason": "removed", "detail": "removed by the changes file"}
    if child_id in unrouted:
        u = unrouted[child_id]
        return {"reason": str(u.reason), "detail": u.detail}
    e = entitlements.get(child_id)
    if e is not None and e.offer != "seat":
        offer = {"none": "no help", "ptb": "a personal travel budget", "boarder": "boarding"}
        return {
            "reason": "no_longer_eligible",
            "detail": f"entitled to {offer.get(e.offer, e.offer)}: {e.reason}",
        }
    return {"reason": "not_routed", "detail": "on no route of this session"}


def _hhmm(minutes: float | None) -> str | None:
    if minutes is None:
        return None
    whole = round(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"
