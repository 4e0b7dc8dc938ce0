"""The report map's legend and its numbered list of schools."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sendplan.routing.model import School
from sendplan.routing.result import Result


def _routes_drawn_straight(n: int) -> str:
    if n == 1:
        return "1 route whose stops lie on one street is drawn straight"
    return f"{n} routes whose stops lie on one street are drawn straight"


def _swatch(inner: str) -> str:
    return f'<svg width="18" height="14" viewBox="0 0 18 14" aria-hidden="true">{inner}</svg>'


def legend(
    result: Result, *, roads: bool, lsoa: bool, along: bool, routes: bool, straight: int
) -> str:
    """The symbols' key (shape and colour, so it reads in grey print) and how routes are drawn;
    ``straight`` routes are drawn straight among road lines."""
    placed = "placed" if result.placement is not None else "at current school"
    items = [
        (_swatch('<circle cx="9" cy="7" r="3" fill="#2b6cb0"/>'), f"home, {placed} in area"),
        (_swatch('<path d="M9 2L13 9H5Z" fill="#c05621"/>'), f"home, {placed} out of area"),
        (_swatch('<path d="M5 3L13 11M13 3L5 11" stroke="#c53030" stroke-width="1.6"/>'),
         "home, no place"),
        (_swatch('<circle cx="9" cy="7" r="6" fill="#1a365d"/>'), "school in area (number)"),
        (_swatch('<rect x="3" y="1" width="12" height="12" fill="#7b341e"/>'),
         "school out of area (number)"),
        (_swatch('<path d="M9 2L14 7L9 12L4 7Z" fill="#1a202c"/>'), "vehicle depot"),
    ]  # fmt: skip
    if routes:
        am = '<path d="M1 7H17" stroke="#2c7a7b" stroke-width="2"/>'
        pm = '<path d="M1 7H17" stroke="#6b46c1" stroke-width="2" stroke-dasharray="5 3"/>'
        items += [(_swatch(am), "morning route (solid)"), (_swatch(pm), "afternoon route (dashed)")]
    if roads:
        items.append(
            (_swatch('<path d="M1 10L7 4H17M7 4L11 13" stroke="#a0aec0" fill="none"/>'),
             "road network (basemap)")
        )  # fmt: skip
    elif lsoa:
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


def school_list(schools: Sequence[School], numbers: dict[str, int]) -> str:
    """The schools by map number, each with its LA, type and area."""
    items = "".join(
        f'<li value="{numbers[s.school_id]}">{escape(s.name)} '
        f"<small>({escape(s.la_code)}, {escape(s.type.replace('_', ' '))}, "
        f"{'in area' if s.in_area else 'out of area'})</small></li>"
        for s in schools
    )
    return f'<h3>Schools by map number</h3><ol class="schools">{items}</ol>'
