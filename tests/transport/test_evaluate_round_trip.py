"""Round trip (issue 11): any plan we write, read back by ``--evaluate``, is clean at its own cost.

A demo-like plan (the Leicester default, 150 children, AM and PM), single-school and with
mixed-school runs, is written as routes.json, route_sheets.xlsx and a CSV with HH:MM times, and
each is evaluated: no violation and the plan's cost to the penny. Times rounded to the minute are
given the benefit of their rounding, while a real breach (a pick-up 2 minutes late, an arrival a
minute outside the window, a ride a whole minute over its limit) is still reported.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.existing_columns import read_column_map
from sendplan.api.existing_routes import read_existing_routes
from sendplan.api.transport_io import hhmm, routes_document
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario
from sendplan.routing.result import Result
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.evaluate import ExistingStop, evaluate_routes, evaluate_sessions
from sendplan.routing.transport.plan import Route, TransportPlan
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.travel import straight_line_model

ITERATIONS = 50
COUNCIL = {  # a council's own headings for our fields
    "route_id": "Contract No", "vehicle_type": "Vehicle", "school_id": "School DfE",
    "session": "Run", "stop_order": "Seq", "child_id": "Pupil Ref", "pickup_time": "Pick Up",
    "school_time": "At School",
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Case:
    scenario: Scenario  # as planned: every child's transport eligibility decided
    result: Result
    out: Path  # the plan's files: routes.json, route_sheets.xlsx, ...
    given: Scenario  # as a user gives it, eligibility left to the policy's rules (the CLI's)

    def evaluate(self, stops: Sequence[ExistingStop]) -> dict[str, dict[str, object]]:
        school_of = school_of_children(self.scenario, self.result.placement)
        travel = straight_line_model(self.scenario)
        return evaluate_sessions(
            self.scenario, school_of, travel, stops, plans=self.result.transport
        )


@pytest.fixture(scope="module", params=["single", "mixed"])
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    sc = sendplan.leicester_scenario(seed=1, n_children=150)
    mixed = request.param == "mixed"
    sc = dataclasses.replace(sc, policy=dataclasses.replace(sc.policy, mixed_school_routes=mixed))
    # Every child at their current school, as `sendplan routes` plans (and evaluates) them; the
    # result carries the scenario with eligibility decided.
    res = sendplan.solve(
        sc, sessions=("am", "pm"), stop=sendplan.MaxIterations(ITERATIONS), seed=1,
        placement="auto",
    )  # fmt: skip
    assert [p.session for p in res.transport] == ["am", "pm"]
    for plan in res.transport:  # the mixed plan has mixed runs in both sessions
        assert any(r.mixed for r in plan.routes) == mixed
        assert any(len(r.stops) > 2 for r in plan.routes)
    out = tmp_path_factory.mktemp(request.param)
    res.write(out)
    return Case(res.scenario, res, out, sc)


def school_call(route: Route, child_id: str) -> tuple[str, float]:
    call = next(c for c in route.school_calls if child_id in c.child_ids)
    return call.school_id, call.time_min


def plan_rows(res: Result, *, school_time: bool = True) -> list[dict[str, str]]:
    """The plan as existing-routes rows, times HH:MM as the route sheets print them."""
    rows = []
    for plan in res.transport:
        for r in plan.routes:
            for n, s in enumerate(r.stops, start=1):
                school, at = school_call(r, s.child_id)
                row = {
                    "route_id": r.route_id, "vehicle_type": r.vehicle_type, "school_id": school,
                    "session": plan.session, "stop_order": str(n), "child_id": s.child_id,
                    "pickup_time": hhmm(s.time_min),
                }  # fmt: skip
                if school_time:
                    row["school_time"] = hhmm(at)
                rows.append(row)
    return rows


def write_rows(
    path: Path, rows: list[dict[str, str]], headings: dict[str, str] | None = None
) -> Path:
    headings = headings or {}
    fields = list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([headings.get(k, k) for k in fields])
        w.writerows([[row[k] for k in fields] for row in rows])
    return path


def assert_round_trip(
    case: Case, stops: Sequence[ExistingStop], *, to_the_penny: bool = True
) -> None:
    """No violation in either session and, ``to_the_penny``, the plan's own cost."""
    report = case.evaluate(stops)
    assert sorted(report) == ["am", "pm"]
    for plan in case.result.transport:
        entry: dict[str, Any] = report[plan.session]
        assert entry["violations"] == [], (plan.session, entry["violations"][:5])
        assert entry["routes"] == len(plan.routes)
        if to_the_penny:
            assert entry["cost_gbp"] == round(plan.cost_gbp, 2)
            assert entry["saving"]["saving_gbp_per_session"] == 0.0


