"""Transport outputs: routes.json, routes.geojson and route_sheets.xlsx.

Every output is byte-deterministic for the same plan. Children appear by pseudonymous id only:
no names or addresses (stop points are in routes.json and routes.geojson for the operator's
map; route sheets carry no locations at all).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sendplan.api.json_files import write_json
from sendplan.api.neutralise import safe_append
from sendplan.api.route_lines import RouteLine
from sendplan.api.xlsx_bytes import fixed_zip
from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import Route, TransportPlan
from sendplan.routing.transport.steps import route_steps

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

UNITS = {
    "time": "minutes after midnight",
    "ride": "minutes",
    "distance": "metres",
    "cost": "GBP",
    "location": "[lon, lat] WGS84",
}


def hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def _r(value: float, digits: int = 2) -> float:
    return round(float(value), digits)


def _school_ids(route: Route) -> str:
    """The route's school, or its schools joined by '+' for a mixed-school run."""
    return "+".join(dict.fromkeys(c.school_id for c in route.school_calls))


def routes_document(
    scenario: Scenario, plans: Sequence[TransportPlan], *, kpis: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The routes.json document (VROOM-like: a summary, routes with steps, unassigned)."""
    doc: dict[str, Any] = {"units": UNITS, "sessions": {}}
    if plans:
        doc["travel_model"] = plans[0].travel_model
        doc["seed"] = plans[0].seed
        doc["engine"] = plans[0].engine
    if kpis is not None:
        doc["summary"] = kpis
    for plan in plans:
        doc["sessions"][plan.session] = {
            "summary": {
                "routes": len(plan.routes),
                "transported": plan.transported,
                "unrouted": len(plan.unrouted),
                "cost": _r(plan.cost_gbp),
                "distance": _r(sum(r.distance_m for r in plan.routes), 0),
                "vehicles_by_type": plan.vehicles_by_type(),
                "mixed_school_routes": bool(plan.figures.get("mixed_school_routes", False)),
                "mixed_routes": sum(r.mixed for r in plan.routes),
                # Shadow prices of vehicle types that ran short (GBP a run; not in the cost).
                "fleet_prices_gbp": {
                    name: _r(price)
                    for name, price in sorted(plan.figures.get("fleet_prices_gbp", {}).items())
                },
            },
            "routes": [
                {
                    "route_id": r.route_id,
                    "vehicle_type": r.vehicle_type,
                    "layout": r.layout,
                    "school_id": r.school_id,
                    "school_ids": list(dict.fromkeys(c.school_id for c in r.school_calls)),
                    "assistant": r.assistant,
                    "solo": r.solo,
                    "flags": list(r.flags),
                    "distance": _r(r.distance_m, 0),
                    "cost": _r(r.cost_gbp),
                    "max_ride": _r(r.longest_ride_min),
                    "steps": route_steps(scenario, r),
                }
                for r in plan.routes
            ],
            "unrouted": [
                {"child_id": u.child_id, "reason": u.reason.value, "detail": u.detail}
                for u in plan.unrouted
            ],
        }
    return doc


def write_routes_json(
    scenario: Scenario,
    plans: Sequence[TransportPlan],
    path: Path,
    *,
    kpis: dict[str, Any] | None = None,
) -> None:
    doc = routes_document(scenario, plans, kpis=kpis)
    write_json(doc, path)


def routes_geojson(
    scenario: Scenario,
    plans: Sequence[TransportPlan],
    *,
    lines: Mapping[str, RouteLine] | None = None,
) -> dict[str, Any]:
    """RFC 7946: a LineString per route and a Point per stop; ids only. A route's line is its
    entry in ``lines`` (along the roads when solved on a road network, see
    :mod:`sendplan.api.route_lines`), else straight through its stops; ``along_roads`` says
    which."""
    features: list[dict[str, Any]] = []
    for plan in plans:
        for r in plan.routes:
            steps = route_steps(scenario, r)
            line = (lines or {}).get(r.route_id)
            props = {
                "kind": "route",
                "route_id": r.route_id,
                "session": r.session,
                "vehicle_type": r.vehicle_type,
                "layout": r.layout,
                "school_id": _school_ids(r),
                "children": len(r.stops),
                "assistant": r.assistant,
                "solo": r.solo,
                "cost_gbp": _r(r.cost_gbp),
                "distance_m": _r(r.distance_m, 0),
                "along_roads": line is not None and line.along_roads,
            }
            coords = [list(c) for c in line.coords] if line else [s["location"] for s in steps]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": props,
                }
            )
            for order, s in enumerate(steps):
                point_props: dict[str, Any] = {
                    "kind": s["type"],
                    "route_id": r.route_id,
                    "session": r.session,
                    "stop_order": order,
                    "time": hhmm(s["time"]),
                }
                if "child_id" in s:
                    point_props["child_id"] = s["child_id"]
                    point_props["ride_min"] = s["ride"]
                if "school_id" in s:
                    point_props["school_id"] = s["school_id"]
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": s["location"]},
                        "properties": point_props,
                    }
                )
    return {"type": "FeatureCollection", "features": features}


def write_routes_geojson(
    scenario: Scenario,
    plans: Sequence[TransportPlan],
    path: Path,
    *,
    lines: Mapping[str, RouteLine] | None = None,
) -> None:
    doc = routes_geojson(scenario, plans, lines=lines)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


SHEET_COLUMNS = {
    "am": ("stop_order", "child_id", "school_id", "school_name", "pickup_time", "arrival",
           "ride_min", "vehicle", "assistant", "wheelchair", "needs_assistant", "travel_alone"),
    "pm": ("stop_order", "child_id", "school_id", "school_name", "departure", "dropoff_time",
           "ride_min", "vehicle", "assistant", "wheelchair", "needs_assistant", "travel_alone"),
}  # fmt: skip
INDEX_COLUMNS = (
    "route_id", "session", "school_id", "school_name", "vehicle", "layout", "assistant", "children",
    "leaves_depot", "school_time", "distance_km", "cost_gbp", "flags",
)  # fmt: skip
# Beside the index's header (after a blank column, outside the print area so that fitting to
# the page's width does not shrink the table) and in each printed page's header.
INDEX_NOTE = (
    "child_id is pseudonymous: the council joins its own address list by child_id "
    "(no names or addresses here)"
)
_TIME_FORMAT = "hh:mm"


def write_route_sheets(scenario: Scenario, plans: Sequence[TransportPlan], path: Path) -> None:
    """route_sheets.xlsx: an index sheet, then one sheet per route for the driver and operator.

    AM: ``pickup_time`` is when the child boards, ``arrival`` the arrival at their school. PM:
    ``departure`` is when the vehicle leaves their school, ``dropoff_time`` when it reaches the
    child. Times are Excel time cells (``hh:mm``); each child's school is named beside its id,
    with the needs the crew must know (``wheelchair``, ``needs_assistant``, ``travel_alone``:
    ``yes`` or blank). No names or addresses: the council joins its own list by ``child_id``.
    Each sheet prints landscape, one page wide, its header repeated on every page.
    """
    from openpyxl import Workbook  # about 0.1 s to import; only route sheets need it

    book = Workbook()
    index = book.active
    assert index is not None
    index.title = INDEX_SHEET
    safe_append(index, list(INDEX_COLUMNS))
    children = {c.child_id: c for c in scenario.children}
    names = sheet_names([r.route_id for plan in plans for r in plan.routes])
    for plan in plans:
        for r in plan.routes:
            one_call = len(r.school_calls) == 1
            safe_append(
                index,
                [r.route_id, r.session, _school_ids(r), _school_names(scenario, r),
                 r.vehicle_type, r.layout, _yes(r.assistant), len(r.stops), _time(r.start_min),
                 _time(r.school_calls[0].time_min) if one_call else _call_times(r),
                 _r(r.distance_m / 1000, 1), _r(r.cost_gbp), ";".join(r.flags)]
            )  # fmt: skip
            sheet = book.create_sheet(next(names))
            safe_append(
                sheet,
                [f"route {r.route_id}", f"school {_school_ids(r)}", r.session.upper(),
                 _school_names(scenario, r), *([f"layout {r.layout}"] if r.layout else [])],
            )  # fmt: skip
            columns = SHEET_COLUMNS["pm" if r.session == "pm" else "am"]
            safe_append(sheet, list(columns))
            call_of = {i: c for c in r.school_calls for i in c.child_ids}
            for order, s in enumerate(r.stops, start=1):
                call = call_of[s.child_id]
                first, second = (
                    (s.time_min, call.time_min)
                    if r.session != "pm"
                    else (call.time_min, s.time_min)
                )  # AM: pick-up, arrival; PM: departure, drop-off (the columns' order)
                child = children.get(s.child_id)
                safe_append(
                    sheet,
                    [order, s.child_id, call.school_id, scenario.school(call.school_id).name,
                     _time(first), _time(second), _r(s.ride_min, 1), r.vehicle_type,
                     _yes(r.assistant), _flag(child is not None and child.wheelchair),
                     _flag(child is not None and child.needs_assistant),
                     _flag(child is not None and child.travel_alone)]
                )  # fmt: skip
            _lay_out(sheet, header_row=2)
    _lay_out(index, header_row=1)
    _note_index(index)
    fixed = datetime(2000, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(fixed_zip(buffer.getvalue()))


def _note_index(index: Worksheet) -> None:
    """The index's note: a cell right of the table (read on screen; its column keeps the default
    width) and the printed pages' header; the print area is the table alone."""
    from openpyxl.utils import get_column_letter

    index.cell(row=1, column=len(INDEX_COLUMNS) + 2, value=INDEX_NOTE)
    index.print_area = f"A1:{get_column_letter(len(INDEX_COLUMNS))}{index.max_row}"
    header = index.oddHeader
    assert header is not None  # openpyxl makes one for every sheet
    header.left.text = INDEX_NOTE


