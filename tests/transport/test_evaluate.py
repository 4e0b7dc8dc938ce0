"""Evaluate mode: existing routes are rebuilt, costed and checked; planted violations are found."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from transport_cases import TRAVEL, child, plan, scenario, school

from sendplan.api.transport_io import EXISTING_COLUMNS, hhmm, read_existing_routes
from sendplan.errors import InputError
from sendplan.routing.transport.evaluate import evaluate_routes, saving
from sendplan.routing.transport.plan import TransportPlan
from sendplan.routing.transport.planner import school_of_children

KIDS = [child(f"C{i}", 1 + 0.4 * i, 1 + 0.3 * (i % 2)) for i in range(6)]
KIDS += [child("WC", 2, 2, wheelchair=True), child("ALONE", 0.5, 2, travel_alone=True)]
KIDS += [child("FAR1", 12, 0), child("FAR2", -12, 0)]
SC = scenario(KIDS, max_ride_min_secondary=30.0)


def write_csv(
    path: Path, rows: list[tuple[object, ...]], header: tuple[str, ...] = EXISTING_COLUMNS
) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows_of(p: TransportPlan, *, times: bool) -> list[tuple[object, ...]]:
    return [
        (r.route_id, r.vehicle_type, r.school_id, r.session, n, s.child_id,
         hhmm(s.time_min) if times and n == 1 else "")
        for r in p.routes
        for n, s in enumerate(r.stops, start=1)
    ]  # fmt: skip


def evaluate(path: Path, session: str = "am"):  # type: ignore[no-untyped-def]
    stops = read_existing_routes(path, SC)
    return evaluate_routes(SC, school_of_children(SC, None), TRAVEL, stops, session=session)  # type: ignore[arg-type]


@pytest.mark.parametrize("session", ["am", "pm"])
def test_a_planned_plan_evaluates_clean_at_the_same_cost(tmp_path: Path, session: str) -> None:
    p = plan(SC, session)  # type: ignore[arg-type]
    ev = evaluate(write_csv(tmp_path / "r.csv", rows_of(p, times=False)), session)
    assert ev.violations == ()
    assert math.isclose(ev.cost_gbp, p.cost_gbp, abs_tol=0.05)
    s = saving(ev, p, days_per_year=190)
    assert abs(s["saving_gbp_per_session"]) < 0.05


def test_planted_violations_are_all_reported(tmp_path: Path) -> None:
    rows = [
        ("R1", "taxi", "S1", "am", 1, "C0", ""),  # 5 seated children in a 4-seat taxi
        ("R1", "taxi", "S1", "am", 2, "C1", ""),
        ("R1", "taxi", "S1", "am", 3, "C2", ""),
        ("R1", "taxi", "S1", "am", 4, "C3", ""),
        ("R1", "taxi", "S1", "am", 5, "ALONE", ""),  # ... including one who must ride alone
        ("R2", "taxi", "S1", "am", 1, "WC", ""),  # a wheelchair user in a taxi
        ("R3", "wav", "S1", "am", 1, "C4", "06:00"),  # picked up at 6: at school far too early
        ("R4", "minibus_8", "S1", "am", 1, "FAR1", ""),  # across town and back: FAR1 rides
        ("R4", "minibus_8", "S1", "am", 2, "FAR2", ""),  # over the 30 min limit
    ]  # C5 is on no route
    ev = evaluate(write_csv(tmp_path / "r.csv", rows))
    text = "\n".join(ev.violations)
    assert "seated children" in text
    assert "must travel alone" in text
    assert "wheelchair" in text
    assert "route R3: arrives at S1 at 06:" in text
    assert "child FAR1: ride" in text and ev.check.rides_over_limit == ("FAR1",)
    assert "child C5: transport-eligible but on no existing route" in text
    p = plan(SC, "am")
    assert saving(ev, p, days_per_year=190)["existing_violations"] == len(ev.violations)


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (("R1", "bus", "S1", "am", 1, "C0", ""), "vehicle_type", "unknown vehicle type"),
        (("R1", "taxi", "S9", "am", 1, "C0", ""), "school_id", "unknown school"),
        (("R1", "taxi", "S1", "noon", 1, "C0", ""), "session", "not am or pm"),
        (("R1", "taxi", "S1", "am", "x", "C0", ""), "stop_order", "whole number"),
        (("R1", "taxi", "S1", "am", 1, "C99", ""), "child_id", "unknown child"),
        (("R1", "taxi", "S1", "am", 1, "C0", "25:00"), "pickup_time", "HH:MM"),
    ],
)
def test_bad_rows_name_the_row_and_field(
    tmp_path: Path, row: tuple[object, ...], field: str, words: str
) -> None:
    good = ("R0", "taxi", "S1", "am", 1, "C1", "")
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", [good, row]), SC)
    assert (info.value.file, info.value.row, info.value.field) == ("r.csv", 3, field)
    assert words in info.value.message


def test_unknown_column_and_duplicate_child_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", [], (*EXISTING_COLUMNS, "name")), SC)
    assert info.value.field == "name" and info.value.row == 1
    rows = [("R1", "taxi", "S1", "am", 1, "C0", ""), ("R2", "taxi", "S1", "am", 1, "C0", "")]
    with pytest.raises(InputError) as info:
        read_existing_routes(write_csv(tmp_path / "r.csv", rows), SC)
    assert info.value.row == 3 and "two am routes" in info.value.message


@pytest.mark.parametrize("session", ["am", "pm"])
def test_an_existing_mixed_school_route_is_read_as_one(tmp_path: Path, session: str) -> None:
    """A route naming two schools calls at both (AM after every pick-up, in bell order; PM
    before every drop-off), so nobody 'does not attend' and both schools' times are checked."""
    schools = [school("S1", 0, 0), school("S2", 1, 0, bell_am_min=9 * 60 + 5)]
    kids = [child("A", 3, 3), child("B", 3.2, 3, school_id="S2")]
    sc = scenario(kids, schools)
    rows = [("M1", "taxi", "S1", session, 1, "A", ""), ("M1", "taxi", "S2", session, 2, "B", "")]
    stops = read_existing_routes(write_csv(tmp_path / "r.csv", rows), sc)
    ev = evaluate_routes(sc, school_of_children(sc, None), TRAVEL, stops, session=session)  # type: ignore[arg-type]
    assert ev.violations == ()
    (route,) = ev.plan.routes
    assert [c.school_id for c in route.school_calls] == ["S1", "S2"]
    assert route.mixed and ev.check.rides_min["A"] > 0 and ev.check.rides_min["B"] > 0
