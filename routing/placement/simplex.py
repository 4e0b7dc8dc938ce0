"""A primal network simplex that starts from a flow and potentials: pricing's warm start.

OR-Tools' min-cost flow solves every pricing round from scratch, though the last round's
optimum already satisfies almost every arc: at national scale (640,000 children x 3,000
settings) the fourth round's 1.7 million arcs broke the last potentials on 449. This solver
starts where the last round ended. From any feasible flow and potentials it builds a spanning
tree of arcs tight under those potentials (reduced cost 0: those with room both ways first,
then those at a bound), joins what is left to an artificial root by arcs of capacity 0 (which
never carry flow), and pivots: block pricing picks an arc that breaks the optimality
conditions, the flow moves round its cycle in the tree, and of the arcs that block the cycle
the one cutting off the smallest subtree leaves (the fewest potentials to move; on the
national third round 136,295 pivots in 13.4 s, against 155,844 in 17.1 s by Cunningham's rule
of the last blocking arc). Arcs off the tree may sit strictly between their bounds. It ends
when no arc breaks the conditions: every arc with room has ``cost + pi[tail] - pi[head] >= 0``
and every arc carrying flow ``<= 0``, which proves the flow optimal. Degenerate pivots could
in principle cycle; a bound on the work (arcs priced, tree nodes walked or moved) ends the
solve unproven, and the caller then solves from scratch.

The kernel is compiled by numba: about 3 s, once (``compile_kernel``, run by ``make setup``;
numba caches it on disk). This is the only module that imports numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

_Ints = NDArray[np.int64]

# Work allowed (arcs priced, tree nodes walked or moved) per node and arc before the solve
# gives up; it then says it did not finish, and the caller solves from scratch.
_WORK_PER_ITEM = 300


@dataclass(frozen=True)
class SimplexResult:
    """The flow per arc and node potentials, pivots made, and whether they prove it optimal."""

    flows: NDArray[np.int64]
    potentials: NDArray[np.int64]
    pivots: int
    work: int  # arcs priced and tree nodes walked or moved (the bound on the solve's time)
    optimal: bool


def solve_from(
    *,
    tails: NDArray[np.int64],
    heads: NDArray[np.int64],
    capacities: NDArray[np.int64],
    unit_costs: NDArray[np.int64],
    supplies: NDArray[np.int64],
    flows: NDArray[np.int64],
    potentials: NDArray[np.int64],
) -> SimplexResult:
    """Improve the feasible ``flows`` to an optimum, starting from ``potentials``.

    ``flows`` must respect every capacity and every node's supply (ValueError otherwise); the
    potentials may be anything, but the nearer to optimal, the fewer pivots."""
    n, m = len(supplies), len(tails)
    t = np.ascontiguousarray(tails, dtype=np.int64)
    h = np.ascontiguousarray(heads, dtype=np.int64)
    cap = np.ascontiguousarray(capacities, dtype=np.int64)
    cost = np.ascontiguousarray(unit_costs, dtype=np.int64)
    f = np.array(flows, dtype=np.int64)
    if not len(h) == len(cap) == len(cost) == len(f) == m:
        raise ValueError("the arc arrays must have the same length")
    if m and (min(t.min(), h.min()) < 0 or max(t.max(), h.max()) >= n):
        raise ValueError("an arc names a node outside 0 .. len(supplies) - 1")
    if m and ((f < 0).any() or (f > cap).any()):
        raise ValueError("the starting flow breaks a capacity")
    balance = np.array(supplies, dtype=np.int64)
    np.subtract.at(balance, t, f)
    np.add.at(balance, h, f)
    if balance.any():
        raise ValueError("the starting flow does not meet every node's supply")
    pi = np.zeros(n + 1, dtype=np.int64)
    pi[:n] = potentials
    pivots, work, optimal = _network_simplex(t, h, cap, cost, f, pi, _WORK_PER_ITEM * (n + m))
    return SimplexResult(
        flows=f, potentials=pi[:n].copy(), pivots=int(pivots), work=int(work), optimal=optimal
    )


def compile_kernel() -> None:
    """Compile the kernel (and cache it on disk) with a one-arc solve: ``make setup`` does,
    so that no plan's time includes the compiling."""
    one = np.ones(1, dtype=np.int64)
    two = np.array([1, -1], dtype=np.int64)
    solve_from(tails=one - 1, heads=one, capacities=one, unit_costs=one, supplies=two,
               flows=one, potentials=two)  # fmt: skip