def _time(minutes: float) -> dt_time:
    """Minutes after midnight as an Excel time cell's value, to the minute (as hhmm)."""
    m = round(minutes) % (24 * 60)
    return dt_time(m // 60, m % 60)


def _school_names(scenario: Scenario, route: Route) -> str:
    """The route's school name, or its schools' names joined by ' + ' for a mixed run."""
    ids = dict.fromkeys(c.school_id for c in route.school_calls)
    return " + ".join(scenario.school(i).name for i in ids)


def _flag(flag: bool) -> str:
    return "yes" if flag else ""


def _lay_out(sheet: Worksheet, *, header_row: int) -> None:
    """Time cells as hh:mm, column widths to fit, the header frozen and repeated on each printed
    page, landscape and one page wide."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, dt_time):
                cell.number_format = _TIME_FORMAT
                width = 5
            elif value is None:
                continue
            else:
                width = len(str(value))
            column = int(cell.column or 1)
            if (cell.row or 0) >= header_row:  # the title row above may run across
                widths[column] = max(widths.get(column, 0), width)
    for column, width in sorted(widths.items()):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    print_with_header(sheet, header_row=header_row)


def print_with_header(sheet: Worksheet, *, header_row: int) -> None:
    """The header frozen and repeated on each printed page; landscape and one page wide."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"1:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _call_times(route: Route) -> str:
    """The school time, or each call's time joined by '+' for a mixed-school run."""
    return "+".join(hhmm(c.time_min) for c in route.school_calls)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


INDEX_SHEET = "routes"
SHEET_NAME_MAX = 31  # Excel's limit; names are unique ignoring case


def sheet_names(route_ids: Sequence[str]) -> Iterator[str]:
    """A valid, unique sheet name per route, in order: characters Excel forbids become ``_``,
    at most 31 characters, and a name already taken (ignoring case, as Excel does; the index
    sheet included) is cut shorter and numbered ``~2``, ``~3``, ... Deterministic."""
    taken = {INDEX_SHEET.casefold(), "history"}  # 'History' is reserved by Excel
    for route_id in route_ids:
        base = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "_", route_id).strip("'") or "route"
        name, n = base[:SHEET_NAME_MAX], 1
        while name.casefold() in taken:
            n += 1
            suffix = f"~{n}"
            name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(name.casefold())
        yield name
