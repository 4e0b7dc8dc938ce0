"""A re-plan keeps every route no change touches exactly as it was read (README: "Every route no
change touches is kept exactly as it is"; a kept contracted route has the "same riders in the
same order at the same times").

A plan is written (routes.json, route_sheets.xlsx, a council CSV with HH:MM times), then
re-planned from each with a change that touches no route (a child on no route removed), and
with ``--keep-contracted``: each untouched (kept) route prints the same minutes (route sheets,
CSV) or is the same route JSON, to the hundredth of a minute (routes.json). The evaluator may
move a stated minute by up to 30 s to keep the rules; that must not show as another minute.
The other side: a change that touches a route may re-time it, and changes.json lists it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sendplan
from sendplan.api.cli import app
from sendplan.api.existing_routes import read_existing_routes
from sendplan.api.transport_io import hhmm
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario

ITERATIONS = "30"
RouteKey = tuple[str, str]  # (session, route_id)
Stop = tuple[int, str, str | None, str | None, str]  # order, child, time, school time, vehicle


def routes(*args: str) -> None:
    got = CliRunner().invoke(app, ["routes", *args])
    assert got.exit_code == 0, got.output


@dataclasses.dataclass(frozen=True)
class Base:
    scenario: Scenario
    folder: Path  # the scenario (s), its plan (plan/...) and council.csv

    def file(self, source: str) -> Path:
        return self.folder / ("council.csv" if source == "council.csv" else f"plan/{source}")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    sc = sendplan.leicester_scenario(seed=3, n_children=150)
    folder = tmp_path_factory.mktemp("base")
    write_scenario(sc, folder / "s")
    routes(str(folder / "s"), "--out", str(folder / "plan"), "--iterations", ITERATIONS,
           "--session", "both")  # fmt: skip
    # A council's CSV of the same routes, times HH:MM as its own system prints them.
    stops = read_existing_routes(folder / "plan" / "route_sheets.xlsx", sc)
    with (folder / "council.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["route_id", "vehicle_type", "school_id", "session", "stop_order",
                    "child_id", "pickup_time", "school_time"])  # fmt: skip
        for s in stops:
            assert s.time_min is not None and s.school_time_min is not None
            w.writerow([s.route_id, s.vehicle_type, s.school_id, s.session, s.stop_order,
                        s.child_id, hhmm(s.time_min), hhmm(s.school_time_min)])  # fmt: skip
    return Base(sc, folder)


def printed(path: Path, sc: Scenario) -> dict[RouteKey, list[Stop]]:
    """Each route's stops as a reader sees them: times as printed (HH:MM, or hundredths)."""
    out: dict[RouteKey, list[Stop]] = {}

    def shown(t: float | None) -> str | None:
        if t is None:
            return None
        return f"{t:.2f}" if path.suffix == ".json" else hhmm(t)

    for s in read_existing_routes(path, sc):
        stop = (s.stop_order, s.child_id, shown(s.time_min), shown(s.school_time_min),
                s.vehicle_type)  # fmt: skip
        out.setdefault((s.session, s.route_id), []).append(stop)
    return {k: sorted(v) for k, v in out.items()}


def output(out: Path, source: str) -> Path:
    return out / ("routes.json" if source == "routes.json" else "route_sheets.xlsx")


def json_routes(path: Path) -> dict[RouteKey, dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(s, r["route_id"]): r for s, part in doc["sessions"].items() for r in part["routes"]}


def listed(doc: dict[str, Any]) -> set[str]:
    """The routes changes.json lists (any status)."""
    return {r["route_id"] for part in doc["sessions"].values() for r in part["routes"]}


def on_no_route(base: Base) -> str:
    """A child of the scenario whom the plan takes on no route."""
    riding = {s.child_id for s in read_existing_routes(base.file("routes.json"), base.scenario)}
    return next(c.child_id for c in base.scenario.children if c.child_id not in riding)


