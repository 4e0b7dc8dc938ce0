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

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter, ne

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.placement.candidates import CandidateSet, Pairs
from sendplan.routing.placement.costs import preference_ranks
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
    cost: NDArray[np.int64],
    locked: NDArray[np.bool_],
    cand_full: NDArray[np.bool_],
    *,
    outside: ClassMinima | None = None,
) -> list[Assignment]:
    """Assignments with reasons, one per pair (a child and its school); class-level minima
    make the reasons vectorised. Per pair, ``cost`` is its ``arc_cost_gbp`` and ``locked``
    whether the child is held there; ``cand_full`` says, per candidate arc, whether that
    school is full for that class; ``outside`` adds the candidates outside ``cs`` (the priced
    ones)."""
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
    cheapest = ~(min_fee[cls] < annual[pairs.school])
    nearer_full = nearer & ~(min_open_t[cls] < pairs.travel_s) & ~locked
    least = ~(min_open_cost[cls] < cost) & ~locked
    who = [cs.children[i] for i in pairs.child.tolist()]
    rank, _ = preference_ranks(who, cs.schools, np.arange(len(who), dtype=np.int64), pairs.school)
    residential = np.fromiter(map(attrgetter("residential_need"), who), dtype=bool, count=len(who))
    in_area = np.array([s.in_area for s in cs.schools], dtype=bool)
    # Every combination of reasons is one code (``_reason_codes``), so each placed child costs
    # a lookup, not a tuple built (hundreds of thousands of children at national scale).
    code = locked * 3 + np.minimum(rank, 2)
    for flag in (~nearer, cheapest, nearer_full, residential, in_area[pairs.school], least):
        code = code * 2 + flag
    table = [_reason_codes(c) for c in range(2 * 3 * 64)]
    schools = pairs.school.tolist()
    sid = [s.school_id for s in cs.schools]
    la = [s.la_code for s in cs.schools]
    with _collector_paused():
        return list(
            map(
                Assignment,
                map(attrgetter("child_id"), who),
                map(sid.__getitem__, schools),
                pairs.travel_s.tolist(),
                pairs.distance_m.tolist(),
                annual[pairs.school].tolist(),
                [r or None for r in rank.tolist()],
                in_area[pairs.school].tolist(),
                residential.tolist(),
                map(table.__getitem__, code.tolist()),
                map(ne, map(attrgetter("home_la"), who), map(la.__getitem__, schools)),
            )
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one object per child is made: none of them is
    garbage, and the collections that their number sets off took 40% of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reason_codes(code: int) -> tuple[str, ...]:
    """The reasons of a code: ``(locked * 3 + min(rank, 2)) * 64`` plus, from bit 5 down,
    nearest, cheapest, nearer full, residential, in area and least cost with room."""
    held_rank, flags = divmod(code, 64)
    locked, rank = divmod(held_rank, 3)
    nearest, cheapest, nearer_full, residential, in_area, least = (
        bool(flags >> b & 1) for b in range(5, -1, -1)
    )
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


def unplaced_with_reasons(
    cs: CandidateSet,
    who: NDArray[np.int64],
    max_travel_min: NDArray[np.float64],
    cand_full: NDArray[np.bool_],
    held_for_others: NDArray[np.bool_] | None = None,
    outside: ClassMinima | None = None,
) -> list[Unplaced]:
    """Why each child ``who`` (indices) has no place, the most fundamental reason first; the
    detail holds numbers only. ``max_travel_min`` is each one's travel limit;
    ``held_for_others`` marks the candidate arcs full only by places per need; ``outside``
    adds the candidates outside ``cs`` (the priced ones)."""
    k = cs.n_classes
    arc_class = cs.candidates.child
    open_arcs = np.bincount(arc_class[~cand_full], minlength=k)
    held = np.zeros(k, dtype=np.int64)
    if held_for_others is not None:
        held += np.bincount(arc_class[held_for_others], minlength=k)
    n_cand = np.diff(cs.cand_starts)
    nearest_s = _segment_min(cs.considered.travel_s, cs.cons_starts, k).tolist()
    if outside is not None:
        n_cand = n_cand + outside.count
        open_arcs = open_arcs + outside.open_count
        held += outside.held_count
    out: list[Unplaced] = []
    for i, limit in zip(who.tolist(), max_travel_min.tolist(), strict=True):
        child = cs.children[i]
        c = int(cs.class_of[i])
        out.append(Unplaced(child.child_id, *_unplaced_reason(
            cs, c, int(n_cand[c]), limit, residential=child.residential_need,
            room=bool(open_arcs[c]), held=int(held[c]), nearest_s=nearest_s[c],
        )))  # fmt: skip
    return out


def _unplaced_reason(
    cs: CandidateSet, c: int, cands: int, limit: float, *,
    residential: bool, room: bool, held: int, nearest_s: float,
) -> tuple[UnplacedReason, str]:  # fmt: skip
    """The most fundamental reason a child of class ``c`` has no place, and its detail."""
    admits = int(cs.admits_any[c])
    if admits == 0:
        return (
            UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE,
            "no school is designated for this need, age range, sex and cohort",
        )
    if int(cs.admits_open[c]) == 0:
        return (
            UnplacedReason.NO_OPEN_SCHOOL,
            f"{admits} suitable school(s), none open on the scenario date",
        )
    if residential and int(cs.admits_res[c]) == 0:
        return (
            UnplacedReason.RESIDENTIAL_NEED_UNMET,
            f"{admits} suitable school(s), none with residential places",
        )
    if cands == 0:
        # Every suitable school, though only the nearest ones were considered.
        suitable = len(cs.group_ok[int(cs.group[c])])
        return (
            UnplacedReason.OVER_MAX_TRAVEL,
            f"{suitable} suitable school(s), nearest {nearest_s / 60.0:.0f} min, "
            f"limit {limit:.0f} min",
        )
    if not room:
        note = f" ({held} with places left only for other needs)" if held else ""
        return (
            UnplacedReason.CAPACITY_EXHAUSTED,
            f"{cands} suitable school(s) within {limit:.0f} min, all full" + note,
        )
    # Only a policy whose unplaced penalty is below some arc cost can leave room unused.
    return (
        UnplacedReason.COSTS_MORE_THAN_UNPLACED,
        f"{cands} suitable school(s) within {limit:.0f} min; places left "
        "cost more than the unplaced penalty",
    )


__all__ = ["ClassMinima", "assignments_with_reasons", "unplaced_with_reasons"]