@numba.njit(cache=True)
def _find(uf: _Ints, x: int) -> int:
    """The root of x's set, halving the path."""
    root = x
    while uf[root] != root:
        root = uf[root]
    while uf[x] != root:
        uf[x], x = root, uf[x]
    return root


@numba.njit(inline="always")
def _room(a: int, x: int, toward_parent: bool, t: _Ints, cap: _Ints, f: _Ints, m: int) -> int:
    """Room on tree arc ``a`` (of node ``x``) to move flow toward x's parent or away."""
    if a >= m:
        return 0
    if (t[a] == x) == toward_parent:
        return cap[a] - f[a]
    return f[a]


@numba.njit(cache=True)
def _network_simplex(
    t: _Ints, h: _Ints, cap: _Ints, cost: _Ints, f: _Ints, pi: _Ints, max_work: int
) -> tuple[int, int, bool]:
    """Pivot ``f`` to an optimum in place, ``pi`` (one more: the root's) with it; returns
    the pivots, the work and whether it finished."""
    n = len(pi) - 1
    m = len(t)
    root = n
    if n == 0:
        return 0, 0, True
    # The arcs of the tree: tight arcs first (those with room both ways, then the rest), then
    # one artificial arc (index m + v, root -> v, capacity 0) per component left.
    uf = np.arange(n, dtype=np.int64)
    deg = np.zeros(n + 1, dtype=np.int64)
    tree_arcs = np.empty(n, dtype=np.int64)
    n_tree = 0
    for phase in range(2):
        for a in range(m):
            if cost[a] + pi[t[a]] - pi[h[a]] != 0:
                continue
            inside = 0 < f[a] < cap[a]
            if (phase == 0) != inside:
                continue
            x, y = _find(uf, t[a]), _find(uf, h[a])
            if x != y:
                uf[x] = y
                tree_arcs[n_tree] = a
                n_tree += 1
    at = np.empty(2 * n, dtype=np.int64)  # tails then heads of the tree's arcs (artificial too)
    n_all = n_tree
    art_cost = np.zeros(n, dtype=np.int64)
    for v in range(n):
        if _find(uf, v) == v:
            art_cost[v] = pi[v] - pi[root]
            tree_arcs[n_all] = m + v
            n_all += 1
    # Adjacency of the tree, to hang it from the root.
    for k in range(n_all):
        a = tree_arcs[k]
        u, w = (root, a - m) if a >= m else (t[a], h[a])
        deg[u] += 1
        deg[w] += 1
        at[k] = u
        at[n + k] = w
    start = np.zeros(n + 2, dtype=np.int64)
    for v in range(n + 1):
        start[v + 1] = start[v] + deg[v]
    fill = start[:-1].copy()
    adj = np.empty(2 * n_all, dtype=np.int64)
    for k in range(n_all):
        u, w = at[k], at[n + k]
        adj[fill[u]] = k
        fill[u] += 1
        adj[fill[w]] = k
        fill[w] += 1
    parent = np.full(n + 1, -1, dtype=np.int64)
    pred = np.full(n + 1, -1, dtype=np.int64)
    depth = np.zeros(n + 1, dtype=np.int64)
    first = np.full(n + 1, -1, dtype=np.int64)
    nxt = np.full(n + 1, -1, dtype=np.int64)
    prv = np.full(n + 1, -1, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    seen = np.zeros(n + 1, dtype=np.bool_)
    stack[0] = root
    seen[root] = True
    top = 1
    size = np.ones(n + 1, dtype=np.int64)
    order = np.empty(n + 1, dtype=np.int64)
    n_order = 0
    while top:
        top -= 1
        u = stack[top]
        for j in range(start[u], start[u + 1]):
            k = adj[j]
            w = at[n + k] if at[k] == u else at[k]
            if seen[w]:
                continue
            seen[w] = True
            parent[w] = u
            a = tree_arcs[k]
            pred[w] = a
            depth[w] = depth[u] + 1
            if a >= m:
                pi[w] = pi[root] + art_cost[w]
            elif t[a] == u:
                pi[w] = pi[u] + cost[a]
            else:
                pi[w] = pi[u] - cost[a]
            nxt[w] = first[u]
            if first[u] != -1:
                prv[first[u]] = w
            first[u] = w
            stack[top] = w
            top += 1
            order[n_order] = w
            n_order += 1
    for k in range(n_order - 1, -1, -1):
        w = order[k]
        size[parent[w]] += size[w]

    block = max(int(np.sqrt(m)), 64)
    pos = 0
    pivots = 0
    work = 0
    while work < max_work:
        # Block pricing: the worst violator of the first block holding one.
        best, best_v = -1, 0
        scanned = 0
        while scanned < m:
            a = pos
            pos += 1
            if pos == m:
                pos = 0
            scanned += 1
            work += 1
            rc = cost[a] + pi[t[a]] - pi[h[a]]
            if rc < 0 and f[a] < cap[a]:
                v = -rc
            elif rc > 0 and f[a] > 0:
                v = rc
            else:
                v = 0
            if v > best_v:
                best, best_v = a, v
            if best >= 0 and scanned % block == 0:
                break
        if best < 0:
            return pivots, work, True
        e = best
        rc = cost[e] + pi[t[e]] - pi[h[e]]
        forward = rc < 0
        # Flow goes first -> second along e, then up from second to the apex, down to first.
        a_first, a_second = (t[e], h[e]) if forward else (h[e], t[e])
        x, y = a_first, a_second
        while x != y:
            work += 1
            if depth[x] >= depth[y]:
                x = parent[x]
            else:
                y = parent[y]
        apex = x
        room_e = cap[e] - f[e] if forward else f[e]
        delta = room_e
        y = a_second
        while y != apex:
            delta = min(delta, _room(pred[y], y, True, t, cap, f, m))
            y = parent[y]
        x = a_first
        while x != apex:
            delta = min(delta, _room(pred[x], x, False, t, cap, f, m))
            x = parent[x]
        leave = -1  # the node below the leaving arc; -1: e itself
        leave_second = False
        if room_e != delta:
            best_size = n + 2
            y = a_second
            while y != apex:
                if size[y] < best_size and _room(pred[y], y, True, t, cap, f, m) == delta:
                    leave, leave_second, best_size = y, True, size[y]
                y = parent[y]
            x = a_first
            while x != apex:
                if size[x] < best_size and _room(pred[x], x, False, t, cap, f, m) == delta:
                    leave, leave_second, best_size = x, False, size[x]
                x = parent[x]
        if delta > 0:
            f[e] += delta if forward else -delta
            y = a_second
            while y != apex:
                a = pred[y]
                f[a] += delta if t[a] == y else -delta
                y = parent[y]
            x = a_first
            while x != apex:
                a = pred[x]
                f[a] += -delta if t[a] == x else delta
                x = parent[x]
        pivots += 1
        if leave < 0:
            continue
        # Hang the cut subtree (below ``leave``) from e's endpoint outside it.
        j = a_second if leave_second else a_first
        i = a_first if leave_second else a_second
        moved = size[leave]
        u = parent[leave]
        while u != -1:
            size[u] -= moved
            u = parent[u]
        x = j
        prev_old = size[j]
        size[j] = moved
        while x != leave:
            x = parent[x]
            old = size[x]
            size[x] = moved - prev_old
            prev_old = old
        u = i
        while u != -1:
            size[u] += moved
            u = parent[u]
        x, new_parent, new_arc = j, i, e
        while True:
            old_parent, old_arc = parent[x], pred[x]
            p, q = prv[x], nxt[x]
            if p != -1:
                nxt[p] = q
            else:
                first[old_parent] = q
            if q != -1:
                prv[q] = p
            parent[x], pred[x] = new_parent, new_arc
            prv[x] = -1
            nxt[x] = first[new_parent]
            if first[new_parent] != -1:
                prv[first[new_parent]] = x
            first[new_parent] = x
            if x == leave:
                break
            new_parent, new_arc, x = x, old_arc, old_parent
        target = pi[i] + cost[e] if t[e] == i else pi[i] - cost[e]
        shift = target - pi[j]
        depth[j] = depth[i] + 1
        pi[j] = target
        stack[0] = j
        top = 1
        while top:
            top -= 1
            u = stack[top]
            c = first[u]
            while c != -1:
                work += 1
                depth[c] = depth[u] + 1
                pi[c] += shift
                stack[top] = c
                top += 1
                c = nxt[c]
    return pivots, work, False


__all__ = ["SimplexResult", "compile_kernel", "solve_from"]
