"""The report's basemap (issue 15 review, defect 1): the road network a plan was solved on is
drawn under the map, each road once between the network's own nodes, capped for size; without
a network and outside Leicester, the caption says that no basemap is shipped for the area."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_report_render import SVG, map_panels, pairs

import sendplan
from sendplan.api.loader import load_scenario
from sendplan.api.report import render_report
from sendplan.api.report_map import NO_BASEMAP
from sendplan.api.report_map_data import frame_around
from sendplan.api.report_map_roads import road_segments
from sendplan.geo.network import HIGHWAY_CLASSES, ProfileGraph, RoadNetwork, load_network
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result

LEEDS_PBF = (
    Path(__file__).resolve().parents[3] / "shared/data/roads/leeds_its-example_osmextract.osm.pbf"
)
# A small Leeds scenario (home LA 383): five homes and a school among the example extract's roads.
CHILDREN = "child_id,lon,lat,age,sex,primary_need,wheelchair,needs_assistant,home_la,current_school"
SCHOOLS = (
    "school_id,name,lon,lat,la_code,type,age_low,age_high,sex,designations,capacity,"
    "residential_places,annual_cost_gbp,bell_am,finish_pm,in_area"
)
FLEET = (
    "name,seats,wheelchair_spaces,has_assistant,fixed_cost_gbp,cost_per_km_gbp,available,"
    "depot_lon,depot_lat"
)
LEEDS = {
    "children.csv": [CHILDREN,
                     "L001,-1.5497,53.8068,9,M,ASD,false,false,383,LDS-1",
                     "L002,-1.5507,53.8100,12,F,SLD,true,false,383,LDS-1",
                     "L003,-1.5520,53.8073,7,M,MLD,false,true,383,LDS-1",
                     "L004,-1.5540,53.8096,14,F,PMLD,false,false,383,LDS-1",
                     "L005,-1.5510,53.8080,10,M,ASD,false,false,383,LDS-1"],
    "schools.csv": [SCHOOLS,
                    "LDS-1,Leeds Test Special School,-1.5530,53.8092,383,la_maintained,4,19,mixed,"
                    "ASD;SLD;MLD;PMLD,20,0,25000,08:50,15:10,true"],
    "fleet.csv": [FLEET, "taxi,4,0,false,18,1.8,5,-1.5495,53.8098",
                  "wav_pa,3,1,true,60,2.2,5,-1.5495,53.8098"],
}  # fmt: skip


def leeds_scenario(folder: Path) -> Scenario:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in LEEDS.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_scenario(folder)


def grid(
    n: int, *, lon0: float = -1.5560, lat0: float = 53.8050, step: float = 0.0008
) -> ProfileGraph:
    """An ``n`` x ``n`` grid of two-way streets ``step`` degrees apart."""
    ids = np.arange(n * n).reshape(n, n)
    lon = (lon0 + step * np.tile(np.arange(n), n)).astype(np.float64)
    lat = (lat0 + step * np.repeat(np.arange(n), n)).astype(np.float64)
    pairs_ = [(ids[i, j], ids[i, j + 1]) for i in range(n) for j in range(n - 1)]
    pairs_ += [(ids[i, j], ids[i + 1, j]) for i in range(n - 1) for j in range(n)]
    a = np.array([p[0] for p in pairs_] + [p[1] for p in pairs_], dtype=np.int64)
    b = np.array([p[1] for p in pairs_] + [p[0] for p in pairs_], dtype=np.int64)
    length = np.full(len(a), 60.0)
    return ProfileGraph.from_edges(
        "drive", lon, lat, a, b, length_m=length, travel_time_s=length / 8
    )


def _affine(panel: ET.Element, scenario: Scenario) -> tuple[float, float, float, float]:
    """The panel's projection (x = ax + bx * lon, y = ay + by * lat) fitted to its home dots,
    which are drawn in child_id order."""
    homes = [el for el in panel.iter() if "home" in el.attrib.get("class", "").split()]
    xy = [(float(h.attrib["cx"]), float(h.attrib["cy"])) for h in homes]
    ll = [(c.lon, c.lat) for c in sorted(scenario.children, key=lambda c: c.child_id)]
    (x0, y0), (x1, y1) = xy[0], xy[-1]
    (lon0, lat0), (lon1, lat1) = ll[0], ll[-1]
    bx, by = (x1 - x0) / (lon1 - lon0), (y1 - y0) / (lat1 - lat0)
    return x0 - bx * lon0, bx, y0 - by * lat0, by


def _segments(panel: ET.Element) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    roads = [p for p in panel.iter(f"{SVG}path") if "roads" in p.attrib.get("class", "").split()]
    assert len(roads) == 1
    d = roads[0].attrib["d"]
    assert d.count("M") == d.count("L")  # one move and one line per segment
    pts = pairs(d)
    return list(zip(pts[::2], pts[1::2], strict=True))


def assert_roads_are_network_edges(html: str, scenario: Scenario, graph: ProfileGraph) -> int:
    """Every drawn road joins two network nodes that an edge joins, each road drawn once."""
    panel = map_panels(html)["city"]
    ax, bx, ay, by = _affine(panel, scenario)
    nodes_x, nodes_y = ax + bx * graph.lon, ay + by * graph.lat
    edges = set(zip(graph.tails.tolist(), graph.indices.tolist(), strict=True))
    drawn = set()
    segments = _segments(panel)
    for end_a, end_b in segments:
        ids = []
        for x, y in (end_a, end_b):
            gap = np.hypot(nodes_x - x, nodes_y - y)
            # Roads and homes are written to 0.1 px: the fitted projection is that close.
            assert gap.min() <= 0.25, (x, y, gap.min())
            ids.append(int(gap.argmin()))
        assert (ids[0], ids[1]) in edges or (ids[1], ids[0]) in edges
        drawn.add((min(ids), max(ids)))
    assert len(drawn) == len(segments)
    return len(segments)


def test_a_plan_on_a_road_network_draws_its_roads(tmp_path: Path) -> None:
    graph = grid(9)
    network = RoadNetwork(
        profiles={"drive": graph, "walk": replace(graph, profile="walk")}, meta={}
    )
    scenario = leeds_scenario(tmp_path / "leeds")
    result = sendplan.solve(
        scenario, travel=NetworkTravelModel(network), stop=sendplan.MaxIterations(20), seed=1
    )
    html = render_report(result)
    drawn = assert_roads_are_network_edges(html, scenario, graph)
    assert drawn >= 20  # the grid's roads around the homes
    assert "road network (basemap)" in html and NO_BASEMAP not in html
    assert 'class="lsoa"' not in html


@pytest.mark.skipif(not LEEDS_PBF.is_file(), reason="../shared is absent")
def test_the_leeds_network_is_the_basemap(tmp_path: Path) -> None:
    model = NetworkTravelModel(load_network(LEEDS_PBF))
    scenario = leeds_scenario(tmp_path / "leeds")
    result = sendplan.solve(scenario, travel=model, stop=sendplan.MaxIterations(30), seed=1)
    html = render_report(result)
    assert assert_roads_are_network_edges(html, scenario, model.graph) > 10
    assert "drawn along the roads" in html


def test_without_a_network_outside_leicester_the_caption_says_no_basemap(
    tmp_path: Path, results: dict[str, Result]
) -> None:
    scenario = leeds_scenario(tmp_path / "leeds")
    html = render_report(sendplan.solve(scenario, stop=sendplan.MaxIterations(10), seed=1))
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert NO_BASEMAP in captions[0]
    assert 'class="lsoa"' not in html and 'class="roads"' not in html
    # In Leicester the shipped outlines are drawn and named instead.
    leicester = render_report(results["place"])
    assert NO_BASEMAP not in leicester and 'class="lsoa"' in leicester
    assert "LSOA (2021) outlines" in re.findall(r"<figcaption>(.*?)</figcaption>", leicester)[0]


def test_roads_are_drawn_once_only_in_frame_and_capped() -> None:
    graph = grid(12)
    inner = [(float(x), float(y)) for x, y in zip(graph.lon, graph.lat, strict=True)]
    frame = frame_around(inner, 600, 600)
    every = road_segments(graph, frame)
    assert len(every) == graph.n_edges // 2  # each two-way street once
    # A frame on a corner of the grid keeps only the roads with an end in it.
    corner = frame_around(inner[:2] + inner[12:14], 600, 600)
    west, east, south, north = corner.bounds()
    near = road_segments(graph, corner)
    inside = sum(west <= x <= east and south <= y <= north for x, y in inner)
    assert 0 < len(near) < len(every) and inside < len(inner)
    # The cap: exactly at it, everything; one under, the major roads first.
    assert len(road_segments(graph, frame, max_segments=len(every))) == len(every)
    classes = np.full(graph.n_edges, HIGHWAY_CLASSES.index("other"), dtype=np.int8)
    classes[graph.tails == 0] = 0  # the roads out of node 0 are the major class
    ranked = replace(graph, highway=classes)
    capped = road_segments(ranked, frame, max_segments=2)
    x0, y0 = frame.xy(float(graph.lon[0]), float(graph.lat[0]))
    assert len(capped) == 2
    for ends in capped:  # both roads start at node 0
        assert min(abs(x - x0) + abs(y - y0) for x, y in ends) < 0.11
    assert len(road_segments(ranked, frame, max_segments=len(every) - 1)) == len(every) - 1
