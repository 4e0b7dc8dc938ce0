"""Place children in special school places by min-cost flow (OR-Tools), with reasons.

The model
---------
*Candidates.* A school is a candidate for a child when ``school.admits(child)`` (designation,
age range, sex), it has residential places if the child has a residential need, and the direct
travel time is at most ``policy.max_travel_min(child)``. Travel is computed sparsely: one
vectorised ``travel.pairs`` call over the admissible pairs only (never a children x schools
travel matrix).

*Locked children* (``locked`` with a ``current_school``) stay where they are, valid by
definition even if that school would fail another rule. They consume a place there (and a
residential place if they have a residential need); the rest is free for the others.

*Objective* (GBP per year, integers): the sum of ``arc_cost_gbp`` over every placed child
(locked ones included) plus ``round(policy.unplaced_gbp)`` per unplaced child. The default
unplaced penalty (GBP 1m) is far above any realistic arc cost, so placing as many children as
possible comes first and cost, travel and preferences decide between equally full plans.

*Network.* Each free child is a node with supply 1 (equivalent to a source arc of capacity 1).
A child has an arc (capacity 1, cost ``arc_cost_gbp``) to each candidate school node; a child
with a residential need reaches the school through the school's residential node instead, whose
arc into the school node carries the residential places left. School -> sink carries the
places left, and child -> sink (capacity 1, cost unplaced) lets a child stay unplaced, so every
instance is feasible. The solver must report OPTIMAL.

*Determinism.* Children and schools are sorted by id before the network is built, so the same
scenario (in any row order) gives the same plan.

*Unplaced reasons*, most fundamental first: no school admits the child
(NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE); schools admit but none has residential places for a
residential child (RESIDENTIAL_NEED_UNMET); all those are beyond the travel limit
(OVER_MAX_TRAVEL); otherwise the candidates are full (CAPACITY_EXHAUSTED).

*Placement reasons* (every one that holds): LOCKED; FIRST_PREFERENCE or OTHER_PREFERENCE;
NEAREST_SUITABLE (no candidate is nearer in time); LOWEST_COST_SUITABLE (no candidate costs
less per year); NEARER_SCHOOLS_FULL (nearer candidates exist and every one is full in the final
plan; not given to locked children); RESIDENTIAL_PLACE; OUT_OF_AREA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.flow import solve_min_cost_flow
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.plan import (
    Assignment,
    PlacementPlan,
    PlacementReason,
    Unplaced,
    UnplacedReason,
)

SOLVER_NAME = "ortools-min-cost-flow"

_Num = TypeVar("_Num", float, NDArray[np.float64])


def _arc_cost_terms(
    annual_cost_gbp: _Num,
    travel_s: _Num,
    preference_gbp: _Num,
    out_of_area_gbp: _Num,
    policy: Policy,
) -> _Num:
    # One expression shared by the scalar and the vectorised path, so both round identically.
    return (
        policy.weight_placement_cost * annual_cost_gbp
        + policy.travel_gbp_per_min * (travel_s / 60.0)
        + preference_gbp
        + out_of_area_gbp
    )


def preference_gbp(child: Child, school: School, policy: Policy) -> float:
    """The preference term: 0 without preferences, (rank - 1) x per-rank, or not-preferred."""
    if not child.preferences:
        return 0.0
    if school.school_id in child.preferences:
        return float(child.preferences.index(school.school_id)) * policy.preference_gbp_per_rank
    return policy.not_preferred_gbp


def arc_cost_gbp(child: Child, school: School, travel_s: float, policy: Policy) -> int:
    """The yearly cost of placing ``child`` at ``school``, in whole GBP (rounded once).

    ``weight_placement_cost x annual_cost_gbp + travel_gbp_per_min x travel minutes`` plus the
    preference term (0 if the child states no preferences, ``(rank - 1) x
    preference_gbp_per_rank`` at 1-based ``rank``, ``not_preferred_gbp`` if the school is not
    among them) plus ``out_of_area_gbp`` when the school is not in area.
    """
    value = _arc_cost_terms(
        float(school.annual_cost_gbp),
        float(travel_s),
        preference_gbp(child, school, policy),
        0.0 if school.in_area else policy.out_of_area_gbp,
        policy,
    )
    return int(np.rint(value))


def unplaced_cost_gbp(policy: Policy) -> int:
    """The objective's penalty for one unplaced child, in whole GBP."""
    return int(np.rint(policy.unplaced_gbp))


