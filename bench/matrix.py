"""Benchmark: a many-to-many drive matrix, ours against networkx single-source Dijkstra.

``sendplan bench matrix --graph FILE --origins N --destinations M [--seed S]`` prints the dict
:func:`bench_matrix` returns. Points are random road nodes moved up to 60 m off the road, so
snapping is exercised. ``seconds`` times one ``NetworkTravelModel.matrix`` call (snapping,
splicing, Dijkstra, decoding) on a network already loaded and indexed, as in a running service;
``setup_seconds`` is the one-off load and indexing. networkx runs on the uncontracted graph with
the same points spliced in, from a sample of origins, and its time is scaled to all origins.
Without an extract at hand, ``--synthetic-nodes 50000`` builds a jittered street grid.
"""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from sendplan.geo.coords import from_bng
from sendplan.geo.matrix import contract
from sendplan.geo.network import (
    MS_PER_S,
    ProfileGraph,
    RoadNetwork,
    build_network,
    load_network,
)
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.roads import RoadSegments
from sendplan.geo.snap import Snapped

# Synthetic grid: centred on Leicester, 100 m blocks.
_CENTRE_BNG = (459_000.0, 304_000.0)
_BLOCK_M = 100.0
_POINT_OFFSET_M = 60.0


def synthesise_segments(*, nodes: int, seed: int) -> RoadSegments:
    """A jittered street grid of about ``nodes`` junctions: main roads every 8th line at 40 mph,
    residential streets at the UK default, 12% of them one-way, 3% of links missing."""
    rng = np.random.default_rng(seed)
    side = max(2, math.ceil(math.sqrt(nodes * 1.02)))
    grid = np.arange(side * side, dtype=np.int64).reshape(side, side)
    offset = (side - 1) * _BLOCK_M / 2
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x = _CENTRE_BNG[0] - offset + col.ravel() * _BLOCK_M + rng.uniform(-15, 15, side * side)
    y = _CENTRE_BNG[1] - offset + row.ravel() * _BLOCK_M + rng.uniform(-15, 15, side * side)
    lon, lat = from_bng(x, y)
    u = np.concatenate([grid[:, :-1].ravel(), grid[:-1, :].ravel()])
    v = np.concatenate([grid[:, 1:].ravel(), grid[1:, :].ravel()])
    line = np.concatenate(
        [np.repeat(np.arange(side), side - 1), np.tile(np.arange(side), side - 1)]
    )
    main = line % 8 == 0
    draw = rng.random(len(u))
    keep = main | (draw >= 0.03)
    tags = (
        {"highway": "primary", "maxspeed": "40 mph"},
        {"highway": "residential"},
        {"highway": "residential", "oneway": "yes"},
        {"highway": "residential", "oneway": "-1"},
    )
    tag_index = np.where(main, 0, np.where(draw < 0.09, 2, np.where(draw < 0.15, 3, 1)))
    return RoadSegments(
        node_id=grid.ravel() + 1,
        lon=lon,
        lat=lat,
        u=u[keep] + 1,
        v=v[keep] + 1,
        tag_index=tag_index[keep].astype(np.int64),
        tags=tags,
        source=f"synthetic-grid-{nodes}-seed{seed}",
    )


def synthesise_network(*, nodes: int, seed: int) -> RoadNetwork:
    """The drive network of :func:`synthesise_segments`."""
    return build_network(synthesise_segments(nodes=nodes, seed=seed), profiles=("drive",))


