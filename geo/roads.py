"""OSM road segments, and the rules each travel profile applies to their tags.

A map file is read (:mod:`sendplan.geo.osm`) into :class:`RoadSegments`; these rules decide which
segments a profile may use, in which direction, how fast, and with which highway class;
:mod:`sendplan.geo.network` builds the graphs from them.

Profile rules
-------------
drive
    Ways whose ``highway`` is in :data:`DRIVE_HIGHWAYS` (osmnx's "drive": no service roads,
    tracks, paths or busways), not ``area=yes``, and not closed to cars: the most specific of
    ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` that a way carries decides, and
    ``no``/``private`` closes it. One-way streets are respected (``oneway=yes|true|1`` forward,
    ``-1|reverse`` backward; ``junction=roundabout|circular`` and ``highway=motorway`` imply
    ``oneway=yes`` as the OSM wiki says). Only the largest strongly connected component is kept,
    so every node can reach every other. Turn restrictions are not modelled.
walk
    Every ``highway`` except :data:`WALK_EXCLUDED_HIGHWAYS` (motorways, busways, unbuilt roads),
    not ``area=yes``, not ``service=private``, not closed on foot (``foot`` then ``access``);
    cycleways only where ``foot`` allows walking. Every way is two-way on foot. The largest
    connected component is kept. Walking routes are the shortest in distance (the statutory
    walking-distance rule), timed at :data:`WALK_SPEED_KMH`.

Drive speeds
------------
``maxspeed`` where tagged (``30 mph``, ``50``/``50 km/h``, ``GB:nsl_single`` = 60 mph,
``GB:nsl_dual`` and ``GB:motorway`` = 70 mph, ``GB:zone20`` = 20 mph, ``walk`` = 5 km/h; several
values are averaged). Otherwise :data:`UK_DEFAULT_SPEED_MPH` by ``highway`` class: the legal
limit that usually applies to that class in England (Highway Code rule 124: 70 mph motorways,
60 mph national limit on single carriageways, 30 mph on restricted, street-lit roads), lowered
where UK practice is lower (10 mph home zones). These are limits, not expected speeds: a
congestion factor (:func:`~sendplan.geo.network.with_congestion`, e.g. for the AM peak) turns
them into journey times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

KMH_PER_MPH = 1.609344
WALK_SPEED_KMH = 4.8  # 3 mph, the usual planning figure for a child walking with an adult.

# Legal limits by class when OSM has no maxspeed (see the module docstring), in mph.
UK_DEFAULT_SPEED_MPH: Mapping[str, float] = {
    "motorway": 70.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 30.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "road": 30.0,
}
DRIVE_HIGHWAYS = frozenset(UK_DEFAULT_SPEED_MPH)
WALK_EXCLUDED_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "motor", "bus_guideway", "busway", "raceway", "escape",
        "abandoned", "construction", "no", "planned", "platform", "proposed", "razed",
        "rest_area", "services",
    }
)  # fmt: skip
# Classes recorded per edge (for reports and per-class congestion); anything else is "other".
HIGHWAY_CLASSES: tuple[str, ...] = (
    *UK_DEFAULT_SPEED_MPH,
    "service", "footway", "path", "pedestrian", "steps", "cycleway", "track", "bridleway",
    "other",
)  # fmt: skip

_OPEN = (True, True)
_CLOSED = frozenset({"no", "private"})
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_ONEWAY_NO = frozenset({"no", "false", "0"})
_FOOT_OPEN = frozenset({"yes", "designated", "permissive"})


# --- road segments -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RoadSegments:
    """Road segments as a map file holds them, before any profile rule.

    ``u[i] -> v[i]`` follows the way's node order and ``tags[tag_index[i]]`` are its OSM tags.
    ``directed`` is True when the source already made the graph directed for cars (osmnx
    graphs): each segment is then one permitted driving direction and ``oneway`` is not read.
    """

    node_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    tag_index: NDArray[np.int64]
    tags: tuple[Mapping[str, object], ...]
    source: str
    directed: bool = False


# --- tag rules ---------------------------------------------------------------------------------

_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$", re.IGNORECASE)
_ZONE_RE = re.compile(r"^(?:(\w\w):)?zone:?(\d+)$", re.IGNORECASE)
_NAMED_SPEEDS_KMH = {
    "gb:nsl_single": 60 * KMH_PER_MPH,
    "uk:nsl_single": 60 * KMH_PER_MPH,
    "gb:nsl_dual": 70 * KMH_PER_MPH,
    "uk:nsl_dual": 70 * KMH_PER_MPH,
    "gb:motorway": 70 * KMH_PER_MPH,
    "uk:motorway": 70 * KMH_PER_MPH,
    "national": 60 * KMH_PER_MPH,
    "gb:urban": 30 * KMH_PER_MPH,
    "uk:urban": 30 * KMH_PER_MPH,
    "walk": 5.0,
}


def tag_values(value: object) -> list[str]:
    """The values of a tag: ``a;b`` and osmnx's merged lists (``['a', 'b']``) give several."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for item in value for v in tag_values(item)]
    if isinstance(value, float) and math.isnan(value):
        return []
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].replace("'", "").replace('"', "").replace(",", ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_maxspeed_kmh(value: object) -> float | None:
    """A ``maxspeed`` tag in km/h; ``None`` when absent or not a speed (``none``, ``signals``)."""
    speeds: list[float] = []
    for part in tag_values(value):
        text = part.lower()
        if text in _NAMED_SPEEDS_KMH:
            speeds.append(_NAMED_SPEEDS_KMH[text])
            continue
        zone = _ZONE_RE.match(text)
        if zone:
            in_mph = (zone.group(1) or "gb").lower() in {"gb", "uk"}
            speeds.append(float(zone.group(2)) * (KMH_PER_MPH if in_mph else 1.0))
            continue
        match = _SPEED_RE.match(text)
        if not match:
            continue
        number, unit = float(match.group(1)), (match.group(2) or "").lower()
        factor = {"mph": KMH_PER_MPH, "knots": 1.852}.get(unit, 1.0)
        if number > 0:
            speeds.append(number * factor)
    return sum(speeds) / len(speeds) if speeds else None


def _first(tags: Mapping[str, object], key: str) -> str | None:
    values = tag_values(tags.get(key))
    return values[0].lower() if values else None


def _closed(tags: Mapping[str, object], keys: Sequence[str]) -> bool:
    """OSM's access hierarchy: the most specific key the way carries decides."""
    for key in keys:
        values = [v.lower() for v in tag_values(tags.get(key))]
        if values:
            return any(v in _CLOSED for v in values)
    return False


def drive_directions(tags: Mapping[str, object]) -> tuple[bool, bool]:
    """Whether a car may use a way forward (along its nodes) and backward; both False if not."""
    highway = _first(tags, "highway")
    if highway not in DRIVE_HIGHWAYS or _first(tags, "area") == "yes":
        return (False, False)
    if _closed(tags, ("motorcar", "motor_vehicle", "vehicle", "access")):
        return (False, False)
    oneway = _first(tags, "oneway")
    if oneway in _ONEWAY_FORWARD:
        return (True, False)
    if oneway in _ONEWAY_BACKWARD:
        return (False, True)
    if oneway in _ONEWAY_NO:
        return _OPEN
    if _first(tags, "junction") in {"roundabout", "circular"} or highway == "motorway":
        return (True, False)
    return _OPEN


def is_walkable(tags: Mapping[str, object]) -> bool:
    """Whether a pedestrian may use a way (always in both directions)."""
    highway = _first(tags, "highway")
    if highway is None or highway in WALK_EXCLUDED_HIGHWAYS or _first(tags, "area") == "yes":
        return False
    if _first(tags, "service") == "private" or _closed(tags, ("foot", "access")):
        return False
    return highway != "cycleway" or _first(tags, "foot") in _FOOT_OPEN


def drive_speed_kmh(tags: Mapping[str, object]) -> float:
    """The speed a car may travel a way at: ``maxspeed``, else the UK default for its class."""
    speed = parse_maxspeed_kmh(tags.get("maxspeed"))
    if speed is not None:
        return speed
    return UK_DEFAULT_SPEED_MPH.get(_first(tags, "highway") or "road", 30.0) * KMH_PER_MPH


def highway_class(tags: Mapping[str, object]) -> int:
    """The index of a way's class in :data:`HIGHWAY_CLASSES`."""
    highway = _first(tags, "highway")
    return HIGHWAY_CLASSES.index(highway if highway in HIGHWAY_CLASSES else "other")
