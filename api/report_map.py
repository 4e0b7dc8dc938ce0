"""The report's map: inline SVG of homes, numbered schools and routes over a basemap.

The basemap is the road network the plan was solved on when there is one
(:mod:`sendplan.api.report_map_roads`), else the shipped LSOA outlines where the homes lie in
Leicester, else none, and the caption says so. Two panels when the plan reaches beyond the
homes: the homes' panel (every home, framed on the homes and the basemap) and an overview
framed on every point (homes, schools, depots and every route vertex), with the first panel's
frame drawn on it. Each school is labelled once, by number, in the panel where it can be read;
the list under the map names them. Homes are dots without ids; their class (placed in area, out
of area, unplaced) shows by shape as well as colour. The scale bar and north arrow sit in a band
under each panel, clear of every point (:mod:`sendplan.api.report_map_furniture`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

from sendplan.api.report_map_data import (
    PAD_PX,
    Frame,
    Point,
    basemap_rings,
    frame_around,
    home_classes,
    school_numbers,
    served_parts,
)
from sendplan.api.report_map_furniture import BAND_PX, furniture
from sendplan.api.report_map_legend import legend, school_list
from sendplan.api.report_map_roads import road_graph, road_segments, roads_path
from sendplan.api.route_lines import RouteLine
from sendplan.geo.network import ProfileGraph
from sendplan.routing.model import School
from sendplan.routing.result import Result

CITY_WIDTH_PX = 760
CITY_MAX_HEIGHT_PX = 680
OVERVIEW_WIDTH_PX = 450
OVERVIEW_MAX_HEIGHT_PX = 560
MARKER_GAP_PX = 16.0
NO_BASEMAP = (
    "No basemap is shipped for this area (the shipped LSOA outlines cover Leicester only): "
    "plan with --network to draw the road network under the map."
)


def render_map(result: Result, lines: dict[str, RouteLine]) -> str:
    """The map section's HTML: controls, panel(s), legend and the numbered school list."""
    scenario = result.scenario
    if not scenario.children and not scenario.schools:
        return "<p>Nothing to map.</p>"
    homes = [(c.lon, c.lat) for c in sorted(scenario.children, key=lambda c: c.child_id)]
    depots = sorted({(v.depot_lon, v.depot_lat) for v in scenario.fleet})
    graph = road_graph(result.travel)
    rings = basemap_rings() if graph is None else ()
    base_lons = [x for r in rings for x, _ in r]
    base_lats = [y for r in rings for _, y in r]
    box = (min(base_lons), max(base_lons), min(base_lats), max(base_lats)) if rings else None
    # The outlines are drawn only where they are: around homes that lie in Leicester's box.
    if box is None or not any(box[0] <= x <= box[1] and box[2] <= y <= box[3] for x, y in homes):
        rings, box = (), None
    corners = [(box[0], box[2]), (box[1], box[3])] if box else []
    city_pts = homes + corners + [(s.lon, s.lat) for s in scenario.schools if s.in_area]
    city = frame_around(
        city_pts or [(s.lon, s.lat) for s in scenario.schools],
        CITY_WIDTH_PX,
        CITY_MAX_HEIGHT_PX,
        band_px=BAND_PX,
    )
    drawn = served_parts(result, lines)
    route_pts = [p for _, coords in drawn.values() for p in coords]
    every = homes + corners + depots + route_pts + [(s.lon, s.lat) for s in scenario.schools]
    needs_overview = not all(city.contains(x, y, inset_px=0) for x, y in every)
    numbers = school_numbers(result)
    classes = home_classes(result)
    kinds = [classes[c.child_id] for c in sorted(scenario.children, key=lambda c: c.child_id)]
    schools = sorted(scenario.schools, key=lambda s: numbers[s.school_id])
    base = Basemap(rings, graph)
    everything = "Every home, school and route" if lines else "Every home and school"
    first = "Where the children live: every home" if needs_overview else everything
    panels = [
        _panel("city", first + _basemap_caption(base), city, base, homes, kinds, schools,
               depots, drawn, labelled=None)
    ]  # fmt: skip
    if needs_overview:
        overview = frame_around(every, OVERVIEW_WIDTH_PX, OVERVIEW_MAX_HEIGHT_PX, band_px=BAND_PX)
        labelled = {s.school_id for s in schools if not city.contains(s.lon, s.lat)}
        panels.append(
            _panel("overview", "Overview: every school, depot and route", overview, base,
                   homes, kinds, schools, depots, drawn, labelled=labelled, inner=city)
        )  # fmt: skip
    along = any(line.along_roads for line in lines.values())
    straight = sum(not line.along_roads for line in lines.values())
    return "\n".join(
        [
            _controls(result) if lines else "",
            f'<div class="maps" id="maps">{"".join(panels)}</div>',
            legend(
                result,
                roads=base.graph is not None,
                lsoa=bool(base.rings),
                along=along,
                routes=bool(lines),
                straight=straight,
            ),
            school_list(schools, numbers),
        ]
    )


