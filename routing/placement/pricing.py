"""Exact weighted placement over every admissible school by pricing (column generation).

Materialising every admissible (class, school) arc does not fit at national scale (640,000
children x 3,000 schools), so the weighted optimum is reached in rounds: solve the flow on each
class's ``PRICING_START_CANDIDATES`` nearest admissible schools (plus preferred ones), recover
the node potentials ``pi`` of that optimum (``flow.node_potentials``), price every admissible
arc left out (open, admitting, within the travel limit) at its reduced cost
``cost + pi[class] - pi[head]`` with the flow's own integer costs, add those below 0 and solve
again. When no excluded arc has a negative reduced cost, the potentials prove the flow optimal
for the full network (every residual arc, old or new, has a non-negative reduced cost), so the
plan is the one the full solve would give in objective. Between solves, arcs of the starting
set that carry no flow and price above ``KEEP_REDUCED_GBP`` leave the solve (they are priced
with the rest every round, and come back for good if they turn negative). It ends: each round
adds an arc never solved with or brings one back for good, of finitely many.

*Memory.* Travel is screened once per home point against every school (``travel.matrix`` in
chunks of points, kept within the largest travel limit at that point, then the exact
``travel.pairs`` values); pricing walks the classes in chunks, building each chunk's arcs on
the fly, so the full arc set never exists at once.

``outside_minima`` gives the reasons (``reasons.py``) the same minima over the arcs left out,
so NEAREST_SUITABLE, LOWEST_COST_SUITABLE and the unplaced reasons hold over every candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy
from sendplan.routing.placement.candidates import CandidateSet, Pairs, only_arcs, with_arcs
from sendplan.routing.placement.costs import costs_from_terms_gbp, unplaced_cost_gbp
from sendplan.routing.placement.network import Network, SolvedFlow
from sendplan.routing.placement.pools import need_codes, pool_table
from sendplan.routing.placement.reasons import ClassMinima

# The starting candidate set: the nearest admissible schools per class (and preferred ones).
PRICING_START_CANDIDATES = 10
# After a solve, arcs seen so far stay in the next one when their reduced cost is at most this
# (or they carry flow, or pricing added them); the others are priced again every round.
KEEP_REDUCED_GBP = 10_000
# Work per chunk: about this many (point, school) or (class, school) cells at once.
_CHUNK_CELLS = 4_000_000
# Screening slack: ``travel.matrix`` may round differently from ``travel.pairs``.
_SCREEN_REL = 1e-9
_SCREEN_ABS_S = 1e-6


@dataclass(frozen=True)
class PricingReport:
    """The pricing loop's figures: flow solves, arcs priced (over all rounds), arcs added, and
    the last round's least reduced cost over the arcs left out (>= 0 proves the optimum;
    None when no admissible arc was left out)."""

    rounds: int
    arcs_priced: int
    arcs_added: int
    min_reduced_cost: int | None


@dataclass(frozen=True)
class Reach:
    """Per home point, the schools within the largest travel limit of its classes (every
    school with residential places for a point with a residential class), sorted by point."""

    point_of_class: NDArray[np.int64]
    starts: NDArray[np.int64]  # point p's schools: starts[p]:starts[p + 1]
    school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]


def build_reach(cs: CandidateSet, travel: TravelModel) -> Reach:
    """Screen every (home point, school) pair once, in chunks of points."""
    m = len(cs.schools)
    homes = np.array(
        [(cs.children[int(r)].lon, cs.children[int(r)].lat) for r in cs.rep], dtype=np.float64
    ).reshape(-1, 2)
    points, point_of_class = np.unique(homes, axis=0, return_inverse=True)
    point_of_class = point_of_class.reshape(-1).astype(np.int64)
    n_points = len(points)
    # Every class, locked ones too: the reasons of a locked child see every candidate.
    finite = np.isfinite(cs.limit_s)
    limit_p = np.full(n_points, -np.inf)
    np.maximum.at(limit_p, point_of_class[finite], cs.limit_s[finite])
    boarder_p = np.zeros(n_points, dtype=bool)  # a class without a travel limit lives there
    boarder_p[point_of_class[~finite]] = True
    has_res = np.array([s.residential_places > 0 for s in cs.schools], dtype=bool)
    sites = np.array([(s.lon, s.lat) for s in cs.schools], dtype=np.float64).reshape(-1, 2)
    found_p: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    found_s: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    step = max(1, _CHUNK_CELLS // max(m, 1))
    for p0 in range(0, n_points if m else 0, step):
        p1 = min(p0 + step, n_points)
        seconds, _ = travel.matrix(points[p0:p1], sites)
        bound = limit_p[p0:p1] * (1.0 + _SCREEN_REL) + _SCREEN_ABS_S
        keep = (np.asarray(seconds) <= bound[:, None]) | (boarder_p[p0:p1, None] & has_res[None, :])
        rows, cols = np.nonzero(keep)
        found_p.append(rows.astype(np.int64) + p0)
        found_s.append(cols.astype(np.int64))
    pair_p, pair_s = np.concatenate(found_p), np.concatenate(found_s)
    seconds_a, metres_a = np.zeros(0), np.zeros(0)
    if len(pair_p):
        secs, metres = [], []
        for a in range(0, len(pair_p), _CHUNK_CELLS):
            s_, d_ = travel.pairs(
                points[pair_p[a : a + _CHUNK_CELLS]], sites[pair_s[a : a + _CHUNK_CELLS]]
            )
            secs.append(np.asarray(s_, dtype=np.float64))
            metres.append(np.asarray(d_, dtype=np.float64))
        seconds_a, metres_a = np.concatenate(secs), np.concatenate(metres)
    return Reach(
        point_of_class=point_of_class,
        starts=np.searchsorted(pair_p, np.arange(n_points + 1)).astype(np.int64),
        school=pair_s,
        travel_s=seconds_a,
        distance_m=metres_a,
    )


@dataclass(frozen=True)
class _Chunk:
    """The admissible arcs of a run of classes that are not in the candidate set."""

    cls: NDArray[np.int64]
    school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    cost: NDArray[np.int64]


class Pricer:
    """Enumerates, chunk by chunk, every admissible arc outside a candidate set, with its cost."""

    def __init__(
        self, cs: CandidateSet, reach: Reach, supply: NDArray[np.int64], policy: Policy
    ) -> None:
        self.reach, self.supply = reach, supply
        m = len(cs.schools)
        self.ok = np.zeros((len(cs.group_ok), m), dtype=bool)
        for g, ok in enumerate(cs.group_ok):
            self.ok[g, ok] = True
        self.annual = np.array([s.annual_cost_gbp for s in cs.schools], dtype=np.float64)
        self.area = np.array(
            [0.0 if s.in_area else policy.out_of_area_gbp for s in cs.schools], dtype=np.float64
        )
        # Preferred schools are always in the starting set, so an arc left out is one the
        # parents did not name: the not-preferred term for a class with preferences.
        self.pref = np.array(
            [policy.not_preferred_gbp if cs.children[int(r)].preferences else 0.0 for r in cs.rep],
            dtype=np.float64,
        )
        self.policy = policy

    def chunks(self, cs: CandidateSet, *, every_class: bool = False) -> Iterator[_Chunk]:
        """The arcs left out, of the classes with free children (``every_class``: of all)."""
        m = len(cs.schools)
        k = cs.n_classes
        step = max(1, _CHUNK_CELLS // max(m, 1))
        reach = self.reach
        for c0 in range(0, k if m else 0, step):
            c1 = min(c0 + step, k)
            cls = c0 + np.flatnonzero((self.supply[c0:c1] > 0) | every_class)
            pt = reach.point_of_class[cls]
            first, count = reach.starts[pt], reach.starts[pt + 1] - reach.starts[pt]
            total = int(count.sum())
            if total == 0:
                continue
            idx = np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)
            arc_cls = np.repeat(cls, count)
            school = reach.school[idx]
            t = reach.travel_s[idx]
            inset = np.zeros((c1 - c0, m), dtype=bool)
            a0, a1 = int(cs.cand_starts[c0]), int(cs.cand_starts[c1])
            inset[cs.candidates.child[a0:a1] - c0, cs.candidates.school[a0:a1]] = True
            keep = (
                self.ok[cs.group[arc_cls], school]
                & (t <= cs.limit_s[arc_cls])
                & ~inset[arc_cls - c0, school]
            )
            arc_cls, school, t, idx = arc_cls[keep], school[keep], t[keep], idx[keep]
            cost = costs_from_terms_gbp(
                self.annual[school], t, self.pref[arc_cls], self.area[school], self.policy
            )
            yield _Chunk(arc_cls, school, t, reach.distance_m[idx], cost)


def class_potentials(
    net: Network, flow: SolvedFlow, supply: NDArray[np.int64], policy: Policy
) -> NDArray[np.int64]:
    """The flow's potentials, with those of the classes left out of the network (no
    candidate arc yet: all their children on the unplaced arc) set to make it tight."""
    if flow.potential is None:
        raise ValueError("the flow was solved without potentials")
    pot = flow.potential.copy()
    k = net.cs.n_classes
    absent = (supply > 0) & (np.diff(net.cs.cand_starts) == 0)
    pot[:k][absent] = pot[net.sink()] - unplaced_cost_gbp(policy)
    return pot


def solve_by_pricing(
    cs: CandidateSet,
    travel: TravelModel,
    policy: Policy,
    supply: NDArray[np.int64],
    network_for: Callable[[CandidateSet], Network],
) -> Priced:
    """Solve, price the arcs left out, add the negative ones, until none is left.

    Each solve keeps only the promising arcs of those seen so far (``_promising``); the
    others are priced with the rest, so the answer is exact all the same.
    """
    reach = build_reach(cs, travel)
    pricer = Pricer(cs, reach, supply, policy)
    need = need_codes(cs)
    rounds = priced = added = 0
    seen = cs  # every arc solved with so far: the starting set and those added
    kept = np.ones(len(cs.cost), dtype=bool)
    added_once = np.zeros(len(cs.cost), dtype=bool)  # never dropped again (ends the loop)
    while True:
        net = network_for(only_arcs(seen, kept))
        flow = net.solve_weighted(policy, potentials=True)
        rounds += 1
        pot = class_potentials(net, flow, supply, policy)
        table = pool_table(net.pools, len(cs.schools))
        # Reduced cost of every arc seen; those left out of this solve are priced too.
        arc = seen.candidates
        head = net.arc_heads(arc.child, arc.school, table[need[arc.child], arc.school])
        reduced_seen = seen.cost + pot[arc.child] - pot[head]
        back = ~kept & (supply[arc.child] > 0)
        priced += int(back.sum())
        least = int(reduced_seen[back].min()) if back.any() else None
        readd = back & (reduced_seen < 0)
        found: list[_Chunk] = []
        for chunk in pricer.chunks(seen):
            head = net.arc_heads(chunk.cls, chunk.school, table[need[chunk.cls], chunk.school])
            reduced = chunk.cost + pot[chunk.cls] - pot[head]
            priced += len(reduced)
            if len(reduced):
                low = int(reduced.min())
                least = low if least is None else min(least, low)
            neg = reduced < 0
            if neg.any():
                found.append(
                    _Chunk(chunk.cls[neg], chunk.school[neg], chunk.travel_s[neg],
                           chunk.distance_m[neg], chunk.cost[neg])
                )  # fmt: skip
        if least is None or least >= 0:
            report = PricingReport(rounds, priced, added, least)
            return Priced(net, flow, report, pricer, seen, kept)
        extra = Pairs(
            np.concatenate([np.zeros(0, np.int64)] + [f.cls for f in found]),
            np.concatenate([np.zeros(0, np.int64)] + [f.school for f in found]),
            np.concatenate([np.zeros(0)] + [f.travel_s for f in found]),
            np.concatenate([np.zeros(0)] + [f.distance_m for f in found]),
        )
        added += len(extra.child) + int(readd.sum())
        carrying = np.zeros(len(seen.cost), dtype=bool)
        carrying[np.flatnonzero(kept)] = flow.cand_flow > 0
        added_once |= readd
        keep_seen = _promising(reduced_seen, carrying, added_once)
        n_new = len(extra.child)
        seen, order = with_arcs(
            seen, extra, np.concatenate([np.zeros(0, np.int64)] + [f.cost for f in found])
        )
        kept = np.concatenate([keep_seen, np.ones(n_new, dtype=bool)])[order]
        added_once = np.concatenate([added_once, np.ones(n_new, dtype=bool)])[order]


def _promising(
    reduced: NDArray[np.int64], carrying: NDArray[np.bool_], added_once: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """The arcs seen so far that the next solve keeps: those carrying flow, those pricing
    added (so an arc is dropped at most once and the loop ends) and those whose reduced cost
    is at most ``KEEP_REDUCED_GBP``; the flow's time grows with its arcs, and most of the
    nearest schools never come close to being used."""
    return carrying | added_once | (reduced <= KEEP_REDUCED_GBP)


@dataclass(frozen=True)
class Priced:
    """The pricing loop's answer: the last network (over the arcs it kept) and its flow, the
    figures, and what ``outside_minima`` needs: every arc seen, and which of them it kept."""

    net: Network
    flow: SolvedFlow
    report: PricingReport
    pricer: Pricer
    seen: CandidateSet
    kept: NDArray[np.bool_]


def _outside(priced: Priced) -> Iterator[_Chunk]:
    """Every admissible arc outside the last network: never seen, or seen and dropped (those
    with their own costs, preference ranks included)."""
    yield from priced.pricer.chunks(priced.seen, every_class=True)
    seen, dropped = priced.seen.candidates, ~priced.kept
    yield _Chunk(seen.child[dropped], seen.school[dropped], seen.travel_s[dropped],
                 seen.distance_m[dropped], priced.seen.cost[dropped])  # fmt: skip


def outside_minima(
    priced: Priced,
    arc_full: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]],
    arc_held: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]],
) -> ClassMinima:
    """The reasons' per-class minima over the admissible arcs outside the last network;
    ``arc_full`` and ``arc_held`` say per (class, school) whether the school is full for that
    class in the final plan, and whether only by places per need."""
    pricer = priced.pricer
    k = priced.seen.n_classes
    count = np.zeros(k, dtype=np.int64)
    open_count = np.zeros(k, dtype=np.int64)
    held_count = np.zeros(k, dtype=np.int64)
    mins = {name: np.full(k, np.inf) for name in ("t", "fee", "open_t", "open_cost")}
    for chunk in _outside(priced):
        full = arc_full(chunk.cls, chunk.school)
        count += np.bincount(chunk.cls, minlength=k)
        open_count += np.bincount(chunk.cls[~full], minlength=k)
        held_count += np.bincount(chunk.cls[arc_held(chunk.cls, chunk.school)], minlength=k)
        np.minimum.at(mins["t"], chunk.cls, chunk.travel_s)
        np.minimum.at(mins["fee"], chunk.cls, pricer.annual[chunk.school])
        np.minimum.at(mins["open_t"], chunk.cls[~full], chunk.travel_s[~full])
        np.minimum.at(mins["open_cost"], chunk.cls[~full], chunk.cost[~full].astype(np.float64))
    return ClassMinima(
        count=count,
        open_count=open_count,
        held_count=held_count,
        min_travel_s=mins["t"],
        min_fee_gbp=mins["fee"],
        min_open_travel_s=mins["open_t"],
        min_open_cost_gbp=mins["open_cost"],
    )


__all__ = [
    "PRICING_START_CANDIDATES", "Priced", "Pricer", "PricingReport", "Reach", "build_reach",
    "class_potentials", "outside_minima", "solve_by_pricing",
]  # fmt: skip
