"""Reading OpenStreetMap data into :class:`~sendplan.geo.roads.RoadSegments`.

The only module that imports osmnx (GraphML files and the explicit ``--place`` download) and
pyrosm (``.osm.pbf`` extracts, which osmnx cannot read). OSM XML (``.osm``, ``.osm.bz2``,
``.osm.gz``) is streamed with the standard library so that large files stay small in memory.
Nothing here touches the network except :func:`download_place`.
"""

from __future__ import annotations

import bz2
import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
from numpy.typing import NDArray

from sendplan.errors import InputError, visible
from sendplan.geo.roads import RoadSegments

# The tags the profile rules read; everything else is dropped on reading.
ROUTING_TAGS: tuple[str, ...] = (
    "highway", "oneway", "junction", "maxspeed", "access", "motorcar", "motor_vehicle",
    "vehicle", "foot", "service", "area",
)  # fmt: skip


def _osm_degrees(values: Iterable[float]) -> NDArray[np.float64]:
    """Coordinates at OSM's own precision (1e-7 degrees), so PBF and XML copies agree exactly."""
    return np.rint(np.asarray(list(values), dtype=np.float64) * 1e7) / 1e7


class _TagTable:
    """Distinct routing-tag sets, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[tuple[tuple[str, str], ...], int] = {}

    def add(self, tags: Mapping[str, object]) -> int:
        key = tuple(
            sorted((k, str(v)) for k, v in tags.items() if k in ROUTING_TAGS and _present(v))
        )
        return self.index.setdefault(key, len(self.index))

    def tags(self) -> tuple[dict[str, str], ...]:
        return tuple(dict(key) for key in self.index)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value != ""


def _segments(
    node_ids: list[int],
    lons: Iterable[float],
    lats: Iterable[float],
    u: list[int],
    v: list[int],
    tag_index: list[int],
    table: _TagTable,
    source: str,
    *,
    directed: bool = False,
) -> RoadSegments:
    return RoadSegments(
        node_id=np.asarray(node_ids, dtype=np.int64),
        lon=_osm_degrees(lons),
        lat=_osm_degrees(lats),
        u=np.asarray(u, dtype=np.int64),
        v=np.asarray(v, dtype=np.int64),
        tag_index=np.asarray(tag_index, dtype=np.int64),
        tags=table.tags(),
        source=source,
        directed=directed,
    )


def read_map(path: Path) -> RoadSegments:
    """Read any supported map file, chosen by its name: ``.osm.pbf``, OSM XML, or GraphML."""
    name = path.name.lower()
    if not path.is_file():
        raise InputError(path.name, f"map file not found: {path}")
    if name.endswith(".pbf"):
        return read_pbf(path)
    if name.endswith(".graphml"):
        return read_graphml(path)
    if name.endswith((".osm", ".xml", ".bz2", ".gz")):
        return read_osm_xml(path)
    raise InputError(path.name, "unknown map format: use .osm.pbf, .osm, .osm.bz2 or .graphml")


# --- .osm.pbf (pyrosm) -------------------------------------------------------------------------


def read_pbf(path: Path) -> RoadSegments:
    """Every highway segment of a ``.osm.pbf`` extract, read with pyrosm (no download)."""
    import pyrosm  # pyrosm (and its geopandas stack) is heavy; only .osm.pbf input needs it

    try:
        osm = pyrosm.OSM(str(path), progress=False)
        result = osm.get_network(
            network_type="all", nodes=True, extra_attributes=list(ROUTING_TAGS)
        )
    except Exception as err:  # pyrosm raises many kinds on a corrupt file
        raise InputError(path.name, f"not a readable .osm.pbf file ({type(err).__name__})") from err
    if result is None or result[1] is None or len(result[1]) == 0:
        raise InputError(path.name, "the map holds no roads")
    nodes, edges = result
    columns = [c for c in ROUTING_TAGS if c in edges.columns]
    table = _TagTable()
    way_tag: dict[int, int] = {}
    ways = edges.drop_duplicates("id")
    extras = ways["tags"] if "tags" in ways.columns else [None] * len(ways)
    for way_id, extra, *values in zip(
        ways["id"].tolist(), extras, *(ways[c].tolist() for c in columns), strict=True
    ):
        tags: dict[str, object] = {}
        if isinstance(extra, str) and extra:
            tags.update(json.loads(extra))
        elif isinstance(extra, dict):
            tags.update(extra)
        tags.update({c: val for c, val in zip(columns, values, strict=True) if _present(val)})
        way_tag[int(way_id)] = table.add(tags)
    tag_index = [way_tag[int(w)] for w in edges["id"].tolist()]
    return _segments(
        nodes["id"].astype(np.int64).tolist(),
        nodes["lon"].tolist(),
        nodes["lat"].tolist(),
        edges["u"].astype(np.int64).tolist(),
        edges["v"].astype(np.int64).tolist(),
        tag_index,
        table,
        path.name,
    )


# --- OSM XML (standard library) ----------------------------------------------------------------


def _open_xml(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _degrees(elem: ET.Element, key: str, bound: float, name: str) -> float:
    value = float(elem.attrib[key])
    if not -bound <= value <= bound:  # NaN and infinities included
        raise InputError(name, f"node {visible(elem.attrib.get('id', '?'))}: {key} "
                         f"{visible(elem.attrib[key])} is not in degrees", field=key)  # fmt: skip
    return value


def read_osm_xml(path: Path) -> RoadSegments:
    """Every highway segment of an OSM XML file (``.osm``, ``.osm.bz2``, ``.osm.gz``)."""
    node_ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    u: list[int] = []
    v: list[int] = []
    tag_index: list[int] = []
    table = _TagTable()
    try:
        with _open_xml(path) as handle:
            context = ET.iterparse(handle, events=("start", "end"))
            _, root = next(context)
            depth = 0  # below the root: 1 inside a top-level element such as a node or way
            for event, elem in context:
                depth += 1 if event == "start" else -1
                if event != "end" or depth:
                    continue
                if elem.tag == "node":
                    node_ids.append(int(elem.attrib["id"]))
                    lons.append(_degrees(elem, "lon", 180.0, path.name))
                    lats.append(_degrees(elem, "lat", 90.0, path.name))
                elif elem.tag == "way":
                    tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
                    refs = [int(nd.attrib["ref"]) for nd in elem.iter("nd")]
                    if "highway" in tags and len(refs) > 1:
                        index = table.add(tags)
                        u.extend(refs[:-1])
                        v.extend(refs[1:])
                        tag_index.extend([index] * (len(refs) - 1))
                # Every top-level element is dropped once read (relations and tags this
                # reader does not use too), so memory stays flat however long the file.
                root.clear()
    except (ET.ParseError, OSError, EOFError, KeyError, ValueError) as err:
        raise InputError(path.name, f"not a readable OSM XML file ({type(err).__name__})") from err
    if not u:
        raise InputError(path.name, "the map holds no roads")
    # Deleted or duplicated node records: keep the last position of each id.
    ids = np.asarray(node_ids, dtype=np.int64)
    _, last = np.unique(ids[::-1], return_index=True)
    keep = np.sort(len(ids) - 1 - last)
    return _segments(
        ids[keep].tolist(),
        np.asarray(lons)[keep],
        np.asarray(lats)[keep],
        u,
        v,
        tag_index,
        table,
        path.name,
    )


# --- osmnx graphs: GraphML files and the explicit download ---------------------------------------


def _segments_from_osmnx(graph: Any, source: str) -> RoadSegments:
    """Segments of an osmnx MultiDiGraph, whose edges are already the permitted car directions.

    Simplified edges carry their shape as ``geometry``; its interior points become nodes
    (negative ids, shared by the two directions of a street) so that snapping follows the road.
    """
    crs = str(graph.graph.get("crs", "epsg:4326")).lower()
    if crs not in {"epsg:4326", "wgs84", "+init=epsg:4326"}:
        raise InputError(source, f"the graph must be in lon/lat (EPSG:4326), not {crs}")
    node_ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    try:
        for node, data in sorted(graph.nodes(data=True), key=lambda item: int(item[0])):
            node_ids.append(int(node))
            lons.append(float(data["x"]))
            lats.append(float(data["y"]))
    except (KeyError, TypeError, ValueError):
        raise InputError(source, "every node needs numeric x (lon) and y (lat)") from None
    position = dict(zip(node_ids, zip(lons, lats, strict=True), strict=True))
    interior: dict[tuple[float, float], int] = {}
    u: list[int] = []
    v: list[int] = []
    tag_index: list[int] = []
    table = _TagTable()
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: (int(e[0]), int(e[1]), e[2]))
    for tail, head, _key, data in edges:
        index = table.add(data)
        chain = [int(tail)]
        geometry = data.get("geometry")
        if geometry is not None and hasattr(geometry, "coords"):
            coords = [(float(x), float(y)) for x, y, *_ in geometry.coords]
            if coords and coords[0] != position[int(tail)] and coords[-1] == position[int(tail)]:
                coords.reverse()
            for point in coords[1:-1]:
                if point not in interior:
                    interior[point] = -(len(interior) + 1)
                chain.append(interior[point])
        chain.append(int(head))
        u.extend(chain[:-1])
        v.extend(chain[1:])
        tag_index.extend([index] * (len(chain) - 1))
    if not u:
        raise InputError(source, "the graph holds no edges")
    for (lon, lat), node in interior.items():
        node_ids.append(node)
        lons.append(lon)
        lats.append(lat)
    return _segments(node_ids, lons, lats, u, v, tag_index, table, source, directed=True)


def read_graphml(path: Path) -> RoadSegments:
    """Segments of a GraphML file saved by osmnx (unprojected), e.g. a ``drive`` or ``all`` graph.

    osmnx keeps one-way streets directed in those graphs; a ``walk`` graph has lost them.
    """
    import osmnx as ox  # heavy (about 2 s); only GraphML input and --place need it

    try:
        graph = ox.load_graphml(path)
    except Exception as err:  # networkx/lxml raise many kinds on a bad file
        message = f"not a readable osmnx GraphML file ({type(err).__name__})"
        raise InputError(path.name, message) from err
    return _segments_from_osmnx(graph, path.name)


def download_place(place: str) -> RoadSegments:
    """Download a place's street network from OpenStreetMap with osmnx: ONLINE, on request only.

    This is the one function in sendplan that uses the network (``sendplan network build
    --place``). It asks for osmnx's ``all`` network, unsimplified, with the tags our profile
    rules read, and leaves no cache folder behind.
    """
    import osmnx as ox  # heavy (about 2 s); only GraphML input and --place need it

    saved = (list(ox.settings.useful_tags_way), ox.settings.use_cache)
    ox.settings.useful_tags_way = sorted(set(saved[0]) | set(ROUTING_TAGS))
    ox.settings.use_cache = False
    try:
        graph = ox.graph_from_place(place, network_type="all", simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way, ox.settings.use_cache = saved
    return _segments_from_osmnx(graph, place)
