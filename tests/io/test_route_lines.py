"""Route lines for maps: every route, its points in driving order, straight without a network."""

from __future__ import annotations

from transport_cases import TRAVEL, random_children, scenario, school

from sendplan.api.route_lines import route_lines
from sendplan.api.transport_io import routes_geojson
from sendplan.routing.solve import solve
from sendplan.routing.transport.steps import route_steps
from sendplan.routing.vrp.stop import MaxIterations

SC = scenario(
    random_children(12, 5, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
)


def test_straight_lines_join_each_routes_steps_in_order() -> None:
    result = solve(
        SC, sessions=("am", "pm"), placement="current", travel=TRAVEL, stop=MaxIterations(50),
        seed=1, workers=1,
    )  # fmt: skip
    lines = route_lines(result)
    routes = [r for plan in result.transport for r in plan.routes]
    assert routes and sorted(lines) == sorted(r.route_id for r in routes)
    assert {line.session for line in lines.values()} == {"am", "pm"}
    for r in routes:
        line = lines[r.route_id]
        assert line.session == r.session and line.along_roads is False
        expected = [tuple(s["location"]) for s in route_steps(result.scenario, r)]
        assert list(line.coords) == expected
        # Depot first and last; every stop and school call in between.
        assert len(line.coords) == len(r.stops) + len(r.school_calls) + 2


def test_routes_geojson_draws_the_route_lines_and_says_they_are_straight() -> None:
    result = solve(
        SC, sessions=("am",), placement="current", travel=TRAVEL, stop=MaxIterations(50),
        seed=1, workers=1,
    )  # fmt: skip
    lines = route_lines(result)
    doc = routes_geojson(result.scenario, result.transport, lines=lines)
    drawn = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(drawn) == len(lines)
    for f in drawn:
        line = lines[f["properties"]["route_id"]]
        assert f["properties"]["along_roads"] is False
        assert f["geometry"]["coordinates"] == [list(c) for c in line.coords]