@dataclass(frozen=True)
class _Pairs:
    """Child-school pairs (indices into the sorted lists) with their travel."""

    child: NDArray[np.int64]
    school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]


def place(
    scenario: Scenario,
    travel: TravelModel,
    *,
    progress: Callable[[str], None] | None = None,
) -> PlacementPlan:
    """Place every child at a school or explain why not; optimal under the policy weights."""
    say = progress or (lambda _msg: None)
    policy = scenario.policy
    children = sorted(scenario.children, key=lambda c: c.child_id)
    schools = sorted(scenario.schools, key=lambda s: s.school_id)
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    n, m = len(children), len(schools)
    say(f"placement: {n:,} children, {m:,} schools")

    admits_any, admits_res, admissible_c, admissible_s = _admissible_pairs(children, schools)
    locked_c = np.array([i for i, c in enumerate(children) if c.locked], dtype=np.int64)
    locked_s = np.array(
        [school_index[str(children[i].current_school)] for i in locked_c], dtype=np.int64
    )
    # One travel call for the admissible pairs and the locked children's current schools.
    all_pairs = _with_travel(
        children,
        schools,
        travel,
        np.concatenate([admissible_c, locked_c]),
        np.concatenate([admissible_s, locked_s]),
    )
    k = len(admissible_c)
    admissible = _slice(all_pairs, slice(0, k))
    locked = _slice(all_pairs, slice(k, None))

    max_travel_s = np.array([policy.max_travel_min(c) * 60.0 for c in children], dtype=np.float64)
    within = admissible.travel_s <= max_travel_s[admissible.child]
    candidates = _slice(admissible, within)
    cand_cost = _pair_costs(children, schools, candidates, policy)
    say(f"placement: {len(candidates.child):,} candidate pairs")

    capacity = np.array([s.capacity for s in schools], dtype=np.int64)
    res_places = np.array([s.residential_places for s in schools], dtype=np.int64)
    residential = np.array([c.residential_need for c in children], dtype=bool)
    locked_use = np.bincount(locked.school, minlength=m).astype(np.int64)
    locked_res_use = np.bincount(locked.school[residential[locked.child]], minlength=m).astype(
        np.int64
    )

    is_locked = np.zeros(n, dtype=bool)
    is_locked[locked.child] = True
    chosen = _solve_flow(
        n=n,
        m=m,
        free=~is_locked,
        residential=residential,
        candidates=candidates,
        cand_cost=cand_cost,
        spare=np.maximum(capacity - locked_use, 0),
        spare_res=np.maximum(res_places - locked_res_use, 0),
        unplaced_gbp=unplaced_cost_gbp(policy),
    )
    placed = _slice(candidates, chosen)
    placed_cost = cand_cost[chosen]
    locked_cost = np.array(
        [
            arc_cost_gbp(children[i], schools[j], float(t), policy)
            for i, j, t in zip(locked.child, locked.school, locked.travel_s, strict=True)
        ],
        dtype=np.int64,
    )

    used = np.bincount(np.concatenate([placed.school, locked.school]), minlength=m)
    all_res = np.concatenate(
        [placed.school[residential[placed.child]], locked.school[residential[locked.child]]]
    )
    used_res = np.bincount(all_res, minlength=m)
    full = used >= capacity
    # For a residential child a school is also full when its residential places are.
    full_res = full | (used_res >= res_places)
    context = _Context(
        children=children,
        schools=schools,
        candidates=candidates,
        starts=np.searchsorted(candidates.child, np.arange(n + 1)),
        full=full,
        full_res=full_res,
    )
    assignments = sorted(
        [*_assignments(context, placed, locked=False), *_assignments(context, locked, locked=True)],
        key=lambda a: a.child_id,
    )
    placed_ids = {a.child_id for a in assignments}
    admissible_starts = np.searchsorted(admissible.child, np.arange(n + 1))
    unplaced = [
        _unplaced(
            context,
            i,
            admits=int(admits_any[i]),
            admits_res=int(admits_res[i]),
            admissible_travel_s=admissible.travel_s[
                admissible_starts[i] : admissible_starts[i + 1]
            ],
            max_travel_min=policy.max_travel_min(child),
        )
        for i, child in enumerate(children)
        if child.child_id not in placed_ids
    ]

    objective = (
        int(placed_cost.sum()) + int(locked_cost.sum()) + unplaced_cost_gbp(policy) * len(unplaced)
    )
    say(f"placement: {len(assignments):,} placed, {len(unplaced):,} unplaced")
    return PlacementPlan(
        assignments=tuple(assignments),
        unplaced=tuple(unplaced),
        objective=float(objective),
        optimal=True,
        travel_model=travel.name,
        solver=SOLVER_NAME,
    )


