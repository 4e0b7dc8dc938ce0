"""Shortest paths on a road network, rebuilt from Dijkstra's predecessors, for drawing routes.

The travel matrix (:mod:`sendplan.geo.matrix`) keeps only times and distances; a map needs the
roads. A leg from point P to point Q is searched on the full (uncontracted) graph with the
matrix's weights and its rules for a point snapped inside a street: P joins the graph as a source
node with an edge to the head of each direction of its street (costing the rest of that edge);
Q is reached from the tail of each direction of its street (costing the part up to Q), or
directly when it lies ahead of P along the same street. Every part is the same whole number of
milliseconds and decimetres as in the matrix, so a leg's time and length equal the matrix's for
the pair, and its road nodes are those of a shortest path.

Each leg's Dijkstra stops at a bound (scipy's ``limit``) guessed from the distance as the crow
flies and widened until Q is found within it: distances within the bound are exact, so a way
found within it is a shortest one, and a short leg on a city network explores only its
neighbourhood.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sendplan.geo.matrix import TIME_SHIFT
from sendplan.geo.network import DM_PER_M, MS_PER_S, ProfileGraph
from sendplan.geo.roads import WALK_SPEED_KMH
from sendplan.geo.snap import Snapped

_NO_PREDECESSOR = -9999  # scipy's mark for the source and unreached nodes
# The first search bound: the crow-flies distance with a detour, at a town speed, plus slack;
# widened (times _WIDEN) until the leg is found.
_DETOUR = 1.5
_GUESS_SPEED_M_PER_S = 25 / 3.6
_SLACK_S, _SLACK_M = 60.0, 500.0
_WIDEN = 4.0
Numbers = NDArray[np.int64] | NDArray[np.float64]


@dataclass(frozen=True)
class Leg:
    """One leg's road nodes (graph indices) in driving order, and its time and length.

    ``nodes`` is empty when Q lies straight ahead of P inside one street (no node between).
    """

    nodes: NDArray[np.int64]
    seconds: float
    metres: float


@dataclass(frozen=True)
class _Ends:
    """Per leg, up to three ways (columns) to leave P or reach Q: the road node, the part of
    the street's edge it costs (ms, dm); unused ways have node -1."""

    node: NDArray[np.int64]
    ms: NDArray[np.int64]
    dm: NDArray[np.int64]


def _weight(by_length: bool, ms: Numbers, dm: Numbers) -> NDArray[np.float64]:
    """The matrix's Dijkstra weight: fastest then shortest (drive), or shortest (walk)."""
    weight = np.asarray(dm, dtype=np.float64)
    if not by_length:
        weight = weight + np.asarray(ms, dtype=np.float64) * TIME_SHIFT
    return weight


def _part(total: NDArray[np.int64], s: NDArray[np.float64]) -> NDArray[np.int64]:
    """The part of an edge from its tail to fraction ``s``, rounded as the matrix rounds it."""
    return np.rint(s * total).astype(np.int64)


_Ways = list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]]


def _directions(graph: ProfileGraph, points: Snapped) -> _Ways:
    """Each direction of the street a point lies on: tail, head, fraction from the tail, edge
    (-1 where the street is one-way the other way)."""
    a, b, f = points.seg_a, points.seg_b, points.fraction
    return [(a, b, f, graph.edge_index(a, b)), (b, a, 1.0 - f, graph.edge_index(b, a))]


def _ends(graph: ProfileGraph, points: Snapped, ways: _Ways, *, leaving: bool) -> _Ends:
    """How each point leaves by (``leaving``) or is reached from the road nodes."""
    k = len(points)
    node = np.full((k, 3), -1, dtype=np.int64)
    ms = np.zeros((k, 3), dtype=np.int64)
    dm = np.zeros((k, 3), dtype=np.int64)
    at_node = points.node >= 0
    node[at_node, 0] = points.node[at_node]
    for column, (tail, head, s, edge) in enumerate(ways, start=1):
        e = np.maximum(edge, 0)
        part_ms, part_dm = _part(graph.travel_time_ms[e], s), _part(graph.length_dm[e], s)
        use = ~at_node & (edge >= 0)
        node[use, column] = (head if leaving else tail)[use]
        if leaving:
            part_ms, part_dm = graph.travel_time_ms[e] - part_ms, graph.length_dm[e] - part_dm
        ms[use, column], dm[use, column] = part_ms[use], part_dm[use]
    return _Ends(node, ms, dm)


