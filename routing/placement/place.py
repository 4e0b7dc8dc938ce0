"""Place children in special school places by min-cost flow (OR-Tools), with reasons.

The model
---------
*Candidates.* A school is a candidate for a child when ``school.admits(child)`` (designation,
age range, sex), it has residential places if the child has a residential need, and the direct
travel time is at most ``policy.max_travel_min(child)``. With ``policy.max_candidates = K > 0``
only the K admissible schools nearest by great-circle distance are considered (ties broken
arbitrarily; preferred schools are always considered too): the national-scale setting, where the
optimum is exact over that sparse candidate set. Travel is computed sparsely: one vectorised
``travel.pairs`` call over the considered pairs (never a children x schools travel matrix).

*Classes.* Children with the same home point, admission group (need, age band, sex where any
school is single-sex, residential need) and preferences have identical candidate arcs and
costs, so they share one flow node whose supply is their number (exact: any split of the class's
flow among its members is an optimal plan). Age bands are the ages between consecutive school
age-range boundaries (and the primary/secondary boundary), so an age band decides admission
and the travel limit exactly as the age does. Members are assigned in child-id order.

*Locked children* (``locked`` with a ``current_school``) stay where they are, valid by
definition even if that school would fail another rule. They consume a place there (and a
residential place if they have a residential need); the rest is free for the others.

*Network.* Class -> school arcs (capacity = class size, cost ``arc_cost_gbp``); a residential
class reaches the school through the school's residential node, whose arc into the school node
carries the residential places left. School -> sink carries the places left; class -> sink
(cost ``unplaced_gbp``) lets children stay unplaced, so every instance is feasible. In the
"what if" mode the ``must_admit`` schools also get an unbounded school -> sink arc costing
``over_capacity_gbp`` per place: their capacity becomes soft (residential places stay hard).
The solver must report OPTIMAL.

*Weighted mode* (default). Objective (GBP per year, integers): the sum of ``arc_cost_gbp`` over
every placed child (locked ones included), ``round(unplaced_gbp)`` per unplaced child and
``round(over_capacity_gbp)`` per place over capacity. Placing as many as possible first is a
property of the weights (the default unplaced penalty, GBP 1m, is above every realistic arc
cost), deliberately not forced: a council may price leaving a place unfilled. The
lexicographic mode is the strict one.

*Lexicographic mode.* Exactly, in this order: most children placed; then most placed in area;
then least cost (sum over placed children of the whole-GBP annual fee, plus the over-capacity
penalties); then least travel (sum of whole-second direct journeys). Two solves: (1) unplaced
costs ``N + 1`` and an out-of-area arc 1, where N is the number of free children; since at most
N children are out of area, one more unplaced child always costs more than any out-of-area
count, so the optimum is lexicographic in (placed, in area). (2) Those two counts are fixed by
routing in-area schools, out-of-area schools and the unplaced arcs through three hub nodes with
capacities equal to the optimum's counts (they sum to the total supply, so each is saturated:
the feasible flows are exactly the optima of (1)); arc cost ``fee x M + travel``, so cost
comes first and travel breaks ties. ``M = 2 x S x t_max + 1`` with S the school-side nodes
(schools, residential nodes, pools, hubs, sink) and t_max the longest candidate journey: the
flow is optimal when no residual cycle has negative cost; in a simple residual cycle no two
class nodes are adjacent, so it has at most 2S travel-carrying arcs and its travel is
within +-2S x t_max; hence a cycle that lowers cost by at least 1 GBP is always negative
(the plan is cost-optimal) and among cost-neutral cycles travel decides (travel-optimal among
those). Raises PlacementError if the costs would still overflow 64-bit integers.
``objective`` still reports the weighted objective of the plan; ``levels`` the four levels.

*Determinism.* Children and schools are sorted by id before the network is built, so the same
scenario (in any row order) gives the same plan.

*Unplaced reasons*, most fundamental first: no school admits the child
(NO_SCHOOL_MEETS_NEED_IN_AGE_RANGE); schools admit but none has residential places for a
residential child (RESIDENTIAL_NEED_UNMET); all considered ones are beyond the travel limit
(OVER_MAX_TRAVEL); otherwise the candidates are full (CAPACITY_EXHAUSTED), or, in the weighted
mode with a low ``unplaced_gbp``, a place is free but costs more than leaving the child out
(COSTS_MORE_THAN_UNPLACED).

*Placement reasons* (every one that holds): LOCKED; FIRST_PREFERENCE or OTHER_PREFERENCE;
NEAREST_SUITABLE (no candidate is nearer in time); LOWEST_COST_SUITABLE (no candidate costs
less per year); NEARER_SCHOOLS_FULL (nearer candidates exist and every one is full in the final
plan; not given to locked children); RESIDENTIAL_PLACE; OUT_OF_AREA. ``cross_border`` flags a
school whose LA differs from the child's home LA.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import NEED_CODES, Child, Policy, Scenario, School
from sendplan.routing.placement.flow import FlowError, solve_min_cost_flow
from sendplan.routing.placement.plan import (
    Assignment,
    PlacementPlan,
    PlacementReason,
    Unplaced,
    UnplacedReason,
)

SOLVER_NAME = "ortools-min-cost-flow"
MODES = ("weighted", "lexicographic")
# Headroom under 2**63 for OR-Tools' internal cost scaling (it multiplies by the node count).
_COST_LIMIT = 2**62

_Num = TypeVar("_Num", float, NDArray[np.float64])


class PlacementError(ValueError):
    """The placement request is invalid (unknown mode or school) or cannot be solved exactly."""


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


def over_capacity_cost_gbp(policy: Policy) -> int:
    """The objective's penalty for one place over capacity at a must-admit school."""
    return int(np.rint(policy.over_capacity_gbp))