def replan(base: Base, source: str, out: Path, rows: str, *extra: str) -> dict[str, Any]:
    """Re-plan from ``source`` after the changes ``rows`` into ``out``; changes.json."""
    changes = out.parent / f"{out.name}.csv"
    changes.write_text("change,child_id\n" + rows, encoding="utf-8")
    routes(
        str(base.folder / "s"), "--out", str(out), "--iterations", "5", "--session", "both",
        "--baseline", str(base.file(source)), "--changes", str(changes), *extra,
    )  # fmt: skip
    got: dict[str, Any] = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    return got


def assert_untouched_as_read(base: Base, source: str, out: Path, touched: set[str]) -> int:
    """Every baseline route ``touched`` does not name is in the output as read from the
    baseline: same riders, order, vehicle and printed times. How many were compared."""
    was = printed(base.file(source), base.scenario)
    now = printed(output(out, source), base.scenario)
    same = [k for k in was if k[1] not in touched]
    differ = [(k, was[k], now.get(k)) for k in same if now.get(k) != was[k]]
    assert differ == [], (len(differ), differ[:2])
    if source == "routes.json":  # the whole route JSON: depot times, layout, rides, cost
        a, b = json_routes(base.file(source)), json_routes(out / "routes.json")
        assert [k for k in same if a[k] != b.get(k)] == []
    return len(same)


@pytest.mark.parametrize("source", ["routes.json", "route_sheets.xlsx", "council.csv"])
def test_a_change_touching_no_route_keeps_every_route_as_read(
    base: Base, source: str, tmp_path: Path
) -> None:
    doc = replan(base, source, tmp_path / "again", f"remove_child,{on_no_route(base)}\n")
    assert doc["children_moved"] == 0
    assert [part["times_moved"] for part in doc["sessions"].values()] == [0, 0]
    assert listed(doc) == set()
    compared = assert_untouched_as_read(base, source, tmp_path / "again", set())
    assert compared == len(printed(base.file(source), base.scenario)) > 20


@pytest.mark.parametrize("source", ["routes.json", "route_sheets.xlsx"])
def test_kept_contracted_routes_keep_the_times_read(
    base: Base, source: str, tmp_path: Path
) -> None:
    ids = sorted({k[1] for k in printed(base.file(source), base.scenario)})
    chosen = [i for i in ids if i.startswith("AM-")][:3]
    chosen += [i for i in ids if i.startswith("PM-")][:3]
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(
        "route_id,operator,price_gbp,per,start_date,end_date\n"
        + "".join(f"{i},Acme,50,day,,\n" for i in chosen),
        encoding="utf-8",
    )
    out = tmp_path / "keep"
    routes(
        str(base.folder / "s"), "--out", str(out), "--iterations", "5", "--session", "both",
        "--baseline", str(base.file(source)), "--contracts", str(contracts), "--keep-contracted",
    )  # fmt: skip
    doc = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    statuses = {k["route_id"]: k["status"] for k in doc["kept_contracted"]["routes"]}
    assert statuses == dict.fromkeys(chosen, "kept")
    was = printed(base.file(source), base.scenario)
    now = printed(output(out, source), base.scenario)
    kept = {k: v for k, v in was.items() if k[1] in chosen}
    assert len(kept) == len(chosen)
    assert {k: now.get(k) for k in kept} == kept
    # Nothing changed, so the rest is kept as read too (continuity, no change).
    assert_untouched_as_read(base, source, out, set())


@pytest.mark.parametrize("source", ["routes.json", "route_sheets.xlsx"])
def test_a_touched_route_is_listed_and_the_rest_are_as_read(
    base: Base, source: str, tmp_path: Path
) -> None:
    was = printed(base.file(source), base.scenario)
    # The first rider of a route with several, removed: that route changes (may be re-timed).
    key = next(k for k, v in sorted(was.items()) if len(v) >= 3)
    child = was[key][0][1]
    doc = replan(base, source, tmp_path / "touch", f"remove_child,{child}\n")
    touched = listed(doc)
    assert key[1] in touched
    children = {c["child_id"]: c for c in doc["sessions"][key[0]]["children"]}
    assert children[child]["old_route"] == key[1] and children[child]["new_route"] is None
    # Whatever the re-plan did with the touched routes, every other route is as read.
    assert assert_untouched_as_read(base, source, tmp_path / "touch", touched) > 0