def _direct(
    graph: ProfileGraph, origins: Snapped, destinations: Snapped, p_ways: _Ways, q_ways: _Ways
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """The time and length straight along a street from P to Q (weight inf unless Q is ahead
    of P inside the same street), the cheaper direction when both are."""
    inside = (origins.node < 0) & (destinations.node < 0)
    same = inside & (origins.seg_a == destinations.seg_a) & (origins.seg_b == destinations.seg_b)
    by_length = graph.profile == "walk"
    k = len(origins)
    best_ms, best_dm = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
    best = np.full(k, np.inf)
    for (_, _, p_s, edge), (_, _, q_s, _) in zip(p_ways, q_ways, strict=True):
        e = np.maximum(edge, 0)
        ms = _part(graph.travel_time_ms[e], q_s) - _part(graph.travel_time_ms[e], p_s)
        dm = _part(graph.length_dm[e], q_s) - _part(graph.length_dm[e], p_s)
        weight = np.where(same & (edge >= 0) & (p_s <= q_s), _weight(by_length, ms, dm), np.inf)
        better = weight < best
        best = np.where(better, weight, best)
        best_ms, best_dm = np.where(better, ms, best_ms), np.where(better, dm, best_dm)
    return best_ms, best_dm, best


_base_cache: WeakKeyDictionary[ProfileGraph, NDArray[np.float64]] = WeakKeyDictionary()


def _search_graph(graph: ProfileGraph, leave: _Ends) -> csr_matrix:
    """The graph's CSR with one more row per leg: source node ``n + i`` and its ways out."""
    weight = _base_cache.get(graph)
    if weight is None:
        weight = _base_cache[graph] = _weight(
            graph.profile == "walk", graph.travel_time_ms, graph.length_dm
        )
    used = leave.node >= 0
    extra_heads = leave.node[used]  # row-major: leg by leg
    extra_weight = _weight(graph.profile == "walk", leave.ms[used], leave.dm[used])
    size = graph.n_nodes + len(leave.node)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(used.sum(axis=1))])
    index_type = np.int32 if len(indptr) + graph.n_edges + len(extra_heads) < 2**31 else np.int64
    return csr_matrix(
        (
            np.concatenate([weight, extra_weight]),
            np.concatenate([graph.indices, extra_heads]).astype(index_type),
            indptr.astype(index_type),
        ),
        shape=(size, size),
    )


def _leg_time(by_length: bool, ms: int, dm: int) -> tuple[float, float]:
    metres = dm / DM_PER_M
    if by_length:  # walks are timed at the walking speed, as the matrix times them
        return float(np.rint(metres / (WALK_SPEED_KMH / 3.6) * MS_PER_S) / MS_PER_S), metres
    return ms / MS_PER_S, metres


def _first_limits(
    graph: ProfileGraph, origins: Snapped, destinations: Snapped
) -> NDArray[np.float64]:
    """A first bound on each leg's weight from the distance as the crow flies (the search
    widens while the leg is not found within it, so a low guess costs time, not correctness)."""

    def where(points: Snapped) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        a, b, f = points.seg_a, points.seg_b, points.fraction
        x = graph.x[a] + f * (graph.x[b] - graph.x[a])
        return x, graph.y[a] + f * (graph.y[b] - graph.y[a])

    (px, py), (qx, qy) = where(origins), where(destinations)
    crow_m = np.hypot(qx - px, qy - py)
    guess_ms = np.rint((crow_m * _DETOUR / _GUESS_SPEED_M_PER_S + _SLACK_S) * MS_PER_S)
    guess_dm = np.rint((crow_m * _DETOUR + _SLACK_M) * DM_PER_M)
    return _weight(graph.profile == "walk", guess_ms, guess_dm)