@dataclass(frozen=True)
class _Pairs:
    """(class or child)-school pairs (indices into the sorted lists) with their travel."""

    child: NDArray[np.int64]
    school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]


@dataclass(frozen=True)
class CandidateSet:
    """Children grouped into classes, and each class's considered and candidate schools.

    ``considered`` are the admissible pairs examined (all, or the K nearest plus preferences);
    ``candidates`` those within the travel limit, with ``cost`` their ``arc_cost_gbp``. Both are
    sorted by class then school; their ``child`` field holds the class index.
    """

    children: list[Child]
    schools: list[School]
    class_of: NDArray[np.int64]  # per child
    rep: NDArray[np.int64]  # per class: its first child (lowest id)
    admits_any: NDArray[np.int64]  # per class: schools admitting need, age and sex
    admits_res: NDArray[np.int64]  # per class: of those, with residential places
    considered: _Pairs
    candidates: _Pairs
    cost: NDArray[np.int64]
    cand_starts: NDArray[np.int64]  # class c's candidates: cand_starts[c]:cand_starts[c + 1]
    cons_starts: NDArray[np.int64]

    @property
    def n_classes(self) -> int:
        return len(self.rep)


def build_candidates(
    children: list[Child], schools: list[School], travel: TravelModel, policy: Policy
) -> tuple[CandidateSet, _Pairs]:
    """Classes and their candidate arcs, plus the locked children's pairs (by child index).

    ``children`` and ``schools`` must be sorted by id.
    """
    m = len(schools)
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    # 11: the primary/secondary boundary of the travel limit.
    bounds = np.array(
        sorted({s.age_low for s in schools} | {s.age_high + 1 for s in schools} | {11}),
        dtype=np.int64,
    )
    single_sex = any(s.sex != "mixed" for s in schools)
    need_id = {code: k for k, code in enumerate(sorted({c.primary_need for c in children}))}
    need = np.array([need_id[c.primary_need] for c in children], dtype=np.int64)
    band = np.searchsorted(bounds, np.array([c.age for c in children], dtype=np.int64), "right")
    male = np.array([single_sex and c.sex == "M" for c in children], dtype=np.int64)
    res = np.array([c.residential_need for c in children], dtype=np.int64)
    gkey = ((need * (len(bounds) + 1) + band) * 2 + male) * 2 + res
    _, group_rep_a, group_of = np.unique(gkey, return_index=True, return_inverse=True)
    group_rep = group_rep_a.tolist()
    pref_id: dict[tuple[str, ...], int] = {}
    prefs = np.array(
        [
            pref_id.setdefault(c.preferences, len(pref_id)) if c.preferences else -1
            for c in children
        ],
        dtype=np.float64,
    )
    ckey = np.column_stack(
        [
            group_of.astype(np.float64),
            np.array([c.lon for c in children], dtype=np.float64),
            np.array([c.lat for c in children], dtype=np.float64),
            prefs,
        ]
    ).reshape(-1, 4)
    _, rep_idx, inverse = np.unique(ckey, axis=0, return_index=True, return_inverse=True)
    class_of = inverse.reshape(-1).astype(np.int64)
    rep_a = rep_idx.astype(np.int64)
    rep = rep_a.tolist()
    group_a = group_of.reshape(-1)[rep_a].astype(np.int64)
    n_classes = len(rep)

    has_res = np.array([s.residential_places > 0 for s in schools], dtype=bool)
    group_found = [
        np.array([j for j, s in enumerate(schools) if s.admits(children[r])], dtype=np.int64)
        for r in group_rep
    ]
    group_ok = [
        f[has_res[f]] if children[r].residential_need else f
        for f, r in zip(group_found, group_rep, strict=True)
    ]
    n_found = np.array([len(f) for f in group_found], dtype=np.int64)
    n_found_res = np.array([int(has_res[f].sum()) for f in group_found], dtype=np.int64)
    admits_any = n_found[group_a] if n_classes else np.zeros(0, dtype=np.int64)
    admits_res = n_found_res[group_a] if n_classes else np.zeros(0, dtype=np.int64)

    homes = np.array([(children[r].lon, children[r].lat) for r in rep], dtype=np.float64)
    homes = homes.reshape(-1, 2)
    sites = np.array([(s.lon, s.lat) for s in schools], dtype=np.float64).reshape(-1, 2)
    pair_c, pair_s = _considered_pairs(
        group_a, group_ok, homes, sites, max(int(policy.max_candidates), 0)
    )
    # Preferred admissible schools are always considered, whatever the cap.
    if policy.max_candidates > 0:
        pc: list[int] = []
        ps: list[int] = []
        for c, r in enumerate(rep):
            prefs = children[r].preferences
            if prefs:
                ok = group_ok[int(group_a[c])]
                for sid in prefs:
                    j = school_index[sid]
                    k = int(np.searchsorted(ok, j))
                    if k < len(ok) and ok[k] == j:
                        pc.append(c)
                        ps.append(j)
        pair_c = np.concatenate([pair_c, np.array(pc, dtype=np.int64)])
        pair_s = np.concatenate([pair_s, np.array(ps, dtype=np.int64)])
    keys = np.sort(pair_c * max(m, 1) + pair_s)
    keys = keys[np.concatenate([[True], np.diff(keys) != 0])] if len(keys) else keys
    pair_c, pair_s = keys // max(m, 1), keys % max(m, 1)

    locked_c = np.array([i for i, c in enumerate(children) if c.locked], dtype=np.int64)
    locked_s = np.array(
        [school_index[str(children[i].current_school)] for i in locked_c], dtype=np.int64
    )
    all_homes = np.concatenate(
        [
            homes[pair_c],
            np.array([(children[i].lon, children[i].lat) for i in locked_c]).reshape(-1, 2),
        ]
    ).reshape(-1, 2)
    all_sites = np.concatenate([sites[pair_s], sites[locked_s]]).reshape(-1, 2)
    if len(all_homes):
        seconds, metres = travel.pairs(all_homes, all_sites)
    else:
        seconds, metres = np.zeros(0), np.zeros(0)
    seconds = np.asarray(seconds, dtype=np.float64)
    metres = np.asarray(metres, dtype=np.float64)
    k = len(pair_c)
    considered = _Pairs(pair_c, pair_s, seconds[:k], metres[:k])
    locked = _Pairs(locked_c, locked_s, seconds[k:], metres[k:])

    limit_s = np.array(
        [policy.max_travel_min(children[r]) * 60.0 for r in rep], dtype=np.float64
    ).reshape(-1)
    within = considered.travel_s <= limit_s[considered.child] if k else np.zeros(0, dtype=bool)
    candidates = _slice(considered, within)
    reps = [children[r] for r in rep]
    cost = _pair_costs(reps, schools, candidates, policy)
    ticks = np.arange(n_classes + 1)
    return (
        CandidateSet(
            children=children,
            schools=schools,
            class_of=class_of,
            rep=rep_a,
            admits_any=admits_any,
            admits_res=admits_res,
            considered=considered,
            candidates=candidates,
            cost=cost,
            cand_starts=np.searchsorted(candidates.child, ticks).astype(np.int64),
            cons_starts=np.searchsorted(considered.child, ticks).astype(np.int64),
        ),
        locked,
    )


