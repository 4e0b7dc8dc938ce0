"""Many-to-many travel times and distances on a road network, and their disk cache.

Routing runs on the contracted graph: pass-through nodes (two neighbours, no choice of way)
are folded into chains of edges between junctions. A snapped point lies on one or two chains
(the two directions of a two-way street); it leaves by the head of each chain and is reached
from the tail, so the journey from P to Q is the cheapest of

    (P to the head of its chain) + (junction to junction) + (tail of Q's chain to Q)

over those chains, or the direct way along a chain when Q lies ahead of P on it. Dijkstra runs
only between the junctions that points leave by and arrive from. The part of a directed edge
from its tail to the point ``s`` of the way along it costs ``rint(s * edge_ms)`` milliseconds
(and ``rint(s * edge_dm)`` decimetres), so the parts of an edge always add up to the whole.

Driving routes are the fastest; among equally fast routes, the shortest. Both come out of one
scipy Dijkstra run per source because the weight is ``time_ms * 2**26 + length_dm``: whole
numbers add exactly in float64 below 2**53, and the length part never carries into the time
part (checked on every result). Walking routes are the shortest in distance, timed at the
walking speed. Dijkstra runs from whichever side has fewer distinct junctions (on the reversed
graph for the destinations' side), in chunks that bound memory.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from weakref import WeakKeyDictionary

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sendplan.geo.network import DM_PER_M, MS_PER_S, ProfileGraph
from sendplan.geo.roads import WALK_SPEED_KMH
from sendplan.geo.snap import Snapped

TIME_SHIFT = float(2**26)  # the length part holds up to 6,710 km per journey
_EXACT_LIMIT = float(2**53)
_CHUNK_CELLS = 1 << 24  # distances held at once: 16M float64 = 128 MB


@dataclass(frozen=True, eq=False)
class Chains:
    """A graph with pass-through nodes contracted: routes run between junctions only.

    A pass-through node has two neighbours and either one edge in and one out (one-way) or two
    in and two out (two-way). Every edge belongs to one chain of edges between junctions;
    ``offset_ms``/``offset_dm`` say where along its chain an edge starts.
    """

    junction: NDArray[np.int64]  # junction index of each graph node, -1 for pass-through nodes
    n_junctions: int
    chain: NDArray[np.int64]  # per edge
    rank: NDArray[np.int64]  # per edge: its place along its chain
    offset_ms: NDArray[np.int64]
    offset_dm: NDArray[np.int64]
    tail: NDArray[np.int64]  # per chain, junction indices
    head: NDArray[np.int64]
    total_ms: NDArray[np.int64]
    total_dm: NDArray[np.int64]
    by_length: bool  # walking: shortest distance; driving: fastest, then shortest
    max_speed_dm_per_ms: float
    max_edge_dm: int

    def weight(self, ms: NDArray[np.int64], dm: NDArray[np.int64]) -> NDArray[np.float64]:
        """The Dijkstra weight of a time and length (see the module docstring)."""
        weight = np.asarray(dm, dtype=np.float64)
        if not self.by_length:
            weight = weight + np.asarray(ms, dtype=np.float64) * TIME_SHIFT
        return weight

    @cached_property
    def csr(self) -> csr_matrix:
        """Junction-to-junction chains; parallel chains keep the cheapest, loops are dropped."""
        tails, heads = self.tail, self.head
        weight = self.weight(self.total_ms, self.total_dm)
        order = np.lexsort((weight, heads, tails))
        tails, heads, weight = tails[order], heads[order], weight[order]
        keep = tails != heads
        keep[1:] &= (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
        tails, heads, weight = tails[keep], heads[keep], weight[keep]
        size = self.n_junctions
        indptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(tails, minlength=size), out=indptr[1:])
        return csr_matrix((weight, heads, indptr), shape=(size, size))

    @cached_property
    def csr_reversed(self) -> csr_matrix:
        return self.csr.T.tocsr()


_chains_cache: WeakKeyDictionary[ProfileGraph, Chains] = WeakKeyDictionary()


def _walk_chains(graph: ProfileGraph, passing: NDArray[np.bool_]) -> tuple[NDArray[np.int64], ...]:
    """Follow every edge that leaves a junction through pass-through nodes to the next junction.

    Returns per edge: chain, rank, offset_ms, offset_dm (chain -1 if on no chain); per chain:
    its first and last edge.
    """
    tails, heads = graph.tails, graph.indices
    # The edge that continues each edge through a pass-through head (not a U-turn).
    successor = np.full(len(heads), -1, dtype=np.int64)
    through = np.flatnonzero(passing[heads])
    first_out = graph.indptr[heads[through]]
    other_out = np.minimum(first_out + 1, graph.indptr[heads[through] + 1] - 1)
    u_turn = heads[first_out] == tails[through]
    successor[through] = np.where(u_turn, other_out, first_out)
    starts = np.flatnonzero(~passing[tails])
    chain = np.full(len(heads), -1, dtype=np.int64)
    rank = np.zeros(len(heads), dtype=np.int64)
    offset_ms = np.zeros(len(heads), dtype=np.int64)
    offset_dm = np.zeros(len(heads), dtype=np.int64)
    current, ids = starts, np.arange(len(starts), dtype=np.int64)
    acc_ms = np.zeros(len(starts), dtype=np.int64)
    acc_dm = np.zeros(len(starts), dtype=np.int64)
    last = starts.copy()
    step = 0
    while len(current):
        chain[current], rank[current] = ids, step
        offset_ms[current], offset_dm[current] = acc_ms, acc_dm
        acc_ms = acc_ms + graph.travel_time_ms[current]
        acc_dm = acc_dm + graph.length_dm[current]
        last[ids] = current
        going = successor[current] >= 0
        current, ids = successor[current[going]], ids[going]
        acc_ms, acc_dm = acc_ms[going], acc_dm[going]
        step += 1
    return chain, rank, offset_ms, offset_dm, starts, last


def contract(graph: ProfileGraph) -> Chains:
    """The chains of a graph (cached per graph object)."""
    cached = _chains_cache.get(graph)
    if cached is not None:
        return cached
    n, tails, heads = graph.n_nodes, graph.tails, graph.indices
    in_deg = np.bincount(heads, minlength=n)
    out_deg = np.diff(graph.indptr)
    # Distinct neighbours: unique undirected pairs counted at both ends.
    pairs = np.unique(np.minimum(tails, heads) * n + np.maximum(tails, heads))
    neighbours = np.bincount(pairs // n, minlength=n) + np.bincount(pairs % n, minlength=n)
    passing = (neighbours == 2) & (
        ((in_deg == 1) & (out_deg == 1)) | ((in_deg == 2) & (out_deg == 2))
    )
    while True:
        chain, rank, offset_ms, offset_dm, starts, last = _walk_chains(graph, passing)
        loose = chain < 0
        if not loose.any():
            break
        # Loops made only of pass-through nodes: each gets a junction at its lowest node.
        loops = csr_matrix((np.ones(int(loose.sum())), (tails[loose], heads[loose])), (n, n))
        labels = connected_components(loops, directed=True, connection="weak")[1]
        on_loops = np.unique(tails[loose])
        passing[on_loops[np.unique(labels[on_loops], return_index=True)[1]]] = False
    time_ms, length_dm = graph.travel_time_ms, graph.length_dm
    junction = np.full(n, -1, dtype=np.int64)
    junction[~passing] = np.arange(int((~passing).sum()))
    timed = time_ms > 0
    result = Chains(
        junction=junction,
        n_junctions=int((~passing).sum()),
        chain=chain,
        rank=rank,
        offset_ms=offset_ms,
        offset_dm=offset_dm,
        tail=junction[tails[starts]],
        head=junction[heads[last]],
        total_ms=offset_ms[last] + time_ms[last],
        total_dm=offset_dm[last] + length_dm[last],
        by_length=graph.profile == "walk",
        max_speed_dm_per_ms=float(np.max(length_dm[timed] / time_ms[timed])) if timed.any() else 0,
        max_edge_dm=int(length_dm.max()) if len(length_dm) else 0,
    )
    _chains_cache[graph] = result
    return result


@dataclass(frozen=True)
class Placement:
    """Where points sit on the chains: two slots per point (two directions of a street).

    A slot says the point is ``pos`` (a weight) along ``chain``, at fraction ``s`` of its edge
    of ``rank``; it leaves by junction ``exit_node`` at ``exit_cost`` and is reached from
    ``entry_node`` at ``entry_cost``. A point at a junction has one slot with no chain (-1) and
    zero costs. Unused slots cost inf.
    """

    chain: NDArray[np.int64]
    rank: NDArray[np.int64]
    s: NDArray[np.float64]
    pos: NDArray[np.float64]
    exit_node: NDArray[np.int64]
    exit_cost: NDArray[np.float64]
    entry_node: NDArray[np.int64]
    entry_cost: NDArray[np.float64]


def place(graph: ProfileGraph, chains: Chains, snapped: Snapped) -> Placement:
    """The chain slots of each snapped point."""
    n = len(snapped)
    a, b, f = snapped.seg_a, snapped.seg_b, snapped.fraction
    on_node = snapped.node
    at_junction = (on_node >= 0) & (chains.junction[np.maximum(on_node, 0)] >= 0)
    at_passing = (on_node >= 0) & ~at_junction
    inner = on_node < 0
    edges = np.full((n, 2), -1, dtype=np.int64)
    s = np.zeros((n, 2))
    edges[inner, 0] = graph.edge_index(a[inner], b[inner])
    edges[inner, 1] = graph.edge_index(b[inner], a[inner])
    s[inner, 0], s[inner, 1] = f[inner], 1.0 - f[inner]
    # A pass-through node is the start (s = 0) of each of its one or two out-edges.
    node = on_node[at_passing]
    first, count = graph.indptr[node], np.diff(graph.indptr)[node]
    edges[at_passing, 0] = first
    edges[at_passing, 1] = np.where(count > 1, first + 1, -1)
    used = edges >= 0
    e = np.maximum(edges, 0)
    chain = np.where(used, chains.chain[e], -1)
    pos_ms = chains.offset_ms[e] + np.rint(s * graph.travel_time_ms[e]).astype(np.int64)
    pos_dm = chains.offset_dm[e] + np.rint(s * graph.length_dm[e]).astype(np.int64)
    c = np.maximum(chain, 0)
    pos = chains.weight(pos_ms, pos_dm)
    rest = chains.weight(chains.total_ms[c] - pos_ms, chains.total_dm[c] - pos_dm)
    exit_node = np.where(used, chains.head[c], 0)
    entry_node = np.where(used, chains.tail[c], 0)
    exit_cost = np.where(used, rest, np.inf)
    entry_cost = np.where(used, pos, np.inf)
    j = chains.junction[np.maximum(on_node[at_junction], 0)]
    exit_node[at_junction, 0] = entry_node[at_junction, 0] = j
    exit_cost[at_junction, 0] = entry_cost[at_junction, 0] = 0.0
    return Placement(
        chain=chain,
        rank=np.where(used, chains.rank[e], 0),
        s=s,
        pos=np.where(used, pos, 0.0),
        exit_node=exit_node,
        exit_cost=exit_cost,
        entry_node=entry_node,
        entry_cost=entry_cost,
    )


def _chunks(count: int, nodes: int) -> Iterable[slice]:
    step = max(1, _CHUNK_CELLS // max(nodes, 1))
    for start in range(0, count, step):
        yield slice(start, min(count, start + step))


def _slots(
    nodes: NDArray[np.int64], costs: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct junctions of the used slots, and each slot's index among them (-1 unused)."""
    used = np.isfinite(costs)
    junctions = np.unique(nodes[used])
    return junctions, np.where(used, np.searchsorted(junctions, nodes), -1)


