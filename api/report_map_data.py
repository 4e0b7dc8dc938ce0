"""The report map's geometry and data: an equirectangular frame fitted to points, the shipped LSOA
outlines, the part of each route line to draw, school numbers and each home's class."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from sendplan.api.route_lines import RouteLine
from sendplan.routing.result import Result
from sendplan.routing.transport.steps import route_steps

PAD_PX = 16
# The smallest area a frame shows (about 450 m north-south), so a scale bar of 50 m always fits.
MIN_SPAN_DEG_LAT = 0.004
BASEMAP = "leicester_lsoa_outlines.geojson"
Point = tuple[float, float]


@dataclass(frozen=True)
class Frame:
    """An equirectangular projection (north up) of a lon/lat box onto ``width`` x ``height`` px.

    The bottom ``band_px`` rows are the map furniture's band (scale bar, north arrow): no point
    is drawn there."""

    lon0: float
    lat1: float
    kx: float
    scale: float  # px per degree of latitude
    ox: float
    oy: float
    width: int
    height: int
    band_px: int = 0

    def xy(self, lon: float, lat: float) -> Point:
        return self.ox + (lon - self.lon0) * self.kx * self.scale, self.oy + (
            self.lat1 - lat
        ) * self.scale

    def contains(self, lon: float, lat: float, *, inset_px: float = PAD_PX / 2) -> bool:
        x, y = self.xy(lon, lat)
        bottom = self.height - self.band_px
        return inset_px <= x <= self.width - inset_px and inset_px <= y <= bottom - inset_px

    def bounds(self) -> tuple[float, float, float, float]:
        """The lon/lat box the panel shows above its band: (west, east, south, north)."""
        west = self.lon0 - self.ox / (self.kx * self.scale)
        north = self.lat1 + self.oy / self.scale
        east = west + self.width / (self.kx * self.scale)
        return west, east, north - (self.height - self.band_px) / self.scale, north


def _widened(lo: float, hi: float, span: float) -> tuple[float, float]:
    """``lo..hi`` widened about its centre to at least ``span``."""
    if hi - lo >= span:
        return lo, hi
    mid = (lo + hi) / 2
    return mid - span / 2, mid + span / 2


def frame_around(
    points: Iterable[Point], width_px: int, max_height_px: int, *, band_px: int = 0
) -> Frame:
    """The largest scale showing every point inside a ``PAD_PX`` margin, centred, above a
    ``band_px`` band for the map furniture (the height includes the band)."""
    pts = list(points)
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    # A lone point (or a line of them) still gets a frame about a kilometre across; any frame
    # at least MIN_SPAN_DEG_LAT each way.
    lon0, lon1 = (lon0 - 0.008, lon1 + 0.008) if lon1 - lon0 < 1e-6 else (lon0, lon1)
    lat0, lat1 = (lat0 - 0.005, lat1 + 0.005) if lat1 - lat0 < 1e-6 else (lat0, lat1)
    lat0, lat1 = _widened(lat0, lat1, MIN_SPAN_DEG_LAT)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    lon0, lon1 = _widened(lon0, lon1, MIN_SPAN_DEG_LAT / kx)
    inner_w, inner_h = width_px - 2 * PAD_PX, max_height_px - 2 * PAD_PX - band_px
    scale = min(inner_w / ((lon1 - lon0) * kx), inner_h / (lat1 - lat0))
    used_w = (lon1 - lon0) * kx * scale
    height = math.ceil((lat1 - lat0) * scale + 2 * PAD_PX + band_px)
    return Frame(
        lon0, lat1, kx, scale, PAD_PX + (inner_w - used_w) / 2, PAD_PX, width_px, height, band_px
    )


@cache
def basemap_rings() -> tuple[tuple[Point, ...], ...]:
    """Every ring of the shipped LSOA outlines (see data/SOURCES.md, "Basemap")."""
    try:
        text = files("sendplan.data").joinpath(BASEMAP).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    rings: list[tuple[Point, ...]] = []
    for feature in json.loads(text)["features"]:
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for polygon in polygons:
            rings += [tuple((float(x), float(y)) for x, y in ring) for ring in polygon]
    return tuple(rings)


def _nearest(coords: Sequence[Point], target: Point, *, last: bool) -> int:
    """Index of the vertex nearest ``target`` (the first such, or the last with ``last``)."""
    kx = math.cos(math.radians(target[1]))
    best, at = math.inf, 0
    order = range(len(coords) - 1, -1, -1) if last else range(len(coords))
    for i in order:
        d = ((coords[i][0] - target[0]) * kx) ** 2 + (coords[i][1] - target[1]) ** 2
        if d < best:
            best, at = d, i
    return at


def served_parts(
    result: Result, lines: dict[str, RouteLine]
) -> dict[str, tuple[str, tuple[Point, ...]]]:
    """Each route's line from its first stop to its last (AM: first pick-up to school; PM:
    school to last drop-off) by route_id, with its session. The runs out of and back to the
    depot are left out: drawn, they make a star of the depot that hides the routes."""
    out: dict[str, tuple[str, tuple[Point, ...]]] = {}
    for plan in result.transport:
        for route in plan.routes:
            line = lines.get(route.route_id)
            if line is None or not line.coords:
                continue
            steps = route_steps(result.scenario, route)
            first, final = steps[1]["location"], steps[-2]["location"]
            i = _nearest(line.coords, (first[0], first[1]), last=False)
            j = _nearest(line.coords, (final[0], final[1]), last=True)
            coords = line.coords[i : j + 1] if i < j else line.coords
            out[route.route_id] = (route.session, tuple(coords))
    return out


def school_numbers(result: Result) -> dict[str, int]:
    """Each school's number on the map and in the tables: in-area schools first, by name."""
    ordered = sorted(result.scenario.schools, key=lambda s: (not s.in_area, s.name, s.school_id))
    return {s.school_id: n for n, s in enumerate(ordered, start=1)}


def home_classes(result: Result) -> dict[str, str]:
    """Per child: ``in``/``out`` (placed, or kept, in or out of area) or ``unplaced``."""
    in_area = {s.school_id: s.in_area for s in result.scenario.schools}
    if result.placement is not None:
        placed = {a.child_id: a.in_area for a in result.placement.assignments}
    else:
        placed = {
            c.child_id: in_area[c.current_school]
            for c in result.scenario.children
            if c.current_school is not None
        }
    return {
        c.child_id: (
            "unplaced" if c.child_id not in placed else "in" if placed[c.child_id] else "out"
        )
        for c in result.scenario.children
    }