def _unit_vectors(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lon/lat to 3-D unit vectors: chord length orders pairs exactly as great-circle distance."""
    lon, lat = np.radians(points[:, 0]), np.radians(points[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _considered_pairs(
    class_group: NDArray[np.int64],
    group_ok: list[NDArray[np.int64]],
    homes: NDArray[np.float64],
    sites: NDArray[np.float64],
    cap: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per admission group: every admissible school for each class, or the ``cap`` nearest."""
    order = np.argsort(class_group, kind="stable")
    starts = np.searchsorted(class_group[order], np.arange(len(group_ok) + 1))
    out_c: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    out_s: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    for g, ok in enumerate(group_ok):
        members = order[starts[g] : starts[g + 1]]
        if len(members) == 0 or len(ok) == 0:
            continue
        if cap == 0 or len(ok) <= cap:
            out_c.append(np.repeat(members, len(ok)))
            out_s.append(np.tile(ok, len(members)))
            continue
        tree = cKDTree(_unit_vectors(sites[ok]))
        _, idx = tree.query(_unit_vectors(homes[members]), k=cap)
        out_c.append(np.repeat(members, cap))
        out_s.append(ok[np.asarray(idx, dtype=np.int64).reshape(-1)])
    return np.concatenate(out_c), np.concatenate(out_s)


def _slice(pairs: _Pairs, which: slice | NDArray[np.bool_]) -> _Pairs:
    return _Pairs(
        pairs.child[which], pairs.school[which], pairs.travel_s[which], pairs.distance_m[which]
    )


def _pair_costs(
    children: list[Child], schools: list[School], pairs: _Pairs, policy: Policy
) -> NDArray[np.int64]:
    """``arc_cost_gbp`` for every pair (``pairs.child`` indexes ``children``), vectorised."""
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
        np.where(has_prefs[pairs.child], policy.not_preferred_gbp, 0.0) if len(has_prefs) else 0.0,
    )
    value = _arc_cost_terms(
        annual[pairs.school], pairs.travel_s, pref, out_of_area[pairs.school], policy
    )
    return np.rint(value).astype(np.int64)


