"""Each route's line for maps: along the roads when the plan was solved on a road network.

A route's line is the vehicle's whole run: from its depot, through its stops and school call(s)
in driving order (:func:`sendplan.routing.transport.steps.route_steps`), back to its depot.
When the travel model can rebuild its shortest paths (a road network,
:meth:`sendplan.geo.network_model.NetworkTravelModel.path_lonlat`), each leg follows the roads
the travel times were measured on and ``along_roads`` is True; otherwise (straight-line or
external-matrix models) the line joins the points straight and ``along_roads`` is False, so a
map can say which it draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import TransportPlan
from sendplan.routing.transport.steps import route_steps


@runtime_checkable
class PathModel(Protocol):
    """A travel model that can rebuild the paths its times were measured along."""

    def path_lonlat(self, points: NDArray[np.float64]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class RouteLine:
    """One route's drawn line: ``coords`` are ``(lon, lat)`` in driving order."""

    route_id: str
    session: str
    coords: tuple[tuple[float, float], ...]
    along_roads: bool


def _as_coords(points: NDArray[np.float64]) -> tuple[tuple[float, float], ...]:
    return tuple((float(lon), float(lat)) for lon, lat in points)


def lines_of(
    scenario: Scenario, plans: Sequence[TransportPlan], travel: object
) -> dict[str, RouteLine]:
    """Every route of ``plans`` by route_id, along the roads when ``travel`` can rebuild paths.

    A route whose road path has fewer than two road nodes (every stop inside one street) is
    drawn straight, and says so.
    """
    paths = travel if isinstance(travel, PathModel) else None
    lines: dict[str, RouteLine] = {}
    for plan in plans:
        for route in plan.routes:
            steps = route_steps(scenario, route)
            points = np.array([s["location"] for s in steps], dtype=np.float64).reshape(-1, 2)
            road = paths.path_lonlat(points) if paths is not None else points[:0]
            along_roads = len(road) >= 2
            lines[route.route_id] = RouteLine(
                route_id=route.route_id,
                session=route.session,
                coords=_as_coords(road if along_roads else points),
                along_roads=along_roads,
            )
    return lines
