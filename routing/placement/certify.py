"""Potentials over every admissible arc for a flow solved on a subset of them (``pricing.py``).

The potentials ``flow.node_potentials`` recovers prove the flow optimal for the arcs it was
solved with; an arc left out may still price below 0 under them although the flow is optimal
for the whole network (potentials are not unique). Solving again with that arc added would
then only change the potentials. Instead ``certify_potentials`` looks for potentials proving
the same flow optimal over every admissible arc: shortest-path labels in the whole residual
graph (every admissible arc of a free class, with room since it carries nothing), started
from the flow's own potentials and corrected only where an arc is violated (label
correcting, class nodes eliminated as in ``node_potentials``). A flow that is not optimal has
a negative residual cycle and the labels keep falling: after ``MAX_PASSES`` passes it gives
up (None) and pricing solves again. Whatever it returns is checked on every residual arc, so
a wrong label can only cost a round, never prove a flow that is not optimal.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.placement.universe import Universe

MAX_PASSES = 60
_GIVE_UP_SHARE = 0.05
_GIVE_UP_MIN = 1_000
_TOP = np.iinfo(np.int64).max // 4


def _segments(starts: NDArray[np.int64], rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """The positions ``starts[r]:starts[r + 1]`` of every row ``r`` in ``rows``, concatenated."""
    first, count = starts[rows], starts[rows + 1] - starts[rows]
    total = int(count.sum())
    return np.repeat(first - np.cumsum(count) + count, count) + np.arange(total, dtype=np.int64)


def _lower(
    d: NDArray[np.int64], at: NDArray[np.int64], value: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``d[at] = min(d[at], value)``; the entries of ``d`` that fell."""
    low = value < d[at]
    if not low.any():
        return np.zeros(0, dtype=np.int64)
    at, value = at[low], value[low]
    touched = np.unique(at)
    before = d[touched].copy()
    np.minimum.at(d, at, value)
    return touched[d[touched] < before]


def certify_potentials(
    universe: Universe,
    kept: NDArray[np.bool_],
    cand_flow: NDArray[np.int64],
    supply: NDArray[np.int64],
    residual: tuple[NDArray[np.int64], ...],
    potential: NDArray[np.int64],
    *,
    sink: int,
    unplaced_gbp: int,
    violated: NDArray[np.int64],
) -> NDArray[np.int64] | None:
    """Potentials proving the flow optimal over every admissible arc, or None.

    ``cand_flow`` is the flow on the kept arcs (in universe order), ``residual`` the solved
    network's arcs (``SolvedFlow.residual``), ``potential`` its potentials (tight at every
    class) and ``violated`` the classes with an arc pricing below 0 under them: the others'
    arcs need no look until a label they depend on falls."""
    k = len(supply)
    free = supply > 0
    # A correction that spreads to a large share of the classes is a negative cycle's
    # (labels falling everywhere) far more often than a long path: another solve is cheaper.
    give_up = max(_GIVE_UP_MIN, int(free.sum() * _GIVE_UP_SHARE))
    if len(violated) > give_up:
        return None
    tails, heads, caps, costs, flows = residual
    flow_u = np.zeros(len(universe.cls), dtype=np.int64)
    flow_u[np.flatnonzero(kept)] = cand_flow
    room_u = free[universe.cls] & (flow_u < supply[universe.cls])
    placed = np.bincount(universe.cls, weights=flow_u, minlength=k).astype(np.int64)
    unplaced = np.where(free, supply - placed, 0)
    # Arcs carrying flow into each node: (class, cost), sorted by node.
    carrying = np.flatnonzero(flow_u > 0)
    stay = np.flatnonzero(unplaced > 0)
    c_node = np.concatenate([universe.head[carrying], np.full(len(stay), sink)])
    c_cls = np.concatenate([universe.cls[carrying], stay])
    c_cost = np.concatenate([universe.cost[carrying], np.full(len(stay), unplaced_gbp)])
    order = np.argsort(c_node, kind="stable")
    c_node, c_cls, c_cost = c_node[order], c_cls[order], c_cost[order]
    n = len(potential)
    c_starts = np.searchsorted(c_node, np.arange(n + 1)).astype(np.int64, copy=False)
    # The schools' side of the residual graph: forward arcs with room, backward ones with flow.
    side = tails >= k
    fwd, back = side & (flows < caps), side & (flows > 0)
    e_t = np.concatenate([tails[fwd], heads[back]])
    e_h = np.concatenate([heads[fwd], tails[back]])
    e_w = np.concatenate([costs[fwd], -costs[back]])
    order = np.argsort(e_t, kind="stable")
    e_t, e_h, e_w = e_t[order], e_h[order], e_w[order]
    e_starts = np.searchsorted(e_t, np.arange(n + 1)).astype(np.int64, copy=False)

    d = potential.astype(np.int64)
    lam = np.full(k, _TOP, dtype=np.int64)
    np.minimum.at(lam, c_cls, d[c_node] - c_cost)
    active = violated
    frontier = np.zeros(0, dtype=np.int64)
    for _ in range(MAX_PASSES):
        fell = [frontier[:0]]
        if len(active):
            arcs = _segments(universe.starts, active)
            arcs = arcs[room_u[arcs]]
            fell.append(
                _lower(d, universe.head[arcs], lam[universe.cls[arcs]] + universe.cost[arcs])
            )
            some = active[unplaced[active] < supply[active]]
            fell.append(_lower(d, np.full(len(some), sink), lam[some] + unplaced_gbp))
        if len(frontier):
            edges = _segments(e_starts, frontier)
            fell.append(_lower(d, e_h[edges], d[e_t[edges]] + e_w[edges]))
        frontier = np.unique(np.concatenate(fell))
        if len(frontier) == 0:
            break
        entries = _segments(c_starts, frontier)
        before = lam.copy()
        np.minimum.at(lam, c_cls[entries], d[c_node[entries]] - c_cost[entries])
        active = np.flatnonzero(lam < before)
        if len(active) > give_up:
            return None
    else:
        return None
    pot = d.copy()
    pot[:k] = np.where(free, lam, d[:k])
    return pot if _proves(pot, residual, universe, kept, room_u) else None


def _proves(
    pot: NDArray[np.int64],
    residual: tuple[NDArray[np.int64], ...],
    universe: Universe,
    kept: NDArray[np.bool_],
    room_u: NDArray[np.bool_],
) -> bool:
    """Whether every residual arc, solved with or left out, has a non-negative reduced cost."""
    tails, heads, caps, costs, flows = residual
    reduced = costs + pot[tails] - pot[heads]
    if (reduced[flows < caps] < 0).any() or (reduced[flows > 0] > 0).any():
        return False
    out = room_u & ~kept
    return not (universe.cost[out] + pot[universe.cls[out]] - pot[universe.head[out]] < 0).any()


__all__ = ["MAX_PASSES", "certify_potentials"]