@dataclass(frozen=True)
class _PoolSet:
    """Places reserved per (school, need): a node between the classes of that need and the
    school, whose arc into the school carries the reserved places left."""

    school: NDArray[np.int64]  # per pool
    cap: NDArray[np.int64]
    spare: NDArray[np.int64]  # cap minus the locked children of that need there
    cand_pool: NDArray[np.int64]  # per candidate arc: its pool or -1
    locked_pool: NDArray[np.int64]  # per locked pair: its pool or -1


def _pools(cs: CandidateSet, locked: _Pairs) -> _PoolSet:
    """The (school, need) pools of ``capacity_by_designation``.

    A pool shared by day and residential children would need two commodities (the flow could
    not keep residential children on the residential path), so a school may not combine places
    per designation with residential places: PlacementError (a CP-SAT model would be needed).
    """
    codes = {code: k for k, code in enumerate(NEED_CODES)}
    n_codes = len(NEED_CODES)
    keys: list[int] = []
    caps: list[int] = []
    for j, school in enumerate(cs.schools):
        if school.capacity_by_designation and school.residential_places > 0:
            raise PlacementError(
                f"school {school.school_id}: places per designation together with residential "
                "places are not a flow model; give one or the other"
            )
        for need, places in school.capacity_by_designation:
            keys.append(j * n_codes + codes[need])
            caps.append(places)
    key_a = np.array(keys, dtype=np.int64)
    cap_a = np.array(caps, dtype=np.int64)
    child_need = np.array([codes[c.primary_need] for c in cs.children], dtype=np.int64)

    def lookup(school: NDArray[np.int64], need: NDArray[np.int64]) -> NDArray[np.int64]:
        if len(key_a) == 0:
            return np.full(len(school), -1, dtype=np.int64)
        wanted = school * n_codes + need
        pos = np.minimum(np.searchsorted(key_a, wanted), len(key_a) - 1)
        return np.where(key_a[pos] == wanted, pos, -1).astype(np.int64)

    cand = cs.candidates
    cand_pool = lookup(cand.school, child_need[cs.rep][cand.child] if len(cs.rep) else cand.school)
    locked_pool = lookup(locked.school, child_need[locked.child])
    locked_use = np.bincount(locked_pool[locked_pool >= 0], minlength=len(cap_a))
    return _PoolSet(
        school=key_a // n_codes,
        cap=cap_a,
        spare=np.maximum(cap_a - locked_use, 0),
        cand_pool=cand_pool,
        locked_pool=locked_pool,
    )


@dataclass(frozen=True)
class _Flow:
    """The flow's answer: units per candidate arc, per over-capacity arc, and model size."""

    cand_flow: NDArray[np.int64]
    over: NDArray[np.int64]  # per school
    nodes: int
    arcs: int