def test_round_trip_from_routes_json(case: Case) -> None:
    assert_round_trip(case, read_existing_routes(case.out / "routes.json", case.scenario))


def test_round_trip_from_route_sheets(case: Case) -> None:
    stops = read_existing_routes(case.out / "route_sheets.xlsx", case.scenario)
    assert {s.precision_min for s in stops} == {1.0}  # the sheets print HH:MM
    assert_round_trip(case, stops)


def test_round_trip_from_a_csv_with_hhmm_times(case: Case, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "current.csv", plan_rows(case.result))
    stops = read_existing_routes(path, case.scenario)
    assert_round_trip(case, stops)
    # Read as exact times, the same minutes break rules (what --evaluate reported before).
    exact = [dataclasses.replace(s, precision_min=0.0) for s in stops]
    assert any(e["violations"] for e in case.evaluate(exact).values())


def test_round_trip_from_a_csv_with_pick_up_times_only(case: Case, tmp_path: Path) -> None:
    """Without school times a mixed run is read where its pick-up times leave room for its
    calls: clean. The order of calls after the last pick-up is then not stated, so the cost is
    exact for single-school runs only."""
    rows = plan_rows(case.result, school_time=False)
    stops = read_existing_routes(write_rows(tmp_path / "current.csv", rows), case.scenario)
    mixed = case.scenario.policy.mixed_school_routes
    assert_round_trip(case, stops, to_the_penny=not mixed)


def test_round_trip_of_long_pm_runs_from_drop_off_times_only(tmp_path: Path) -> None:
    """The full Leicester cohort's afternoon, single-school, as HH:MM drop-off times only: its
    long tight minibus runs (PM-EST-LEI-005-006, 14 children) once read back with "cannot be
    reached" breaches, the float noise of their pinned times compounding to a third of a
    minute by the last drop-offs."""
    given = sendplan.leicester_scenario(seed=1)
    res = sendplan.solve(given, sessions=("pm",), stop=sendplan.MaxIterations(ITERATIONS), seed=1)
    sc = res.scenario
    (plan,) = res.transport
    assert max(len(r.stops) for r in plan.routes) >= 14
    rows = plan_rows(res, school_time=False)
    stops = read_existing_routes(write_rows(tmp_path / "pm.csv", rows), sc)
    assert {s.precision_min for s in stops} == {1.0}
    entry: dict[str, Any] = Case(sc, res, tmp_path, given).evaluate(stops)["pm"]
    assert entry["violations"] == [], entry["violations"][:5]
    assert entry["cost_gbp"] == round(plan.cost_gbp, 2)
    assert entry["notes"] == []  # single-school runs: nothing inferred


def test_a_mixed_run_without_school_times_says_its_call_order_was_inferred(
    case: Case, tmp_path: Path
) -> None:
    """Without any time a mixed run's calls are read after every pick-up (before every
    drop-off), which may overload it: evaluation.json says so per route."""
    rows = [
        {k: v for k, v in row.items() if k not in ("pickup_time", "school_time")}
        for row in plan_rows(case.result)
    ]
    stops = read_existing_routes(write_rows(tmp_path / "untimed.csv", rows), case.scenario)
    report: dict[str, dict[str, Any]] = case.evaluate(stops)
    for plan in case.result.transport:
        notes = report[plan.session]["notes"]
        mixed = [r.route_id for r in plan.routes if r.mixed]
        assert [n.split(":")[0] for n in notes] == [f"route {r}" for r in sorted(mixed)]
        assert all("school call order inferred" in n for n in notes)
    timed = case.evaluate(read_existing_routes(case.out / "routes.json", case.scenario))
    assert all(e["notes"] == [] for e in timed.values())


def test_round_trip_from_route_sheets_with_time_cells_and_pm_headings(
    case: Case, tmp_path: Path
) -> None:
    """The route sheets as they may soon be written: Excel time cells, drop-off and departure
    headings on afternoon sheets, an extra column."""
    book = openpyxl.load_workbook(case.out / "route_sheets.xlsx")
    for sheet in book.worksheets[1:]:
        pm = str(sheet["C1"].value) == "PM"
        header = [c.value for c in sheet[2]]
        names = {"pickup_time": "departure", "arrival": "dropoff_time"} if pm else {}
        for col, name in enumerate(header, start=1):
            sheet.cell(row=2, column=col, value=names.get(str(name), name))
            if name in ("pickup_time", "arrival"):
                for row in range(3, sheet.max_row + 1):
                    value = sheet.cell(row=row, column=col).value
                    if not isinstance(value, datetime.time):  # text HH:MM in older sheets
                        h, m = (int(x) for x in str(value).split(":"))
                        sheet.cell(row=row, column=col, value=datetime.time(h, m))
        sheet.cell(row=2, column=len(header) + 1, value="notes")
    book.save(tmp_path / "sheets.xlsx")
    assert_round_trip(case, read_existing_routes(tmp_path / "sheets.xlsx", case.scenario))


