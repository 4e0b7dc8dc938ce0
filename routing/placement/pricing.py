"""Exact weighted placement over every admissible school by pricing (column generation).

Solving the flow over every admissible (class, school) arc at national scale (640,000 children
x 3,000 schools, about 15 million arcs) takes minutes, and most arcs never come close to being
used. So the weighted optimum is reached in rounds over a small subset of them: solve the flow
on the subset, recover the node potentials ``pi`` of that optimum (``flow.node_potentials``),
price every admissible arc left out (``universe.py``: open, admitting, within the travel
limit) at its reduced cost ``cost + pi[class] - pi[head]`` with the flow's own integer costs,
add those below 0 and solve again. When no arc left out has a negative reduced cost, the
potentials prove the flow optimal for the full network (every residual arc, old or new, has a
non-negative reduced cost), so the plan is the one the full solve would give in objective.

*The start.* From ``estimate.SAMPLE_MIN_CHILDREN`` children in the smallest sample, school
prices are first estimated on nested samples of the children, each solved exactly by these
same rounds (``estimate.py``), and each class starts with its few best arcs at those prices;
smaller scenarios start from each class's ``PRICING_START_CANDIDATES`` nearest admissible
schools and its preferred ones. Between solves, arcs that carry no flow and price above
``KEEP_REDUCED_GBP`` leave the solve (they are priced with the rest every round, and come back
for good if they turn negative); a round that adds arcs also adds those pricing just above 0,
below ``ANTICIPATE_GBP``, which would likely turn negative after the next solve. It ends: each
round adds an arc that never leaves again, of finitely many.

*Each round* after the first starts from the last one's optimum when few arcs break its
potentials (``network.WARM_MAX_BROKEN``): the network simplex (``simplex.py``) repairs it in
pivots, where OR-Tools' cost scaling would run every phase from the largest cost down whatever
the start (handing it the last potentials as reduced costs bought nothing). At national scale
(640,000 children x 3,000 settings) the last round's 449 broken arcs take about 1 s against
OR-Tools' 5-6 s. Otherwise a round solves from scratch, giving classes with the same arcs one node
(``twins.py``) and classes with one school arc a shared node (``bundle.py``). When arcs left
out price below 0, it first looks for other potentials proving the same flow optimal over
every arc (``certify.py``), which saves the last solve when the flow was already optimal.

``outside_minima`` gives the reasons (``reasons.py``) the same minima over the arcs left out,
so NEAREST_SUITABLE, LOWEST_COST_SUITABLE and the unplaced reasons hold over every candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy
from sendplan.routing.placement.candidates import CandidateSet
from sendplan.routing.placement.certify import certify_potentials
from sendplan.routing.placement.costs import unplaced_cost_gbp
from sendplan.routing.placement.estimate import draw_samples, scaled_network, start_arcs
from sendplan.routing.placement.network import Network, SolvedFlow, WarmStart
from sendplan.routing.placement.pools import need_codes, pool_table
from sendplan.routing.placement.reasons import ClassMinima
from sendplan.routing.placement.universe import Universe, build_reach, build_universe

# The starting candidate set of small scenarios: the nearest admissible schools per class.
PRICING_START_CANDIDATES = 10
# After a solve, arcs in it stay in the next one when their reduced cost is at most this
# (or they carry flow, or pricing added them); the others are priced again every round.
KEEP_REDUCED_GBP = 10_000
# When a round adds the arcs left out that price below 0, it also adds those below this: the
# next solve moves the prices, and arcs just above 0 are the ones that turn negative. Measured
# at national scale (640,000 children x 3,000 settings, seed 3): 4 rounds instead of 5 at 300
# (303,295 arcs added against 252,887) and at 1,000 (584,512); at 3,000 also 4, but the solves
# grew (2.1 million arcs added) and it was slower than none.
ANTICIPATE_GBP = 300
# Arcs per slice when the reasons' minima walk the arcs left out.
_SLICE_ARCS = 4_000_000


@dataclass(frozen=True)
class PricingReport:
    """The pricing loop's figures: flow solves, arcs priced (over all rounds), arcs added, and
    the last round's least reduced cost over the arcs left out (>= 0 proves the optimum;
    None when no admissible arc was left out)."""

    rounds: int
    arcs_priced: int
    arcs_added: int
    min_reduced_cost: int | None
    sample_rounds: int = 0  # the samples' own rounds (``estimate.py``), before these
    warm_rounds: int = 0  # rounds the network simplex solved from the last optimum


@dataclass(frozen=True)
class Priced:
    """The pricing loop's answer: the last network (over the arcs it kept) and its flow, the
    figures, and what ``outside_minima`` needs: every admissible arc, and which it kept."""

    net: Network
    flow: SolvedFlow
    report: PricingReport
    universe: Universe
    kept: NDArray[np.bool_]


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
    """Solve, price the arcs left out, add the negative ones, until none is left: for each
    sample of the children (``estimate.py``), then for all of them.

    ``cs`` holds the classes, and the nearest schools that small scenarios start from."""
    base = network_for(cs)
    need = need_codes(cs)
    table = pool_table(base.pools, len(cs.schools))

    def heads(cls: NDArray[np.int64], school: NDArray[np.int64]) -> NDArray[np.int64]:
        return base.arc_heads(cls, school, table[need[cls], school])

    universe = build_universe(cs, build_reach(cs, travel), policy, heads)
    potential: NDArray[np.int64] | None = None
    sample_rounds = 0
    for fraction, sample in draw_samples(supply):
        start = (
            sample[universe.cls] > 0
            if potential is None
            else start_arcs(universe, sample, potential, base.sink(), policy)
        )

        def sample_network(arcs: CandidateSet, s: NDArray[np.int64] = sample,
                           f: float = fraction) -> Network:  # fmt: skip
            return scaled_network(network_for(arcs), s, f)

        done = _rounds(cs, universe, sample, start, sample_network, policy)
        potential = done.pot
        sample_rounds += done.report.rounds
    start = (
        universe.members(cs) & (supply[universe.cls] > 0)
        if potential is None
        else start_arcs(universe, supply, potential, base.sink(), policy)
    )
    done = _rounds(cs, universe, supply, start, network_for, policy)
    report = replace(done.report, sample_rounds=sample_rounds)
    return Priced(done.net, done.flow, report, universe, done.kept)


@dataclass(frozen=True)
class _Done:
    net: Network
    flow: SolvedFlow
    report: PricingReport
    kept: NDArray[np.bool_]
    pot: NDArray[np.int64]


def _rounds(
    cs: CandidateSet,
    universe: Universe,
    supply: NDArray[np.int64],
    kept: NDArray[np.bool_],
    network_for: Callable[[CandidateSet], Network],
    policy: Policy,
) -> _Done:
    """The pricing rounds from the arcs ``kept``, for the children ``supply`` counts."""
    free = supply[universe.cls] > 0
    added_once = np.zeros(len(kept), dtype=bool)  # never dropped again (ends the loop)
    rounds = priced = added = warm_rounds = 0
    warm: WarmStart | None = None
    while True:
        net = network_for(universe.candidate_set(cs, kept))
        flow = net.solve_weighted(policy, potentials=True, warm=warm)
        rounds += 1
        warm_rounds += flow.warm
        pot = class_potentials(net, flow, supply, policy)
        reduced = _reduced(universe, pot)
        out = free & ~kept
        priced += int(out.sum())
        least = int(reduced[out].min()) if out.any() else None
        if least is not None and least < 0:
            # The flow may be optimal already, with other potentials proving it.
            proof = certify_potentials(
                universe, kept, flow.cand_flow, supply, _residual(flow), pot,
                sink=net.sink(), unplaced_gbp=unplaced_cost_gbp(policy),
                violated=np.unique(universe.cls[out & (reduced < 0)]),
            )  # fmt: skip
            if proof is not None:
                pot = proof
                reduced = _reduced(universe, pot)
                least = int(reduced[out].min())
        if least is None or least >= 0:
            report = PricingReport(rounds, priced, added, least, warm_rounds=warm_rounds)
            return _Done(net, flow, report, kept, pot)
        warm = WarmStart(_residual(flow), pot)
        new = out & (reduced < ANTICIPATE_GBP)
        added += int(new.sum())
        added_once |= new
        carrying = np.zeros(len(kept), dtype=bool)
        carrying[np.flatnonzero(kept)] = flow.cand_flow > 0
        kept = (kept & _promising(reduced, carrying, added_once)) | new


def _reduced(universe: Universe, pot: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every arc's reduced cost ``cost + pi[class] - pi[head]``, with one temporary fewer
    (tens of millions of arcs at national scale)."""
    reduced = pot[universe.head]
    np.subtract(universe.cost, reduced, out=reduced)
    reduced += pot[universe.cls]
    return reduced


