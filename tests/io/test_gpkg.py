"""results.gpkg: layers, counts, typed attributes and values re-read; same bytes; plain text;
on a road network, route lines along the roads (every vertex a road node)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from transport_cases import TRAVEL, random_children, scenario, school

from sendplan.api.gpkg import FIXED_DATE, LAYERS, SCHEMAS, write_results_gpkg
from sendplan.api.outputs import write_result
from sendplan.api.route_lines import route_lines
from sendplan.api.transport_io import hhmm
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.routing.model import Scenario, VehicleType
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

HOSTILE = "=cmd|' /C calc'!A0\x01\x07 tab\there\nnext line <b>&amp;"
LEEDS = (
    Path(__file__).parents[3] / "shared" / "data" / "roads" / "leeds_its-example_osmextract.osm.pbf"
)
OGR_TYPES = {"str": "OFTString", "int64": "OFTInteger64", "Int64": "OFTInteger64",
             "float64": "OFTReal", "bool": "OFTInteger", "boolean": "OFTInteger"}  # fmt: skip


def tiny() -> Scenario:
    kids = random_children(14, 4, schools=("S1", "S2"))
    # Some children rank schools, so preference_rank has values and NULLs.
    kids = [dataclasses.replace(c, preferences=("S2", "S1")) if i % 3 == 0 else c
            for i, c in enumerate(kids)]  # fmt: skip
    schools = [school("S1"), dataclasses.replace(school("S2", 2, -1), name=HOSTILE)]
    return scenario(kids, schools=schools)


def solved(sc: Scenario, sessions: tuple[str, ...] = ("am", "pm"), **kw: object) -> Result:
    options: dict[str, object] = {"placement": "solve", "movers": "all", "travel": TRAVEL}
    options.update(kw)
    return solve(sc, sessions=sessions, stop=MaxIterations(60), seed=1, workers=1,  # type: ignore[arg-type]
                 status_quo=False, **options)  # fmt: skip


@pytest.fixture(scope="module")
def result() -> Result:
    return solved(tiny())


def read(path: Path, layer: str):
    return pyogrio.read_dataframe(path, layer=layer)


def test_layers_counts_types_and_values(result: Result, tmp_path: Path) -> None:
    path = tmp_path / "results.gpkg"
    write_results_gpkg(result, path)
    assert [name for name, _ in pyogrio.list_layers(path)] == list(LAYERS)
    assert result.placement is not None
    routes = [r for plan in result.transport for r in plan.routes]
    assert routes and {r.session for r in routes} == {"am", "pm"}
    counts = {
        "schools": len(result.scenario.schools),
        "homes": len(result.scenario.children),
        "placements": len(result.placement.assignments),
        "routes": len(routes),
        "stops": sum(len(r.stops) + len(r.school_calls) for r in routes),
    }
    for name in LAYERS:
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == counts[name] and info["crs"] == "EPSG:4326"
        assert list(info["fields"]) == list(SCHEMAS[name])
        assert info["ogr_types"] == [OGR_TYPES[t] for t in SCHEMAS[name].values()]
        booleans = [t in ("bool", "boolean") for t in SCHEMAS[name].values()]
        assert [s == "OFSTBoolean" for s in info["ogr_subtypes"]] == booleans

    homes = read(path, "homes")  # ids only: no other personal data
    assert list(homes.columns) == ["child_id", "school_id", "in_area", "geometry"]
    placed = {a.child_id: a for a in result.placement.assignments}
    for row in homes.itertuples():
        assert row.school_id == placed[row.child_id].school_id
        assert bool(row.in_area) == placed[row.child_id].in_area

    lines = read(path, "placements")
    ranks = {a.preference_rank for a in placed.values()}
    assert None in ranks and ranks - {None}, "the case must have ranked and unranked children"
    for row in lines.itertuples():
        a = placed[row.child_id]
        assert row.travel_min == a.travel_s / 60.0  # unrounded
        assert row.distance_km == a.distance_m / 1000.0
        assert row.annual_cost_gbp == a.annual_cost_gbp and bool(row.in_area) == a.in_area
        rank = None if np.isnan(row.preference_rank) else int(row.preference_rank)
        assert rank == a.preference_rank
        child = next(c for c in result.scenario.children if c.child_id == row.child_id)
        assert row.geometry.coords[0] == (child.lon, child.lat)

    schools = read(path, "schools").set_index("school_id")
    assert schools.loc["S2", "name"] == HOSTILE  # plain text, byte for byte
    for s in result.scenario.schools:
        assert schools.loc[s.school_id, "capacity"] == s.capacity
        n = sum(a.school_id == s.school_id for a in placed.values())
        assert schools.loc[s.school_id, "placed"] == n

    by_id = {r.route_id: r for r in routes}
    table = read(path, "routes")
    assert sorted(table["route_id"]) == sorted(by_id)
    for row in table.itertuples():
        r = by_id[row.route_id]
        assert (row.session, row.vehicle_type, row.riders) == (r.session, r.vehicle_type,
                                                               len(r.stops))  # fmt: skip
        assert row.cost_gbp == r.cost_gbp and row.distance_km == r.distance_m / 1000.0
        assert row.stops == len(r.stops) + len(r.school_calls) and not row.along_roads

    stops = read(path, "stops")
    for r in routes:
        mine = stops[stops["route_id"] == r.route_id].sort_values("order")
        assert list(mine["order"]) == list(range(1, len(mine) + 1))
        kids = mine[mine["kind"] != "school"]
        assert list(kids["child_id"]) == list(r.child_ids)
        assert list(kids["time"]) == [hhmm(s.time_min) for s in r.stops]
        assert set(kids["kind"]) == {"pickup" if r.session == "am" else "dropoff"}
        calls = mine[mine["kind"] == "school"]
        assert list(calls["school_id"]) == [c.school_id for c in r.school_calls]
        assert calls["child_id"].isna().all()


def test_same_result_gives_the_same_bytes(result: Result, tmp_path: Path) -> None:
    write_results_gpkg(result, tmp_path / "a.gpkg")
    write_results_gpkg(result, tmp_path / "b.gpkg")
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    with sqlite3.connect(tmp_path / "a.gpkg") as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {FIXED_DATE}  # not the time of writing
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None  # left as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg", "b.gpkg"]  # no journals


def test_place_only_writes_route_layers_empty_with_their_columns(tmp_path: Path) -> None:
    placed_only = solved(tiny(), sessions=())
    path = tmp_path / "results.gpkg"
    write_results_gpkg(placed_only, path)
    for name in ("routes", "stops"):
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == 0 and list(info["fields"]) == list(SCHEMAS[name])
    assert pyogrio.read_info(path, layer="homes")["features"] == len(placed_only.scenario.children)


def leeds_scenario(graph_lon: np.ndarray, graph_lat: np.ndarray) -> Scenario:
    """Children, a school and a depot inside the Leeds extract (a few hundred metres across)."""
    rng = np.random.default_rng(5)
    lon0, lon1 = np.quantile(graph_lon, [0.15, 0.85])
    lat0, lat1 = np.quantile(graph_lat, [0.15, 0.85])
    kids = [
        dataclasses.replace(c, lon=rng.uniform(lon0, lon1), lat=rng.uniform(lat0, lat1))
        for c in random_children(8, 2, flags=False)
    ]
    site = dataclasses.replace(school("S1"), lon=float(np.median(graph_lon)),
                               lat=float(np.median(graph_lat)))  # fmt: skip
    taxi = VehicleType("taxi", 4, 0, False, 18.0, 1.8, 20, float(lon0), float(lat0))
    return scenario(kids, schools=[site], vehicles=(taxi,))


def test_on_a_road_network_routes_follow_the_roads(tmp_path: Path) -> None:
    if not LEEDS.is_file():
        pytest.skip("the Leeds extract is not in ../shared/data/roads")
    model = NetworkTravelModel.from_file(LEEDS)
    graph = model.graph
    sc = leeds_scenario(graph.lon, graph.lat)
    res = solved(sc, placement="current", travel=model)
    assert res.travel is model
    write_result(res, tmp_path / "out")
    nodes = {(lon, lat): i for i, (lon, lat) in enumerate(zip(graph.lon, graph.lat, strict=True))}

    def on_roads(coords: list[tuple[float, float]]) -> None:
        path = np.array([nodes[(lon, lat)] for lon, lat in coords])  # KeyError: not a road node
        assert np.all(graph.edge_index(path[:-1], path[1:]) >= 0)

    lines = route_lines(res)
    assert lines and all(line.along_roads for line in lines.values())
    doc = json.loads((tmp_path / "out" / "routes.geojson").read_text())
    drawn = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(drawn) == len(lines)
    for f in drawn:
        assert f["properties"]["along_roads"] is True
        on_roads([tuple(c) for c in f["geometry"]["coordinates"]])
    table = read(tmp_path / "out" / "results.gpkg", "routes")
    assert len(table) == len(lines) and table["along_roads"].all()
    for geometry in table.geometry:
        on_roads(list(geometry.coords))
    frame = res.routes_gdf()  # the library's table draws the same lines
    assert frame["along_roads"].all()
    assert [list(g.coords) for g in frame.geometry] == [
        list(lines[r].coords) for r in frame.route_id
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "results.gpkg" in json.dumps(manifest)
