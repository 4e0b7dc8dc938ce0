"""The independent route checker: each rule, planted into a valid plan, is caught."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest
from transport_cases import check, child, fleet, plan, scenario, school, vehicle

from sendplan.routing import transport
from sendplan.routing.model import Scenario
from sendplan.routing.transport.plan import Route, TransportPlan, Unrouted, UnroutedReason


def base() -> tuple[Scenario, TransportPlan, TransportPlan]:
    kids = [child(f"C{i}", 1 + 0.3 * i, 1 + 0.2 * (i % 3), age=12) for i in range(9)]
    kids += [child("WC", 1.5, 1.4, wheelchair=True), child("PA", 1.2, 0.8, needs_assistant=True)]
    kids.append(child("ALONE", 0.8, 1.8, travel_alone=True))
    sc = scenario(kids)
    am, pm = plan(sc, "am"), plan(sc, "pm")
    assert check(sc, am).ok and check(sc, pm).ok
    return sc, am, pm


SC, AM, PM = base()


def with_route(p: TransportPlan, index: int, route: Route) -> TransportPlan:
    routes = list(p.routes)
    routes[index] = route
    return replace(p, routes=tuple(routes))


def first(p: TransportPlan, pred: object) -> int:
    return next(i for i, r in enumerate(p.routes) if pred(r))  # type: ignore[operator]


def caught(p: TransportPlan, words: str, sc: Scenario = SC) -> None:
    report = check(sc, p)
    assert any(words in v for v in report.violations), report.violations


def test_the_valid_plans_pass() -> None:
    assert check(SC, AM).ok and check(SC, PM).ok


def test_child_twice_or_missing_is_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 2)
    r = AM.routes[i]
    dropped = with_route(AM, i, replace(r, stops=r.stops[1:]))
    caught(dropped, f"child {r.stops[0].child_id}: on 0 routes and unrouted 0 times")
    doubled = replace(AM, unrouted=(Unrouted(r.stops[0].child_id, UnroutedReason.NOT_ROUTED),))
    caught(doubled, "on 1 routes and unrouted 1 times")


def test_wrong_unrouted_reason_is_caught() -> None:
    i = first(AM, lambda r: r.child_ids == ("ALONE",))
    routes = tuple(r for k, r in enumerate(AM.routes) if k != i)
    p = replace(AM, routes=routes, unrouted=(Unrouted("ALONE", UnroutedReason.NOT_PLACED),))
    caught(p, "unrouted as not_placed but has a school")
    p = replace(
        AM, routes=routes, unrouted=(Unrouted("ALONE", UnroutedReason.NO_SUITABLE_VEHICLE),)
    )
    caught(p, "no_suitable_vehicle but a type suits")


def test_too_many_seats_is_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 2 and "WC" not in r.child_ids)
    tight = (*fleet(), vehicle("car1", 1, 0, True, 10.0, 1.0))
    sc = replace(SC, fleet=tight)
    caught(with_route(AM, i, replace(AM.routes[i], vehicle_type="car1")), "seated children", sc)


def test_wheelchair_user_without_a_space_is_caught() -> None:
    i = first(AM, lambda r: "WC" in r.child_ids)
    r = AM.routes[i]
    caught(with_route(AM, i, replace(r, vehicle_type="taxi_pa", assistant=True)), "wheelchair")


def test_missing_assistant_is_caught() -> None:
    i = first(AM, lambda r: "PA" in r.child_ids)
    r = AM.routes[i]
    caught(
        with_route(AM, i, replace(r, vehicle_type="wav", assistant=False)), "passenger assistant"
    )


def test_travel_alone_child_sharing_is_caught() -> None:
    i = first(AM, lambda r: r.child_ids == ("ALONE",))
    j = first(AM, lambda r: len(r.stops) >= 2)
    merged = replace(AM.routes[j], stops=(*AM.routes[j].stops, AM.routes[i].stops[0]))
    routes = [r for k, r in enumerate(AM.routes) if k not in (i, j)] + [merged]
    caught(replace(AM, routes=tuple(routes)), "must travel alone")


def test_arrival_outside_the_window_is_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 1)
    r = AM.routes[i]
    late = replace(r, school_time_min=SC.schools[0].bell_am_min - 1)
    caught(with_route(AM, i, late), "before the")


def test_pm_departure_before_finish_is_caught() -> None:
    r = PM.routes[0]
    early = replace(r, school_time_min=SC.schools[0].finish_pm_min - 5)
    caught(with_route(PM, 0, early), f"leaves {r.school_id} at")


def test_impossible_times_are_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 2)
    r = AM.routes[i]
    squeezed = replace(r.stops[0], time_min=r.stops[1].time_min - 0.5)
    caught(with_route(AM, i, replace(r, stops=(squeezed, *r.stops[1:]))), "cannot be reached")


def test_wrong_boarding_time_is_caught() -> None:
    i = first(AM, lambda r: "WC" in r.child_ids)
    r = AM.routes[i]
    stops = tuple(replace(s, boarding_min=2.0) if s.child_id == "WC" else s for s in r.stops)
    caught(with_route(AM, i, replace(r, stops=stops)), "boarding")


def test_ride_over_the_limit_is_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 2)
    r = AM.routes[i]
    victim = r.stops[0]
    strict = tuple(
        replace(c, ride_limit_min=victim.ride_min / 2) if c.child_id == victim.child_id else c
        for c in SC.children
    )
    caught(AM, f"child {victim.child_id}: ride", replace(SC, children=strict))


def test_misreported_ride_is_caught() -> None:
    i = first(AM, lambda r: len(r.stops) >= 2)
    r = AM.routes[i]
    stops = (replace(r.stops[0], ride_min=r.stops[0].ride_min - 3), *r.stops[1:])
    caught(with_route(AM, i, replace(r, stops=stops)), "reported")


def test_over_limit_solo_must_be_flagged() -> None:
    sc = scenario([child("FAR", 30, 0)], ride_limit_min_secondary=20.0)
    p = plan(sc)
    assert check(sc, p).ok and p.routes[0].solo
    unflagged = with_route(p, 0, replace(p.routes[0], flags=(), solo=False))
    caught(unflagged, "exceeds limit", sc)


def test_fleet_over_availability_is_caught() -> None:
    used = AM.vehicles_by_type()
    name = max(used, key=lambda k: used[k])
    short = tuple(replace(v, available=used[name] - 1) if v.name == name else v for v in SC.fleet)
    caught(AM, f"vehicle type {name}", replace(SC, fleet=short))


def test_wrong_distance_and_cost_are_caught() -> None:
    r = AM.routes[0]
    caught(with_route(AM, 0, replace(r, distance_m=r.distance_m + 500)), "distance")
    caught(with_route(AM, 0, replace(r, cost_gbp=r.cost_gbp - 1)), "cost")


def test_wrong_school_is_caught() -> None:
    sc = replace(SC, schools=(*SC.schools, school("S2", 1, 1)))
    caught(with_route(AM, 0, replace(AM.routes[0], school_id="S2")), "does not attend", sc)


@pytest.mark.parametrize("session", ["am", "pm"])
def test_assistant_flag_must_match_the_vehicle(session: str) -> None:
    p = AM if session == "am" else PM
    r = p.routes[0]
    caught(with_route(p, 0, replace(r, assistant=not r.assistant)), "assistant=")


# ---------------------------------------------------------------------------- independence

TRANSPORT = Path(transport.__file__).parent
CHECKER_MODULES = sorted(p.name for p in TRANSPORT.glob("check*.py"))
# The checker may use the plan's types and its own modules; nothing the planner uses to plan.
CHECKER_MAY_IMPORT = {f"sendplan.routing.transport.{m}" for m in ("plan", "check", "check_rules")}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (``from a import b`` counts ``a`` and ``a.b``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            assert node.module is not None
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


@pytest.mark.parametrize("name", CHECKER_MODULES)
def test_the_checker_imports_nothing_of_the_planner_or_the_engine(name: str) -> None:
    """The checker recomputes a plan independently: it may not import the planner (its modules,
    the planners' shared ``rules.py``, ``mixed.py``) nor the engine (``routing/vrp``)."""
    assert set(CHECKER_MODULES) >= {"check.py", "check_rules.py"}
    imports = imported_modules(TRANSPORT / name)
    ours = {m for m in imports if m.startswith("sendplan.routing.transport.")}
    assert {m for m in ours if m.count(".") == 3} <= CHECKER_MAY_IMPORT, sorted(ours)
    banned = ("planner", "rules", "mixed", "school_instance", "solo", "exact", "build_routes",
              "never_together")  # fmt: skip
    assert not {m for m in ours if m.split(".")[3] in banned}, sorted(ours)
    assert not {m for m in imports if m.startswith("sendplan.routing.vrp")}, sorted(imports)
    assert "sendplan.routing.transport" not in imports, "name the modules imported"