def first_route(case: Case, session: str, test: Callable[[Route], bool]) -> Route:
    plan = next(p for p in case.result.transport if p.session == session)
    return next(r for r in plan.routes if test(r))


def violations_of(case: Case, rows: list[dict[str, str]], tmp_path: Path) -> list[str]:
    stops = read_existing_routes(write_rows(tmp_path / "current.csv", rows), case.scenario)
    report: dict[str, dict[str, Any]] = case.evaluate(stops)
    return [v for e in report.values() for v in e["violations"]]


def test_a_pick_up_two_minutes_late_is_reported(case: Case, tmp_path: Path) -> None:
    route = first_route(case, "am", lambda r: len(r.stops) > 2 and not r.calls)
    rows = plan_rows(case.result, school_time=False)
    last = next(
        r for r in rows if r["child_id"] == route.stops[-1].child_id and r["session"] == "am"
    )
    assert violations_of(case, rows, tmp_path) == []
    last["pickup_time"] = hhmm(route.stops[-1].time_min + 2)
    found = violations_of(case, rows, tmp_path)
    assert found and all(v.startswith(f"route {route.route_id}: ") for v in found), found


def test_an_arrival_a_minute_outside_the_window_is_reported(case: Case, tmp_path: Path) -> None:
    route = first_route(case, "am", lambda r: len(r.stops) > 1 and not r.calls)
    rows = plan_rows(case.result)
    mine = [r for r in rows if r["route_id"] == route.route_id]
    bell = next(s for s in case.scenario.schools if s.school_id == route.school_id).bell_am_min
    latest = bell - case.scenario.policy.arrival_window_min[0]
    for row in mine:  # the stated minute of the latest allowed arrival is fine...
        row["school_time"] = hhmm(latest)
    assert violations_of(case, rows, tmp_path) == []
    for row in mine:  # ... a minute later is not
        row["school_time"] = hhmm(latest + 1)
    found = violations_of(case, rows, tmp_path)
    assert any(v.startswith(f"route {route.route_id}: arrives at") for v in found), found


@pytest.mark.parametrize("session", ["am", "pm"])
@pytest.mark.parametrize("mixed", [False, True])
def test_a_ride_a_whole_minute_over_its_limit_is_reported(
    case: Case, tmp_path: Path, session: str, mixed: bool
) -> None:
    """On a mixed run only with school times: without them, another order of its calls may
    keep the ride within the limit, and is given the benefit of the doubt."""
    if mixed and not case.scenario.policy.mixed_school_routes:
        pytest.skip("a single-school plan has no mixed runs")
    route = first_route(case, session, lambda r: len(r.stops) > 2 and r.mixed == mixed)
    stop = max(route.stops, key=lambda s: s.ride_min)
    limit = math.floor(stop.ride_min) - 1.0
    kids = tuple(
        dataclasses.replace(c, ride_limit_min=limit) if c.child_id == stop.child_id else c
        for c in case.scenario.children
    )
    strict = dataclasses.replace(case, scenario=dataclasses.replace(case.scenario, children=kids))
    forms = [True] if mixed else [True, False]
    for rows in [plan_rows(case.result, school_time=form) for form in forms]:
        stops = read_existing_routes(write_rows(tmp_path / "r.csv", rows), strict.scenario)
        entry: dict[str, Any] = strict.evaluate(stops)[session]
        text = "\n".join(entry["violations"])
        assert f"route {route.route_id}: child {stop.child_id}: ride" in text
        assert stop.child_id in entry["rides_over_limit"]


def test_council_headings_through_a_mapping(case: Case, tmp_path: Path) -> None:
    rows = plan_rows(case.result)
    for row in rows:
        row["Driver"] = "D1"  # columns the mapping does not name are ignored
    path = write_rows(tmp_path / "council.csv", rows, COUNCIL)
    toml = tmp_path / "columns.toml"
    toml.write_text("".join(f'{k} = "{v}"\n' for k, v in COUNCIL.items()), encoding="utf-8")
    table = tmp_path / "columns.csv"
    table.write_text("field,column\n" + "".join(f"{k},{v}\n" for k, v in COUNCIL.items()))
    assert read_column_map(toml) == read_column_map(table) == COUNCIL
    ours = read_existing_routes(
        write_rows(tmp_path / "ours.csv", plan_rows(case.result)), case.scenario
    )
    assert read_existing_routes(path, case.scenario, columns=toml) == ours
    assert_round_trip(case, ours)