def _stream(
    csr: csr_matrix,
    sources: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    targets: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]],
    best: NDArray[np.float64],
) -> None:
    """Lower ``best[i, j]`` to ``cost_i + D(junction_i, junction_j) + cost_j`` over both slots of
    each side, running Dijkstra from chunks of source junctions so memory stays bounded."""
    source_junctions, source_at, source_cost = sources
    target_junctions, target_at, target_cost = targets
    for chunk in _chunks(len(source_junctions), csr.shape[0]):
        block = dijkstra(csr, directed=True, indices=source_junctions[chunk])[:, target_junctions]
        for a in (0, 1):
            in_chunk = (source_at[:, a] >= chunk.start) & (source_at[:, a] < chunk.stop)
            rows = np.flatnonzero(in_chunk)
            if not len(rows):
                continue
            local = block[source_at[rows, a] - chunk.start]
            for b in (0, 1):
                via = local[:, np.maximum(target_at[:, b], 0)]
                via += source_cost[rows, a][:, None] + target_cost[:, b][None, :]
                best[rows] = np.minimum(best[rows], via)


def _ahead(
    p: Placement,
    q: Placement,
    i: NDArray[np.int64],
    a: NDArray[np.int64] | int,
    j: NDArray[np.int64],
    b: NDArray[np.int64] | int,
) -> NDArray[np.float64]:
    """The weight straight along a chain from P_i (slot a) to Q_j (slot b): inf unless both lie
    on the same chain with Q ahead (by edge rank, then by fraction along the edge)."""
    p_chain, q_chain = p.chain[i, a], q.chain[j, b]
    p_rank, q_rank = p.rank[i, a], q.rank[j, b]
    ahead = (
        (p_chain == q_chain)
        & (p_chain >= 0)
        & ((p_rank < q_rank) | ((p_rank == q_rank) & (p.s[i, a] <= q.s[j, b])))
    )
    return np.where(ahead, q.pos[j, b] - p.pos[i, a], np.inf)


