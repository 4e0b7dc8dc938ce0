"""What a must-admit ("what if this school must take more children") run changed, and why not.

The must-admit plan is compared with the same scenario placed without it: the children it moved
into each named school, how far over capacity that school went, and, when nobody moved, the
figures that explain it (the school still had room; or the largest yearly saving any admissible
child would make there is below ``over_capacity_gbp``, the price of one extra place).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.placement.candidates import cohort_admits
from sendplan.routing.placement.costs import arc_cost_gbp
from sendplan.routing.placement.plan import Assignment, PlacementPlan


@dataclass(frozen=True)
class MustAdmitEffect:
    """One must-admit school: who moved in, places over capacity, and a one-line why."""

    school_id: str
    moved_in: tuple[str, ...]
    over_capacity: int
    note: str

    def to_dict(self) -> dict[str, object]:
        return {"moved_in": list(self.moved_in), "over_capacity": self.over_capacity,
                "note": self.note}  # fmt: skip


def must_admit_effects(
    scenario: Scenario, travel: TravelModel, plan: PlacementPlan, baseline: PlacementPlan
) -> tuple[MustAdmitEffect, ...]:
    """Per school in ``plan.must_admit``: the change against ``baseline`` (placed without it)."""
    schools = {s.school_id: s for s in scenario.schools}
    before = {a.child_id: a for a in baseline.assignments}
    used_before = Counter(a.school_id for a in baseline.assignments)
    over = dict(plan.over_capacity)
    out = []
    for sid in plan.must_admit:
        school = schools[sid]
        moved = tuple(
            sorted(
                a.child_id
                for a in plan.assignments
                if a.school_id == sid and (before.get(a.child_id) is None
                                           or before[a.child_id].school_id != sid)
            )
        )  # fmt: skip
        if moved:
            note = f"{len(moved)} children moved in; {over.get(sid, 0)} places over capacity"
        elif used_before[sid] < school.capacity:
            note = (
                f"nothing moved: the school already had room ({used_before[sid]} of "
                f"{school.capacity} places used without must-admit)"
            )
        else:
            saving = _best_saving(scenario, travel, sid, before)
            note = (
                f"nothing moved: one place over capacity costs "
                f"{scenario.policy.over_capacity_gbp:,.0f} GBP a year; the largest saving any "
                f"admissible child would make there is {saving:,.0f} GBP"
            )
        out.append(MustAdmitEffect(sid, moved, over.get(sid, 0), note))
    return tuple(out)


def _best_saving(
    scenario: Scenario, travel: TravelModel, sid: str, before: dict[str, Assignment]
) -> float:
    """Largest (cost where placed, or unplaced) less (cost at ``sid``) over children the school
    admits within their travel limit; 0 when none."""
    school = scenario.school(sid)
    policy = scenario.policy
    schools = {s.school_id: s for s in scenario.schools}
    if not school.open_on(scenario.as_of):
        return 0.0
    kids = [
        c for c in scenario.children
        if not c.locked and school.admits(c) and cohort_admits(school, c, policy)
        and (not c.residential_need or school.residential_places > 0)
        and (c.child_id not in before or before[c.child_id].school_id != sid)
    ]  # fmt: skip
    if not kids:
        return 0.0
    homes = np.array([(c.lon, c.lat) for c in kids], dtype=np.float64)
    sites = np.repeat(np.array([[school.lon, school.lat]], dtype=np.float64), len(kids), axis=0)
    seconds, _ = travel.pairs(homes, sites)
    best = 0.0
    for c, t in zip(kids, seconds.tolist(), strict=True):
        if t > policy.max_travel_min(c) * 60.0:
            continue
        a = before.get(c.child_id)
        now = (
            policy.unplaced_gbp
            if a is None
            else arc_cost_gbp(c, schools[a.school_id], a.travel_s, policy)
        )
        best = max(best, now - arc_cost_gbp(c, school, t, policy))
    return best
