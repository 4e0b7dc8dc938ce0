"""One flow node for classes with the same arcs: the same optimum, far fewer nodes and arcs.

Classes at one home point whose children differ only in what no school here tells apart
enter the same nodes at the same costs: in the flow they are interchangeable. Such *twins*
share one node (the first twin's) with their summed supply, one arc per head with that supply
as capacity, and one unplaced arc. A flow of the shared node splits back into the classes'
own flows, each class's children filling the arcs in order (the north-west corner rule), with
the same cost; and every flow of the classes sums to one of the shared node. So the optimum is
the same. Each twin takes the shared node's potential: a twin's arc has room wherever the
shared arc has room, and carries flow only where the shared arc does, so every residual arc
of the class network keeps the reduced cost of a residual arc of the shared one.

Measured on a pricing round at national scale (640,000 children, 3,000 settings): 1.67 million
arcs became 1.0 million, and the OR-Tools solve took 10.3 s instead of 21.9 s in the same run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def _mixed(x: NDArray[np.uint64], salt: int) -> NDArray[np.uint64]:
    """A 64-bit mix of ``x`` (splitmix64's finaliser), wrapping as unsigned integers do."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(salt)) * np.uint64(_MIX[1])
        x = (x ^ (x >> np.uint64(31))) * np.uint64(_MIX[2])
        return x ^ (x >> np.uint64(29))


def find_twins(
    tails: NDArray[np.int64],
    heads: NDArray[np.int64],
    costs: NDArray[np.int64],
    *,
    classes: int,
    n_cand: int,
    unplaced: slice,
) -> NDArray[np.int64] | None:
    """Per class, the first class with exactly its arcs (heads and costs in order, and its
    unplaced arc's); None when no two classes share them.

    The first ``n_cand`` arcs are the classes' school arcs, sorted by class; the arcs in
    ``unplaced`` are their unplaced arcs, one per class with school arcs. Classes are grouped
    by a hash of their arcs, then every grouped arc is compared with its twin's: a hash
    collision only means no twins are used, never a wrong merge."""
    cand_tail = tails[:n_cand]
    if n_cand == 0 or (np.diff(cand_tail) < 0).any():
        return None
    starts = np.searchsorted(cand_tail, np.arange(classes + 1)).astype(np.int64, copy=False)
    count = np.diff(starts)
    un_idx = np.arange(unplaced.start, unplaced.stop, dtype=np.int64)
    un_head = np.full(classes, -1, dtype=np.int64)
    un_cost = np.zeros(classes, dtype=np.int64)
    un_head[tails[un_idx]], un_cost[tails[un_idx]] = heads[un_idx], costs[un_idx]
    some = np.flatnonzero(count > 0)
    if len(some) < 2 or (un_head[some] < 0).any():
        return None
    pos = (np.arange(n_cand, dtype=np.int64) - starts[cand_tail]).astype(np.uint64)
    h, c = heads[:n_cand].astype(np.uint64), costs[:n_cand].astype(np.uint64)
    arc = _mixed(_mixed(_mixed(h, _MIX[0]) ^ c, _MIX[0]) ^ pos, _MIX[0])
    key: NDArray[np.uint64] = np.bitwise_xor.reduceat(arc, starts[some])
    for column in (count[some], un_head[some], un_cost[some]):
        key = _mixed(np.bitwise_xor(key, column.astype(np.uint64)), _MIX[1])
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    rep = np.arange(classes, dtype=np.int64)
    rep[some] = some[first[group.reshape(-1)]]
    if (rep == np.arange(classes)).all():
        return None
    # Every arc of a twin against the same arc of the class whose node it shares.
    same_un = (un_head[rep] == un_head) & (un_cost[rep] == un_cost) & (count[rep] == count)
    if not same_un.all():
        return None
    own = starts[rep[cand_tail]] + pos.astype(np.int64)
    if not ((heads[own] == heads[:n_cand]) & (costs[own] == costs[:n_cand])).all():
        return None
    return rep


def merge_twins(
    arrays: dict[str, NDArray[np.int64]],
    supplies: NDArray[np.int64],
    rep: NDArray[np.int64],
    *,
    n_cand: int,
    unplaced: slice,
) -> tuple[dict[str, NDArray[np.int64]], NDArray[np.int64], NDArray[np.bool_], int, slice]:
    """The network with twins on one node: its arrays and supplies, which arcs of the class
    network it keeps (in order), its school arcs' count and its unplaced arcs' slice."""
    classes = len(rep)
    tails = arrays["tails"]
    is_class_arc = np.zeros(len(tails), dtype=bool)
    is_class_arc[:n_cand] = True
    is_class_arc[unplaced] = True
    keep = ~is_class_arc | (rep[np.minimum(tails, classes - 1)] == tails)
    merged = np.bincount(rep, weights=supplies[:classes], minlength=classes).astype(np.int64)
    caps = arrays["capacities"].copy()
    caps[is_class_arc] = merged[tails[is_class_arc]]
    out = {name: a[keep] for name, a in arrays.items()}
    out["capacities"] = caps[keep]
    new_supplies = supplies.copy()
    new_supplies[:classes] = merged
    before = np.concatenate([[0], np.cumsum(keep)])
    return (
        out,
        new_supplies,
        keep,
        int(before[n_cand]),
        slice(int(before[unplaced.start]), int(before[unplaced.stop])),
    )


def split_twins(
    merged_flows: NDArray[np.int64],
    keep: NDArray[np.bool_],
    tails: NDArray[np.int64],
    supplies: NDArray[np.int64],
    rep: NDArray[np.int64],
    *,
    n_cand: int,
    unplaced: slice,
) -> NDArray[np.int64]:
    """The class network's flow from the shared nodes' ``merged_flows``: each twin's children,
    in class order, fill its node's arcs in order (school arcs, then unplaced)."""
    classes = len(rep)
    flows = np.zeros(len(tails), dtype=np.int64)
    flows[keep] = merged_flows
    # Each class's arcs in order: its school arcs, then its unplaced arc.
    un_idx = np.arange(unplaced.start, unplaced.stop, dtype=np.int64)
    arcs = np.concatenate([np.arange(n_cand, dtype=np.int64), un_idx])
    order = np.lexsort((np.arange(len(arcs)), tails[arcs]))
    arcs = arcs[order]
    cls = tails[arcs]
    ext_starts = np.searchsorted(cls, np.arange(classes + 1)).astype(np.int64, copy=False)
    pos = np.arange(len(arcs), dtype=np.int64) - ext_starts[cls]
    # The shared node's flow through its first p arcs (before and after arc p).
    shared = ext_starts[rep[cls]] + pos
    node_flow = flows[arcs[shared]]
    through = np.cumsum(flows[arcs]) - np.repeat(
        np.concatenate([[0], np.cumsum(flows[arcs])])[ext_starts[:-1]], np.diff(ext_starts)
    )
    g_hi = through[shared]
    g_lo = g_hi - node_flow
    # Each twin's children: an interval of its node's supply, in class order.
    by_node = np.lexsort((np.arange(classes), rep))
    ahead = np.cumsum(supplies[:classes][by_node]) - supplies[:classes][by_node]
    start_of = np.full(classes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(start_of, rep[by_node], ahead)
    lo = np.zeros(classes, dtype=np.int64)
    lo[by_node] = ahead - start_of[rep[by_node]]
    hi = lo + supplies[:classes]
    twin = rep[cls] != cls
    share = np.maximum(np.minimum(hi[cls], g_hi) - np.maximum(lo[cls], g_lo), 0)
    flows[arcs[twin]] = share[twin]
    # The class owning the node keeps only its own children's share too.
    owner = ~twin
    flows[arcs[owner]] = share[owner]
    return flows


__all__ = ["find_twins", "merge_twins", "split_twins"]