def place(
    scenario: Scenario,
    travel: TravelModel,
    *,
    mode: str = "weighted",
    must_admit: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> PlacementPlan:
    """Place every child at a school or explain why not; optimal under ``mode``.

    ``must_admit`` names schools whose capacity is soft (the "what if" mode): each place over
    capacity costs ``policy.over_capacity_gbp`` and is reported in ``plan.over_capacity``.
    """
    say = progress or (lambda _msg: None)
    if mode not in MODES:
        raise PlacementError(f"unknown placement mode {mode!r}; use one of {', '.join(MODES)}")
    policy = scenario.policy
    children = sorted(scenario.children, key=lambda c: c.child_id)
    schools = sorted(scenario.schools, key=lambda s: s.school_id)
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    unknown = sorted(set(must_admit) - set(school_index))
    if unknown:
        raise PlacementError(f"must-admit school {unknown[0]!r} is not in the scenario")
    soft_ids = tuple(sorted(set(must_admit)))
    n, m = len(children), len(schools)
    say(f"placement: {n:,} children, {m:,} schools")

    cs, locked = build_candidates(children, schools, travel, policy)
    say(f"placement: {cs.n_classes:,} classes, {len(cs.candidates.child):,} candidate arcs")

    capacity = np.array([s.capacity for s in schools], dtype=np.int64)
    res_places = np.array([s.residential_places for s in schools], dtype=np.int64)
    residential = np.array([c.residential_need for c in children], dtype=bool)
    locked_use = np.bincount(locked.school, minlength=m).astype(np.int64)
    locked_res_use = np.bincount(locked.school[residential[locked.child]], minlength=m).astype(
        np.int64
    )
    is_locked = np.zeros(n, dtype=bool)
    is_locked[locked.child] = True
    supply = np.bincount(cs.class_of[~is_locked], minlength=cs.n_classes).astype(np.int64)
    soft = np.zeros(m, dtype=bool)
    soft[[school_index[s] for s in soft_ids]] = True
    pools = _pools(cs, locked)
    net = _Network(
        cs=cs,
        supply=supply,
        class_res=residential[cs.rep],
        spare=np.maximum(capacity - locked_use, 0),
        spare_res=np.maximum(res_places - locked_res_use, 0),
        soft=soft,
        in_area=np.array([s.in_area for s in schools], dtype=bool),
        over_gbp=over_capacity_cost_gbp(policy),
        pools=pools,
    )
    flow = net.solve_lexicographic() if mode == "lexicographic" else net.solve_weighted(policy)

    placed_child, placed_arc = _disaggregate(cs, is_locked, flow.cand_flow)
    placed = _Pairs(
        placed_child,
        cs.candidates.school[placed_arc],
        cs.candidates.travel_s[placed_arc],
        cs.candidates.distance_m[placed_arc],
    )
    used = np.bincount(np.concatenate([placed.school, locked.school]), minlength=m)
    all_res = np.concatenate(
        [placed.school[residential[placed.child]], locked.school[residential[locked.child]]]
    )
    used_res = np.bincount(all_res, minlength=m)
    full = used >= capacity
    # For a residential child a school is also full when its residential places are.
    full_res = full | (used_res >= res_places)
    in_pool = np.concatenate([pools.cand_pool[placed_arc], pools.locked_pool])
    pool_used = np.bincount(in_pool[in_pool >= 0], minlength=len(pools.cap))
    pool_full = np.append(pool_used >= pools.cap, False)  # index -1: no pool
    # Per candidate arc: is that school full for that class (places, residential, pool)?
    class_res = residential[cs.rep] if cs.n_classes else np.zeros(0, dtype=bool)
    arc_full = (
        np.where(
            class_res[cs.candidates.child],
            full_res[cs.candidates.school],
            full[cs.candidates.school],
        )
        | pool_full[pools.cand_pool]
    )

    # Children are sorted by id, so ordering by child index orders by child_id.
    both = [
        *_assignments(cs, placed, arc_full, locked=False),
        *_assignments(cs, locked, arc_full, locked=True),
    ]
    order = np.argsort(np.concatenate([placed.child, locked.child]), kind="stable")
    assignments = [both[x] for x in order.tolist()]
    placed_mask = is_locked.copy()
    placed_mask[placed.child] = True
    unplaced = [
        _unplaced(cs, i, arc_full, policy.max_travel_min(children[i]))
        for i in np.flatnonzero(~placed_mask).tolist()
    ]
    locked_cost = np.array(
        [
            arc_cost_gbp(children[i], schools[j], float(t), policy)
            for i, j, t in zip(locked.child, locked.school, locked.travel_s, strict=True)
        ],
        dtype=np.int64,
    )
    # From the usage, not the soft arcs' flow: a zero penalty ties the two arcs.
    excess = np.where(soft, np.maximum(used - np.maximum(capacity, locked_use), 0), 0)
    over = {schools[j].school_id: int(excess[j]) for j in np.flatnonzero(excess > 0)}
    objective = (
        int((cs.cost[placed_arc]).sum())
        + int(locked_cost.sum())
        + unplaced_cost_gbp(policy) * len(unplaced)
        + over_capacity_cost_gbp(policy) * sum(over.values())
    )
    levels: tuple[int, ...] = ()
    if mode == "lexicographic":
        levels = lexicographic_levels(assignments, over, policy)
    say(f"placement: {len(assignments):,} placed, {len(unplaced):,} unplaced")
    return PlacementPlan(
        assignments=tuple(assignments),
        unplaced=tuple(unplaced),
        objective=float(objective),
        optimal=True,
        travel_model=travel.name,
        solver=SOLVER_NAME,
        mode=mode,
        must_admit=soft_ids,
        over_capacity=tuple(sorted(over.items())),
        classes=int((supply > 0).sum()),
        arcs=flow.arcs,
        levels=levels,
    )


def lexicographic_levels(
    assignments: Sequence[Assignment], over_capacity: dict[str, int], policy: Policy
) -> tuple[int, int, int, int]:
    """(placed, placed in area, cost, travel): whole-GBP fees plus over-capacity penalties,
    whole-second journeys, summed over placed children."""
    return (
        len(assignments),
        sum(1 for a in assignments if a.in_area),
        int(sum(int(np.rint(a.annual_cost_gbp)) for a in assignments))
        + over_capacity_cost_gbp(policy) * sum(over_capacity.values()),
        int(sum(int(np.rint(a.travel_s)) for a in assignments)),
    )


@dataclass(frozen=True)
class _Network:
    """The flow network over classes; nodes: classes, schools, residential nodes, hubs, sink."""

    cs: CandidateSet
    supply: NDArray[np.int64]  # per class: its free children
    class_res: NDArray[np.bool_]
    spare: NDArray[np.int64]
    spare_res: NDArray[np.int64]
    soft: NDArray[np.bool_]
    in_area: NDArray[np.bool_]
    over_gbp: int
    pools: _PoolSet

    def reachable(self) -> int:
        """Free children with at least one candidate (the others stay out of the network)."""
        return int(self.supply[np.diff(self.cs.cand_starts) > 0].sum())

    def solve_weighted(self, policy: Policy) -> _Flow:
        return self._solve(
            cand_cost=self.cs.cost,
            unplaced_cost=unplaced_cost_gbp(policy),
            over_cost=self.over_gbp,
            hubs=None,
        )

    def solve_lexicographic(self) -> _Flow:
        cand = self.cs.candidates
        n_free = int(self.supply.sum())
        out_arc = (~self.in_area[cand.school]).astype(np.int64)
        first = self._solve(cand_cost=out_arc, unplaced_cost=n_free + 1, over_cost=0, hubs=None)
        placed = int(first.cand_flow.sum())
        out_of_area = int((first.cand_flow * out_arc).sum())
        fee = np.rint(np.array([s.annual_cost_gbp for s in self.cs.schools])).astype(np.int64)
        travel = np.rint(cand.travel_s).astype(np.int64)
        # Every node but the class nodes is "school-side"; a simple residual cycle alternates
        # class and school-side nodes, so it has at most 2 x side travel-carrying arcs.
        side = 2 * len(fee) + 4 + len(self.pools.cap)
        big_m = 2 * side * (int(travel.max()) if len(travel) else 0) + 1
        over_gbp = self.over_gbp
        top = max(int(fee.max()) if len(fee) else 0, over_gbp)
        nodes = self.cs.n_classes + 2 * len(fee) + 4 + len(self.pools.cap)
        if (top * big_m + big_m) * (nodes + 1) >= _COST_LIMIT or (
            (top * big_m + big_m) * max(n_free, 1) >= _COST_LIMIT
        ):
            raise PlacementError(
                "lexicographic mode: the cost x travel range of this scenario overflows exact "
                "64-bit flow costs; use the weighted mode or a smaller scenario"
            )
        try:
            return self._solve(
                cand_cost=fee[cand.school] * big_m + travel,
                unplaced_cost=0,
                over_cost=over_gbp * big_m,
                hubs=(placed - out_of_area, out_of_area, self.reachable() - placed),
            )
        except FlowError as err:  # OR-Tools' own cost-range check (BAD_COST_RANGE)
            raise PlacementError(f"lexicographic mode: {err}") from err

    def _solve(
        self,
        *,
        cand_cost: NDArray[np.int64],
        unplaced_cost: int,
        over_cost: int,
        hubs: tuple[int, int, int] | None,
    ) -> _Flow:
        cs, cand = self.cs, self.cs.candidates
        k = cs.n_classes
        m = len(cs.schools)
        school_node = k + np.arange(m, dtype=np.int64)
        res_node = k + m + np.arange(m, dtype=np.int64)
        hub_in, hub_out, hub_un = k + 2 * m, k + 2 * m + 1, k + 2 * m + 2
        sink = k + 2 * m + 3
        # A class without candidates can only stay unplaced: it needs no node.
        active = (self.supply > 0) & (np.diff(cs.cand_starts) > 0)
        use = active[cand.child]
        c_class, c_school = cand.child[use], cand.school[use]
        pools = self.pools
        pool_node = sink + 1 + np.arange(len(pools.cap), dtype=np.int64)
        c_pool = pools.cand_pool[use]
        c_head = np.where(self.class_res[c_class], res_node[c_school], school_node[c_school])
        c_head = np.where(
            c_pool >= 0, pool_node[np.maximum(c_pool, 0)] if len(pool_node) else 0, c_head
        )
        classes = np.flatnonzero(active).astype(np.int64)
        with_res = np.flatnonzero(self.spare_res > 0).astype(np.int64)
        softs = np.flatnonzero(self.soft).astype(np.int64)
        if hubs is None:
            school_exit = np.full(m, sink, dtype=np.int64)
            unplaced_head = sink
        else:
            school_exit = np.where(self.in_area, hub_in, hub_out).astype(np.int64)
            unplaced_head = hub_un
        tails = [c_class, res_node[with_res], school_node, school_node[softs], classes]
        heads = [
            c_head,
            school_node[with_res],
            school_exit,
            school_exit[softs],
            np.full(len(classes), unplaced_head),
        ]
        caps = [
            self.supply[c_class],
            self.spare_res[with_res],
            self.spare,
            np.full(len(softs), int(self.supply[classes].sum())),
            self.supply[classes],
        ]
        costs = [
            cand_cost[use],
            np.zeros(len(with_res) + m, dtype=np.int64),
            np.full(len(softs), over_cost),
            np.full(len(classes), unplaced_cost),
        ]
        # Pools go last so the arc offsets above stay fixed.
        tails.append(pool_node)
        heads.append(school_node[pools.school])
        caps.append(pools.spare)
        costs.append(np.zeros(len(pool_node), dtype=np.int64))
        if hubs is not None:
            tails.append(np.array([hub_in, hub_out, hub_un]))
            heads.append(np.full(3, sink))
            caps.append(np.array(hubs))
            costs.append(np.zeros(3, dtype=np.int64))
        supplies = np.zeros(sink + 1 + len(pool_node), dtype=np.int64)
        supplies[classes] = self.supply[classes]
        supplies[sink] = -int(self.supply[classes].sum())
        tails_a = np.concatenate(tails).astype(np.int64)
        result = solve_min_cost_flow(
            tails=tails_a,
            heads=np.concatenate(heads).astype(np.int64),
            capacities=np.concatenate(caps).astype(np.int64),
            unit_costs=np.concatenate(costs).astype(np.int64),
            supplies=supplies,
        )
        cand_flow = np.zeros(len(cand.child), dtype=np.int64)
        cand_flow[np.flatnonzero(use)] = result.flows[: len(c_class)]
        start = len(c_class) + len(with_res) + m
        over = np.zeros(m, dtype=np.int64)
        over[softs] = result.flows[start : start + len(softs)]
        return _Flow(cand_flow=cand_flow, over=over, nodes=len(supplies), arcs=len(tails_a))


def _disaggregate(
    cs: CandidateSet, is_locked: NDArray[np.bool_], cand_flow: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Give each class's flow to its free members in child-id order: (child, candidate arc)."""
    free = np.flatnonzero(~is_locked).astype(np.int64)
    members = free[np.argsort(cs.class_of[free], kind="stable")]  # by class, then child index
    member_start = np.searchsorted(cs.class_of[members], np.arange(cs.n_classes + 1))
    arcs = np.repeat(np.arange(len(cand_flow), dtype=np.int64), cand_flow)
    if len(arcs) == 0:
        return np.zeros(0, dtype=np.int64), arcs
    arc_class = cs.candidates.child[arcs]
    slot_start = np.searchsorted(arc_class, np.arange(cs.n_classes + 1))
    rank = np.arange(len(arcs)) - slot_start[arc_class]
    return members[member_start[arc_class] + rank], arcs


def _rank(child: Child, school: School) -> int | None:
    if school.school_id in child.preferences:
        return child.preferences.index(school.school_id) + 1
    return None


def _segment_min(
    values: NDArray[np.float64], starts: NDArray[np.int64], n: int
) -> NDArray[np.float64]:
    """Minimum of each segment ``starts[c]:starts[c + 1]`` (inf when empty)."""
    out = np.full(n, np.inf)
    if len(values):
        seg = np.repeat(np.arange(n), np.diff(starts))
        np.minimum.at(out, seg, values)
    return out


def _assignments(
    cs: CandidateSet,
    pairs: _Pairs,
    cand_full: NDArray[np.bool_],
    *,
    locked: bool,
) -> list[Assignment]:
    """Assignments with reasons; class-level minima make the reasons vectorised.
    ``cand_full`` says, per candidate arc, whether that school is full for that class."""
    k = cs.n_classes
    cand = cs.candidates
    annual = np.array([s.annual_cost_gbp for s in cs.schools], dtype=np.float64)
    min_t = _segment_min(cand.travel_s, cs.cand_starts, k)
    min_fee = _segment_min(annual[cand.school], cs.cand_starts, k)
    min_open_t = _segment_min(np.where(cand_full, np.inf, cand.travel_s), cs.cand_starts, k)
    cls = cs.class_of[pairs.child]
    nearer = min_t[cls] < pairs.travel_s
    nearest = ~nearer
    cheapest = ~(min_fee[cls] < annual[pairs.school])
    nearer_full = nearer & ~(min_open_t[cls] < pairs.travel_s) & (not locked)
    cache: dict[tuple[bool, int, bool, bool, bool, bool, bool], tuple[str, ...]] = {}
    out = []
    for i, j, t, d, near, cheap, nfull in zip(
        pairs.child.tolist(),
        pairs.school.tolist(),
        pairs.travel_s.tolist(),
        pairs.distance_m.tolist(),
        nearest.tolist(),
        cheapest.tolist(),
        nearer_full.tolist(),
        strict=True,
    ):
        child, school = cs.children[i], cs.schools[j]
        rank = _rank(child, school) if child.preferences else None
        key = (locked, rank or 0, near, cheap, nfull, child.residential_need, school.in_area)
        reasons = cache.get(key)
        if reasons is None:
            reasons = cache[key] = _reason_codes(key)
        out.append(
            Assignment(
                child_id=child.child_id,
                school_id=school.school_id,
                travel_s=t,
                distance_m=d,
                annual_cost_gbp=float(school.annual_cost_gbp),
                preference_rank=rank,
                in_area=school.in_area,
                residential=child.residential_need,
                reasons=reasons,
                cross_border=child.home_la != school.la_code,
            )
        )
    return out


def _reason_codes(key: tuple[bool, int, bool, bool, bool, bool, bool]) -> tuple[str, ...]:
    locked, rank, nearest, cheapest, nearer_full, residential, in_area = key
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
    return tuple(str(r) for r in reasons)


def _unplaced(
    cs: CandidateSet,
    i: int,
    cand_full: NDArray[np.bool_],
    max_travel_min: float,
) -> Unplaced:
    """The most fundamental reason this child has no place; the detail holds numbers only."""
    child = cs.children[i]
    c = int(cs.class_of[i])
    admits, admits_res = int(cs.admits_any[c]), int(cs.admits_res[c])
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
    cand_school = cs.candidates.school[cs.cand_starts[c] : cs.cand_starts[c + 1]]
    if len(cand_school) == 0:
        considered = cs.considered.travel_s[cs.cons_starts[c] : cs.cons_starts[c + 1]]
        return Unplaced(
            child.child_id,
            UnplacedReason.OVER_MAX_TRAVEL,
            f"{len(considered)} suitable school(s), nearest "
            f"{float(considered.min()) / 60.0:.0f} min, limit {max_travel_min:.0f} min",
        )
    # Only a policy whose unplaced penalty is below some arc cost can leave room unused.
    if cand_full[cs.cand_starts[c] : cs.cand_starts[c + 1]].all():
        return Unplaced(
            child.child_id,
            UnplacedReason.CAPACITY_EXHAUSTED,
            f"{len(cand_school)} suitable school(s) within {max_travel_min:.0f} min, all full",
        )
    return Unplaced(
        child.child_id,
        UnplacedReason.COSTS_MORE_THAN_UNPLACED,
        f"{len(cand_school)} suitable school(s) within {max_travel_min:.0f} min; places left "
        "cost more than the unplaced penalty",
    )


__all__ = [
    "MODES",
    "SOLVER_NAME",
    "CandidateSet",
    "PlacementError",
    "arc_cost_gbp",
    "build_candidates",
    "lexicographic_levels",
    "over_capacity_cost_gbp",
    "place",
    "preference_gbp",
    "unplaced_cost_gbp",
]
