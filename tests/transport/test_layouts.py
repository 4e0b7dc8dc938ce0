"""Vehicle layouts: a type fitted as 16+0, 14+1 or 12+2 (seats + wheelchair spaces). The planner
picks a layout per run and states it; no run exceeds either dimension of its layout, the
layouts of a type never use more vehicles than the type has, and the independent checker
rejects a run over its stated layout or stating a layout that is not its type's."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transport_cases import DEPOT, check, child, plan, random_children, scenario

from sendplan.routing.model import ModelError, VehicleType, layout_label
from sendplan.routing.transport.layouts import engine_shares, vehicle_kinds
from sendplan.routing.transport.plan import Route, TransportPlan

LAYOUTS = ((16, 0), (14, 1), (12, 2), (8, 4))


def minibus(layouts: tuple[tuple[int, int], ...], available: int, *, pa: bool) -> VehicleType:
    seats, spaces = layouts[0]
    return VehicleType(
        "minibus_pa" if pa else "minibus", seats, spaces, pa, 40.0 if pa else 30.0, 0.5,
        available, DEPOT[0], DEPOT[1], layouts=layouts,
    )  # fmt: skip


def load(route: Route, wheelchair: dict[str, bool]) -> tuple[int, int]:
    """A single-school run carries all its riders at once: (walk-on, wheelchair users)."""
    chairs = sum(wheelchair[i] for i in route.child_ids)
    return len(route.child_ids) - chairs, chairs


def parse(label: str) -> tuple[int, int]:
    seats, spaces = label.split("+")
    return int(seats), int(spaces)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=22),
    seed=st.integers(min_value=0, max_value=10_000),
    layouts=st.lists(st.sampled_from(LAYOUTS), min_size=1, max_size=4, unique=True),
    available=st.integers(min_value=1, max_value=4),
    session=st.sampled_from(["am", "pm"]),
)
def test_runs_never_exceed_either_dimension_of_their_layout(
    n: int, seed: int, layouts: list[tuple[int, int]], available: int, session: str
) -> None:
    kids = random_children(n, seed, radius_km=2.5)
    kids = [replace(c, travel_alone=False) for c in kids]
    fleet = (
        minibus(tuple(layouts), available, pa=False),
        minibus(tuple(reversed(layouts)), available, pa=True),
    )
    sc = scenario(kids, vehicles=fleet)
    p = plan(sc, "am" if session == "am" else "pm", iterations=60, seed=seed)
    wheelchair = {c.child_id: c.wheelchair for c in kids}
    types = {v.name: v for v in fleet}
    for r in p.routes:
        assert r.layout, r
        seats, spaces = parse(r.layout)
        assert (seats, spaces) in types[r.vehicle_type].layout_options
        walk_on, chairs = load(r, wheelchair)
        assert walk_on <= seats and chairs <= spaces, (r.route_id, r.layout, walk_on, chairs)
    used = Counter(r.vehicle_type for r in p.routes)
    assert all(used[name] <= types[name].available for name in used), used
    report = check(sc, p)
    assert report.ok, report.violations


def _one_run() -> tuple[TransportPlan, object]:
    """Three walk-on riders and a wheelchair user near one school, one minibus (16+0 or 14+1)."""
    kids = [child(f"C{i}", 0.3 * i, 0.2, age=12) for i in range(3)]
    kids.append(child("C3", 0.5, -0.2, age=12, wheelchair=True))
    bus = minibus(((16, 0), (14, 1)), 1, pa=False)
    sc = scenario(kids, vehicles=(bus,))
    p = plan(sc, "am", iterations=50)
    return p, sc


def test_planner_states_the_layout_that_takes_the_wheelchair() -> None:
    p, sc = _one_run()
    assert [r.layout for r in p.routes] == ["14+1"]
    assert check(sc, p).ok  # type: ignore[arg-type]


def test_checker_rejects_a_run_over_its_stated_layout() -> None:
    p, sc = _one_run()
    bad = replace(p, routes=(replace(p.routes[0], layout="16+0"),))
    violations = check(sc, bad).violations  # type: ignore[arg-type]
    assert any("1 wheelchair users but minibus in layout 16+0 has 0" in v for v in violations)


def test_checker_rejects_a_layout_not_of_the_type() -> None:
    p, sc = _one_run()
    for label in ("12+2", "14+1x", ""):
        bad = replace(p, routes=(replace(p.routes[0], layout=label),))
        violations = check(sc, bad).violations  # type: ignore[arg-type]
        if label:
            assert any("is not one of minibus's (16+0, 14+1)" in v for v in violations), label
        else:  # a route stating no layout may use any of the type's: this load fits 14+1
            assert violations == ()


def test_checker_rejects_seats_over_the_stated_layout() -> None:
    kids = [child(f"C{i}", 0.1 * i, 0.1, age=12) for i in range(3)]
    bus = minibus(((3, 0), (2, 1)), 1, pa=False)
    sc = scenario(kids, vehicles=(bus,))
    p = plan(sc, "am", iterations=50)
    assert [r.layout for r in p.routes] == ["3+0"]
    bad = replace(p, routes=(replace(p.routes[0], layout="2+1"),))
    assert any(
        "3 seated children but minibus in layout 2+1 has 2 seats" in v
        for v in check(sc, bad).violations
    )


def test_layouts_of_a_type_share_its_vehicles() -> None:
    """Two wheelchair users and ten walk-on riders far apart need more runs than one vehicle:
    with one minibus the plan uses it once, whatever layout, and leaves the rest unrouted."""
    kids = [child(f"W{i}", 4.0 * i - 8, 3.0, age=12, wheelchair=True) for i in range(2)]
    kids += [child(f"C{i}", 2.0 * i - 9, -3.0, age=12) for i in range(10)]
    bus = minibus(((16, 0), (14, 1)), 1, pa=False)
    sc = scenario(kids, vehicles=(bus,))
    p = plan(sc, "am", iterations=80)
    assert len(p.routes) <= 1
    assert check(sc, p).ok


def test_engine_shares_split_a_type_among_its_layouts() -> None:
    kinds = vehicle_kinds([minibus(((16, 0), (14, 1), (12, 2)), 5, pa=False)])
    assert [layout_label((k.seats, k.wheelchair_spaces)) for k in kinds] == ["16+0", "14+1", "12+2"]
    remaining = {"minibus": 5}
    assert engine_shares(kinds, [2, 3, 0], remaining) is None  # within 5
    for used in ([4, 4, 0], [1, 1, 9], [0, 7, 0], [3, 3, 3]):
        shares = engine_shares(kinds, used, remaining)
        assert shares is not None and sum(shares) == 5, (used, shares)
        # every layout the first solve used keeps at least one vehicle
        assert all(s >= 1 for s, u in zip(shares, used, strict=True) if u), (used, shares)
    assert engine_shares(kinds, [1, 1, 1], {"minibus": 2}) in ([1, 1, 0], [1, 0, 1], [0, 1, 1])


@pytest.mark.parametrize(
    ("layouts", "seats", "spaces"),
    [(((16, 0), (14, 1)), 16, 2), (((16, 0), (16, 0)), 16, 0), (((0, 0),), 1, 0)],
)
def test_inconsistent_layouts_are_refused(
    layouts: tuple[tuple[int, int], ...], seats: int, spaces: int
) -> None:
    with pytest.raises(ModelError):
        VehicleType("m", seats, spaces, False, 1.0, 1.0, 1, DEPOT[0], DEPOT[1], layouts=layouts)
