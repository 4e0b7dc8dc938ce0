"""Snapping points to a road network in British National Grid metres (EPSG:27700).

A point snaps to the nearest point on the nearest road segment (a street between two OSM nodes);
ties go to the segment with the lowest id, so the result never depends on the index layout.
A point farther than the limit is an error naming it, and every snap distance is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from sendplan.errors import InputError
from sendplan.geo.coords import to_bng
from sendplan.geo.network import ProfileGraph

DEFAULT_MAX_SNAP_M = 500.0
# Long segments are indexed as pieces no longer than this, so that a KD-tree over piece midpoints
# finds the nearest segment with a small search radius (nearest distance + half a piece).
PIECE_M = 15.0
_CANDIDATES = 16
_EPS_M = 1e-6


class SnapError(InputError):
    """A point is farther from the network than the limit; ``point_id`` names it."""

    point_id: str
    distance_m: float
    limit_m: float


@dataclass(frozen=True)
class Snapped:
    """Where each point meets the network: on segment ``seg_a``-``seg_b`` (node indices,
    ``seg_a < seg_b``) at ``fraction`` of the way from ``seg_a``, ``distance_m`` away."""

    seg_a: NDArray[np.int64]
    seg_b: NDArray[np.int64]
    fraction: NDArray[np.float64]
    distance_m: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.seg_a.shape[0])

    @property
    def node(self) -> NDArray[np.int64]:
        """The node a point sits on (segment ends), or -1 for a point inside a segment."""
        return np.where(
            self.fraction <= 0.0, self.seg_a, np.where(self.fraction >= 1.0, self.seg_b, -1)
        )

    def concat(self, other: Snapped) -> Snapped:
        return Snapped(
            *(
                np.concatenate([getattr(self, f), getattr(other, f)])
                for f in ("seg_a", "seg_b", "fraction", "distance_m")
            )
        )


def project_to_segments(
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    ax: NDArray[np.float64],
    ay: NDArray[np.float64],
    bx: NDArray[np.float64],
    by: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fraction along each segment a->b of the point nearest to p, and the distance (broadcasts)."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = ((px - ax) * dx + (py - ay) * dy) / length2
    t = np.where(length2 > 0, np.clip(t, 0.0, 1.0), 0.0)
    distance = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
    return t, distance


class SnapIndex:
    """A KD-tree over a graph's road segments (both directions of a street are one segment)."""

    def __init__(self, graph: ProfileGraph) -> None:
        self.graph = graph
        a = np.minimum(graph.tails, graph.indices)
        b = np.maximum(graph.tails, graph.indices)
        pairs = np.unique(a * graph.n_nodes + b)
        self.seg_a = pairs // graph.n_nodes
        self.seg_b = pairs % graph.n_nodes
        ax, ay = graph.x[self.seg_a], graph.y[self.seg_a]
        bx, by = graph.x[self.seg_b], graph.y[self.seg_b]
        pieces = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / PIECE_M)).astype(np.int64)
        self.piece_seg = np.repeat(np.arange(len(pairs)), pieces)
        first = np.repeat(np.cumsum(pieces) - pieces, pieces)
        middle = (np.arange(len(self.piece_seg)) - first + 0.5) / pieces[self.piece_seg]
        s = self.piece_seg
        self.tree = cKDTree(
            np.column_stack([ax[s] + middle * (bx[s] - ax[s]), ay[s] + middle * (by[s] - ay[s])])
        )

    @cached_property
    def node_tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.graph.x, self.graph.y]))

    def _exact(
        self, px: NDArray[np.float64], py: NDArray[np.float64], segs: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        g, a, b = self.graph, self.seg_a[segs], self.seg_b[segs]
        return project_to_segments(px, py, g.x[a], g.y[a], g.x[b], g.y[b])

    def snap_xy(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> Snapped:
        """Snap BNG points to their nearest segment."""
        n = len(x)
        k = min(_CANDIDATES, len(self.piece_seg))
        mid_dist, piece = self.tree.query(np.column_stack([x, y]), k=k)
        mid_dist, piece = mid_dist.reshape(n, k), piece.reshape(n, k)
        segs = self.piece_seg[piece]
        fraction, distance = self._exact(x[:, None], y[:, None], segs)
        best = np.lexsort((segs, distance), axis=-1)[:, 0]
        rows = np.arange(n)
        seg, frac, dist = segs[rows, best], fraction[rows, best], distance[rows, best]
        # Any segment at least as near has a piece midpoint within dist + PIECE_M / 2.
        radius = dist + PIECE_M / 2 + _EPS_M
        unsure = np.flatnonzero((k < len(self.piece_seg)) & (mid_dist[:, -1] <= radius))
        for i in unsure:
            near = np.unique(self.piece_seg[self.tree.query_ball_point((x[i], y[i]), radius[i])])
            f_i, d_i = self._exact(x[i], y[i], near)
            j = np.lexsort((near, d_i))[0]
            seg[i], frac[i], dist[i] = near[j], f_i[j], d_i[j]
        return Snapped(self.seg_a[seg], self.seg_b[seg], frac, dist)

    def nearest_nodes(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The nearest node to each BNG point and its distance in metres."""
        distance, node = self.node_tree.query(np.column_stack([x, y]))
        return np.asarray(node, dtype=np.int64), np.asarray(distance, dtype=np.float64)


def snap_points(
    index: SnapIndex,
    lonlat: NDArray[np.float64],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ids: Sequence[str] | None = None,
    network_name: str = "network",
) -> Snapped:
    """Snap lon/lat points (n, 2); a :class:`SnapError` names the first point beyond the limit."""
    x, y = to_bng(lonlat[:, 0], lonlat[:, 1])
    snapped = index.snap_xy(x, y)
    too_far = np.flatnonzero(~(snapped.distance_m <= max_snap_m))
    if len(too_far):
        i = int(too_far[0])
        point_id = ids[i] if ids is not None else f"point {i}"
        distance = float(snapped.distance_m[i])
        more = f"; {len(too_far) - 1} more points are too far" if len(too_far) > 1 else ""
        error = SnapError(
            network_name,
            f"{point_id} is {distance:.0f} m from the nearest {index.graph.profile} road "
            f"(limit {max_snap_m:.0f} m){more}",
            field="location",
        )
        error.point_id, error.distance_m, error.limit_m = point_id, distance, max_snap_m
        raise error
    return snapped