def random_points(graph: ProfileGraph, count: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Lon/lat points up to 60 m from random nodes."""
    at = rng.integers(0, graph.n_nodes, count)
    angle = rng.uniform(0, 2 * math.pi, count)
    radius = _POINT_OFFSET_M * np.sqrt(rng.random(count))
    lon, lat = from_bng(graph.x[at] + radius * np.cos(angle), graph.y[at] + radius * np.sin(angle))
    return np.column_stack([lon, lat])


def networkx_with_points(graph: ProfileGraph, points: Snapped) -> tuple[Any, list[Any]]:
    """The uncontracted graph as a networkx DiGraph (weight: seconds) with the points spliced in
    by the same rounding rule as :mod:`sendplan.geo.matrix`; returns the graph and point nodes."""
    nx_graph = nx.DiGraph()
    ms = graph.travel_time_ms
    nx_graph.add_weighted_edges_from(
        zip(graph.tails.tolist(), graph.indices.tolist(), (ms / MS_PER_S).tolist(), strict=True)
    )
    on_edge: dict[int, list[tuple[float, Any]]] = {}
    nodes: list[Any] = []
    for i in range(len(points)):
        a, b, f = int(points.seg_a[i]), int(points.seg_b[i]), float(points.fraction[i])
        if f <= 0.0 or f >= 1.0:
            nodes.append(a if f <= 0.0 else b)
            continue
        name = ("point", a, b, f)
        nodes.append(name)
        for tail, head, s in ((a, b, f), (b, a, 1.0 - f)):
            edge = int(graph.edge_index(np.array([tail]), np.array([head]))[0])
            if edge >= 0:
                on_edge.setdefault(edge, []).append((s, name))
    for edge, spliced in on_edge.items():
        tail, head, whole = int(graph.tails[edge]), int(graph.indices[edge]), int(ms[edge])
        nx_graph.remove_edge(tail, head)
        chain = [(0.0, tail), *sorted(set(spliced)), (1.0, head)]
        for (s1, n1), (s2, n2) in itertools.pairwise(chain):
            cost_ms = round(s2 * whole) - round(s1 * whole)  # Python round: half to even, as rint
            nx_graph.add_edge(n1, n2, weight=cost_ms / MS_PER_S)
    return nx_graph, nodes


def bench_matrix(
    *,
    graph: Path | None = None,
    origins: int,
    destinations: int,
    seed: int = 0,
    synthetic_nodes: int | None = None,
    networkx_sample: int = 20,
) -> dict[str, Any]:
    """Time an ``origins x destinations`` drive matrix and compare it with networkx."""
    if (graph is None) == (synthetic_nodes is None):
        raise ValueError("give a graph file or a synthetic node count, not both")
    started = time.perf_counter()
    if graph is not None:
        network = load_network(graph, profiles=("drive",))
    else:
        network = synthesise_network(nodes=int(synthetic_nodes or 0), seed=seed)
    model = NetworkTravelModel(network, profile="drive")
    road = model.graph
    chains = contract(road)
    _ = model.snap_index
    setup_s = time.perf_counter() - started

    rng = np.random.default_rng(seed)
    o_points = random_points(road, origins, rng)
    d_points = random_points(road, destinations, rng)
    started = time.perf_counter()
    seconds, _metres = model.matrix(o_points, d_points)
    ours_s = time.perf_counter() - started

    o_snapped, d_snapped = model.snap(o_points), model.snap(d_points)
    nx_graph, point_nodes = networkx_with_points(road, o_snapped.concat(d_snapped))
    sample = np.sort(rng.choice(origins, size=min(origins, networkx_sample), replace=False))
    max_diff = 0.0
    nx_s = 0.0
    for i in sample.tolist():
        started = time.perf_counter()
        lengths = nx.single_source_dijkstra_path_length(nx_graph, point_nodes[i], weight="weight")
        nx_s += time.perf_counter() - started
        reference = np.array(
            [lengths.get(point_nodes[origins + j], math.inf) for j in range(destinations)]
        )
        both_unreachable = np.isinf(reference) & np.isinf(seconds[i])
        diff = np.abs(np.where(both_unreachable, 0.0, reference - seconds[i]))
        max_diff = max(max_diff, float(np.max(diff)))
    nx_total_s = nx_s * origins / len(sample)
    return {
        "graph": model.name,
        "nodes": road.n_nodes,
        "edges": road.n_edges,
        "junctions": chains.n_junctions,
        "origins": origins,
        "destinations": destinations,
        "seed": seed,
        "seconds": round(ours_s, 4),
        "setup_seconds": round(setup_s, 4),
        "networkx_seconds": round(nx_total_s, 4),
        "networkx_sampled": len(sample) < origins,
        "networkx_origins_timed": len(sample),
        "speedup_vs_networkx": round(nx_total_s / ours_s, 1) if ours_s > 0 else None,
        "max_abs_diff_s": max_diff,
        "max_snap_m": round(float(max(o_snapped.distance_m.max(), d_snapped.distance_m.max())), 1),
    }
