"""Why each child is placed where they are, or why not: reason codes from the final plan.

*Unplaced reasons*, most fundamental first: no school admits the child (need, age range, sex
and cohort: NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE); schools admit but none is open on the scenario
date (NO_OPEN_SCHOOL); open ones admit but none has residential places for a residential child
(RESIDENTIAL_NEED_UNMET); all considered ones are beyond the travel limit
(OVER_MAX_TRAVEL); otherwise the candidates are full (CAPACITY_EXHAUSTED), or, in the weighted
mode with a low ``unplaced_gbp``, a place is free but costs more than leaving the child out
(COSTS_MORE_THAN_UNPLACED). A CAPACITY_EXHAUSTED detail counts the candidates whose places
left are only for other needs (reserved for them, or this need's cap reached).

*Placement reasons* (every one that holds): LOCKED; FIRST_PREFERENCE or OTHER_PREFERENCE;
NEAREST_SUITABLE (no candidate is nearer in time); LOWEST_COST_SUITABLE (no candidate costs
less per year); NEARER_SCHOOLS_FULL (nearer candidates exist and every one is full in the final
plan; not given to locked children); RESIDENTIAL_PLACE; OUT_OF_AREA; LEAST_COST_WITH_ROOM (no
candidate with a free place in the final plan has a lower cost for this child; not given to
locked children). ``cross_border`` flags a school whose LA differs from the child's home LA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import Policy
from sendplan.routing.placement.candidates import CandidateSet, Pairs
from sendplan.routing.placement.costs import arc_costs_gbp
from sendplan.routing.placement.plan import Assignment, PlacementReason, Unplaced, UnplacedReason


def _segment_min(
    values: NDArray[np.float64], starts: NDArray[np.int64], n: int
) -> NDArray[np.float64]:
    """Minimum of each segment ``starts[c]:starts[c + 1]`` (inf when empty)."""
    out = np.full(n, np.inf)
    if len(values):
        seg = np.repeat(np.arange(n), np.diff(starts))
        np.minimum.at(out, seg, values)
    return out


@dataclass(frozen=True)
class ClassMinima:
    """Per class, over candidate arcs outside the candidate set (``pricing.py`` prices them):
    how many, how many not full (and full only by places per need), and the minima the
    reasons compare with (inf when none)."""

    count: NDArray[np.int64]
    open_count: NDArray[np.int64]
    held_count: NDArray[np.int64]
    min_travel_s: NDArray[np.float64]
    min_fee_gbp: NDArray[np.float64]
    min_open_travel_s: NDArray[np.float64]
    min_open_cost_gbp: NDArray[np.float64]


def assignments_with_reasons(
    cs: CandidateSet,
    pairs: Pairs,
    cand_full: NDArray[np.bool_],
    *,
    locked: bool,
    policy: Policy,
    outside: ClassMinima | None = None,
) -> list[Assignment]:
    """Assignments with reasons; class-level minima make the reasons vectorised.
    ``cand_full`` says, per candidate arc, whether that school is full for that class;
    ``outside`` adds the candidates outside ``cs`` (the priced ones)."""
    k = cs.n_classes
    cand = cs.candidates
    annual = np.array([s.annual_cost_gbp for s in cs.schools], dtype=np.float64)
    min_t = _segment_min(cand.travel_s, cs.cand_starts, k)
    min_fee = _segment_min(annual[cand.school], cs.cand_starts, k)
    min_open_t = _segment_min(np.where(cand_full, np.inf, cand.travel_s), cs.cand_starts, k)
    min_open_cost = _segment_min(
        np.where(cand_full, np.inf, cs.cost.astype(np.float64)), cs.cand_starts, k
    )
    if outside is not None:
        min_t = np.minimum(min_t, outside.min_travel_s)
        min_fee = np.minimum(min_fee, outside.min_fee_gbp)
        min_open_t = np.minimum(min_open_t, outside.min_open_travel_s)
        min_open_cost = np.minimum(min_open_cost, outside.min_open_cost_gbp)
    cls = cs.class_of[pairs.child]
    nearer = min_t[cls] < pairs.travel_s
    nearest = ~nearer
    cheapest = ~(min_fee[cls] < annual[pairs.school])
    nearer_full = nearer & ~(min_open_t[cls] < pairs.travel_s) & (not locked)
    chosen = arc_costs_gbp(
        cs.children, cs.schools, pairs.child, pairs.school, pairs.travel_s, policy
    )
    least = ~(min_open_cost[cls] < chosen) & (not locked)
    cache: dict[tuple[bool, int, bool, bool, bool, bool, bool, bool], tuple[str, ...]] = {}
    # Per school once, not per child: this loop makes one object per placed child.
    sid = [s.school_id for s in cs.schools]
    fee = [float(s.annual_cost_gbp) for s in cs.schools]
    area = [s.in_area for s in cs.schools]
    la = [s.la_code for s in cs.schools]
    kids = cs.children
    out: list[Assignment] = []
    for i, j, t, d, near, cheap, nfull, low in zip(
        pairs.child.tolist(),
        pairs.school.tolist(),
        pairs.travel_s.tolist(),
        pairs.distance_m.tolist(),
        nearest.tolist(),
        cheapest.tolist(),
        nearer_full.tolist(),
        least.tolist(),
        strict=True,
    ):
        child = kids[i]
        prefs = child.preferences
        rank = prefs.index(sid[j]) + 1 if prefs and sid[j] in prefs else None
        res = child.residential_need
        key = (locked, rank or 0, near, cheap, nfull, res, area[j], low)
        reasons = cache.get(key)
        if reasons is None:
            reasons = cache[key] = _reason_codes(key)
        out.append(
            Assignment(
                child_id=child.child_id,
                school_id=sid[j],
                travel_s=t,
                distance_m=d,
                annual_cost_gbp=fee[j],
                preference_rank=rank,
                in_area=area[j],
                residential=res,
                reasons=reasons,
                cross_border=child.home_la != la[j],
            )
        )
    return out


def _reason_codes(
    key: tuple[bool, int, bool, bool, bool, bool, bool, bool],
) -> tuple[str, ...]:
    locked, rank, nearest, cheapest, nearer_full, residential, in_area, least = key
    reasons: list[PlacementReason] = []
    if locked:
        reasons.append(PlacementReason.LOCKED)
    if rank == 1:
        reasons.append(PlacementReason.FIRST_PREFERENCE)
    elif rank > 1:
        reasons.append(PlacementReason.OTHER_PREFERENCE)
    if nearest:
        reasons.append(PlacementReason.NEAREST_SUITABLE)
    if cheapest:
        reasons.append(PlacementReason.LOWEST_COST_SUITABLE)
    if nearer_full:
        reasons.append(PlacementReason.NEARER_SCHOOLS_FULL)
    if residential:
        reasons.append(PlacementReason.RESIDENTIAL_PLACE)
    if not in_area:
        reasons.append(PlacementReason.OUT_OF_AREA)
    if least:
        reasons.append(PlacementReason.LEAST_COST_WITH_ROOM)
    return tuple(str(r) for r in reasons)


def unplaced_with_reason(
    cs: CandidateSet,
    i: int,
    cand_full: NDArray[np.bool_],
    max_travel_min: float,
    held_for_others: NDArray[np.bool_] | None = None,
    outside: ClassMinima | None = None,
) -> Unplaced:
    """The most fundamental reason this child has no place; the detail holds numbers only.
    ``held_for_others`` marks the candidate arcs full only by places per need; ``outside``
    adds the candidates outside ``cs`` (the priced ones)."""
    child = cs.children[i]
    c = int(cs.class_of[i])
    admits, admits_res = int(cs.admits_any[c]), int(cs.admits_res[c])
    if admits == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE,
            "no school is designated for this need, age range, sex and cohort",
        )
    if int(cs.admits_open[c]) == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.NO_OPEN_SCHOOL,
            f"{admits} suitable school(s), none open on the scenario date",
        )
    if child.residential_need and admits_res == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.RESIDENTIAL_NEED_UNMET,
            f"{admits} suitable school(s), none with residential places",
        )
    cand_school = cs.candidates.school[cs.cand_starts[c] : cs.cand_starts[c + 1]]
    n_cand = len(cand_school) + (0 if outside is None else int(outside.count[c]))
    if n_cand == 0:
        considered = cs.considered.travel_s[cs.cons_starts[c] : cs.cons_starts[c + 1]]
        return Unplaced(
            child.child_id,
            UnplacedReason.OVER_MAX_TRAVEL,
            f"{len(considered)} suitable school(s), nearest "
            f"{float(considered.min()) / 60.0:.0f} min, limit {max_travel_min:.0f} min",
        )
    # Only a policy whose unplaced penalty is below some arc cost can leave room unused.
    arcs = slice(int(cs.cand_starts[c]), int(cs.cand_starts[c + 1]))
    if cand_full[arcs].all() and (outside is None or outside.open_count[c] == 0):
        held = 0 if held_for_others is None else int(held_for_others[arcs].sum())
        held += 0 if outside is None else int(outside.held_count[c])
        note = f" ({held} with places left only for other needs)" if held else ""
        return Unplaced(
            child.child_id,
            UnplacedReason.CAPACITY_EXHAUSTED,
            f"{n_cand} suitable school(s) within {max_travel_min:.0f} min, all full" + note,
        )
    return Unplaced(
        child.child_id,
        UnplacedReason.COSTS_MORE_THAN_UNPLACED,
        f"{n_cand} suitable school(s) within {max_travel_min:.0f} min; places left "
        "cost more than the unplaced penalty",
    )


__all__ = ["ClassMinima", "assignments_with_reasons", "unplaced_with_reason"]
