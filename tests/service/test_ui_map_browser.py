"""The transport map in headless Chromium (issue 16): the Leicester default's routes and
stops counted against the API's own data with its open time and the time to apply a filter
printed (figures, not assertions), routes along the roads when the plan was solved on a road
network (a synthetic street grid; the Leeds OSM extract from ../shared too when present),
basemap tiles only when SENDPLAN_UI_TILES_URL names a server (a local one here, never the
network) with the OpenStreetMap attribution and a silent fallback to the plain basemap, route
choice and pan/zoom by keyboard, and text contrast of at least 4.5:1."""

from __future__ import annotations

import math
import re
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from api_support import make_api
from ui_browser_support import (
    Browser,
    Site,
    api_get,
    contrast_ratios,
    expect,
    mark_ms,
    offline_page,
    ready,
    serving,
    shot,
    sign_in,
    solve,
    store_files,
    tab_through,
    upload,
)

import sendplan
from sendplan.api.defaults import leicester_scenario
from sendplan.api.loader import load_scenario
from sendplan.api.outputs import write_files
from sendplan.api.service.db import migrate
from sendplan.api.writer import write_scenario
from sendplan.geo.network import ProfileGraph, RoadNetwork, load_network
from sendplan.geo.network_model import NetworkTravelModel

SHARED = Path(__file__).resolve().parents[3] / "shared"
LEEDS_PBF = SHARED / "data/roads/leeds_its-example_osmextract.osm.pbf"
# A small Leeds scenario (home LA 383): homes and a school among the extract's roads.
LEEDS = {
    "children.csv": [
        "child_id,lon,lat,age,sex,primary_need,wheelchair,needs_assistant,home_la,current_school",
        "L001,-1.5497,53.8068,9,M,ASD,false,false,383,LDS-1",
        "L002,-1.5507,53.8100,12,F,SLD,true,false,383,LDS-1",
        "L003,-1.5520,53.8073,7,M,MLD,false,true,383,LDS-1",
        "L004,-1.5540,53.8096,14,F,PMLD,false,false,383,LDS-1",
        "L005,-1.5510,53.8080,10,M,ASD,false,false,383,LDS-1",
    ],
    "schools.csv": [
        "school_id,name,lon,lat,la_code,type,age_low,age_high,sex,designations,capacity,"
        "residential_places,annual_cost_gbp,bell_am,finish_pm,in_area",
        "LDS-1,Leeds Test Special School,-1.5530,53.8092,383,la_maintained,4,19,mixed,"
        "ASD;SLD;MLD;PMLD,20,0,25000,08:50,15:10,true",
    ],
    "fleet.csv": [
        "name,seats,wheelchair_spaces,has_assistant,fixed_cost_gbp,cost_per_km_gbp,available,"
        "depot_lon,depot_lat",
        "taxi,4,0,false,18,1.8,5,-1.5495,53.8098",
        "wav_pa,3,1,true,60,2.2,5,-1.5495,53.8098",
    ],
}
KEY_TEXT = [
    "body", ".brand", ".brand .tag", "#who-text", "#sign-out", ".tab[aria-current=page]",
    "#view-transport h2", ".muted", ".status", "button.map-button", "#download-sheets",
    "button.primary", "caption", "thead th", "tbody td", "tbody tr.over td", ".legend li",
    ".map-note", ".map-help", ".timetable h3",
]  # fmt: skip


def street_grid(n: int = 9, lon0: float = -1.5560, lat0: float = 53.8050) -> RoadNetwork:
    """An ``n`` x ``n`` grid of two-way streets 0.0008 degrees apart around the Leeds homes."""
    step = 0.0008
    ids = np.arange(n * n).reshape(n, n)
    lon = (lon0 + step * np.tile(np.arange(n), n)).astype(np.float64)
    lat = (lat0 + step * np.repeat(np.arange(n), n)).astype(np.float64)
    pairs = [(ids[i, j], ids[i, j + 1]) for i in range(n) for j in range(n - 1)]
    pairs += [(ids[i, j], ids[i + 1, j]) for i in range(n - 1) for j in range(n)]
    a = np.array([p[0] for p in pairs] + [p[1] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs] + [p[0] for p in pairs], dtype=np.int64)
    length = np.full(len(a), 60.0)
    graph = ProfileGraph.from_edges("drive", lon, lat, a, b, length_m=length,
                                    travel_time_s=length / 8)  # fmt: skip
    return RoadNetwork(profiles={"drive": graph, "walk": replace(graph, profile="walk")}, meta={})