def _admissible_pairs(
    children: list[Child], schools: list[School]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per child: how many schools admit it, and how many of those meet a residential need;
    plus the admissible pairs (admitted, with residential places where needed), by child then
    school. ``School.admits`` depends only on need, age and sex, so it is asked once per group.
    """
    has_res = np.array([s.residential_places > 0 for s in schools], dtype=bool)
    by_group: dict[tuple[str, int, str], NDArray[np.int64]] = {}
    admits_any = np.zeros(len(children), dtype=np.int64)
    admits_res = np.zeros(len(children), dtype=np.int64)
    pair_c: list[NDArray[np.int64]] = []
    pair_s: list[NDArray[np.int64]] = []
    for i, child in enumerate(children):
        key = (child.primary_need, child.age, child.sex)
        found = by_group.get(key)
        if found is None:
            found = np.array([j for j, s in enumerate(schools) if s.admits(child)], dtype=np.int64)
            by_group[key] = found
        admits_any[i] = len(found)
        with_res = found[has_res[found]]
        admits_res[i] = len(with_res)
        ok = with_res if child.residential_need else found
        pair_c.append(np.full(len(ok), i, dtype=np.int64))
        pair_s.append(ok)
    empty = np.zeros(0, dtype=np.int64)
    return (
        admits_any,
        admits_res,
        np.concatenate(pair_c) if pair_c else empty,
        np.concatenate(pair_s) if pair_s else empty,
    )


def _with_travel(
    children: list[Child],
    schools: list[School],
    travel: TravelModel,
    child_idx: NDArray[np.int64],
    school_idx: NDArray[np.int64],
) -> _Pairs:
    if len(child_idx) == 0:
        zeros = np.zeros(0, dtype=np.float64)
        return _Pairs(child_idx, school_idx, zeros, zeros.copy())
    homes = np.array([(c.lon, c.lat) for c in children], dtype=np.float64)
    sites = np.array([(s.lon, s.lat) for s in schools], dtype=np.float64)
    travel_s, distance_m = travel.pairs(homes[child_idx], sites[school_idx])
    return _Pairs(
        child_idx,
        school_idx,
        np.asarray(travel_s, dtype=np.float64),
        np.asarray(distance_m, dtype=np.float64),
    )


def _slice(pairs: _Pairs, which: slice | NDArray[np.bool_]) -> _Pairs:
    return _Pairs(
        pairs.child[which], pairs.school[which], pairs.travel_s[which], pairs.distance_m[which]
    )


def _pair_costs(
    children: list[Child], schools: list[School], pairs: _Pairs, policy: Policy
) -> NDArray[np.int64]:
    """``arc_cost_gbp`` for every pair, vectorised (same expression, same rounding)."""
    m = len(schools)
    annual = np.array([s.annual_cost_gbp for s in schools], dtype=np.float64)
    out_of_area = np.array(
        [0.0 if s.in_area else policy.out_of_area_gbp for s in schools], dtype=np.float64
    )
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    has_prefs = np.array([bool(c.preferences) for c in children], dtype=bool)
    # Rank of (child, school) looked up by the key child * m + school.
    pref_keys: list[int] = []
    pref_ranks: list[int] = []
    for i, child in enumerate(children):
        for r, school_id in enumerate(child.preferences, start=1):
            pref_keys.append(i * m + school_index[school_id])
            pref_ranks.append(r)
    keys = np.array(pref_keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, ranks = keys[order], np.array(pref_ranks, dtype=np.int64)[order]
    wanted = pairs.child * m + pairs.school
    rank: NDArray[np.int64] = np.zeros(len(wanted), dtype=np.int64)
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        rank = np.where(keys[pos] == wanted, ranks[pos], 0).astype(np.int64)
    pref = np.where(
        rank > 0,
        (rank - 1).astype(np.float64) * policy.preference_gbp_per_rank,
        np.where(has_prefs[pairs.child], policy.not_preferred_gbp, 0.0),
    )
    value = _arc_cost_terms(
        annual[pairs.school], pairs.travel_s, pref, out_of_area[pairs.school], policy
    )
    return np.rint(value).astype(np.int64)


def _solve_flow(
    *,
    n: int,
    m: int,
    free: NDArray[np.bool_],
    residential: NDArray[np.bool_],
    candidates: _Pairs,
    cand_cost: NDArray[np.int64],
    spare: NDArray[np.int64],
    spare_res: NDArray[np.int64],
    unplaced_gbp: int,
) -> NDArray[np.bool_]:
    """Which candidate pairs the optimal flow uses. Nodes: children (all n, locked ones idle),
    schools, residential nodes, sink."""
    school_node = n + np.arange(m, dtype=np.int64)
    res_node = n + m + np.arange(m, dtype=np.int64)
    sink = n + 2 * m
    use = free[candidates.child]
    c_child, c_school, c_cost = candidates.child[use], candidates.school[use], cand_cost[use]
    c_head = np.where(residential[c_child], res_node[c_school], school_node[c_school])
    free_idx = np.flatnonzero(free).astype(np.int64)
    with_res = np.flatnonzero(spare_res > 0).astype(np.int64)
    tails = np.concatenate([c_child, res_node[with_res], school_node, free_idx])
    heads = np.concatenate(
        [c_head, school_node[with_res], np.full(m, sink), np.full(len(free_idx), sink)]
    )
    capacities = np.concatenate(
        [np.ones(len(c_child)), spare_res[with_res], spare, np.ones(len(free_idx))]
    ).astype(np.int64)
    costs = np.concatenate(
        [c_cost, np.zeros(len(with_res) + m), np.full(len(free_idx), unplaced_gbp)]
    ).astype(np.int64)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[free_idx] = 1
    supplies[sink] = -len(free_idx)
    result = solve_min_cost_flow(
        tails=tails, heads=heads, capacities=capacities, unit_costs=costs, supplies=supplies
    )
    chosen = np.zeros(len(candidates.child), dtype=bool)
    chosen[np.flatnonzero(use)] = result.flows[: len(c_child)] > 0
    return chosen


def _rank(child: Child, school: School) -> int | None:
    if school.school_id in child.preferences:
        return child.preferences.index(school.school_id) + 1
    return None


@dataclass(frozen=True)
class _Context:
    """The solved state the reasons are read from: candidates by child, and full schools."""

    children: list[Child]
    schools: list[School]
    candidates: _Pairs
    starts: NDArray[np.int64]  # candidates of child i are starts[i]:starts[i + 1]
    full: NDArray[np.bool_]
    full_res: NDArray[np.bool_]

    def candidate_slice(self, i: int) -> slice:
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    def full_for(self, child: Child) -> NDArray[np.bool_]:
        return self.full_res if child.residential_need else self.full


def _assignments(context: _Context, pairs: _Pairs, *, locked: bool) -> list[Assignment]:
    annual = np.array([s.annual_cost_gbp for s in context.schools], dtype=np.float64)
    out = []
    for i, j, t, d in zip(pairs.child, pairs.school, pairs.travel_s, pairs.distance_m, strict=True):
        child, school = context.children[i], context.schools[j]
        mine = context.candidate_slice(int(i))
        cand_school = context.candidates.school[mine]
        reasons = _placement_reasons(
            child,
            school,
            float(t),
            locked=locked,
            cand_travel_s=context.candidates.travel_s[mine],
            cand_annual_gbp=annual[cand_school],
            cand_full=context.full_for(child)[cand_school],
        )
        out.append(
            Assignment(
                child_id=child.child_id,
                school_id=school.school_id,
                travel_s=float(t),
                distance_m=float(d),
                annual_cost_gbp=float(school.annual_cost_gbp),
                preference_rank=_rank(child, school),
                in_area=school.in_area,
                residential=child.residential_need,
                reasons=reasons,
            )
        )
    return out


def _placement_reasons(
    child: Child,
    school: School,
    travel_s: float,
    *,
    locked: bool,
    cand_travel_s: NDArray[np.float64],
    cand_annual_gbp: NDArray[np.float64],
    cand_full: NDArray[np.bool_],
) -> tuple[str, ...]:
    reasons: list[PlacementReason] = []
    if locked:
        reasons.append(PlacementReason.LOCKED)
    rank = _rank(child, school)
    if rank == 1:
        reasons.append(PlacementReason.FIRST_PREFERENCE)
    elif rank is not None:
        reasons.append(PlacementReason.OTHER_PREFERENCE)
    nearer = cand_travel_s < travel_s
    if not nearer.any():
        reasons.append(PlacementReason.NEAREST_SUITABLE)
    if not (cand_annual_gbp < school.annual_cost_gbp).any():
        reasons.append(PlacementReason.LOWEST_COST_SUITABLE)
    if not locked and nearer.any() and cand_full[nearer].all():
        reasons.append(PlacementReason.NEARER_SCHOOLS_FULL)
    if child.residential_need:
        reasons.append(PlacementReason.RESIDENTIAL_PLACE)
    if not school.in_area:
        reasons.append(PlacementReason.OUT_OF_AREA)
    return tuple(str(r) for r in reasons)


def _unplaced(
    context: _Context,
    i: int,
    *,
    admits: int,
    admits_res: int,
    admissible_travel_s: NDArray[np.float64],
    max_travel_min: float,
) -> Unplaced:
    """The most fundamental reason this child has no place; the detail holds numbers only."""
    child = context.children[i]
    if admits == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE,
            "no school is designated for this need, age range and sex",
        )
    if child.residential_need and admits_res == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.RESIDENTIAL_NEED_UNMET,
            f"{admits} suitable school(s), none with residential places",
        )
    cand_school = context.candidates.school[context.candidate_slice(i)]
    if len(cand_school) == 0:
        return Unplaced(
            child.child_id,
            UnplacedReason.OVER_MAX_TRAVEL,
            f"{len(admissible_travel_s)} suitable school(s), nearest "
            f"{float(admissible_travel_s.min()) / 60.0:.0f} min, limit {max_travel_min:.0f} min",
        )
    # Only a policy whose unplaced penalty is below some arc cost can leave room unused.
    if context.full_for(child)[cand_school].all():
        state = "all full"
    else:
        state = "places left cost more than the unplaced penalty"
    return Unplaced(
        child.child_id,
        UnplacedReason.CAPACITY_EXHAUSTED,
        f"{len(cand_school)} suitable school(s) within {max_travel_min:.0f} min, {state}",
    )
