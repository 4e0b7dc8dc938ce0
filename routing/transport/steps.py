"""A route as the steps a vehicle makes: depot, pick-ups or drop-offs, school calls, depot.

Shared by every output that draws or lists a route (routes.json, GeoJSON, the result's
GeoDataFrame), so they cannot disagree. Locations are ``[lon, lat]``; times are minutes after
midnight, rounded to the hundredth.
"""

from __future__ import annotations

from typing import Any

from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import Route


def _points(scenario: Scenario) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    homes = {c.child_id: [c.lon, c.lat] for c in scenario.children}
    schools = {s.school_id: [s.lon, s.lat] for s in scenario.schools}
    return homes, schools


def _depot(scenario: Scenario, vehicle_type: str) -> list[float]:
    v = next(v for v in scenario.fleet if v.name == vehicle_type)
    return [v.depot_lon, v.depot_lat]


def route_steps(scenario: Scenario, route: Route) -> list[dict[str, Any]]:
    """Depot, child stops and school calls in driving order, depot."""
    homes, schools = _points(scenario)
    depot = _depot(scenario, route.vehicle_type)
    kind = "pickup" if route.session == "am" else "dropoff"
    steps: list[dict[str, Any]] = [
        {"type": "start", "location": depot, "time": round(route.start_min, 2)}
    ]
    calls = route.school_calls
    for i in range(len(route.stops) + 1):
        steps += [
            {
                "type": "school",
                "school_id": c.school_id,
                "location": schools[c.school_id],
                "time": round(c.time_min, 2),
                "children": list(c.child_ids),
            }
            for c in calls
            if c.after_stops == i
        ]
        if i < len(route.stops):
            s = route.stops[i]
            steps.append(
                {
                    "type": kind,
                    "child_id": s.child_id,
                    "location": homes[s.child_id],
                    "time": round(s.time_min, 2),
                    "boarding": round(s.boarding_min, 2),
                    "ride": round(s.ride_min, 2),
                }
            )
    steps.append({"type": "end", "location": depot, "time": round(route.end_min, 2)})
    return steps
