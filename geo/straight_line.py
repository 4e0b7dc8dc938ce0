"""The straight-line travel model: haversine distance x circuity factor, speeds by distance band.

It is the embedded default because it needs no map. Every output that used it says
``travel_model: "straight-line"`` so nobody mistakes it for road-network times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8

# (upper bound of the band in road metres, speed in km/h inside the band). Urban streets first,
# then main roads, then inter-urban roads: calibrated later against the road network.
DEFAULT_SPEED_BANDS_KMH: tuple[tuple[float, float], ...] = (
    (2_000.0, 20.0),
    (10_000.0, 32.0),
    (float("inf"), 60.0),
)


def haversine_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance in metres between WGS84 points (arrays broadcast)."""
    lon1r, lat1r, lon2r, lat2r = (np.radians(a) for a in (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2r - lat1r) / 2.0) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2.0) ** 2
    )
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class StraightLineModel:
    """Travel times from straight-line distance; deterministic and map-free."""

    circuity_factor: float = 1.3
    speed_bands_kmh: tuple[tuple[float, float], ...] = DEFAULT_SPEED_BANDS_KMH
    name: str = "straight-line"

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Seconds and metres from ``origins[i]`` to ``destinations[i]``; (n, 2) lon/lat each."""
        distance_m = self.circuity_factor * haversine_m(
            origins[:, 0], origins[:, 1], destinations[:, 0], destinations[:, 1]
        )
        return self._seconds(distance_m), distance_m

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Seconds and metres from every origin (n, 2) to every destination (m, 2)."""
        distance_m = self.circuity_factor * haversine_m(
            origins[:, None, 0],
            origins[:, None, 1],
            destinations[None, :, 0],
            destinations[None, :, 1],
        )
        return self._seconds(distance_m), distance_m

    def _seconds(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
        seconds = np.zeros_like(distance_m)
        lower = 0.0
        for upper, speed_kmh in self.speed_bands_kmh:
            in_band = np.clip(distance_m - lower, 0.0, upper - lower)
            seconds += in_band / (speed_kmh / 3.6)
            lower = upper
        return seconds
