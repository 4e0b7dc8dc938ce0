"""Each route's line for maps: along the roads when the plan was solved on a road network.

What every output that draws routes uses (routes.geojson, results.gpkg, report.html), so they
draw the same lines; see :mod:`sendplan.routing.transport.lines` for how a line is made.
"""

from __future__ import annotations

from sendplan.routing.result import Result
from sendplan.routing.transport.lines import RouteLine, lines_of

__all__ = ["RouteLine", "route_lines"]


def route_lines(result: Result) -> dict[str, RouteLine]:
    """Every route of ``result.transport`` by route_id, along the roads of the model it was
    solved with when that model can rebuild its paths (``along_roads`` says which)."""
    return lines_of(result.scenario, result.transport, result.travel)
