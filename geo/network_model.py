"""Travel times and distances on a road network, as a :class:`~sendplan.geo.travel.TravelModel`.

Vehicles use the ``drive`` profile (optionally slowed by a congestion factor, e.g. for the AM
peak); statutory walking distances use :meth:`NetworkTravelModel.walking`. Every output records
``name``: the network file's name and the first 12 hex digits of its SHA-256. With a cache
folder, each matrix is stored under a key of the network hash, profile, options and the exact
point coordinates, and a later identical request returns the stored bytes.

Journeys start and end where the points meet the road; the walk from a front door to the road
(the snap distance, see :meth:`NetworkTravelModel.snap_distances_m`) is not added.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.matrix import MatrixCache, cache_key, travel_matrix, travel_pairs
from sendplan.geo.network import (
    Profile,
    ProfileGraph,
    RoadNetwork,
    load_network,
    network_bytes,
    with_congestion,
)
from sendplan.geo.paths import path_through
from sendplan.geo.snap import DEFAULT_MAX_SNAP_M, SnapIndex, Snapped, snap_points
from sendplan.geo.travel import TravelModel

Result = tuple[NDArray[np.float64], NDArray[np.float64]]


def _as_points(points: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    array = np.ascontiguousarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{what} must be an (n, 2) array of lon/lat")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite lon/lat")
    if np.any(np.abs(array[:, 0]) > 180) or np.any(np.abs(array[:, 1]) > 90):
        raise ValueError(f"{what} must be lon/lat in degrees (lon first)")
    return array


class NetworkTravelModel:
    """Road-network travel: fastest drives (``profile="drive"``) or shortest walks (``"walk"``)."""

    def __init__(
        self,
        network: RoadNetwork,
        *,
        profile: Profile = "drive",
        congestion_factor: float = 1.0,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        cache_dir: Path | None = None,
    ) -> None:
        self.network = network
        self.profile: Profile = profile
        self.congestion_factor = float(congestion_factor) if profile == "drive" else 1.0
        self.max_snap_m = float(max_snap_m)
        self.cache = MatrixCache(cache_dir) if cache_dir is not None else None
        if not self.max_snap_m > 0:
            raise ValueError("max_snap_m must be positive")
        if not (math.isfinite(self.congestion_factor) and self.congestion_factor >= 1.0):
            raise ValueError("the congestion factor must be a number of at least 1")
        network.graph(profile)  # fail now, naming the file, if the profile was not built

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        profile: Profile = "drive",
        congestion_factor: float = 1.0,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        cache_dir: Path | None = None,
    ) -> NetworkTravelModel:
        """A model on a built network file, or on a map file built on the fly."""
        return cls(
            load_network(path),
            profile=profile,
            congestion_factor=congestion_factor,
            max_snap_m=max_snap_m,
            cache_dir=cache_dir,
        )

    @cached_property
    def _sha256(self) -> str:
        return self.network.sha256 or hashlib.sha256(network_bytes(self.network)).hexdigest()

    @property
    def name(self) -> str:
        """``"<network file name>@<sha256 prefix>"``, recorded as ``travel_model``."""
        if self.network.name:
            return self.network.name
        return f"unsaved-{self.network.meta.get('source', 'network')}@{self._sha256[:12]}"

    @cached_property
    def graph(self) -> ProfileGraph:
        return with_congestion(self.network.graph(self.profile), self.congestion_factor)

    @cached_property
    def snap_index(self) -> SnapIndex:
        return SnapIndex(self.network.graph(self.profile))

    def walking(self) -> NetworkTravelModel:
        """The walk-profile model on the same network, cache and snap limit."""
        return self if self.profile == "walk" else self._walking

    @cached_property
    def _walking(self) -> NetworkTravelModel:
        return NetworkTravelModel(
            self.network,
            profile="walk",
            max_snap_m=self.max_snap_m,
            cache_dir=self.cache.directory if self.cache else None,
        )

    def snap(self, points: NDArray[np.float64], *, ids: Sequence[str] | None = None) -> Snapped:
        """Where each lon/lat point meets the network; a SnapError names a point too far away."""
        return snap_points(
            self.snap_index,
            _as_points(points, "points"),
            max_snap_m=self.max_snap_m,
            ids=ids,
            network_name=self.name,
        )

    def snap_distances_m(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """How far each point is from the network, in metres (never raises for distance)."""
        return snap_points(
            self.snap_index, _as_points(points, "points"), max_snap_m=np.inf
        ).distance_m

    def _cached(
        self,
        kind: str,
        origins: NDArray[np.float64],
        destinations: NDArray[np.float64],
        compute: Callable[[], Result],
    ) -> Result:
        if self.cache is None:
            return compute()
        options = (self._sha256, self.profile, self.congestion_factor, self.max_snap_m, kind)
        key = cache_key(*options, origins, destinations)
        hit = self.cache.load(key)
        if hit is not None:
            return hit
        seconds, metres = compute()
        self.cache.store(key, seconds, metres)
        return seconds, metres

    def _snap_both(
        self,
        origins: NDArray[np.float64],
        destinations: NDArray[np.float64],
        origin_ids: Sequence[str] | None,
        destination_ids: Sequence[str] | None,
    ) -> tuple[Snapped, Snapped]:
        o_ids = origin_ids or [f"origin {i}" for i in range(len(origins))]
        d_ids = destination_ids or [f"destination {i}" for i in range(len(destinations))]
        return self.snap(origins, ids=o_ids), self.snap(destinations, ids=d_ids)

    def pairs(
        self,
        origins: NDArray[np.float64],
        destinations: NDArray[np.float64],
        *,
        origin_ids: Sequence[str] | None = None,
        destination_ids: Sequence[str] | None = None,
    ) -> Result:
        """Seconds and metres from ``origins[i]`` to ``destinations[i]`` (lon/lat, (n, 2))."""
        o = _as_points(origins, "origins")
        d = _as_points(destinations, "destinations")
        if len(o) != len(d):
            raise ValueError("pairs need as many origins as destinations")

        def compute() -> Result:
            snapped_o, snapped_d = self._snap_both(o, d, origin_ids, destination_ids)
            return travel_pairs(self.graph, snapped_o, snapped_d)

        return self._cached("pairs", o, d, compute)

    def matrix(
        self,
        origins: NDArray[np.float64],
        destinations: NDArray[np.float64],
        *,
        origin_ids: Sequence[str] | None = None,
        destination_ids: Sequence[str] | None = None,
    ) -> Result:
        """Seconds and metres from every origin (n, 2) to every destination (m, 2): (n, m) each."""
        o = _as_points(origins, "origins")
        d = _as_points(destinations, "destinations")

        def compute() -> Result:
            snapped_o, snapped_d = self._snap_both(o, d, origin_ids, destination_ids)
            return travel_matrix(self.graph, snapped_o, snapped_d)

        return self._cached("matrix", o, d, compute)

    def path_nodes(self, points: NDArray[np.float64]) -> NDArray[np.int64]:
        """The road nodes (indices into :attr:`graph`) of the route through ``points`` (n, 2)
        in order: each leg the shortest path the travel times measure (see
        :mod:`sendplan.geo.paths`). A single point is a leg to itself."""
        p = _as_points(points, "points")
        if len(p) == 0:
            return np.zeros(0, dtype=np.int64)
        return path_through(self.graph, self.snap(p))

    def path_lonlat(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """The lon/lat (m, 2) of the road nodes of the route through ``points`` in order (see
        :meth:`path_nodes`): every vertex is a node of the road network."""
        nodes = self.path_nodes(points)
        return np.column_stack([self.graph.lon[nodes], self.graph.lat[nodes]])


if TYPE_CHECKING:

    def _is_a_travel_model(model: NetworkTravelModel) -> TravelModel:
        return model  # mypy checks that the class keeps the TravelModel protocol