def _write_leeds(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in LEEDS.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _solved_on(api: Any, scenario: str, source: Path, work: Path, travel: object) -> str:
    """A routes job whose files come from a solve on ``travel`` (the service's workers solve
    without a network; a deployment that gives one stores the same files)."""
    job = api.job(scenario, kind="both", iterations=20)
    result = sendplan.solve(load_scenario(source), travel=travel,  # type: ignore[arg-type]
                            stop=sendplan.MaxIterations(20), seed=1)  # fmt: skip
    out = work / job
    out.mkdir()
    write_files(result, out)
    store_files(api, job, out)
    return job


MAP_ITERATIONS = 30


@pytest.fixture(scope="module")
def leicester() -> Iterator[Site]:
    """The Leicester default solved by the service (both sessions, seed 1). The map is what is
    measured, so the route search stops at ``MAP_ITERATIONS`` per school: the plan has the
    demo's children, schools and about as many routes, in a fraction of its time."""
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-map-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        write_scenario(leicester_scenario(seed=1), folder / "scenario")
        scenario = upload(api, folder / "scenario")
        jobs = {"both": solve(api, scenario, folder / "scenario", folder, "both",
                              iterations=MAP_ITERATIONS)}  # fmt: skip
        try:
            with serving(api) as base:
                yield Site(base=base, api=api, jobs=jobs, scenario=scenario)
        finally:
            api.client.close()


@pytest.fixture(scope="module")
def leeds() -> Iterator[Site]:
    """The small Leeds scenario solved on a synthetic street grid, on the Leeds OSM extract when
    ../shared is present, and without a network."""
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-roads-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url)
        source = _write_leeds(folder / "leeds")
        scenario = upload(api, source)
        grid = NetworkTravelModel(street_grid())
        jobs = {"grid": _solved_on(api, scenario, source, folder, grid)}
        if LEEDS_PBF.is_file():
            model = NetworkTravelModel(load_network(LEEDS_PBF))
            jobs["osm"] = _solved_on(api, scenario, source, folder, model)
        jobs["straight"] = solve(api, scenario, source, folder, "both", iterations=10)
        try:
            with serving(api) as base:
                yield Site(base=base, api=api, jobs=jobs, scenario=scenario)
        finally:
            api.client.close()


def _route_features(site: Site, job: str) -> list[dict[str, Any]]:
    geojson = api_get(site, f"/jobs/{job}/routes.geojson", "transport")
    return [f for f in geojson["features"] if f["properties"]["kind"] == "route"]


def _vertices(d: str) -> int:
    return len(re.findall(r"[ML]", d))


def _routes_in_view(b: Browser) -> bool:
    """Whether most children's stops lie in the map's first view (where the city is)."""
    return bool(
        b.page.evaluate(
            """() => { const svg = document.querySelector("svg.map"), view = svg.viewBox.baseVal;
                 const stops = [...svg.querySelectorAll("circle.stop")];
                 const inside = stops.filter((c) => {
                   const [x, y] = [c.cx.baseVal.value, c.cy.baseVal.value];
                   return x > view.x && x < view.x + view.width
                     && y > view.y && y < view.y + view.height; });
                 return stops.length > 0 && inside.length * 2 > stops.length; }"""
        )
    )


