"""The web UI: its static files (HTML, ES modules, CSS; they hold no data, so they need no
credentials) under /ui, the page at /, and the one data route the UI needs beyond the API's own,
``GET /jobs/{id}/map``: the job's schools and its children's homes for drawing.

Homes are children's special category data: the map gets them only as counts per grid cell of
``CELL_DEG`` degrees (about a kilometre), never a point or an id; the panel's filters by school
and by need get the same cells per school, per need and per (school, need). Transport roles see
exact stops in routes.geojson already; they also get each routed child's ride limit, to flag
rides over it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.loader import load_scenario
from sendplan.api.report_map_data import basemap_rings
from sendplan.api.service.auth import PrincipalDep, allowed
from sendplan.api.service.deps import SessionDep
from sendplan.api.service.problems import Problem
from sendplan.api.service.routers.common import PROBLEM_RESPONSES, JobId
from sendplan.api.service.routers.results import finished_job
from sendplan.api.service.scratch import scratch_folder
from sendplan.api.service.tables import ResultFileRow, ScenarioFileRow, ScenarioRow
from sendplan.errors import InputError

UI_URL = "/ui"
INDEX_URL = "/"
FAVICON_URL = "/favicon.ico"
# A small icon (the brand's blue square with a white route line), drawn here so no binary file
# needs shipping.
FAVICON_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="3" fill="#1f4e79"/>'
    b'<path d="M3 12 L7 6 L10 9 L13 4" fill="none" stroke="#fff" stroke-width="2"/></svg>'
)
CELL_DEG = 0.01
UI_DIR = Path(str(files("sendplan.api.service").joinpath("ui")))

router = APIRouter(tags=["ui"], responses=PROBLEM_RESPONSES)

Place = tuple[float, float]
Home = tuple[str, Place, float, str]  # child id, home, ride limit (min), primary need


def install_ui(app: FastAPI) -> None:
    """Serve the UI's files under /ui and its page at /."""
    app.mount(UI_URL, StaticFiles(directory=UI_DIR), name="ui")

    @app.get(INDEX_URL, include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(UI_DIR / "index.html", media_type="text/html")

    @app.get(FAVICON_URL, include_in_schema=False)
    def favicon() -> Response:
        # Browsers ask for it unbidden: an icon, not a 404 in the console.
        return Response(FAVICON_SVG, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


@lru_cache(maxsize=8)
def _scenario_points(
    scenario_id: str, content_sha256: str, blobs: tuple[tuple[str, bytes], ...]
) -> tuple[tuple[dict[str, Any], ...], tuple[Home, ...]]:
    """Schools and (child id, home, ride limit, primary need) of a stored scenario, loaded as the
    workers do."""
    with scratch_folder("ui") as folder:
        for name, content in blobs:
            if Path(name).name != name or name.startswith("."):
                raise InputError(name, "not a plain file name")
            (folder / name).write_bytes(content)
        books = [name for name, _ in blobs if name.lower().endswith(".xlsx")]
        scenario = load_scenario(folder / books[0] if len(blobs) == 1 and books else folder)
    schools = tuple(
        {
            "school_id": s.school_id,
            "name": s.name,
            "lon": s.lon,
            "lat": s.lat,
            "in_area": s.in_area,
        }
        for s in sorted(scenario.schools, key=lambda s: s.school_id)
    )
    policy = scenario.policy
    homes = tuple(
        (c.child_id, (c.lon, c.lat), policy.ride_limit_min(c), c.primary_need)
        for c in sorted(scenario.children, key=lambda c: c.child_id)
    )
    return schools, homes


def _load(session: Session, scenario_id: str) -> Any:
    scenario = session.get(ScenarioRow, scenario_id)
    rows = session.scalars(
        select(ScenarioFileRow).where(ScenarioFileRow.scenario_id == scenario_id)
    ).all()
    if scenario is None or not rows:
        raise Problem(404, "not-found", "Not found", "no such scenario")
    blobs = tuple(sorted((row.name, row.content) for row in rows))
    try:
        return _scenario_points(scenario_id, scenario.content_sha256, blobs)
    except InputError:  # the upload passed the loader, so this is ours: no input detail
        detail = "the stored scenario is unreadable"
        raise Problem(500, "internal", "Internal error", detail) from None


def _placements(session: Session, job_id: str) -> dict[str, tuple[str, str]]:
    """Per child: its class, in / out (placed in or out of the authority) or unplaced, and its
    school id (empty when unplaced)."""
    row = session.get(ResultFileRow, (job_id, "placements.csv"))
    if row is None:
        return {}
    placed: dict[str, tuple[str, str]] = {}
    for record in csv.DictReader(io.StringIO(row.content.decode("utf-8-sig"))):
        school = record.get("school_id") or ""
        inside = record.get("in_area") == "true"
        kind = ("in" if inside else "out") if record.get("status") == "placed" else "unplaced"
        placed[record.get("child_id", "")] = (kind, school)
    return placed


def _cell(place: Place) -> Place:
    return round(place[0] / CELL_DEG) * CELL_DEG, round(place[1] / CELL_DEG) * CELL_DEG


def _cells(homes: tuple[Home, ...], placed: dict[str, tuple[str, str]]) -> list[Any]:
    counts: dict[Place, Counter[str]] = {}
    for child_id, home, _, _ in homes:
        kind = placed[child_id][0] if child_id in placed else "home"
        counts.setdefault(_cell(home), Counter())[kind] += 1
    return [
        {
            "lon": round(lon, 4),
            "lat": round(lat, 4),
            "n": sum(c.values()),
            **dict(sorted(c.items())),
        }
        for (lon, lat), c in sorted(counts.items())
    ]


def _cells_by(
    homes: tuple[Home, ...], placed: dict[str, tuple[str, str]], *keys: Callable[[Home], str]
) -> dict[str, Any]:
    """Homes grouped by the first key (a home whose key is empty is in no group), within each
    group by the next key and so on, each innermost group as cells built as ``home_cells`` are:
    the same grid and counts, and, as there, a cell only where a child of the group lives."""
    first, *rest = keys
    groups: dict[str, list[Home]] = {}
    for home in homes:
        if name := first(home):
            groups.setdefault(name, []).append(home)
    return {
        name: _cells_by(tuple(group), placed, *rest) if rest else _cells(tuple(group), placed)
        for name, group in sorted(groups.items())
    }


def filter_cells(homes: tuple[Home, ...], placed: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """The cells the panel's filters show, so the page never counts children itself: by school
    (its placed children, as the table's school filter), by primary need (every child with it,
    placed or not, as the table's need filter) and by school then need (both filters). Each child
    is in at most one group of each, so together they hold at most three cells per child."""

    def school(home: Home) -> str:
        kind, school_id = placed.get(home[0], ("", ""))
        return school_id if kind in ("in", "out") else ""

    def need(home: Home) -> str:
        return home[3]

    return {
        "home_cells_by_school": _cells_by(homes, placed, school),
        "home_cells_by_need": _cells_by(homes, placed, need),
        "home_cells_by_school_need": _cells_by(homes, placed, school, need),
    }


def _out_flows(homes: tuple[Home, ...], placed: dict[str, tuple[str, str]]) -> list[Any]:
    """Out-of-area placements as (home cell, school, count): the map's highlighted lines."""
    flows: Counter[tuple[Place, str]] = Counter()
    for child_id, home, _, _ in homes:
        kind, school = placed.get(child_id, ("", ""))
        if kind == "out":
            flows[(_cell(home), school)] += 1
    return [
        {"lon": round(lon, 4), "lat": round(lat, 4), "school_id": school, "n": n}
        for ((lon, lat), school), n in sorted(flows.items())
    ]


def _basemap(homes: list[Place]) -> list[list[list[float]]]:
    """The shipped LSOA outlines when the homes lie among them (else none: another place)."""
    rings = basemap_rings()
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    if not rings or not any(min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) for x, y in homes):
        return []
    return [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in rings]


@router.get("/jobs/{job_id}/map", response_model=dict[str, Any])
def get_map(
    job_id: JobId, request: Request, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """What the UI's maps draw for a finished job: schools, homes as counts per grid cell of
    about a kilometre, the city's LSOA outlines, the basemap tile template when the service
    has one (``SENDPLAN_UI_TILES_URL``; null: the plain basemap only); for roles that read
    placements, each cell by placement class, the out-of-area placements as (cell, school,
    count), the cells the panel's school and need filters show (:func:`filter_cells`) and each
    child's primary need; for transport and admin, each child's ride limit in minutes."""
    job = finished_job(session, principal, job_id)
    schools, homes = _load(session, job.scenario_id)
    placed = {}
    if allowed(principal.role, "results.placements"):
        placed = _placements(session, job.id)
    body: dict[str, Any] = {
        "job_id": job.id,
        "cell_deg": CELL_DEG,
        "schools": list(schools),
        "home_cells": _cells(homes, placed),
        "basemap": _basemap([home[1] for home in homes]),
        "tiles_url": request.app.state.settings.ui_tiles_url or None,
    }
    if placed:  # the panel's filter by need: each child's primary need, by pseudonymous id
        body["primary_need"] = {home[0]: home[3] for home in homes}
        body["out_of_area_flows"] = _out_flows(homes, placed)
        body.update(filter_cells(homes, placed))
    if allowed(principal.role, "results.routes"):
        # Only the children on a route: a limit (45 or 75) tells a child's phase, which the
        # timetable needs for its riders and nobody needs for the others.
        riders = _riders(session, job.id)
        body["ride_limit_min"] = {
            child_id: limit if math.isfinite(limit) else None
            for child_id, _, limit, _ in homes
            if child_id in riders
        }
    return body


def _riders(session: Session, job_id: str) -> set[str]:
    """The children on the job's routes (any session), from its routes.json."""
    row = session.get(ResultFileRow, (job_id, "routes.json"))
    if row is None:
        return set()
    sessions = json.loads(row.content).get("sessions", {})
    return {
        step["child_id"]
        for plan in sessions.values()
        for route in plan.get("routes", ())
        for step in route.get("steps", ())
        if "child_id" in step
    }