class Basemap(NamedTuple):
    """What is drawn under the map: LSOA rings, or the road network's graph, or neither."""

    rings: Sequence[Sequence[Point]]
    graph: ProfileGraph | None


def _basemap_caption(base: Basemap) -> str:
    if base.graph is not None:
        return ". Basemap: the road network the routes were planned on."
    if base.rings:
        return ". Basemap: Leicester's LSOA (2021) outlines."
    return ". " + NO_BASEMAP


def _controls(result: Result) -> str:
    sessions = [p.session for p in result.transport]
    if len(sessions) < 2:
        return ""
    return (
        '<div class="controls noprint" role="radiogroup" aria-label="Routes shown">Routes shown: '
        '<label><input type="radio" name="session" value="both" checked> both sessions</label>'
        '<label><input type="radio" name="session" value="am"> morning (AM) only</label>'
        '<label><input type="radio" name="session" value="pm"> afternoon (PM) only</label></div>'
    )


def _panel(
    name: str,
    caption: str,
    frame: Frame,
    base: Basemap,
    homes: Sequence[Point],
    kinds: Sequence[str],
    schools: Sequence[School],
    depots: Sequence[Point],
    lines: dict[str, tuple[str, tuple[Point, ...]]],
    *,
    labelled: set[str] | None,
    inner: Frame | None = None,
) -> str:
    """One SVG panel. ``labelled`` None: label the schools inside the frame; else those listed
    (the others drawn as dots). ``inner`` is drawn as a dashed box (the first panel's frame).
    Roads and routes are clipped to the map above the furniture's band."""
    w, h = frame.width, frame.height
    clip = f"clip-{name}"
    parts = [
        f'<rect width="{w}" height="{h}" fill="#fff"/>'
        f'<clipPath id="{clip}"><rect width="{w}" height="{h - frame.band_px}"/></clipPath>'
    ]
    if base.rings:
        d = "".join(_ring_path(frame, ring) for ring in base.rings)
        parts.append(f'<path class="lsoa" fill-rule="evenodd" d="{d}"/>')
    if base.graph is not None:
        d = roads_path(road_segments(base.graph, frame))
        parts.append(f'<path class="roads" clip-path="url(#{clip})" d="{d}"/>' if d else "")
    if inner is not None:
        (x0, y0), (x1, y1) = _inner_box(frame, inner)
        parts.append(
            f'<rect class="frame" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
            f'height="{y1 - y0:.1f}"><title>the first panel\'s area</title></rect>'
        )
    small = 0.7 if name == "overview" else 1.0
    parts.append('<g class="homes">')
    parts += [
        _home(frame, lon, lat, kind, small) for (lon, lat), kind in zip(homes, kinds, strict=True)
    ]
    parts.append("</g>")
    parts.append(f'<g class="routes" clip-path="url(#{clip})">')
    for route_id in sorted(lines):
        session, coords = lines[route_id]
        d = _line_path(frame, coords)
        parts.append(
            f'<path class="route {escape(session)}" data-route="{escape(route_id)}" '
            f'data-session="{escape(session)}" d="{d}"><title>{escape(session.upper())} '
            f"route {escape(route_id)}</title></path>"
        )
    parts.append("</g>")
    for lon, lat in depots:
        if frame.contains(lon, lat, inset_px=4):
            x, y = frame.xy(lon, lat)
            parts.append(
                f'<path class="depot" fill="#1a202c" d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} '
                f'{y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z"><title>depot</title></path>'
            )
    shown = [
        (n, s)
        for n, s in enumerate(schools, start=1)
        if (frame.contains(s.lon, s.lat) if labelled is None else s.school_id in labelled)
    ]
    if labelled is not None:
        for s in schools:
            if s.school_id not in labelled:
                x, y = frame.xy(s.lon, s.lat)
                parts.append(f'<circle class="school-dot" cx="{x:.1f}" cy="{y:.1f}" r="2.2"/>')
    spots = _spread(frame, shown)
    parts += [_school_marker(frame, s, n, at) for (n, s), at in zip(shown, spots, strict=True)]
    parts.append(furniture(frame))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map{" dense" if len(lines) > 60 else ""}" '
        f'id="map-{name}" data-panel="{name}" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{escape(caption)}">{"".join(parts)}</svg>'
    )
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _inner_box(frame: Frame, inner: Frame) -> tuple[Point, Point]:
    """The inner frame's corners in ``frame``'s pixels, clamped to the panel."""
    lon_w = inner.lon0 - inner.ox / (inner.kx * inner.scale)
    lon_e = lon_w + inner.width / (inner.kx * inner.scale)
    lat_n = inner.lat1 + inner.oy / inner.scale
    lat_s = lat_n - (inner.height - inner.band_px) / inner.scale
    (x0, y0), (x1, y1) = frame.xy(lon_w, lat_n), frame.xy(lon_e, lat_s)
    bottom = frame.height - frame.band_px - 1.0
    return (max(x0, 1.0), max(y0, 1.0)), (min(x1, frame.width - 1.0), min(y1, bottom))