def _slippy_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The OpenStreetMap tile (x, y) holding lon/lat at ``zoom`` (the tile servers' formula)."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
    return int((lon + 180) / 360 * n), int(y * n)


def test_leicester_default_routes_and_stops_with_open_and_filter_figures(
    chromium: Any, leicester: Site
) -> None:
    site = leicester
    job = site.jobs["both"]
    routes = _route_features(site, job)
    geojson = api_get(site, f"/jobs/{job}/routes.geojson", "transport")
    riders = [f["properties"] for f in geojson["features"] if f["properties"].get("child_id")]
    summary = api_get(site, f"/jobs/{job}/summary", "transport")
    assert summary["routes"] == len(routes) and len(routes) > 100
    with offline_page(chromium, site.base) as b:
        sign_in(b, site, "transport")
        page = b.page
        page.goto(site.base + "/#transport")  # open time: navigation to the routes painted
        page.wait_for_selector("body[data-ready=true] svg.map path.route")
        opened_ms = mark_ms(b, "sendplan:routes-drawn")
        fetched_ms = mark_ms(b, "sendplan:routes-fetched")
        assert _routes_in_view(b)
        lines = page.locator("svg.map path.route")
        assert lines.count() == len(routes)
        assert page.locator("svg.map circle.stop").count() == len(riders)
        served = {r["properties"]["school_id"] for r in routes}
        assert page.locator("svg.map rect.school").count() == len(served)
        # No network: straight between each route's stops, and the map says so.
        stops: dict[str, int] = {}
        for f in geojson["features"]:
            p = f["properties"]
            if p["kind"] not in ("route", "start", "end"):
                stops[p["route_id"]] = stops.get(p["route_id"], 0) + 1
        paths = lines.evaluate_all(
            "(nodes) => nodes.map((n) => [n.dataset.route, n.getAttribute('d')])"
        )
        drawn = {route: _vertices(d) for route, d in paths}
        assert drawn == stops
        assert page.locator("svg.map path.route[data-along=true]").count() == 0
        expect(page.locator(".map-note")).to_contain_text("straight lines between stops")
        assert page.locator("svg.map path.basemap").count() == 1  # LSOA outlines, offline
        assert page.locator("svg.map image.tile").count() == 0
        assert page.locator(".attribution").is_hidden()
        # Interaction: a school filter and a zoom, each to its second frame painted.
        school = sorted(served)[0]
        filter_ms = page.evaluate(
            """async (school) => { const pick = document.querySelector("#transport-school");
                 const t0 = performance.now(); pick.value = school;
                 pick.dispatchEvent(new Event("change"));
                 await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                 return performance.now() - t0; }""",
            school,
        )
        shown = sum(1 for r in routes if r["properties"]["school_id"] == school)
        assert page.locator("svg.map path.route:not(.hidden)").count() == shown
        zoom_ms = page.evaluate(
            """async () => { const t0 = performance.now();
                 document.querySelector("button[aria-label='Zoom in']").click();
                 await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                 return performance.now() - t0; }"""
        )
        print(f"\nLeicester default ({len(routes)} routes, {len(riders)} stops with a child, "
              f"{len(served)} schools): map drawn {opened_ms:.0f} ms after navigation "
              f"(data fetched at {fetched_ms:.0f} ms); "
              f"school filter applied in {filter_ms:.0f} ms, zoom in {zoom_ms:.0f} ms "
              "(second frame painted)")  # fmt: skip
        page.select_option("#transport-school", "")
        ready(b)
        _keyboard_chooses_routes(b, routes)
        missed, unmarked = tab_through(b)  # every control, rows included, with visible focus
        assert missed == set() and unmarked == [], (missed, unmarked)
        ratios = contrast_ratios(page, KEY_TEXT)
        low = {sel: ratio for sel, ratio in ratios.items() if ratio is None or ratio < 4.5}
        assert low == {}, low
        shot(b, "map-leicester")


def _keyboard_chooses_routes(b: Browser, routes: list[dict[str, Any]]) -> None:
    page = b.page
    ids = sorted(r["properties"]["route_id"] for r in routes)
    page.locator("svg.map").focus()
    assert page.evaluate("document.activeElement.classList.contains('map')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # visible focus on the map itself
    page.keyboard.press("n")
    chosen = page.locator("svg.map path.route.chosen")
    expect(chosen).to_have_attribute("data-route", ids[0])
    page.keyboard.press("n")
    expect(chosen).to_have_attribute("data-route", ids[1])
    page.keyboard.press("p")
    page.keyboard.press("p")
    expect(chosen).to_have_attribute("data-route", ids[-1])
    expect(page.locator(".timetable h3")).to_contain_text(ids[-1])
    before = page.locator("svg.map").get_attribute("viewBox")
    page.keyboard.press("+")
    zoomed = page.locator("svg.map").get_attribute("viewBox")
    assert zoomed != before and float(zoomed.split()[2]) < float(before.split()[2])
    page.keyboard.press("ArrowLeft")
    panned = page.locator("svg.map").get_attribute("viewBox")
    assert float(panned.split()[0]) < float(zoomed.split()[0])
    assert panned.split()[2:] == zoomed.split()[2:]


@pytest.mark.parametrize("network", ["grid", "osm"])
def test_routes_follow_the_roads_when_solved_on_a_road_network(
    chromium: Any, leeds: Site, network: str
) -> None:
    site = leeds
    if network not in site.jobs:
        pytest.skip(f"../shared is absent: no {LEEDS_PBF.name}")
    job = site.jobs[network]
    routes = _route_features(site, job)
    assert routes and all(r["properties"]["along_roads"] for r in routes)
    with offline_page(chromium, site.base) as b:
        sign_in(b, site, "transport")
        page = b.page
        page.select_option("#transport-job", job)
        expect(page.locator(".map-note")).to_contain_text("along the roads")
        assert _routes_in_view(b)
        lines = page.locator("svg.map path.route")
        assert lines.count() == len(routes)
        assert page.locator("svg.map path.route[data-along=true]").count() == len(routes)
        drawn = dict(lines.evaluate_all(
            "(nodes) => nodes.map((n) => [n.dataset.route, n.getAttribute('d')])"))  # fmt: skip
        for r in routes:
            # Every vertex of the road path, which has more than the route's stops.
            coords = r["geometry"]["coordinates"]
            assert _vertices(drawn[r["properties"]["route_id"]]) == len(coords)
        assert page.locator("svg.map path.roads").count() == 1  # the roads the routes use
        shot(b, f"map-roads-{network}")
        page.select_option("#transport-job", site.jobs["straight"])
        expect(page.locator(".map-note")).to_contain_text("straight lines between stops")
        assert page.locator("svg.map path.roads").count() == 0
        expect(page.locator(".map-note")).to_contain_text("No basemap is shipped for this area")


# --- basemap tiles from a local tile server ------------------------------------------------


def _png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A solid ``size`` x ``size`` PNG (written by hand: no imaging library needed)."""
    row = b"\x00" + bytes(rgb) * size
    body = zlib.compress(row * size)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


class TileServer:
    """PNG tiles at /tiles/{z}/{x}/{y}.png on 127.0.0.1 while ``up`` (else 404), each request's
    path kept."""

    def __init__(self) -> None:
        self.up = True
        self.paths: list[str] = []
        tile = _png((214, 229, 204))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                ok = outer.up and re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", self.path)
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "image/png" if ok else "text/plain")
                body = tile if ok else b"no tile"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def tiled() -> Iterator[tuple[Site, TileServer]]:
    tiles = TileServer()
    with tempfile.TemporaryDirectory(prefix="sendplan-ui-tiles-") as temp:
        folder = Path(temp)
        db_url = f"sqlite:///{folder / 'service.db'}"
        migrate(db_url)
        api = make_api(db_url, ui_tiles_url=tiles.base + "/tiles/{z}/{x}/{y}.png")
        source = _write_leeds(folder / "leeds")
        scenario = upload(api, source)
        jobs = {"both": solve(api, scenario, source, folder, "both", iterations=10)}
        try:
            with serving(api) as base:
                yield Site(base=base, api=api, jobs=jobs, scenario=scenario), tiles
        finally:
            api.client.close()
            tiles.server.shutdown()


def test_tiles_only_when_set_with_the_attribution(
    chromium: Any, tiled: tuple[Site, TileServer], leicester: Site
) -> None:
    site, tiles = tiled
    page_csp = site.api.client.get("/").headers["content-security-policy"]
    assert f"img-src 'self' {tiles.base};" in page_csp
    assert tiles.base not in site.api.client.get("/me").headers["content-security-policy"]
    assert "img-src 'self';" in leicester.api.client.get("/").headers["content-security-policy"]
    drawn = api_get(site, f"/jobs/{site.jobs['both']}/map", "transport")
    assert drawn["tiles_url"] == tiles.base + "/tiles/{z}/{x}/{y}.png"
    tiles.up = True
    with offline_page(chromium, site.base, tiles.base) as b:
        sign_in(b, site, "transport")
        page = b.page
        credit = page.locator(".attribution")
        expect(credit).to_be_visible()
        assert page.locator("svg.map").get_attribute("data-tiles") == "on"
        assert credit.inner_text() == "© OpenStreetMap contributors"
        assert (
            credit.locator("a").get_attribute("href") == "https://www.openstreetmap.org/copyright"
        )
        assert page.locator("svg.map image.tile").count() > 0
        assert page.locator("svg.map.tiled").count() == 1 and _routes_in_view(b)
        requested = [p for p in tiles.paths if p.startswith("/tiles/")]
        zooms = {int(p.split("/")[2]) for p in requested}
        assert len(zooms) == 1 and 12 <= min(zooms) <= 19  # a street-level zoom for Leeds
        # Web Mercator: the tile drawn under the school is the one the tile scheme puts there.
        school = api_get(site, f"/jobs/{site.jobs['both']}/map", "transport")["schools"][0]
        under = page.evaluate(
            """() => { const s = document.querySelector("svg.map rect.school");
                 const x = s.x.baseVal.value + s.width.baseVal.value / 2;
                 const y = s.y.baseVal.value + s.height.baseVal.value / 2;
                 // Tiles overlap by a hair: the one whose middle is nearest.
                 const away = (t) => Math.hypot(t.x.baseVal.value + t.width.baseVal.value / 2 - x,
                                                t.y.baseVal.value + t.height.baseVal.value / 2 - y);
                 const tiles = [...document.querySelectorAll("svg.map image.tile")]
                   .filter((t) => away(t) < t.width.baseVal.value)
                   .sort((a, b) => away(a) - away(b));
                 return tiles.map((t) => t.getAttribute("href")); }"""
        )
        assert under, "no tile under the school"  # nearest first
        zoom, x, y = (int(part) for part in re.findall(r"\d+", under[0].split("/tiles/")[1]))
        assert (x, y) == _slippy_tile(school["lon"], school["lat"], zoom)
        shot(b, "map-tiles")
    tiles.up = False  # the server answers no tile: the plain basemap, silently
    with offline_page(chromium, site.base, tiles.base) as b:
        sign_in(b, site, "transport")
        page = b.page
        page.wait_for_selector("svg.map[data-tiles=off] path.route")  # the probe failed
        probes = len(tiles.paths)
        assert page.locator(".attribution").is_hidden()
        assert page.locator("svg.map image.tile").count() == 0
        assert page.locator("svg.map.tiled").count() == 0
        page.get_by_role("button", name="Zoom in").click()  # a new view asks for no tile
        page.get_by_role("button", name="Pan east").click()
        assert len(tiles.paths) == probes
        # The one failed probe is the browser's own log line; the page logs nothing itself.
        print(f"\nconsole with the tile server down: {b.errors}")
        assert all("404" in e for e in b.errors), b.errors
        assert len(b.errors) <= 1
        b.errors.clear()
