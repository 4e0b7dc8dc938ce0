"""Coordinates: geodesic distances on the WGS84 ellipsoid and British National Grid transforms."""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod, Transformer

# The OSGB36 Helmert transformation ("OSGB36 to WGS 84 (6)", about 2 m), pinned so that x/y do not
# depend on whether the OSTN15 grid happens to be installed on the machine that builds the file.
BNG_PIPELINE = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 "
    "+step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=446.448 +y=-125.157 +z=542.06 "
    "+rx=0.15 +ry=0.247 +rz=0.842 +s=-20.489 +convention=position_vector "
    "+step +inv +proj=cart +ellps=airy +step +proj=pop +v_3 "
    "+step +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy"
)


@cache
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def geodesic_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Distance in metres on the WGS84 ellipsoid between lon/lat points (arrays of one shape)."""
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2)]
    if arrays[0].size == 0:
        return np.zeros(arrays[0].shape)
    _, _, distance = _geod().inv(arrays[0], arrays[1], arrays[2], arrays[3])
    return np.asarray(distance, dtype=np.float64)


@cache
def _bng() -> Transformer:
    return Transformer.from_pipeline(BNG_PIPELINE)


def to_bng(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 lon/lat to British National Grid (EPSG:27700) easting/northing in metres."""
    x, y = _bng().transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def from_bng(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """British National Grid easting/northing to WGS84 lon/lat."""
    lon, lat = _bng().transform(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), direction="INVERSE"
    )
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
