"""Who can go where: the sparse candidate set, with identical children grouped into classes.

*Candidates.* A school is a candidate for a child when it is open on the scenario's ``as_of``
date (``School.open_on``), ``school.admits(child)`` (designation, age range, sex), the cohort
fits (``cohort_admits``: a "dsp" child only at a resourced provision, a "special" child there
only under ``policy.special_cohort_in_dsp``), it has residential places if the child has a
residential need, and the direct
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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import NEED_CODES, Child, Policy, School
from sendplan.routing.placement.arrays import group_rows
from sendplan.routing.placement.costs import arc_costs_gbp

_Arr = TypeVar("_Arr", NDArray[np.int64], NDArray[np.float64])


@dataclass(frozen=True)
class Pairs:
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
    admits_any: NDArray[np.int64]  # per class: schools admitting need, age, sex and cohort
    admits_res: NDArray[np.int64]  # per class: of the open ones, with residential places
    considered: Pairs
    candidates: Pairs
    cost: NDArray[np.int64]
    cand_starts: NDArray[np.int64]  # class c's candidates: cand_starts[c]:cand_starts[c + 1]
    cons_starts: NDArray[np.int64]
    admits_open: NDArray[np.int64]  # per class: of admits_any, those open on ``as_of``
    group: NDArray[np.int64]  # per class: its admission group
    group_ok: tuple[NDArray[np.int64], ...]  # per group: its admissible open schools, sorted
    limit_s: NDArray[np.float64]  # per class: its travel limit
    need: NDArray[np.int64]  # per child: its primary need's index in NEED_CODES
    home: NDArray[np.float64]  # per class: its home point, (lon, lat)
    named: NDArray[np.bool_]  # per class: whether its children name schools

    @property
    def n_classes(self) -> int:
        return len(self.rep)


def cohort_admits(school: School, child: Child, policy: Policy) -> bool:
    """The cohort rule: resourced-provision places are for the "dsp" cohort (and for "special"
    children only under ``policy.special_cohort_in_dsp``); a "dsp" child needs one."""
    if school.type == "resourced_provision":
        return child.cohort == "dsp" or policy.special_cohort_in_dsp
    return child.cohort != "dsp"


def admitting(schools: list[School], policy: Policy) -> Callable[[Child], NDArray[np.bool_]]:
    """``school.admits(child) and cohort_admits(school, child, policy)`` for every school at
    once: a function of the child, over school columns built once."""
    designated = {
        code: np.array([code in s.designations for s in schools], dtype=bool) for code in NEED_CODES
    }
    age_low = np.array([s.age_low for s in schools], dtype=np.int64)
    age_high = np.array([s.age_high for s in schools], dtype=np.int64)
    sex = np.array([s.sex for s in schools], dtype=object)
    resourced = np.array([s.type == "resourced_provision" for s in schools], dtype=bool)
    nobody = np.zeros(len(schools), dtype=bool)

    def admits(child: Child) -> NDArray[np.bool_]:
        dsp = child.cohort == "dsp"
        cohort = np.where(resourced, dsp or policy.special_cohort_in_dsp, not dsp)
        return (
            designated.get(child.primary_need, nobody)
            & (age_low <= child.age)
            & (child.age <= age_high)
            & ((sex == "mixed") | (sex == child.sex))
            & cohort
        )

    return admits


def held_locked(child: Child, schools: dict[str, School], as_of: date | None) -> bool:
    """Whether a child stays locked at its current school: a locked child whose school is not
    open on ``as_of`` is not held there (it is placed like any other child)."""
    return child.locked and schools[str(child.current_school)].open_on(as_of)


def build_candidates(
    children: list[Child],
    schools: list[School],
    travel: TravelModel,
    policy: Policy,
    *,
    as_of: date | None = None,
    nearest: int | None = None,
) -> tuple[CandidateSet, Pairs]:
    """Classes and their candidate arcs, plus the held locked children's pairs (by child
    index; see ``held_locked``).

    ``children`` and ``schools`` must be sorted by id. ``nearest`` overrides
    ``policy.max_candidates`` (the starting set of ``pricing.py``).
    """
    cap = max(int(policy.max_candidates if nearest is None else nearest), 0)
    m = len(schools)
    school_index = {s.school_id: j for j, s in enumerate(schools)}
    # 11: the primary/secondary boundary of the travel limit.
    bounds = np.array(
        sorted({s.age_low for s in schools} | {s.age_high + 1 for s in schools} | {11}),
        dtype=np.int64,
    )
    single_sex = any(s.sex != "mixed" for s in schools)
    n = len(children)

    def column(name: str, dtype: type) -> NDArray[Any]:
        return np.fromiter(map(attrgetter(name), children), dtype=dtype, count=n)

    needs = list(map(attrgetter("primary_need"), children))
    present = sorted(set(needs))
    need_id = {code: k for k, code in enumerate(present)}
    need = np.fromiter(map(need_id.__getitem__, needs), dtype=np.int64, count=n)
    code_of = np.array([NEED_CODES.index(code) for code in present], dtype=np.int64)
    band = np.searchsorted(bounds, column("age", np.int64), "right")
    male = np.zeros(n, dtype=np.int64)
    if single_sex:
        male = np.fromiter((x == "M" for x in map(attrgetter("sex"), children)), np.int64, n)
    res = column("residential_need", np.int64)
    dsp = np.fromiter(
        (x == "dsp" for x in map(attrgetter("cohort"), children)), dtype=np.int64, count=n
    )
    gkey = (((need * (len(bounds) + 1) + band) * 2 + male) * 2 + res) * 2 + dsp
    _, group_rep_a, group_of = np.unique(gkey, return_index=True, return_inverse=True)
    group_of = group_of.reshape(-1).astype(np.int64)
    group_rep = group_rep_a.tolist()
    pref_id: dict[tuple[str, ...], int] = {(): -1}
    prefs = np.fromiter(
        (pref_id.setdefault(x, len(pref_id) - 1) for x in map(attrgetter("preferences"), children)),
        dtype=np.int64,
        count=n,
    )
    lon, lat = column("lon", np.float64), column("lat", np.float64)
    rep_a, class_of = group_rows(group_of, lon, lat, prefs)
    group_a = group_of[rep_a]
    n_classes = len(rep_a)

    has_res = np.array([s.residential_places > 0 for s in schools], dtype=bool)
    is_open = np.array([s.open_on(as_of) for s in schools], dtype=bool)
    admits = admitting(schools, policy)
    group_found = [np.flatnonzero(admits(children[r])).astype(np.int64) for r in group_rep]
    group_open = [f[is_open[f]] for f in group_found]
    group_ok = [f[has_res[f]] if res[r] else f for f, r in zip(group_open, group_rep, strict=True)]
    n_found = np.array([len(f) for f in group_found], dtype=np.int64)
    n_open = np.array([len(f) for f in group_open], dtype=np.int64)
    n_found_res = np.array([int(has_res[f].sum()) for f in group_open], dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    admits_any = n_found[group_a] if n_classes else none
    admits_open = n_open[group_a] if n_classes else none
    admits_res = n_found_res[group_a] if n_classes else none

    homes = np.column_stack([lon[rep_a], lat[rep_a]]).reshape(-1, 2)
    sites = np.array([(s.lon, s.lat) for s in schools], dtype=np.float64).reshape(-1, 2)
    pair_c, pair_s = _considered_pairs(group_a, group_ok, homes, sites, cap)
    named = prefs[rep_a] >= 0
    # Preferred admissible schools are always considered, whatever the cap.
    if cap > 0:
        pc: list[int] = []
        ps: list[int] = []
        ok_sets = [set(ok.tolist()) for ok in group_ok]
        for c in np.flatnonzero(named).tolist():
            r = int(rep_a[c])
            ok_set = ok_sets[int(group_a[c])]
            for sid in children[r].preferences:
                j = school_index[sid]
                if j in ok_set:
                    pc.append(c)
                    ps.append(j)
        pair_c = np.concatenate([pair_c, np.array(pc, dtype=np.int64)])
        pair_s = np.concatenate([pair_s, np.array(ps, dtype=np.int64)])
    keys = np.sort(pair_c * max(m, 1) + pair_s)
    keys = keys[np.concatenate([[True], np.diff(keys) != 0])] if len(keys) else keys
    pair_c, pair_s = keys // max(m, 1), keys % max(m, 1)

    by_id = {s.school_id: s for s in schools}
    locked_c = np.array(
        [i for i in np.flatnonzero(column("locked", bool)).tolist()
         if held_locked(children[i], by_id, as_of)],
        dtype=np.int64,
    )  # fmt: skip
    locked_s = np.array(
        [school_index[str(children[i].current_school)] for i in locked_c], dtype=np.int64
    )
    all_homes = np.concatenate(
        [homes[pair_c], np.column_stack([lon[locked_c], lat[locked_c]])]
    ).reshape(-1, 2)
    all_sites = np.concatenate([sites[pair_s], sites[locked_s]]).reshape(-1, 2)
    if len(all_homes):
        seconds, metres = travel.pairs(all_homes, all_sites)
    else:
        seconds, metres = np.zeros(0), np.zeros(0)
    seconds = np.asarray(seconds, dtype=np.float64)
    metres = np.asarray(metres, dtype=np.float64)
    k = len(pair_c)
    considered = Pairs(pair_c, pair_s, seconds[:k], metres[:k])
    locked = Pairs(locked_c, locked_s, seconds[k:], metres[k:])

    # The limit depends on age band and residential need only, both fixed within a group.
    group_limit_s = np.array(
        [policy.max_travel_min(children[r]) * 60.0 for r in group_rep], dtype=np.float64
    )
    limit_s = group_limit_s[group_a] if n_classes else np.zeros(0, dtype=np.float64)
    within = considered.travel_s <= limit_s[considered.child] if k else np.zeros(0, dtype=bool)
    candidates = _slice(considered, within)
    cost = arc_costs_gbp(
        children, schools, rep_a[candidates.child], candidates.school, candidates.travel_s, policy
    )
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
            admits_open=admits_open,
            group=group_a,
            group_ok=tuple(group_ok),
            home=homes,
            named=named,
            limit_s=limit_s,
            need=code_of[need],
        ),
        locked,
    )


def with_arcs(
    cs: CandidateSet, extra: Pairs, extra_cost: NDArray[np.int64]
) -> tuple[CandidateSet, NDArray[np.int64]]:
    """``cs`` with more candidate arcs (none already in it), kept sorted by class then school,
    and where each merged arc came from (an index into old arcs then ``extra``)."""
    m = max(len(cs.schools), 1)
    cand = cs.candidates
    keys = np.concatenate([cand.child * m + cand.school, extra.child * m + extra.school])
    order = np.argsort(keys, kind="stable")

    def merged(a: _Arr, b: _Arr) -> _Arr:
        return np.concatenate([a, b])[order]

    candidates = Pairs(
        merged(cand.child, extra.child),
        merged(cand.school, extra.school),
        merged(cand.travel_s, extra.travel_s),
        merged(cand.distance_m, extra.distance_m),
    )
    ticks = np.arange(cs.n_classes + 1)
    merged_cs = replace(
        cs,
        candidates=candidates,
        cost=merged(cs.cost, extra_cost),
        cand_starts=np.searchsorted(candidates.child, ticks).astype(np.int64),
    )
    return merged_cs, order.astype(np.int64)


def only_arcs(cs: CandidateSet, keep: NDArray[np.bool_]) -> CandidateSet:
    """``cs`` with only the candidate arcs ``keep`` marks."""
    cand = cs.candidates
    candidates = Pairs(cand.child[keep], cand.school[keep], cand.travel_s[keep],
                       cand.distance_m[keep])  # fmt: skip
    ticks = np.arange(cs.n_classes + 1)
    return replace(
        cs,
        candidates=candidates,
        cost=cs.cost[keep],
        cand_starts=np.searchsorted(candidates.child, ticks).astype(np.int64),
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


def _slice(pairs: Pairs, which: slice | NDArray[np.bool_]) -> Pairs:
    return Pairs(
        pairs.child[which], pairs.school[which], pairs.travel_s[which], pairs.distance_m[which]
    )


def disaggregate(
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


__all__ = [
    "CandidateSet", "Pairs", "admitting", "build_candidates", "cohort_admits", "disaggregate",
    "held_locked", "only_arcs", "with_arcs",
]  # fmt: skip
