"""The placement's compiled loops (numba): the placement's only module that imports numba.

numba compiles each on its first call (a few seconds) and caches it on disk, beside this file
or in the user's cache; ``compile_kernels`` does that once (``make setup`` runs it), so no
plan's time includes it. With nowhere writable, each process compiles on its first call.
Callers validate the inputs; these loops trust them (numba does not check bounds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

_Ints = NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(function: _F) -> _F:
    """``function`` compiled, its machine code cached on disk where numba finds a writable
    place (beside this file, or the user's cache); where it finds none (a read-only install
    and home), compiled afresh in each process instead of failing at import."""
    try:
        return cast(_F, numba.njit(cache=True)(function))
    except RuntimeError:
        return cast(_F, numba.njit(function))


def compile_kernels() -> None:
    """Compile every kernel on a tiny input (numba caches the machine code on disk)."""
    one, zero = np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    network_simplex(zero, one, one, one, one.copy(), np.zeros(3, dtype=np.int64), 100)
    admissible_arcs(zero, np.array([0, 1], dtype=np.int64), zero, np.zeros(1), zero,
                    np.ones((1, 1), dtype=np.bool_), np.ones(1))  # fmt: skip


@_compiled
def admissible_arcs(
    point_of_class: _Ints,
    starts: _Ints,
    school: _Ints,
    travel_s: NDArray[np.float64],
    group: _Ints,
    ok: NDArray[np.bool_],
    limit_s: NDArray[np.float64],
) -> tuple[_Ints, _Ints]:
    """Per class in order, the reach pairs of its home point (``starts[p]:starts[p + 1]``)
    whose school admits its group (``ok[group, school]``) within its travel limit: the arcs'
    classes and pairs."""
    k = len(point_of_class)
    total = 0
    for c in range(k):
        p, g = point_of_class[c], group[c]
        for j in range(starts[p], starts[p + 1]):
            if ok[g, school[j]] and travel_s[j] <= limit_s[c]:
                total += 1
    cls = np.empty(total, dtype=np.int64)
    pair = np.empty(total, dtype=np.int64)
    w = 0
    for c in range(k):
        p, g = point_of_class[c], group[c]
        for j in range(starts[p], starts[p + 1]):
            if ok[g, school[j]] and travel_s[j] <= limit_s[c]:
                cls[w] = c
                pair[w] = j
                w += 1
    return cls, pair


@_compiled
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


@_compiled
def network_simplex(
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


__all__ = ["admissible_arcs", "compile_kernels", "network_simplex"]