# ------------------------------------------------------------------------------------ the CLI


@pytest.fixture(scope="module")
def folder(case: Case, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario")
    write_scenario(case.given, path)  # what a user has: `sendplan routes` decides eligibility
    return path


def routes_cli(folder: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = ["routes", str(folder), "--out", str(out), "--iterations", "10", "--session", "am"]
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, result.output


@pytest.mark.parametrize("source", ["routes.json", "route_sheets.xlsx", "council.csv"])
def test_cli_evaluates_a_plan_clean_at_its_own_cost(
    case: Case, folder: Path, tmp_path: Path, source: str
) -> None:
    extra = []
    path = case.out / source
    if source == "council.csv":
        path = write_rows(tmp_path / source, plan_rows(case.result), COUNCIL)
        mapping = tmp_path / "columns.toml"
        mapping.write_text("".join(f'{k} = "{v}"\n' for k, v in COUNCIL.items()))
        extra = ["--columns", str(mapping)]
    mixed = "--mixed-schools" if case.scenario.policy.mixed_school_routes else "--single-school"
    code, output = routes_cli(folder, tmp_path / "o", "--evaluate", str(path), *extra, mixed)
    assert code == 0, output
    evaluation = json.loads((tmp_path / "o" / "evaluation.json").read_text())
    written = json.loads((case.out / "routes.json").read_text())["sessions"]
    for session in ("am", "pm"):
        assert evaluation[session]["violations"] == []
        assert evaluation[session]["cost_gbp"] == written[session]["summary"]["cost"]


BAD_MAPPINGS = [
    ('pupil = "Pupil Ref"\n', "columns.toml, field pupil: unknown field 'pupil'"),
    ("child_id = 7\n", "columns.toml, field child_id: the column heading must be text"),
    ('child_id = "Pupil Reference"\n', "council.csv row 1, field Pupil Reference: no column"),
    ("child_id = \n", "columns.toml: not a TOML file"),
]


@pytest.mark.parametrize(("mapping", "message"), BAD_MAPPINGS)
def test_cli_bad_mapping_exits_2_naming_file_and_field(
    case: Case, folder: Path, tmp_path: Path, mapping: str, message: str
) -> None:
    rows = plan_rows(case.result)
    path = write_rows(tmp_path / "council.csv", rows, {**COUNCIL, "child_id": "Pupil Ref"})
    full = {k: v for k, v in COUNCIL.items() if k != "child_id"}
    text = "".join(f'{k} = "{v}"\n' for k, v in full.items()) + mapping
    (tmp_path / "columns.toml").write_text(text)
    code, output = routes_cli(
        folder, tmp_path / "o", "--evaluate", str(path), "--columns", str(tmp_path / "columns.toml")
    )
    assert code == 2 and message in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pickup_time", "25:61", "council.csv row 3, field Pick Up: '25:61' is not a time HH:MM"),
        ("school_time", "noon", "council.csv row 3, field At School: 'noon' is not a time"),
        ("child_id", "Ann Other", "council.csv row 3, field Pupil Ref: unknown child"),
        ("stop_order", "1.5", "council.csv row 3, field Seq: '1.5' is not a whole number"),
        ("session", "noon", "council.csv row 3, field Run: 'noon' is not am or pm"),
        ("vehicle_type", "", "council.csv row 3, field Vehicle: vehicle_type is blank"),
    ],
)
def test_cli_bad_row_exits_2_naming_file_row_and_field(
    case: Case, folder: Path, tmp_path: Path, field: str, value: str, message: str
) -> None:
    rows = plan_rows(case.result)
    rows[1][field] = value
    path = write_rows(tmp_path / "council.csv", rows, COUNCIL)
    (tmp_path / "columns.toml").write_text("".join(f'{k} = "{v}"\n' for k, v in COUNCIL.items()))
    code, output = routes_cli(
        folder, tmp_path / "o", "--evaluate", str(path), "--columns", str(tmp_path / "columns.toml")
    )
    assert code == 2 and message in output, output
    if field == "child_id":  # a column mapped by mistake may hold names: never printed
        assert value not in output


