"""A row's point: WGS84 lon/lat, British National Grid easting/northing, or a postcode.

Error messages never echo the coordinates or the postcode (a child's location is personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from pyproj import Transformer

from sendplan.api.cells import FieldError
from sendplan.routing.model import in_uk

# British National Grid (EPSG:27700) extent in metres.
GRID_EASTING_M = (0.0, 700_000.0)
GRID_NORTHING_M = (0.0, 1_300_000.0)


@cache
def _grid_to_wgs84() -> Transformer:
    return Transformer.from_crs(27700, 4326, always_xy=True)


def _check_lonlat(lon: float, lat: float, field: str) -> tuple[float, float]:
    if in_uk(lon, lat):
        return lon, lat
    if in_uk(lat, lon):
        raise FieldError(
            field, "lat and lon look swapped: the point is in the UK the other way round"
        )
    raise FieldError(field, "the lon/lat point is outside the UK (WGS84 decimal degrees expected)")


def _grid_point(easting_m: float, northing_m: float, field: str) -> tuple[float, float]:
    """An EPSG:27700 easting/northing as WGS84 lon/lat."""

    def on_grid(e: float, n: float) -> bool:
        return (GRID_EASTING_M[0] <= e <= GRID_EASTING_M[1]) and (
            GRID_NORTHING_M[0] <= n <= GRID_NORTHING_M[1]
        )

    if not on_grid(easting_m, northing_m):
        if on_grid(northing_m, easting_m):
            raise FieldError(field, "easting and northing look swapped")
        raise FieldError(field, "the easting/northing point is off the British National Grid")
    lon, lat = _grid_to_wgs84().transform(easting_m, northing_m)
    if not in_uk(lon, lat):
        raise FieldError(field, "the easting/northing point is outside the UK")
    return float(lon), float(lat)


PostcodeLookup = Callable[[str], tuple[float, float] | None]
"""Postcode -> (lon, lat) or None when unknown; built from a user-supplied file, never online."""


def location(
    values: dict[str, Any], prefix: str = "", postcodes: PostcodeLookup | None = None
) -> tuple[float, float]:
    """The row's point from lon/lat, easting/northing, or a postcode looked up offline."""
    lon, lat, easting, northing = (f"{prefix}{n}" for n in ("lon", "lat", "easting", "northing"))
    kinds = [pair for pair in ((lon, lat), (easting, northing)) if any(k in values for k in pair)]
    if len(kinds) > 1:
        raise FieldError(lon, f"give {lon},{lat} or {easting},{northing}, not both")
    if not kinds:
        if "postcode" in values:
            if postcodes is None:
                raise FieldError(
                    "postcode",
                    "postcode lookup needs a postcode file (--postcodes FILE): "
                    f"or give {lon},{lat} or {easting},{northing}",
                )
            point = postcodes(str(values["postcode"]))
            if point is None:
                # Never echo the postcode itself: it is personal data.
                raise FieldError("postcode", "malformed or not in the postcode file")
            return point
        raise FieldError(lon, f"no location: give {lon},{lat} or {easting},{northing}")
    first, second = kinds[0]
    for name in (first, second):
        if name not in values:
            raise FieldError(name, f"{name} is blank but {first},{second} are a pair")
    if first == lon:
        return _check_lonlat(values[lon], values[lat], lon)
    return _grid_point(values[easting], values[northing], easting)