def _along_chains(p: Placement, q: Placement, best: NDArray[np.float64]) -> None:
    """Lower ``best`` by the direct ways along shared chains (a join on chain id)."""
    p_i, p_a = np.nonzero(p.chain >= 0)
    q_j, q_b = np.nonzero(q.chain >= 0)
    order = np.argsort(q.chain[q_j, q_b], kind="stable")
    q_j, q_b = q_j[order], q_b[order]
    q_chain = q.chain[q_j, q_b]
    p_chain = p.chain[p_i, p_a]
    lo = np.searchsorted(q_chain, p_chain, side="left")
    count = np.searchsorted(q_chain, p_chain, side="right") - lo
    total = int(count.sum())
    if not total:
        return
    match = np.arange(total) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    i, a = np.repeat(p_i, count), np.repeat(p_a, count)
    j, b = q_j[match], q_b[match]
    np.minimum.at(best, (i, j), _ahead(p, q, i, a, j, b))


def _decode(
    chains: Chains, weight: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Seconds and metres from summed weights (inf where unreachable)."""
    if chains.by_length:
        metres = weight / DM_PER_M
        seconds = np.rint(metres / (WALK_SPEED_KMH / 3.6) * MS_PER_S) / MS_PER_S
        return seconds, metres
    finite = np.isfinite(weight)
    every = bool(finite.all())
    safe = weight if every else np.where(finite, weight, 0.0)
    time_ms = np.floor(safe / TIME_SHIFT)
    # The length part cannot have carried into the time part if even the fastest road over the
    # decoded time, plus a whole edge at each end, fits in the length bits.
    if safe.size:
        longest_ms = float(time_ms.max())
        bound = longest_ms * chains.max_speed_dm_per_ms + 2.0 * chains.max_edge_dm
        if float(safe.max()) >= _EXACT_LIMIT or bound >= TIME_SHIFT:
            raise OverflowError("a journey is too long to be summed exactly")
    length_dm = safe - time_ms * TIME_SHIFT
    if every:
        return time_ms / MS_PER_S, length_dm / DM_PER_M
    seconds = np.where(finite, time_ms / MS_PER_S, np.inf)
    metres = np.where(finite, length_dm / DM_PER_M, np.inf)
    return seconds, metres


def _points(graph: ProfileGraph, snapped: Snapped) -> tuple[Chains, Placement]:
    chains = contract(graph)
    return chains, place(graph, chains, snapped)


def travel_matrix(
    graph: ProfileGraph, origins: Snapped, destinations: Snapped
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Seconds and metres from every origin to every destination, shape (n, m) each."""
    chains, p = _points(graph, origins)
    _, q = _points(graph, destinations)
    n, m = len(origins), len(destinations)
    best = np.full((n, m), np.inf)
    exits = (*_slots(p.exit_node, p.exit_cost), p.exit_cost)
    entries = (*_slots(q.entry_node, q.entry_cost), q.entry_cost)
    if len(entries[0]) < len(exits[0]):  # fewer junctions on the destinations' side
        _stream(chains.csr_reversed, entries, exits, best.T)
    else:
        _stream(chains.csr, exits, entries, best)
    _along_chains(p, q, best)
    seconds, metres = _decode(chains, best)
    return seconds, metres


def travel_pairs(
    graph: ProfileGraph, origins: Snapped, destinations: Snapped
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Seconds and metres from ``origins[i]`` to ``destinations[i]``."""
    if len(origins) != len(destinations):
        raise ValueError("pairs need as many origins as destinations")
    chains, p = _points(graph, origins)
    _, q = _points(graph, destinations)
    n = len(origins)
    # Every (exit junction, entry junction) a pair may route between: up to four per pair.
    combos = ((0, 0), (0, 1), (1, 0), (1, 1))
    src = np.concatenate([p.exit_node[:, a] for a, _ in combos])
    dst = np.concatenate([q.entry_node[:, b] for _, b in combos])
    cost = np.concatenate([p.exit_cost[:, a] + q.entry_cost[:, b] for a, b in combos])
    needed = np.flatnonzero(np.isfinite(cost))
    flipped = len(np.unique(dst[needed])) < len(np.unique(src[needed]))
    csr = chains.csr_reversed if flipped else chains.csr
    rows, cols = (dst[needed], src[needed]) if flipped else (src[needed], dst[needed])
    unique_rows, row_of = np.unique(rows, return_inverse=True)
    between = np.full(len(src), np.inf)
    for chunk in _chunks(len(unique_rows), chains.n_junctions):
        dist = dijkstra(csr, directed=True, indices=unique_rows[chunk])
        wanted = np.flatnonzero((row_of >= chunk.start) & (row_of < chunk.stop))
        between[needed[wanted]] = dist[row_of[wanted] - chunk.start, cols[wanted]]
    best = np.full(n, np.inf)
    everyone = np.arange(n)
    for k, (a, b) in enumerate(combos):
        via = cost[k * n : (k + 1) * n] + between[k * n : (k + 1) * n]
        best = np.minimum(best, via)
        best = np.minimum(best, _ahead(p, q, everyone, a, everyone, b))
    return _decode(chains, best)


# --- disk cache --------------------------------------------------------------------------------

CACHE_VERSION = b"sendplan-matrix-1"


def cache_key(*parts: bytes | str | float | NDArray[np.float64]) -> str:
    """A hex digest of the parts (arrays by dtype, shape and bytes), order-sensitive."""
    digest = hashlib.sha256(CACHE_VERSION)
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part, dtype="<f8")
            data = f"array{array.shape}".encode() + array.tobytes()
        else:
            data = repr(part).encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


class MatrixCache:
    """Matrices on disk, one ``.npy`` per key; a hit returns exactly the bytes stored."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npy"

    def load(self, key: str) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        try:
            stacked = np.load(self.path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None  # missing or damaged: recompute
        if stacked.ndim < 1 or stacked.shape[0] != 2 or stacked.dtype != np.float64:
            return None
        return np.ascontiguousarray(stacked[0]), np.ascontiguousarray(stacked[1])

    def store(self, key: str, seconds: NDArray[np.float64], metres: NDArray[np.float64]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, np.stack([seconds, metres]).astype(np.float64), allow_pickle=False)
        partial = self.path(key).with_name(f"{key}.{os.getpid()}.partial")
        partial.write_bytes(buffer.getvalue())
        partial.replace(self.path(key))