def _ring_path(frame: Frame, ring: Sequence[Point]) -> str:
    pts = [frame.xy(lon, lat) for lon, lat in ring]
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + "Z"


def _line_path(frame: Frame, coords: Sequence[Point]) -> str:
    """Absolute moves only; vertices closer than a pixel to the last kept are dropped (road paths
    have thousands), the last always kept."""
    kept: list[Point] = []
    pts = [frame.xy(lon, lat) for lon, lat in coords]
    for i, (x, y) in enumerate(pts):
        if kept and i < len(pts) - 1 and math.hypot(x - kept[-1][0], y - kept[-1][1]) < 1.0:
            continue
        kept.append((x, y))
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept)


def _home(frame: Frame, lon: float, lat: float, kind: str, k: float) -> str:
    x, y = frame.xy(lon, lat)
    if kind == "in":
        return f'<circle class="home in" cx="{x:.1f}" cy="{y:.1f}" r="{2.2 * k:.1f}"/>'
    if kind == "out":
        a, b = 3.4 * k, 2.9 * k
        return (
            f'<path class="home out" d="M{x:.1f} {y - a:.1f}L{x + b:.1f} {y + a / 2:.1f}'
            f'L{x - b:.1f} {y + a / 2:.1f}Z"/>'
        )
    a = 2.6 * k
    return (
        f'<path class="home unplaced" d="M{x - a:.1f} {y - a:.1f}L{x + a:.1f} {y + a:.1f}'
        f'M{x + a:.1f} {y - a:.1f}L{x - a:.1f} {y + a:.1f}"/>'
    )


def _spread(frame: Frame, shown: Sequence[tuple[int, School]]) -> list[Point]:
    """Where to draw each numbered marker: on the school, or (greedily, in number order) the
    nearest free spot on rings around it, so that no two markers overlap."""
    taken: list[Point] = []
    lo = PAD_PX / 2 + 8
    bottom = frame.height - frame.band_px - lo
    for _, s in shown:
        x, y = frame.xy(s.lon, s.lat)
        spots = [(x, y)] + [
            (x + r * MARKER_GAP_PX * math.cos(a * math.pi / 4),
             y + r * MARKER_GAP_PX * math.sin(a * math.pi / 4))
            for r in range(1, 8) for a in range(8)
        ]  # fmt: skip
        free = [
            (px, py)
            for px, py in spots
            if lo <= px <= frame.width - lo
            and lo <= py <= bottom
            and all(math.hypot(px - qx, py - qy) >= MARKER_GAP_PX for qx, qy in taken)
        ]
        taken.append(free[0] if free else (x, y))
    return taken


def _school_marker(frame: Frame, school: School, number: int, at: Point) -> str:
    x, y = frame.xy(school.lon, school.lat)
    mx, my = at
    lead = (
        f'<line class="leader" x1="{x:.1f}" y1="{y:.1f}" x2="{mx:.1f}" y2="{my:.1f}"/>'
        f'<circle class="anchor" cx="{x:.1f}" cy="{y:.1f}" r="2"/>'
        if (mx, my) != (x, y)
        else ""
    )
    shape = (
        f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="7.5"/>'
        if school.in_area
        else f'<rect x="{mx - 7:.1f}" y="{my - 7:.1f}" width="14" height="14"/>'
    )
    where = "in area" if school.in_area else "out of area"
    return (
        f'<g class="school {"in" if school.in_area else "out"}" data-school="{number}">'
        f"<title>{number}. {escape(school.name)} ({where})</title>{lead}{shape}"
        f'<text x="{mx:.1f}" y="{my + 3.2:.1f}">{number}</text></g>'
    )