def shortest_legs(graph: ProfileGraph, origins: Snapped, destinations: Snapped) -> list[Leg]:
    """The shortest path of each leg ``origins[i] -> destinations[i]`` (the matrix's weights).

    Among equal shortest ways the first is kept (straight along the street, then the order of
    the ways into Q, then scipy's order), so the same input gives the same path. A leg with no
    path (a disconnected network) has no nodes and infinite time and length.
    """
    if len(origins) != len(destinations):
        raise ValueError("legs need as many origins as destinations")
    k, n, by_length = len(origins), graph.n_nodes, graph.profile == "walk"
    p_ways, q_ways = _directions(graph, origins), _directions(graph, destinations)
    leave = _ends(graph, origins, p_ways, leaving=True)
    reach = _ends(graph, destinations, q_ways, leaving=False)
    direct_ms, direct_dm, direct = _direct(graph, origins, destinations, p_ways, q_ways)
    search = _search_graph(graph, leave)
    # Every simple path weighs less than all edges together: past that, search everything.
    widest = float(search.data.sum()) + float(np.where(direct < np.inf, direct, 0).sum())
    limits = _first_limits(graph, origins, destinations)
    reach_weight = np.where(reach.node >= 0, _weight(by_length, reach.ms, reach.dm), np.inf)
    found: list[tuple[NDArray[np.int64], int] | None] = []
    for i in range(k):
        limit = float(limits[i])
        while True:
            leg = _search(search, n + i, reach.node[i], reach_weight[i], float(direct[i]), limit)
            if leg is not None or limit == np.inf:
                break
            limit = limit * _WIDEN if limit * _WIDEN < widest else np.inf
        found.append(leg)
    # Each leg priced along its own edges (not read off Dijkstra), all edges looked up at once.
    inner = [f[0] for f in found if f is not None and f[1] >= 0]
    tails = np.concatenate([nodes[:-1] for nodes in inner]) if inner else np.zeros(0, np.int64)
    heads = np.concatenate([nodes[1:] for nodes in inner]) if inner else np.zeros(0, np.int64)
    edges = graph.edge_index(tails, heads)
    if np.any(edges < 0):
        raise AssertionError("a rebuilt path left the road graph")
    edge_ms = np.concatenate([[0], np.cumsum(graph.travel_time_ms[edges])])
    edge_dm = np.concatenate([[0], np.cumsum(graph.length_dm[edges])])
    legs: list[Leg] = []
    at = 0
    for i, leg in enumerate(found):
        if leg is None:
            legs.append(Leg(np.zeros(0, dtype=np.int64), np.inf, np.inf))
            continue
        nodes, way_in = leg
        if way_in < 0:  # straight along the street
            ms, dm = int(direct_ms[i]), int(direct_dm[i])
        else:
            way_out = int(np.flatnonzero(leave.node[i] == nodes[0])[0])
            stop = at + len(nodes) - 1
            ms = int(leave.ms[i, way_out] + edge_ms[stop] - edge_ms[at] + reach.ms[i, way_in])
            dm = int(leave.dm[i, way_out] + edge_dm[stop] - edge_dm[at] + reach.dm[i, way_in])
            at = stop
        seconds, metres = _leg_time(by_length, ms, dm)
        legs.append(Leg(nodes, seconds, metres))
    return legs


def _search(
    search: csr_matrix,
    source: int,
    ends: NDArray[np.int64],
    end_weight: NDArray[np.float64],
    direct: float,
    limit: float,
) -> tuple[NDArray[np.int64], int] | None:
    """One leg's road nodes and the way into Q it ends by (-1: straight along the street, no
    nodes), or None when no way to Q weighs at most ``limit``.

    Dijkstra is exact for every node within ``limit``, so a way to Q found within it is a
    shortest one: any other passes a node beyond the limit."""
    dist, predecessors = dijkstra(search, indices=source, return_predecessors=True, limit=limit)
    totals = np.where(ends >= 0, dist[np.maximum(ends, 0)] + end_weight, np.inf)
    way_in = int(np.argmin(totals))
    best = min(direct, float(totals[way_in]))
    if not (np.isfinite(best) and best <= limit):
        return None
    if direct <= totals[way_in]:
        return np.zeros(0, dtype=np.int64), -1
    walk = [int(ends[way_in])]
    while predecessors[walk[-1]] != source:
        if predecessors[walk[-1]] == _NO_PREDECESSOR:
            raise AssertionError("a reached node has no predecessor")
        walk.append(int(predecessors[walk[-1]]))
    return np.array(walk[::-1], dtype=np.int64), way_in


def join_legs(legs: Sequence[Leg]) -> NDArray[np.int64]:
    """The road nodes of consecutive legs as one path, a node shared by two legs kept once."""
    nodes = np.concatenate([leg.nodes for leg in legs]) if legs else np.zeros(0, np.int64)
    keep = np.ones(len(nodes), dtype=bool)
    keep[1:] = nodes[1:] != nodes[:-1]
    return nodes[keep].astype(np.int64)


def path_through(graph: ProfileGraph, stops: Snapped) -> NDArray[np.int64]:
    """The road nodes of the shortest legs from each stop to the next, joined (one stop: the leg
    from it to itself)."""
    ends = np.arange(len(stops))
    origins, destinations = (ends[:-1], ends[1:]) if len(stops) > 1 else (ends, ends)
    return join_legs(shortest_legs(graph, _take(stops, origins), _take(stops, destinations)))


def _take(points: Snapped, rows: NDArray[np.int64]) -> Snapped:
    return Snapped(points.seg_a[rows], points.seg_b[rows], points.fraction[rows],
                   points.distance_m[rows])  # fmt: skip
