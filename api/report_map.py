"""The report's map: inline SVG of homes, numbered schools and routes over the city's LSOAs.

Two panels when the plan reaches beyond the city: the city (every home, framed on the homes and
the basemap) and an overview framed on every point (homes, schools, depots and every route
vertex), with the city's frame drawn on it. Each school is labelled once, by number, in the panel
where it can be read; the list under the map names them. Homes are dots without ids; their class
(placed in area, out of area, unplaced) shows by shape as well as colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

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
from sendplan.api.route_lines import RouteLine
from sendplan.routing.model import School
from sendplan.routing.result import Result

CITY_WIDTH_PX = 760
CITY_MAX_HEIGHT_PX = 680
OVERVIEW_WIDTH_PX = 450
OVERVIEW_MAX_HEIGHT_PX = 560
MARKER_GAP_PX = 16.0
KM_PER_DEG_LAT = 111.32
NICE_KM = (0.5, 1, 2, 5, 10, 20, 50, 100, 200)


def render_map(result: Result, lines: dict[str, RouteLine]) -> str:
    """The map section's HTML: controls, panel(s), legend and the numbered school list."""
    scenario = result.scenario
    if not scenario.children and not scenario.schools:
        return "<p>Nothing to map.</p>"
    homes = [(c.lon, c.lat) for c in sorted(scenario.children, key=lambda c: c.child_id)]
    depots = sorted({(v.depot_lon, v.depot_lat) for v in scenario.fleet})
    rings = basemap_rings()
    base_lons = [x for r in rings for x, _ in r]
    base_lats = [y for r in rings for _, y in r]
    box = (min(base_lons), max(base_lons), min(base_lats), max(base_lats)) if rings else None
    # The basemap is drawn only where it is: around homes that lie in the city's box.
    if box is None or not any(box[0] <= x <= box[1] and box[2] <= y <= box[3] for x, y in homes):
        rings, box = (), None
    corners = [(box[0], box[2]), (box[1], box[3])] if box else []
    city_pts = homes + corners + [(s.lon, s.lat) for s in scenario.schools if s.in_area]
    city = frame_around(
        city_pts or [(s.lon, s.lat) for s in scenario.schools], CITY_WIDTH_PX, CITY_MAX_HEIGHT_PX
    )
    drawn = served_parts(result, lines)
    route_pts = [p for _, coords in drawn.values() for p in coords]
    every = homes + corners + depots + route_pts + [(s.lon, s.lat) for s in scenario.schools]
    needs_overview = not all(city.contains(x, y, inset_px=0) for x, y in every)
    numbers = school_numbers(result)
    classes = home_classes(result)
    kinds = [classes[c.child_id] for c in sorted(scenario.children, key=lambda c: c.child_id)]
    schools = sorted(scenario.schools, key=lambda s: numbers[s.school_id])
    panels = [
        _panel("city", "The city: every home" if needs_overview else "Every home, school and route",
               city, rings, homes, kinds, schools, depots, drawn, labelled=None)
    ]  # fmt: skip
    if needs_overview:
        overview = frame_around(every, OVERVIEW_WIDTH_PX, OVERVIEW_MAX_HEIGHT_PX)
        labelled = {s.school_id for s in schools if not city.contains(s.lon, s.lat)}
        panels.append(
            _panel("overview", "Overview: every school, depot and route", overview, rings,
                   homes, kinds, schools, depots, drawn, labelled=labelled, inner=city)
        )  # fmt: skip
    along = any(line.along_roads for line in lines.values())
    straight = sum(not line.along_roads for line in lines.values())
    return "\n".join(
        [
            _controls(result) if lines else "",
            f'<div class="maps" id="maps">{"".join(panels)}</div>',
            _legend(result, bool(rings), along, bool(lines), straight),
            _school_list(schools, numbers),
        ]
    )


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
    rings: Sequence[Sequence[Point]],
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
    (the others drawn as dots). ``inner`` is drawn as a dashed box (the city panel's frame)."""
    w, h = frame.width, frame.height
    parts = [f'<rect width="{w}" height="{h}" fill="#fff"/>']
    if rings:
        d = "".join(_ring_path(frame, ring) for ring in rings)
        parts.append(f'<path class="lsoa" fill-rule="evenodd" d="{d}"/>')
    if inner is not None:
        (x0, y0), (x1, y1) = _inner_box(frame, inner)
        parts.append(
            f'<rect class="frame" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
            f'height="{y1 - y0:.1f}"><title>the city panel</title></rect>'
        )
    small = 0.7 if name == "overview" else 1.0
    parts.append('<g class="homes">')
    parts += [
        _home(frame, lon, lat, kind, small) for (lon, lat), kind in zip(homes, kinds, strict=True)
    ]
    parts.append("</g>")
    clip = f"clip-{name}"
    parts.append(
        f'<clipPath id="{clip}"><rect width="{w}" height="{h}"/></clipPath>'
        f'<g class="routes" clip-path="url(#{clip})">'
    )
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
    parts.append(_furniture(frame))
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
    lat_s = lat_n - inner.height / inner.scale
    (x0, y0), (x1, y1) = frame.xy(lon_w, lat_n), frame.xy(lon_e, lat_s)
    return (max(x0, 1.0), max(y0, 1.0)), (min(x1, frame.width - 1.0), min(y1, frame.height - 1.0))


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
            and lo <= py <= frame.height - lo
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
    where = "in the city" if school.in_area else "out of the city"
    return (
        f'<g class="school {"in" if school.in_area else "out"}" data-school="{number}">'
        f"<title>{number}. {escape(school.name)} ({where})</title>{lead}{shape}"
        f'<text x="{mx:.1f}" y="{my + 3.2:.1f}">{number}</text></g>'
    )


def _furniture(frame: Frame) -> str:
    """A scale bar (bottom left) and a north arrow (top right)."""
    px_per_km = frame.scale / KM_PER_DEG_LAT
    km = max([k for k in NICE_KM if k * px_per_km <= frame.width / 4] or [NICE_KM[0]])
    bar = km * px_per_km
    x0, y0 = 10.0, frame.height - 14.0
    unit = f"{km:g} km"
    half = bar / 2
    nx, ny = frame.width - 20.0, 12.0
    return (
        '<g class="furniture">'
        f'<rect x="{x0 - 4:.1f}" y="{y0 - 16:.1f}" width="{bar + 44:.1f}" height="26" '
        'fill="#fff" opacity=".85"/>'
        f'<rect class="bar" x="{x0:.1f}" y="{y0:.1f}" width="{half:.1f}" height="5"/>'
        f'<rect class="bar alt" x="{x0 + half:.1f}" y="{y0:.1f}" width="{half:.1f}" height="5"/>'
        f'<text x="{x0:.1f}" y="{y0 - 4:.1f}">0</text>'
        f'<text x="{x0 + bar:.1f}" y="{y0 - 4:.1f}" text-anchor="middle">{unit}</text>'
        f'<path d="M{nx:.1f} {ny:.1f}L{nx + 7:.1f} {ny + 20:.1f}L{nx:.1f} {ny + 15:.1f}'
        f'L{nx - 7:.1f} {ny + 20:.1f}Z" fill="#1a202c"/>'
        f'<text x="{nx:.1f}" y="{ny + 33:.1f}" text-anchor="middle">N</text></g>'
    )


def _routes_drawn_straight(n: int) -> str:
    if n == 1:
        return "1 route whose stops lie on one street is drawn straight"
    return f"{n} routes whose stops lie on one street are drawn straight"


def _swatch(inner: str) -> str:
    return f'<svg width="18" height="14" viewBox="0 0 18 14" aria-hidden="true">{inner}</svg>'


def _legend(result: Result, basemap: bool, along: bool, routes: bool, straight: int) -> str:
    placed = "placed" if result.placement is not None else "at current school"
    items = [
        (_swatch('<circle cx="9" cy="7" r="3" fill="#2b6cb0"/>'), f"home, {placed} in the city"),
        (_swatch('<path d="M9 2L13 9H5Z" fill="#c05621"/>'), f"home, {placed} out of the city"),
        (_swatch('<path d="M5 3L13 11M13 3L5 11" stroke="#c53030" stroke-width="1.6"/>'),
         "home, no place"),
        (_swatch('<circle cx="9" cy="7" r="6" fill="#1a365d"/>'), "school in the city (number)"),
        (_swatch('<rect x="3" y="1" width="12" height="12" fill="#7b341e"/>'),
         "school out of the city (number)"),
        (_swatch('<path d="M9 2L14 7L9 12L4 7Z" fill="#1a202c"/>'), "vehicle depot"),
    ]  # fmt: skip
    if routes:
        am = '<path d="M1 7H17" stroke="#2c7a7b" stroke-width="2"/>'
        pm = '<path d="M1 7H17" stroke="#6b46c1" stroke-width="2" stroke-dasharray="5 3"/>'
        items += [(_swatch(am), "morning route (solid)"), (_swatch(pm), "afternoon route (dashed)")]
    if basemap:
        items.append(
            (_swatch('<rect x="1" y="1" width="16" height="12" fill="#edf2f7" stroke="#a0aec0"/>'),
             "Leicester LSOA (2021) outlines")
        )  # fmt: skip
    how = (
        "Routes are drawn along the roads the travel times were measured on"
        + (f" ({_routes_drawn_straight(straight)})." if straight else ".")
        if along
        else "Routes are drawn as straight lines between stops (no road network given)."
    )
    text = f'<p class="note">{how} Hover a row of the route tables to highlight its route.</p>'
    spans = "".join(f"<span>{sw}{escape(label)}</span>" for sw, label in items)
    return f'<div class="legend">{spans}</div>' + (text if routes else "")


def _school_list(schools: Sequence[School], numbers: dict[str, int]) -> str:
    items = "".join(
        f'<li value="{numbers[s.school_id]}">{escape(s.name)} '
        f"<small>({escape(s.la_code)}, {escape(s.type.replace('_', ' '))}, "
        f"{'in the city' if s.in_area else 'out of the city'})</small></li>"
        for s in schools
    )
    return f'<h3>Schools by map number</h3><ol class="schools">{items}</ol>'