def test_cli_bad_council_workbook_cell_names_sheet_row_and_field(
    case: Case, folder: Path, tmp_path: Path
) -> None:
    rows = plan_rows(case.result)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Runs"
    sheet.append([COUNCIL[k] for k in rows[0]])
    for row in rows:
        sheet.append(list(row.values()))
    sheet["G4"] = "half past eight"
    book.save(tmp_path / "council.xlsx")
    (tmp_path / "c.toml").write_text("".join(f'{k} = "{v}"\n' for k, v in COUNCIL.items()))
    code, output = routes_cli(
        folder, tmp_path / "o", "--evaluate", str(tmp_path / "council.xlsx"),
        "--columns", str(tmp_path / "c.toml"),
    )  # fmt: skip
    assert code == 2, output
    assert "council.xlsx sheet Runs row 4, field Pick Up: 'half past eight' is not a time" in output


def test_cli_columns_needs_evaluate(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('child_id = "Pupil Ref"\n')
    code, output = routes_cli(folder, tmp_path / "o", "--columns", str(tmp_path / "c.toml"))
    assert code == 2 and "--columns" in output


def evaluated(case: Case, stops: Sequence[ExistingStop]) -> list[TransportPlan]:
    school_of = school_of_children(case.scenario, case.result.placement)
    travel = straight_line_model(case.scenario)
    return [
        evaluate_routes(case.scenario, school_of, travel, stops, session=p.session).plan
        for p in case.result.transport
    ]


def printed_minutes(plans: Sequence[TransportPlan]) -> dict[str, list[tuple[str, str]]]:
    """Each route's stop and school-call times as the route sheets print them."""
    return {
        r.route_id: [(s.child_id, hhmm(s.time_min)) for s in r.stops]
        + [(c.school_id, hhmm(c.time_min)) for c in r.school_calls]
        for p in plans
        for r in p.routes
    }


@pytest.mark.parametrize("source", ["route_sheets.xlsx", "council.csv"])
def test_a_route_read_back_prints_the_minutes_it_was_read_with(
    case: Case, source: str, tmp_path: Path
) -> None:
    """The evaluator may move a stated minute by up to 30 s to keep the drives; it keeps it
    inside the minute where the rules allow, so that writing what it read prints the same
    minutes (a re-plan keeps untouched routes as read: 07:57 must not become 07:58)."""
    path = case.out / source
    if source == "council.csv":
        path = write_rows(tmp_path / source, plan_rows(case.result))
    plans = evaluated(case, read_existing_routes(path, case.scenario))
    assert all(check_transport_ok(case, p) for p in plans)
    assert printed_minutes(plans) == printed_minutes(case.result.transport)


def test_a_route_read_back_from_routes_json_is_the_same_route_json(case: Case) -> None:
    """routes.json read back writes the same routes to the hundredth: stop, call and depot
    times, layout, rides, distance and cost."""
    plans = evaluated(case, read_existing_routes(case.out / "routes.json", case.scenario))
    assert all(check_transport_ok(case, p) for p in plans)
    doc = routes_document(case.scenario, plans)
    was = json.loads((case.out / "routes.json").read_text(encoding="utf-8"))
    for session, part in was["sessions"].items():
        got = doc["sessions"][session]["routes"]
        assert len(got) == len(part["routes"])
        differ = [
            (a["route_id"], f, a[f], b[f])
            for a, b in zip(part["routes"], got, strict=True)
            for f in a
            if f != "steps" and a[f] != b.get(f)
        ] + [
            (a["route_id"], k, f, x[f], y.get(f))
            for a, b in zip(part["routes"], got, strict=True)
            for k, (x, y) in enumerate(zip(a["steps"], b["steps"], strict=True))
            for f in x
            if x[f] != y.get(f)
        ]
        assert differ == [], differ[:3]


def test_a_depot_time_stated_too_tight_is_not_kept(case: Case, tmp_path: Path) -> None:
    """The other side: a stated depot start later than the first stop allows is not taken
    (the checker would reject it): the route leaves as late as its legs allow instead."""
    doc = json.loads((case.out / "routes.json").read_text(encoding="utf-8"))
    route = doc["sessions"]["am"]["routes"][0]
    route["steps"][0]["time"] = route["steps"][1]["time"]  # leaves as it reaches the first stop
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    plans = evaluated(case, read_existing_routes(path, case.scenario))
    assert all(check_transport_ok(case, p) for p in plans)
    got = next(r for r in plans[0].routes if r.route_id == route["route_id"])
    assert got.start_min < route["steps"][1]["time"] - 1.0


def check_transport_ok(case: Case, plan: TransportPlan) -> bool:
    school_of = school_of_children(case.scenario, case.result.placement)
    travel = straight_line_model(case.scenario)
    verdict = check_transport(case.scenario, school_of, travel, plan, check_fleet=False)
    assert verdict.violations == (), verdict.violations[:3]
    return True
