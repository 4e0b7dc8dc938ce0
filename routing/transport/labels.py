"""The lower bounds' compiled labelling (numba): the transport's only module that imports numba.

``cheapest_runs`` finds runs of negative reduced cost for one school and one vehicle kind: a
resource-constrained shortest path from the school outwards (the morning reversed, so that a
child's ride is the time already accumulated when the path reaches them). Paths are ng-routes:
a child may come back only once the path has left their neighbourhood, a relaxation of
elementary runs that keeps the bound valid. ``runs_within`` lists every elementary run within a
reduced-cost gap, pruned by ``least_completions`` (the integer bound per school). As in
``placement/kernels.py``, numba caches the machine code on disk; ``compile_labels`` compiles it
once (``make setup`` runs it). Callers validate the inputs; these loops trust them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numba import types
from numba.typed import Dict
from numpy.typing import NDArray

_F = TypeVar("_F", bound=Callable[..., Any])
_Ints = NDArray[np.int64]
_Floats = NDArray[np.float64]
_KEY = types.UniTuple(types.int64, 4)  # a path's node set (three words) and its last node


def _compiled(function: _F) -> _F:
    """``function`` compiled without the GIL (searches of several kinds run on threads), its
    code cached on disk where numba finds a writable place, else compiled in each process."""
    try:
        return cast(_F, numba.njit(cache=True, nogil=True)(function))
    except RuntimeError:
        return cast(_F, numba.njit(nogil=True)(function))


def compile_labels() -> None:
    """Compile the kernels on a two-node input (numba caches the machine code)."""
    two = np.zeros(2, dtype=np.int64)
    cheapest_runs(np.zeros((2, 2), dtype=np.int64), np.zeros((2, 2)), two, np.array([0, 60]),
                  two, two, np.zeros(2), np.zeros(2), 1, 0, np.zeros((2, 1), dtype=np.uint64),
                  np.array([[1], [-1]]), 10, 1, np.zeros((1, 1, 1)), False)  # fmt: skip
    ends = least_completions(np.zeros((2, 2), dtype=np.int64), np.zeros((2, 2)), two,
                             np.array([0, 60]), two, two, np.zeros(2), np.zeros(2), 1,
                             0)  # fmt: skip
    runs_within(np.zeros((2, 2), dtype=np.int64), np.zeros((2, 2)), two, np.array([0, 60]),
                two, two, np.zeros(2), np.zeros(2), 1, 0, ends, 0.0, 10)  # fmt: skip


@_compiled
def _within(mem: NDArray[np.uint64], a: int, b: int) -> bool:
    """Label a's memory is a subset of label b's."""
    for w in range(mem.shape[1]):  # noqa: SIM110 (a loop numba compiles)
        if mem[a, w] & ~mem[b, w]:
            return False
    return True


@_compiled
def cheapest_runs(
    dur_s: _Ints,
    cost: _Floats,
    service_s: _Ints,
    limit_s: _Ints,
    seats: _Ints,
    chairs: _Ints,
    node_cost: _Floats,
    closing_cost: _Floats,
    cap_seats: int,
    cap_chairs: int,
    ng: NDArray[np.uint64],
    successors: _Ints,
    max_labels: int,
    max_runs: int,
    completions: _Floats,
    bounded: bool,
) -> tuple[bool, float, int, _Ints, _Floats]:
    """Runs of negative reduced cost from node 0 (the school) through nodes ``1..n``.

    Extending a path ending at ``v`` to ``j`` adds ``cost[v, j] + node_cost[j]`` and makes
    ``j``'s time ``time(v) + service_s[v] + dur_s[v, j]``, which must stay within
    ``limit_s[j]``; seats and chairs add up within the caps. A run ending at ``j`` costs
    ``closing_cost[j]`` more. ``ng[j]`` is ``j``'s neighbourhood as a bitset; ``successors[v]``
    the nodes tried after ``v`` (-1 ends a row). Returns whether every label was expanded
    (False when ``max_labels`` ran out: then the minimum is not proven), the least reduced
    cost seen, the labels made, and up to ``max_runs`` most negative runs as node paths from
    their outermost node to the school's neighbour (-1 padded), with their reduced costs.
    When ``bounded``, a path goes as soon as ``completions`` (``least_completions``) shows it
    cannot close below zero: the least is still proven when negative, and else only shown to
    be at least zero.
    """
    n1 = dur_s.shape[0]
    words = ng.shape[1]
    t_of = np.empty(max_labels, np.int64)
    seats_of = np.empty(max_labels, np.int64)
    chairs_of = np.empty(max_labels, np.int64)
    cost_of = np.empty(max_labels, np.float64)
    node_of = np.empty(max_labels, np.int64)
    parent = np.empty(max_labels, np.int64)
    dead = np.zeros(max_labels, np.bool_)
    mem = np.zeros((max_labels, words), np.uint64)
    next_at_node = np.empty(max_labels, np.int64)
    first_at_node = -np.ones(n1, np.int64)
    t_max = 0
    for j in range(n1):
        t_max = max(t_max, limit_s[j])
    first_at_time = -np.ones(t_max + 1, np.int64)
    next_at_time = np.empty(max_labels, np.int64)
    kept = np.empty(max_runs, np.int64)
    kept_rc = np.empty(max_runs, np.float64)
    n_kept = 0
    count = 0
    complete = True
    least = np.inf
    # Label -1 is the school: time 0, nothing on board.
    origin, t_now = -1, -1
    while True:
        v = 0 if origin < 0 else node_of[origin]
        t_v = 0 if origin < 0 else t_of[origin] + service_s[v]
        for k in range(successors.shape[1]):
            j = successors[v, k]
            if j < 0:
                break
            if origin >= 0 and (mem[origin, j // 64] >> np.uint64(j % 64)) & np.uint64(1):
                continue
            s2 = seats[j] + (0 if origin < 0 else seats_of[origin])
            c2 = chairs[j] + (0 if origin < 0 else chairs_of[origin])
            t2 = t_v + dur_s[v, j]
            if s2 > cap_seats or c2 > cap_chairs or t2 > limit_s[j]:
                continue
            k2 = cost[v, j] + node_cost[j] + (0.0 if origin < 0 else cost_of[origin])
            if bounded and k2 + completions[j, t2, s2 * (cap_chairs + 1) + c2] >= -1e-6:
                continue
            if count >= max_labels:
                complete = False
                break
            q = count
            for w in range(words):
                mem[q, w] = np.uint64(0) if origin < 0 else ng[j, w] & mem[origin, w]
            mem[q, j // 64] |= np.uint64(1) << np.uint64(j % 64)
            e = first_at_node[j]
            dominated = False
            while e != -1:
                if not dead[e]:
                    if (t_of[e] <= t2 and seats_of[e] <= s2 and chairs_of[e] <= c2
                            and cost_of[e] <= k2 + 1e-9 and _within(mem, e, q)):  # fmt: skip
                        dominated = True
                        break
                    if (t2 <= t_of[e] and s2 <= seats_of[e] and c2 <= chairs_of[e]
                            and k2 < cost_of[e] - 1e-9 and _within(mem, q, e)):  # fmt: skip
                        dead[e] = True
                e = next_at_node[e]
            if dominated:
                continue
            count += 1
            t_of[q], seats_of[q], chairs_of[q], cost_of[q] = t2, s2, c2, k2
            node_of[q], parent[q] = j, origin
            next_at_node[q], first_at_node[j] = first_at_node[j], q
            next_at_time[q], first_at_time[t2] = first_at_time[t2], q
        if not complete:
            break
        # Expand the earliest label next: its extensions come later in time (a boarding takes
        # time; with none they land at the same instant, whose bucket is read again).
        origin = -2
        while t_now <= t_max and origin == -2:
            if t_now < 0 or first_at_time[t_now] == -1:
                t_now += 1
                continue
            i = first_at_time[t_now]
            first_at_time[t_now] = next_at_time[i]
            if dead[i]:
                continue
            origin = i
            rc = cost_of[i] + closing_cost[node_of[i]]
            least = min(least, rc)
            if rc >= -1e-6:
                continue
            if n_kept < max_runs:
                kept[n_kept], kept_rc[n_kept] = i, rc
                n_kept += 1
                continue
            worst = 0
            for a in range(1, n_kept):
                if kept_rc[a] > kept_rc[worst]:
                    worst = a
            if rc < kept_rc[worst]:
                kept[worst], kept_rc[worst] = i, rc
        if origin == -2:
            break
    order = np.argsort(kept_rc[:n_kept])
    longest = 1
    for a in range(n_kept):
        size, i = 0, kept[order[a]]
        while i != -1:
            size, i = size + 1, parent[i]
        longest = max(longest, size)
    paths = -np.ones((n_kept, longest), np.int64)
    rcs = np.empty(n_kept, np.float64)
    for a in range(n_kept):
        size, i = 0, kept[order[a]]
        while i != -1:
            paths[a, size], size, i = node_of[i], size + 1, parent[i]
        rcs[a] = kept_rc[order[a]]
    return complete, least, count, paths, rcs


@_compiled
def least_completions(
    dur_s: _Ints,
    cost: _Floats,
    service_s: _Ints,
    limit_s: _Ints,
    seats: _Ints,
    chairs: _Ints,
    node_cost: _Floats,
    closing_cost: _Floats,
    cap_seats: int,
    cap_chairs: int,
) -> _Floats:
    """``out[v, t, s * (cap_chairs + 1) + c]``: the least reduced cost of going on from node
    ``v`` reached at time ``t`` with ``s`` seats and ``c`` chairs taken (to more nodes, each
    within its limit and the caps, then closing), over every path, repeats allowed: a lower
    bound on any run's completion. Without the caps a path could gather one child's dual again
    and again, as often as the time allows. A step of no time (none expected: every boarding
    takes time) counts as ``-inf``, still a bound."""
    n1 = dur_s.shape[0]
    t_max = 0
    for j in range(n1):
        t_max = max(t_max, limit_s[j])
    per_seat = cap_chairs + 1
    states = (cap_seats + 1) * per_seat
    out = np.empty((n1, t_max + 1, states), np.float64)
    for t in range(t_max, -1, -1):
        for v in range(n1):
            row = out[v, t]
            row[:] = closing_cost[v]
            t_v = t + service_s[v]
            for j in range(1, n1):
                t2 = t_v + dur_s[v, j]
                if j == v or t2 > limit_s[j]:
                    continue
                sj, cj = seats[j], chairs[j]
                if t2 <= t:
                    for s in range(cap_seats - sj + 1):
                        for c in range(cap_chairs - cj + 1):
                            row[s * per_seat + c] = -np.inf
                    continue
                step = cost[v, j] + node_cost[j]
                after = out[j, t2]
                for s in range(cap_seats - sj + 1):
                    base = s * per_seat
                    shifted = (s + sj) * per_seat + cj
                    for c in range(cap_chairs - cj + 1):
                        value = step + after[shifted + c]
                        if value < row[base + c]:
                            row[base + c] = value
    return out


@_compiled
def runs_within(
    dur_s: _Ints,
    cost: _Floats,
    service_s: _Ints,
    limit_s: _Ints,
    seats: _Ints,
    chairs: _Ints,
    node_cost: _Floats,
    closing_cost: _Floats,
    cap_seats: int,
    cap_chairs: int,
    completions: _Floats,
    gap: float,
    max_labels: int,
) -> tuple[bool, int, _Ints, _Ints, _Floats, NDArray[np.bool_]]:
    """Every elementary run (as ``cheapest_runs`` extends paths) of reduced cost at most
    ``gap``, each set of nodes in its cheapest order: paths grow one node per level, a path
    is dropped when ``completions`` (``least_completions``) shows it cannot close within
    ``gap``, and of two paths through the same nodes ending at the same one the later or
    dearer goes (it can only complete as the other does, no cheaper). Nodes must be fewer
    than 192. Returns whether every label was expanded (False when ``max_labels`` ran out),
    the labels made, and per label its node, parent (-1: the school), reduced cost without
    closing, and whether it was dropped; live labels with ``rc + closing_cost[node] <= gap``
    are the runs."""
    n1 = dur_s.shape[0]
    node = np.empty(max_labels, np.int64)
    parent = np.empty(max_labels, np.int64)
    t_of = np.empty(max_labels, np.int64)
    seats_of = np.empty(max_labels, np.int64)
    chairs_of = np.empty(max_labels, np.int64)
    rc = np.empty(max_labels, np.float64)
    dead = np.zeros(max_labels, np.bool_)
    mem = np.zeros((max_labels, 3), np.uint64)
    next_same = np.empty(max_labels, np.int64)
    table = Dict.empty(key_type=_KEY, value_type=types.int64)
    m = np.zeros(3, np.uint64)  # the extended path's node set, reused for every extension
    count = 0
    lo, hi = -1, 0  # the level being extended: labels lo..hi-1, or the school alone (-1)
    while True:
        level_start = count
        for i in range(lo, hi):
            if i >= 0 and dead[i]:
                continue
            v = 0 if i < 0 else node[i]
            t_v = 0 if i < 0 else t_of[i] + service_s[v]
            for j in range(1, n1):
                w, bit = j // 64, np.uint64(1) << np.uint64(j % 64)
                if i >= 0 and mem[i, w] & bit:
                    continue
                t2 = t_v + dur_s[v, j]
                s2 = seats[j] + (0 if i < 0 else seats_of[i])
                c2 = chairs[j] + (0 if i < 0 else chairs_of[i])
                if t2 > limit_s[j] or s2 > cap_seats or c2 > cap_chairs:
                    continue
                r2 = cost[v, j] + node_cost[j] + (0.0 if i < 0 else rc[i])
                if r2 + completions[j, t2, s2 * (cap_chairs + 1) + c2] > gap + 1e-6:
                    continue
                if i < 0:
                    m[:] = 0
                else:
                    m[:] = mem[i]
                m[w] |= bit
                key = (np.int64(m[0]), np.int64(m[1]), np.int64(m[2]), np.int64(j))
                e = table[key] if key in table else np.int64(-1)
                head, dominated = e, False
                while e != -1:
                    if not dead[e]:
                        if t_of[e] <= t2 and rc[e] <= r2 + 1e-9:
                            dominated = True
                            break
                        if t2 <= t_of[e] and r2 < rc[e] - 1e-9:
                            dead[e] = True
                    e = next_same[e]
                if dominated:
                    continue
                if count >= max_labels:
                    return False, count, node, parent, rc, dead
                q = count
                count += 1
                node[q], parent[q], t_of[q], seats_of[q], chairs_of[q], rc[q] = j, i, t2, s2, c2, r2
                mem[q] = m
                next_same[q] = head
                table[key] = q
        if count == level_start:
            return True, count, node, parent, rc, dead
        lo, hi = level_start, count
