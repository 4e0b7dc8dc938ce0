"""Road networks as our own compact type: one CSR graph per travel profile, saved as one file.

A map file (``.osm.pbf``, ``.osm``/``.osm.bz2``, GraphML; see :mod:`sendplan.geo.osm`) is read
into :class:`~sendplan.geo.roads.RoadSegments` (every road segment with its OSM tags).
:func:`build_network` applies the profile rules of :mod:`sendplan.geo.roads` and keeps, per
profile, nodes (OSM id, lon/lat, x/y in EPSG:27700) and directed edges in CSR order with
``length_m`` and ``travel_time_s``.

Units and exactness
-------------------
Lengths are geodesic metres on the WGS84 ellipsoid between node coordinates (as GIS tools
measure; a sphere is 0.3% short east-west at UK latitudes), stored to 0.1 m; times to 1 ms. Whole
decimetres and milliseconds make path sums exact, so matrices are byte-reproducible, and a
PBF and an XML copy of the same map give the same graph. Nodes are ordered by OSM id, so the
result does not depend on the order a reader returns segments in.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sendplan.errors import InputError
from sendplan.geo.coords import geodesic_m, to_bng
from sendplan.geo.digest import file_sha256
from sendplan.geo.osm import read_map
from sendplan.geo.roads import (
    HIGHWAY_CLASSES,
    UK_DEFAULT_SPEED_MPH,
    WALK_SPEED_KMH,
    RoadSegments,
    drive_directions,
    drive_speed_kmh,
    highway_class,
    is_walkable,
)

Profile = Literal["drive", "walk"]
PROFILES: tuple[Profile, ...] = ("drive", "walk")

FORMAT_NAME = "sendplan-road-network"
FORMAT_VERSION = 1
# Travel times are stored in whole milliseconds and lengths in whole decimetres.
MS_PER_S = 1000.0
DM_PER_M = 10.0


# --- types -------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProfileGraph:
    """One travel profile's network: nodes and directed edges in CSR order (row = tail node)."""

    profile: Profile
    node_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    length_m: NDArray[np.float64]
    travel_time_s: NDArray[np.float64]
    highway: NDArray[np.int8]

    @property
    def n_nodes(self) -> int:
        return int(self.node_id.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    @cached_property
    def tails(self) -> NDArray[np.int64]:
        """The tail node of every edge (CSR rows expanded)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def length_dm(self) -> NDArray[np.int64]:
        return np.rint(self.length_m * DM_PER_M).astype(np.int64)

    @cached_property
    def travel_time_ms(self) -> NDArray[np.int64]:
        return np.rint(self.travel_time_s * MS_PER_S).astype(np.int64)

    @classmethod
    def from_edges(
        cls,
        profile: Profile,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        tails: NDArray[np.int64],
        heads: NDArray[np.int64],
        *,
        length_m: NDArray[np.float64],
        travel_time_s: NDArray[np.float64],
    ) -> ProfileGraph:
        """A graph from explicit edges (no profile rules, no component filter); node ids 0..n-1.

        Parallel edges keep the fastest, then shortest; self-loops are dropped.
        """
        tails, heads = np.asarray(tails, dtype=np.int64), np.asarray(heads, dtype=np.int64)
        length_dm = np.rint(np.asarray(length_m) * DM_PER_M).astype(np.int64)
        time_ms = np.rint(np.asarray(travel_time_s) * MS_PER_S).astype(np.int64)
        keep = tails != heads
        tails, heads, length_dm, time_ms = (a[keep] for a in (tails, heads, length_dm, time_ms))
        order = np.lexsort((length_dm, time_ms, heads, tails))
        tails, heads, length_dm, time_ms = (a[order] for a in (tails, heads, length_dm, time_ms))
        first = np.ones(len(tails), dtype=bool)
        first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
        tails, heads, length_dm, time_ms = (a[first] for a in (tails, heads, length_dm, time_ms))
        n = len(lon)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        x, y = to_bng(lon, lat)
        return cls(
            profile=profile,
            node_id=np.arange(n, dtype=np.int64),
            lon=lon,
            lat=lat,
            x=x,
            y=y,
            indptr=indptr,
            indices=heads,
            length_m=length_dm / DM_PER_M,
            travel_time_s=time_ms / MS_PER_S,
            highway=np.full(len(heads), HIGHWAY_CLASSES.index("other"), dtype=np.int8),
        )

    def edge_index(self, tails: NDArray[np.int64], heads: NDArray[np.int64]) -> NDArray[np.int64]:
        """The edge id of each ``tails[i] -> heads[i]``, or -1 where there is no such edge."""
        if self.n_edges == 0:
            return np.full(np.shape(tails), -1, dtype=np.int64)
        key = self.tails * self.n_nodes + self.indices  # sorted: CSR rows, heads sorted in a row
        wanted = np.asarray(tails, dtype=np.int64) * self.n_nodes + np.asarray(heads, np.int64)
        pos = np.searchsorted(key, wanted)
        found = (pos < key.shape[0]) & (key[np.minimum(pos, key.shape[0] - 1)] == wanted)
        return np.where(found, pos, -1)


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """The drive and walk graphs built from one map file.

    ``name`` is ``"<file name>@<sha256 prefix>"`` of the file it was loaded from (empty for a
    network built in memory and not yet saved); it is what outputs record as ``travel_model``.
    """

    profiles: Mapping[Profile, ProfileGraph]
    meta: Mapping[str, Any]
    name: str = ""
    sha256: str = ""

    def graph(self, profile: Profile) -> ProfileGraph:
        """The graph of one profile; an error naming the file if it was not built."""
        if profile not in self.profiles:
            raise InputError(
                self.name or "network",
                f"the network has no {profile} profile (rebuild it with --profile both)",
            )
        return self.profiles[profile]


# --- building ----------------------------------------------------------------------------------


def _edge_arrays(
    segments: RoadSegments, profile: Profile
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Directed edges (node-table indices) permitted in a profile, with speed and class."""
    n_tags = len(segments.tags)
    forward = np.zeros(n_tags, dtype=bool)
    backward = np.zeros(n_tags, dtype=bool)
    speed_kmh = np.full(n_tags, WALK_SPEED_KMH)
    klass = np.zeros(n_tags, dtype=np.int64)
    for i, tags in enumerate(segments.tags):
        if profile == "drive":
            fwd, bwd = drive_directions(tags)
            if segments.directed:
                fwd, bwd = fwd or bwd, False
            forward[i], backward[i] = fwd, bwd
            if fwd or bwd:
                speed_kmh[i] = drive_speed_kmh(tags)
        else:
            forward[i] = backward[i] = is_walkable(tags)
        klass[i] = highway_class(tags)
    order = np.argsort(segments.node_id, kind="stable")
    sorted_ids = segments.node_id[order]

    def locate(ids: NDArray[np.int64]) -> NDArray[np.int64]:
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
        return np.where(sorted_ids[pos] == ids, order[pos], -1)

    u, v = locate(segments.u), locate(segments.v)
    known = (u >= 0) & (v >= 0)  # a way may reference nodes cut off by the extract
    t = segments.tag_index
    fwd_e, bwd_e = known & forward[t], known & backward[t]
    tails = np.concatenate([u[fwd_e], v[bwd_e]])
    heads = np.concatenate([v[fwd_e], u[bwd_e]])
    speeds = np.concatenate([speed_kmh[t[fwd_e]], speed_kmh[t[bwd_e]]])
    classes = np.concatenate([klass[t[fwd_e]], klass[t[bwd_e]]])
    return tails, heads, speeds, classes


def _largest_component(
    n: int, tails: NDArray[np.int64], heads: NDArray[np.int64], *, strong: bool
) -> NDArray[np.bool_]:
    """Mask of the nodes in the largest (strongly) connected component; ties go to the lowest id."""
    adjacency = csr_matrix((np.ones(len(tails)), (tails, heads)), shape=(n, n))
    _, labels = connected_components(
        adjacency, directed=True, connection="strong" if strong else "weak"
    )
    sizes = np.bincount(labels)
    first_node = np.full(len(sizes), n)
    np.minimum.at(first_node, labels, np.arange(n))
    best = np.lexsort((first_node, -sizes))[0]
    return np.asarray(labels == best)


def build_profile(
    segments: RoadSegments,
    profile: Profile,
    *,
    x_y: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> ProfileGraph:
    """The graph of one profile from raw segments (see :mod:`sendplan.geo.roads` for the rules)."""
    if len(segments.node_id) == 0:
        raise InputError(segments.source, "the map holds no roads")
    tails, heads, speed_kmh, classes = _edge_arrays(segments, profile)
    keep = tails != heads
    tails, heads, speed_kmh, classes = tails[keep], heads[keep], speed_kmh[keep], classes[keep]
    lon, lat = segments.lon, segments.lat
    length_dm = np.rint(
        geodesic_m(lon[tails], lat[tails], lon[heads], lat[heads]) * DM_PER_M
    ).astype(np.int64)
    time_ms = np.rint(length_dm / DM_PER_M / (speed_kmh / 3.6) * MS_PER_S).astype(np.int64)
    # A road with length takes time: keeps "no faster than 100 m/s" true, which matrix relies on.
    time_ms = np.where(length_dm > 0, np.maximum(time_ms, 1), 0)
    # Parallel edges (two ways over the same nodes): keep the fastest, then the shortest.
    order = np.lexsort((classes, length_dm, time_ms, heads, tails))
    tails, heads, length_dm, time_ms, classes = (
        a[order] for a in (tails, heads, length_dm, time_ms, classes)
    )
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, length_dm, time_ms, classes = (
        a[first] for a in (tails, heads, length_dm, time_ms, classes)
    )
    # Compact to the nodes that carry edges, in OSM id order.
    used = np.unique(np.concatenate([tails, heads]))
    used = used[np.argsort(segments.node_id[used], kind="stable")]
    remap = np.full(len(segments.node_id), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    tails, heads = remap[tails], remap[heads]
    if len(used):
        in_main = _largest_component(len(used), tails, heads, strong=profile == "drive")
    else:
        in_main = np.zeros(0, dtype=bool)
    keep_edge = in_main[tails] & in_main[heads]
    kept_nodes = used[in_main]
    sub = np.full(len(used), -1, dtype=np.int64)
    sub[in_main] = np.arange(int(in_main.sum()))
    tails, heads = sub[tails[keep_edge]], sub[heads[keep_edge]]
    length_dm, time_ms, classes = length_dm[keep_edge], time_ms[keep_edge], classes[keep_edge]
    order = np.lexsort((heads, tails))
    tails, heads, length_dm, time_ms, classes = (
        a[order] for a in (tails, heads, length_dm, time_ms, classes)
    )
    n = len(kept_nodes)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    node_lon, node_lat = lon[kept_nodes], lat[kept_nodes]
    if x_y is None:
        x, y = to_bng(node_lon, node_lat)
    else:
        x, y = x_y[0][kept_nodes], x_y[1][kept_nodes]
    return ProfileGraph(
        profile=profile,
        node_id=segments.node_id[kept_nodes].astype(np.int64),
        lon=node_lon.astype(np.float64),
        lat=node_lat.astype(np.float64),
        x=x,
        y=y,
        indptr=indptr,
        indices=heads.astype(np.int64),
        length_m=length_dm / DM_PER_M,
        travel_time_s=time_ms / MS_PER_S,
        highway=classes.astype(np.int8),
    )


def build_network(segments: RoadSegments, *, profiles: Iterable[Profile] = PROFILES) -> RoadNetwork:
    """Build the requested profiles from raw segments."""
    wanted = tuple(p for p in PROFILES if p in set(profiles))
    if not wanted:
        raise InputError(segments.source, "choose at least one profile: drive, walk or both")
    x_y = to_bng(segments.lon, segments.lat)
    graphs = {p: build_profile(segments, p, x_y=x_y) for p in wanted}
    for profile, graph in graphs.items():
        if graph.n_edges == 0:
            raise InputError(segments.source, f"the map holds no {profile} roads")
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "source": segments.source,
        "profiles": {p: {"nodes": g.n_nodes, "edges": g.n_edges} for p, g in graphs.items()},
        "uk_default_speed_mph": dict(UK_DEFAULT_SPEED_MPH),
        "walk_speed_kmh": WALK_SPEED_KMH,
        "highway_classes": list(HIGHWAY_CLASSES),
    }
    return RoadNetwork(profiles=graphs, meta=meta)


def with_congestion(graph: ProfileGraph, factor: float) -> ProfileGraph:
    """The same graph with every travel time multiplied by ``factor`` (e.g. AM peak 1.3)."""
    if not (math.isfinite(factor) and factor >= 1.0):
        raise ValueError("the congestion factor must be a number of at least 1")
    if factor == 1.0:
        return graph
    time_ms = np.rint(graph.travel_time_ms * factor)
    time_ms = np.where(graph.length_dm > 0, np.maximum(time_ms, 1), 0)
    return replace(graph, travel_time_s=time_ms / MS_PER_S)


# --- files -------------------------------------------------------------------------------------

_ARRAYS = (
    "node_id", "lon", "lat", "x", "y", "indptr", "indices", "length_m", "travel_time_s", "highway",
)  # fmt: skip
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
MAP_SUFFIXES = (".pbf", ".osm", ".bz2", ".gz", ".xml", ".graphml")


def network_bytes(network: RoadNetwork) -> bytes:
    """The network as file bytes: an uncompressed zip of ``.npy`` arrays and ``meta.json``.

    Fixed member order and timestamps make the bytes depend on the content only.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:

        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

        put("meta.json", json.dumps(network.meta, sort_keys=True, indent=1).encode())
        for profile in PROFILES:
            if profile not in network.profiles:
                continue
            graph = network.profiles[profile]
            for array_name in _ARRAYS:
                array_buffer = io.BytesIO()
                array = np.ascontiguousarray(getattr(graph, array_name))
                np.lib.format.write_array(array_buffer, array, allow_pickle=False)
                put(f"{profile}/{array_name}.npy", array_buffer.getvalue())
    return buffer.getvalue()


def save_network(network: RoadNetwork, path: Path) -> RoadNetwork:
    """Write the network file and return the network named after it."""
    data = network_bytes(network)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
    digest = hashlib.sha256(data).hexdigest()
    return replace(network, name=f"{path.name}@{digest[:12]}", sha256=digest)


def _read_archive(path: Path, data: bytes) -> RoadNetwork:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        meta = json.loads(archive.read("meta.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise InputError(
            path.name,
            "not a sendplan network file; build one with `sendplan network build`, or give a "
            ".osm.pbf, .osm, .osm.bz2 or .graphml map",
        ) from None
    if meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
        raise InputError(path.name, "unsupported network file format or version; rebuild it")
    profiles: dict[Profile, ProfileGraph] = {}
    for profile in PROFILES:
        if profile not in meta.get("profiles", {}):
            continue
        arrays = {
            name: np.lib.format.read_array(
                io.BytesIO(archive.read(f"{profile}/{name}.npy")), allow_pickle=False
            )
            for name in _ARRAYS
        }
        profiles[profile] = ProfileGraph(profile=profile, **arrays)
    return RoadNetwork(profiles=profiles, meta=meta)


def is_map_file(path: Path) -> bool:
    """Whether a path names an OSM map or GraphML file rather than a built network."""
    return path.name.lower().endswith(MAP_SUFFIXES)


def load_network(path: Path, *, profiles: Iterable[Profile] = PROFILES) -> RoadNetwork:
    """A network from a built network file, or built on the fly from a map file.

    Either way its ``name`` is ``"<file name>@<first 12 hex digits of the file's SHA-256>"``.
    """
    if not path.is_file():
        raise InputError(path.name, f"network file not found: {path}")
    if is_map_file(path):
        network = build_network(read_map(path), profiles=profiles)
        digest = file_sha256(path)
    else:
        data = path.read_bytes()
        network = _read_archive(path, data)
        digest = hashlib.sha256(data).hexdigest()
    return replace(network, name=f"{path.name}@{digest[:12]}", sha256=digest)


def profile_to_networkx(graph: ProfileGraph, *, weight: str = "travel_time_s") -> Any:
    """The graph as a ``networkx.DiGraph`` with edge attribute ``weight``, for oracles."""
    # networkx takes about 0.1 s to import and only test oracles need it.
    import networkx as nx

    nx_graph = nx.DiGraph()
    nx_graph.add_nodes_from(range(graph.n_nodes))
    values = getattr(graph, weight)
    nx_graph.add_weighted_edges_from(
        zip(graph.tails.tolist(), graph.indices.tolist(), values.tolist(), strict=True),
        weight=weight,
    )
    return nx_graph