def _residual(flow: SolvedFlow) -> tuple[NDArray[np.int64], ...]:
    if flow.residual is None:
        raise ValueError("the flow was solved without potentials")
    return flow.residual


def _promising(
    reduced: NDArray[np.int64], carrying: NDArray[np.bool_], added_once: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """The arcs solved with that the next solve keeps: those carrying flow, those pricing
    added (so an arc is dropped at most once after it was found and the loop ends) and those
    whose reduced cost is at most ``KEEP_REDUCED_GBP``; the flow's time grows with its arcs,
    and most arcs of a start never come close to being used."""
    return carrying | added_once | (reduced <= KEEP_REDUCED_GBP)


def outside_minima(
    priced: Priced,
    arc_full: Callable[
        [NDArray[np.int64], NDArray[np.int64]], tuple[NDArray[np.bool_], NDArray[np.bool_]]
    ],
) -> ClassMinima:
    """The reasons' per-class minima over the admissible arcs outside the last network;
    ``arc_full`` says per (class, school) whether the school is full for that class in the
    final plan, and whether only by places per need."""
    universe = priced.universe
    annual = np.array([s.annual_cost_gbp for s in priced.net.cs.schools], dtype=np.float64)
    k = len(universe.starts) - 1
    count = np.zeros(k, dtype=np.int64)
    open_count = np.zeros(k, dtype=np.int64)
    held_count = np.zeros(k, dtype=np.int64)
    mins = {name: np.full(k, np.inf) for name in ("t", "fee", "open_t", "open_cost")}
    outside = np.flatnonzero(~priced.kept)
    for a in range(0, len(outside), _SLICE_ARCS):
        arcs = outside[a : a + _SLICE_ARCS]
        pairs = universe.pairs(arcs)
        cls, school, t = pairs.child, pairs.school, pairs.travel_s
        full, held = arc_full(cls, school)
        room = ~full
        count += np.bincount(cls, minlength=k)
        open_count += np.bincount(cls[room], minlength=k)
        held_count += np.bincount(cls[held], minlength=k)
        _least_into(mins["t"], cls, t)
        _least_into(mins["fee"], cls, annual[school])
        _least_into(mins["open_t"], cls[room], t[room])
        _least_into(mins["open_cost"], cls[room], universe.cost[arcs][room].astype(np.float64))
    return ClassMinima(
        count=count,
        open_count=open_count,
        held_count=held_count,
        min_travel_s=mins["t"],
        min_fee_gbp=mins["fee"],
        min_open_travel_s=mins["open_t"],
        min_open_cost_gbp=mins["open_cost"],
    )


def _least_into(
    out: NDArray[np.float64], cls: NDArray[np.int64], values: NDArray[np.float64]
) -> None:
    """``out[c] = min(out[c], values of c)``: one ``reduceat`` per run of a class, then
    ``np.minimum.at`` over the runs, several times faster than over the values when ``cls``
    is sorted (the universe's arcs are), and right in any order."""
    if len(cls):
        starts = np.flatnonzero(np.concatenate([[True], cls[1:] != cls[:-1]]))
        np.minimum.at(out, cls[starts], np.minimum.reduceat(values, starts))


__all__ = [
    "ANTICIPATE_GBP", "KEEP_REDUCED_GBP", "PRICING_START_CANDIDATES", "Priced", "PricingReport",
    "class_potentials", "outside_minima", "solve_by_pricing",
]  # fmt: skip
