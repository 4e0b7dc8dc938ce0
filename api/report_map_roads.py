"""The report map's road basemap: the road network the plan was solved on, drawn thin and grey.

Each road is drawn once (the network's directed edges deduplicated into undirected segments)
between the network's own nodes, only where it lies in the panel, rounded to a tenth of a
pixel; segments shorter than a pixel are dropped, and a large network keeps at most
``MAX_ROAD_SEGMENTS`` per panel (major roads first, then the longest), so the page stays small.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendplan.api.report_map_data import Frame
from sendplan.geo.network import ProfileGraph
from sendplan.geo.network_model import NetworkTravelModel

MAX_ROAD_SEGMENTS = 4000
Segment = tuple[tuple[float, float], tuple[float, float]]


def road_graph(travel: object) -> ProfileGraph | None:
    """The road network a plan was solved on (its travel model's graph), or None."""
    return travel.graph if isinstance(travel, NetworkTravelModel) else None


def _undirected(
    graph: ProfileGraph,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    """Each road once: (lower node, higher node, highway class) per undirected edge."""
    tails, heads = graph.tails, graph.indices
    lo, hi = np.minimum(tails, heads), np.maximum(tails, heads)
    _, first = np.unique(lo * graph.n_nodes + hi, return_index=True)
    return lo[first], hi[first], graph.highway[first]


def road_segments(
    graph: ProfileGraph, frame: Frame, *, max_segments: int = MAX_ROAD_SEGMENTS
) -> list[Segment]:
    """The roads to draw in ``frame``, in pixels (rounded to 0.1): every undirected edge with an
    end in the panel and at least a pixel long; at most ``max_segments`` of them."""
    if graph.n_edges == 0:
        return []
    lo, hi, highway = _undirected(graph)
    west, east, south, north = frame.bounds()
    inside = (graph.lon >= west) & (graph.lon <= east) & (graph.lat >= south) & (graph.lat <= north)
    keep = inside[lo] | inside[hi]
    lo, hi, highway = lo[keep], hi[keep], highway[keep]
    x = np.round(frame.ox + (graph.lon - frame.lon0) * frame.kx * frame.scale, 1)
    y = np.round(frame.oy + (frame.lat1 - graph.lat) * frame.scale, 1)
    length = np.hypot(x[hi] - x[lo], y[hi] - y[lo])
    long_enough = length >= 1.0
    lo, hi, highway, length = lo[long_enough], hi[long_enough], highway[long_enough], length[
        long_enough]  # fmt: skip
    # Major roads first (a lower class index), then the longest; node ids break ties.
    order = np.lexsort((hi, lo, -length, highway))[:max_segments]
    # Drawn in node order, so the same network and frame give the same bytes.
    order = order[np.lexsort((hi[order], lo[order]))]
    return [
        ((float(x[a]), float(y[a])), (float(x[b]), float(y[b])))
        for a, b in zip(lo[order].tolist(), hi[order].tolist(), strict=True)
    ]


def roads_path(segments: list[Segment]) -> str:
    """The segments as one SVG path's ``d`` (absolute moves)."""
    return "".join(f"M{a[0]:.1f} {a[1]:.1f}L{b[0]:.1f} {b[1]:.1f}" for a, b in segments)
