"""results.gpkg: the plan as a GeoPackage for QGIS (EPSG:4326), written through pyogrio.

Layers, each with typed attributes (whole numbers as integers, money and minutes as reals,
yes/no as booleans; empty cells are NULL):

- ``schools`` (points): school_id, name, type, la_code, capacity, placed (children placed there;
  with no placement solved, the children attending it).
- ``homes`` (points): child_id, school_id (placed, or attended with no placement solved; NULL
  when unplaced), in_area (NULL without a placement). No other personal data.
- ``placements`` (lines home -> school): child_id, school_id, travel_min (unrounded),
  distance_km, annual_cost_gbp, in_area, preference_rank (NULL without a ranked preference).
- ``routes`` (lines, along the roads when solved on a road network; see
  :mod:`sendplan.api.route_lines`): route_id, session, vehicle_type, school_ids (``+``-joined),
  stops (child stops and school calls between leaving and returning to the depot), riders,
  cost_gbp, distance_km, along_roads.
- ``stops`` (points): route_id, session, order (1 = the first stop after the depot), kind
  (pickup, dropoff or school), child_id (NULL at a school call), school_id (the school called
  at; NULL at a child's stop), time (``hh:mm``), time_min (minutes after midnight).

Every layer is always written, empty with its columns when it has no rows (a run that placed
only has no routes or stops; one that kept current schools has no placements), so a QGIS
project keeps its layers from one run to the next. Text goes in as plain text: a GeoPackage is
a database, not a spreadsheet, so nothing is neutralised and a school named ``=cmd|...`` reads
back as written. The same Result gives the same bytes: GDAL's change time (``last_change``) is
fixed by its ``OGR_CURRENT_DATE`` option.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sendplan.api.route_lines import RouteLine, route_lines
from sendplan.api.transport_io import hhmm
from sendplan.routing.result import Result
from sendplan.routing.transport.steps import route_steps

CRS = "EPSG:4326"
FIXED_DATE = "2000-01-01T00:00:00.000Z"
# Column -> pandas dtype per layer; "str" columns may hold NULL.
SCHEMAS: dict[str, dict[str, str]] = {
    "schools": {"school_id": "str", "name": "str", "type": "str", "la_code": "str",
                "capacity": "int64", "placed": "int64"},
    "homes": {"child_id": "str", "school_id": "str", "in_area": "boolean"},
    "placements": {"child_id": "str", "school_id": "str", "travel_min": "float64",
                   "distance_km": "float64", "annual_cost_gbp": "float64", "in_area": "bool",
                   "preference_rank": "Int64"},
    "routes": {"route_id": "str", "session": "str", "vehicle_type": "str", "school_ids": "str",
               "stops": "int64", "riders": "int64", "cost_gbp": "float64",
               "distance_km": "float64", "along_roads": "bool"},
    "stops": {"route_id": "str", "session": "str", "order": "int64", "kind": "str",
              "child_id": "str", "school_id": "str", "time": "str", "time_min": "float64"},
}  # fmt: skip
GEOMETRY = {"schools": "Point", "homes": "Point", "placements": "LineString",
            "routes": "LineString", "stops": "Point"}  # fmt: skip
LAYERS = tuple(SCHEMAS)
_GDAL_CONFIG = threading.Lock()  # GDAL options are process-wide: one writer sets them at once

Coords = Sequence[tuple[float, float]]
Rows = list[tuple[dict[str, Any], Coords]]


def _schools(result: Result) -> Rows:
    if result.placement is not None:
        placed = Counter(a.school_id for a in result.placement.assignments)
    else:
        placed = Counter(c.current_school for c in result.scenario.children if c.current_school)
    return [
        (
            {
                "school_id": s.school_id,
                "name": s.name,
                "type": s.type,
                "la_code": s.la_code,
                "capacity": s.capacity,
                "placed": placed.get(s.school_id, 0),
            },
            [(s.lon, s.lat)],
        )
        for s in sorted(result.scenario.schools, key=lambda s: s.school_id)
    ]


def _homes(result: Result) -> Rows:
    plan = result.placement
    placed = {a.child_id: a for a in plan.assignments} if plan is not None else {}
    rows: Rows = []
    for c in sorted(result.scenario.children, key=lambda c: c.child_id):
        a = placed.get(c.child_id)
        attrs: dict[str, Any] = {"child_id": c.child_id, "school_id": c.current_school,
                                 "in_area": None}  # fmt: skip
        if plan is not None:
            attrs["school_id"] = a.school_id if a is not None else None
            attrs["in_area"] = a.in_area if a is not None else None
        rows.append((attrs, [(c.lon, c.lat)]))
    return rows


def _placements(result: Result) -> Rows:
    if result.placement is None:
        return []
    homes = {c.child_id: (c.lon, c.lat) for c in result.scenario.children}
    schools = {s.school_id: (s.lon, s.lat) for s in result.scenario.schools}
    return [
        (
            {
                "child_id": a.child_id,
                "school_id": a.school_id,
                "travel_min": a.travel_s / 60.0,
                "distance_km": a.distance_m / 1000.0,
                "annual_cost_gbp": a.annual_cost_gbp,
                "in_area": a.in_area,
                "preference_rank": a.preference_rank,
            },
            [homes[a.child_id], schools[a.school_id]],
        )
        for a in sorted(result.placement.assignments, key=lambda a: a.child_id)
    ]


def _routes(result: Result, lines: Mapping[str, RouteLine]) -> tuple[Rows, Rows]:
    routes: Rows = []
    stops: Rows = []
    for plan in result.transport:
        for r in plan.routes:
            steps = route_steps(result.scenario, r)
            calls = steps[1:-1]  # between leaving the depot and coming back
            line = lines[r.route_id]
            routes.append((
                {"route_id": r.route_id, "session": r.session, "vehicle_type": r.vehicle_type,
                 "school_ids": "+".join(dict.fromkeys(c.school_id for c in r.school_calls)),
                 "stops": len(calls), "riders": len(r.stops), "cost_gbp": r.cost_gbp,
                 "distance_km": r.distance_m / 1000.0, "along_roads": line.along_roads},
                line.coords,
            ))  # fmt: skip
            for order, step in enumerate(calls, start=1):
                school = step["school_id"] if step["type"] == "school" else None
                stops.append((
                    {"route_id": r.route_id, "session": r.session, "order": order,
                     "kind": step["type"], "child_id": step.get("child_id"), "school_id": school,
                     "time": hhmm(step["time"]), "time_min": float(step["time"])},
                    [tuple(step["location"])],
                ))  # fmt: skip
    return routes, stops


def layer_rows(result: Result, *, lines: Mapping[str, RouteLine] | None = None) -> dict[str, Rows]:
    """Each layer's rows: attributes and the geometry's (lon, lat) points, in a fixed order."""
    routes, stops = _routes(result, route_lines(result) if lines is None else lines)
    return {
        "schools": _schools(result),
        "homes": _homes(result),
        "placements": _placements(result),
        "routes": routes,
        "stops": stops,
    }


def _frame(name: str, rows: Rows) -> Any:
    """A GeoDataFrame of the layer with its schema's dtypes, also when it has no rows."""
    import geopandas as gpd  # heavy (about a second to import); only this file needs it
    import pandas as pd
    from shapely.geometry import LineString, Point

    schema = SCHEMAS[name]
    columns = {
        column: pd.Series(
            [attrs[column] for attrs, _ in rows], dtype=object if dtype == "str" else dtype
        )
        for column, dtype in schema.items()
    }
    if GEOMETRY[name] == "Point":
        geometry = [Point(points[0]) for _, points in rows]
    else:
        geometry = [LineString(points) for _, points in rows]
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry, crs=CRS)


def write_results_gpkg(
    result: Result, path: Path, *, lines: Mapping[str, RouteLine] | None = None
) -> None:
    """Write results.gpkg (layers in the module docstring); ``lines`` are the route lines when
    the caller already has them (:func:`sendplan.api.route_lines.route_lines`)."""
    import pyogrio  # the only module that writes through GDAL

    rows = layer_rows(result, lines=lines)
    path.unlink(missing_ok=True)  # a new file, not layers added to an old one
    with _GDAL_CONFIG:
        before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
        try:
            for name in LAYERS:
                pyogrio.write_dataframe(
                    _frame(name, rows[name]), path, layer=name, driver="GPKG",
                    geometry_type=GEOMETRY[name],
                )  # fmt: skip
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
