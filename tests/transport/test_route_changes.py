"""``route_changes`` (changes.json ``routes``): a route that keeps its id but changes its layout
(e.g. ``16+0`` to ``14+1`` when a wheelchair user joins) or vehicle type is reported with the old
and the new one; a route the same in both is not reported."""

from __future__ import annotations

from dataclasses import replace

from transport_cases import plan, random_children, scenario, vehicle

from sendplan.routing.transport.continuity import route_changes

MINIBUS = replace(vehicle("minibus", 16, 0, False, 40.0, 2.4), layouts=((16, 0), (14, 1)))
SC = scenario(random_children(10, 3, flags=False), vehicles=(MINIBUS,))


def test_a_layout_change_on_the_same_route_gives_the_old_and_new_layout() -> None:
    base = plan(SC)
    first = base.routes[0]
    assert first.layout == "16+0"
    assert route_changes(base, base, frozenset()) == ()  # nothing changed: nothing reported
    after = replace(base, routes=(replace(first, layout="14+1"), *base.routes[1:]))
    (change,) = route_changes(base, after, frozenset())
    assert (change.route_id, change.status) == (first.route_id, "changed")
    assert (change.old_layout, change.new_layout) == ("16+0", "14+1")
    assert (change.old_vehicle_type, change.new_vehicle_type) == ("minibus", "minibus")
    assert change.old_children == change.new_children == len(first.stops)


def test_a_vehicle_type_change_and_new_and_ended_routes_say_what_was_and_is() -> None:
    base = plan(SC)
    first = base.routes[0]
    other = replace(first, vehicle_type="coach", layout="30+2")
    after = replace(base, routes=(other, *base.routes[1:]))
    (change,) = route_changes(base, after, frozenset())
    assert (change.old_vehicle_type, change.new_vehicle_type) == ("minibus", "coach")
    assert (change.old_layout, change.new_layout) == ("16+0", "30+2")
    ended = replace(base, routes=base.routes[1:])
    (gone,) = route_changes(base, ended, frozenset())
    assert gone.status == "ended" and (gone.new_layout, gone.new_vehicle_type) == (None, None)
    (new,) = route_changes(ended, base, frozenset())
    assert new.status == "new" and (new.old_layout, new.new_layout) == (None, "16+0")
