"""`sendplan routes SCENARIO --baseline ROUTES --contracts CONTRACTS.csv --keep-contracted
[--changes CHANGES.csv]`: routes whose contract is in force are in the output exactly as in the
baseline routes.json (riders, order, times, vehicle, layout, cost: the same JSON); the other
children are re-planned (from scratch without changes: the plan `routes` makes of the scenario
without the kept routes; with changes: the continuity re-plan); with no contract in force
nothing is kept and the routes are those of the re-plan without --keep-contracted; as_of on both
sides of a contract's dates; a change taking a rider off a kept route leaves the others at
their times; kept routes are priced by contract beside the model's estimate; bad combinations
of options exit 2 naming the option."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario

AS_OF = date(2027, 1, 15)
SC = scenario(
    random_children(16, 6, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
)
CONTRACTS = "route_id,operator,price_gbp,per,start_date,end_date\n"
CHANGES = "change,child_id,route_id,lon,lat,school_id,age,sex,primary_need\n"
ITERATIONS = "40"


def routes(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(app, ["routes", *args])
    return got.exit_code, got.output


def load(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of both sessions of SC (as_of set), the baseline of every test here."""
    folder = tmp_path_factory.mktemp("base")
    write_scenario(replace(SC, as_of=AS_OF), folder / "s")
    code, output = routes(
        str(folder / "s"), "--out", str(folder / "plan"), "--iterations", ITERATIONS,
        "--session", "both",
    )  # fmt: skip
    assert code == 0, output
    return folder


def session_routes(path: Path, session: str) -> dict[str, dict[str, Any]]:
    return {r["route_id"]: r for r in load(path)["sessions"][session]["routes"]}


def riders(route: dict[str, Any]) -> list[str]:
    return [s["child_id"] for s in route["steps"] if "child_id" in s]


def contracted(base: Path) -> dict[str, str]:
    """Two AM routes and one PM route of the baseline, each with a contract row in force."""
    doc = load(base / "plan" / "routes.json")["sessions"]
    ids = [r["route_id"] for r in doc["am"]["routes"][:2]] + [doc["pm"]["routes"][0]["route_id"]]
    return {
        route_id: f"{route_id},Operator {k},{45 + 5 * k},day,2026-09-01,2027-07-31\n"
        for k, route_id in enumerate(ids)
    }


def keep(
    base: Path, tmp: Path, rows: str, *extra: str, out: str = "keep", scen: str = ""
) -> tuple[int, str]:
    """Re-plan the baseline keeping the contracts ``rows``; ``scen``: another scenario folder
    (default: the baseline's own)."""
    (tmp / "contracts.csv").write_text(CONTRACTS + rows)
    return routes(
        scen or str(base / "s"), "--out", str(tmp / out), "--iterations", ITERATIONS,
        "--session", "both",
        "--baseline", str(base / "plan" / "routes.json"), "--contracts", str(tmp / "contracts.csv"),
        "--keep-contracted", *extra,
    )  # fmt: skip


ZERO = replace(SC.policy, disruption_move_gbp=0.0, disruption_time_gbp=0.0)


def test_kept_routes_are_kept_and_by_default_the_rest_moves_no_one(
    base: Path, tmp_path: Path
) -> None:
    """Without --changes the rest is re-planned with continuity: nothing changed, so every
    route is the baseline's and no child moves, even where a plan from scratch would seat them
    otherwise (the baseline was planned with no taxi free; the plan from scratch has taxis)."""
    no_taxi = tuple(replace(v, available=0) if v.name == "taxi" else v for v in SC.fleet)
    write_scenario(replace(SC, as_of=AS_OF, fleet=no_taxi), tmp_path / "s")
    other = tmp_path / "other"
    code, output = routes(
        str(tmp_path / "s"), "--out", str(other), "--iterations", ITERATIONS, "--session", "both"
    )
    assert code == 0, output
    for session in ("am", "pm"):
        fresh = session_routes(base / "plan" / "routes.json", session).values()
        was = session_routes(other / "routes.json", session).values()
        assert sorted(map(shape, fresh)) != sorted(map(shape, was)), "the plans differ"
    am = next(iter(session_routes(other / "routes.json", "am")))
    (tmp_path / "contracts.csv").write_text(CONTRACTS + f"{am},Acme,50,day,,\n")
    code, output = routes(
        str(base / "s"), "--out", str(tmp_path / "keep"), "--iterations", ITERATIONS,
        "--session", "both", "--baseline", str(other / "routes.json"), "--contracts",
        str(tmp_path / "contracts.csv"), "--keep-contracted",
    )  # fmt: skip
    assert code == 0, output
    assert "1 contracted routes kept" in output and " 0 children moved" in output, output
    out = tmp_path / "keep"
    for session in ("am", "pm"):
        before = session_routes(other / "routes.json", session)
        after = session_routes(out / "routes.json", session)
        assert sorted(map(shape, after.values())) == sorted(map(shape, before.values()))
    assert (
        session_routes(out / "routes.json", "am")[am]
        == session_routes(other / "routes.json", "am")[am]
    )
    summary = load(out / "summary.json")
    assert summary["kept_contracted"]["rest_planned"] == "with_continuity"
    report = load(out / "changes.json")
    assert report["children_moved"] == 0
    assert all(s["children"] == [] and s["routes"] == [] for s in report["sessions"].values())


def test_with_disruption_weights_0_the_rest_is_planned_from_scratch(
    base: Path, tmp_path: Path
) -> None:
    rows = contracted(base)
    write_scenario(replace(SC, as_of=AS_OF, policy=ZERO), tmp_path / "zero")
    code, output = keep(base, tmp_path, "".join(rows.values()), scen=str(tmp_path / "zero"))
    assert code == 0, output
    assert "3 contracted routes kept" in output and "checker ok" in output
    out = tmp_path / "keep"
    kept_riders: dict[str, set[str]] = {"am": set(), "pm": set()}
    for session in ("am", "pm"):
        before = session_routes(base / "plan" / "routes.json", session)
        after = session_routes(out / "routes.json", session)
        for route_id in rows:
            if route_id in before:
                # the same JSON: riders, order, times, rides, vehicle, layout, distance, cost
                assert after[route_id] == before[route_id]
                kept_riders[session] |= set(riders(before[route_id]))
    summary = load(out / "summary.json")
    assert summary["transport_checker_ok"] is True
    report = summary["kept_contracted"]
    assert [(r["route_id"], r["status"]) for r in report["routes"]] == [
        (route_id, "kept") for route_id in sorted(rows)
    ]
    assert report["rest_planned"] == "from_scratch" and report["routes_kept"] == 3
    assert report["children_on_kept_routes"] == len(kept_riders["am"] | kept_riders["pm"])
    assert load(out / "changes.json")["kept_contracted"] == report
    # priced by contract beside the model's estimate (an AM-/PM- id runs once a day)
    priced = {r["route_id"]: r for r in summary["contracts"]["routes"]}
    for k, route_id in enumerate(sorted(rows)):
        session = route_id[:2].lower()
        cost = session_routes(out / "routes.json", session)[route_id]["cost"]
        assert priced[route_id]["contract_gbp_per_day"] == 45 + 5 * k
        assert priced[route_id]["model_gbp_per_day"] == pytest.approx(cost, abs=0.011)
    # The other children: the plan `routes` makes of the scenario without the kept routes
    # (their riders not to seat, their vehicles taken), same seed and work limit, per session.
    for session in ("am", "pm"):
        rest = rest_scenario(base, out, session, kept_riders[session])
        write_scenario(rest, tmp_path / f"rest-{session}")
        code, output = routes(
            str(tmp_path / f"rest-{session}"), "--out", str(tmp_path / f"plan-{session}"),
            "--iterations", ITERATIONS, "--session", session,
        )  # fmt: skip
        assert code == 0, output
        alone = session_routes(tmp_path / f"plan-{session}" / "routes.json", session).values()
        others = [
            r for i, r in session_routes(out / "routes.json", session).items() if i not in rows
        ]
        assert sorted(shape(r) for r in others) == sorted(shape(r) for r in alone)


def shape(route: dict[str, Any]) -> tuple[Any, ...]:
    """A route but for its id."""
    return (tuple(riders(route)), route["vehicle_type"], route["layout"], route["cost"])


def rest_scenario(base: Path, out: Path, session: str, kept: set[str]) -> Scenario:
    """SC without the kept routes of ``session``: their riders not eligible, their vehicles
    taken from the fleet (counted here from routes.json)."""
    used: dict[str, int] = {}
    for r in session_routes(out / "routes.json", session).values():
        if set(riders(r)) & kept:
            used[r["vehicle_type"]] = used.get(r["vehicle_type"], 0) + 1
    kids = tuple(
        replace(c, transport_eligible=False) if c.child_id in kept else c for c in SC.children
    )
    fleet = tuple(replace(v, available=v.available - used.get(v.name, 0)) for v in SC.fleet)
    return replace(SC, children=kids, fleet=fleet, as_of=AS_OF, policy=ZERO)


def test_no_contract_in_force_keeps_nothing_and_replans_as_without_keeping(
    base: Path, tmp_path: Path
) -> None:
    before = AS_OF - timedelta(days=1)
    rows = "".join(
        f"{route_id},Old Operator,60,day,2025-09-01,{before.isoformat()}\n"
        for route_id in contracted(base)
    )
    first = riders(next(iter(session_routes(base / "plan" / "routes.json", "am").values())))[0]
    (tmp_path / "changes.csv").write_text(
        CHANGES + f"remove_child,{first},,,,,,,\nadd_child,N1,,-1.12,52.63,S1,9,F,ASD\n"
    )
    changes = ("--changes", str(tmp_path / "changes.csv"))
    code, output = keep(base, tmp_path, rows, *changes)
    assert code == 0, output
    assert "0 contracted routes kept" in output
    code, output = routes(
        str(base / "s"), "--out", str(tmp_path / "plain"), "--iterations", ITERATIONS,
        "--session", "both", "--baseline", str(base / "plan" / "routes.json"), *changes,
    )  # fmt: skip
    assert code == 0, output
    assert (tmp_path / "keep" / "routes.json").read_bytes() == (
        tmp_path / "plain" / "routes.json"
    ).read_bytes()
    summary = load(tmp_path / "keep" / "summary.json")
    assert summary["kept_contracted"]["routes"] == []
    assert summary["contracts"]["not_in_force"] == sorted(contracted(base))
    # without changes, nothing kept: the plan from scratch (route ids follow the baseline's)
    code, output = keep(base, tmp_path, rows, out="scratch")
    assert code == 0, output
    for session in ("am", "pm"):
        got = session_routes(tmp_path / "scratch" / "routes.json", session).values()
        fresh = session_routes(base / "plan" / "routes.json", session).values()
        assert sorted(shape(r) for r in got) == sorted(shape(r) for r in fresh)


@pytest.mark.parametrize(
    ("start", "end", "in_force"),
    [
        (AS_OF, None, True),  # starts on as_of
        (AS_OF + timedelta(days=1), None, False),  # starts the day after
        (None, AS_OF, True),  # ends on as_of
        (None, AS_OF - timedelta(days=1), False),  # ended the day before
    ],
)
def test_as_of_on_both_sides_of_a_contracts_dates(
    base: Path, tmp_path: Path, start: date | None, end: date | None, in_force: bool
) -> None:
    route_id = next(iter(contracted(base)))
    dates = ",".join("" if d is None else d.isoformat() for d in (start, end))
    code, output = keep(base, tmp_path, f"{route_id},Acme,70,session,{dates}\n")
    assert code == 0, output
    summary = load(tmp_path / "keep" / "summary.json")
    kept = [(r["route_id"], r["status"]) for r in summary["kept_contracted"]["routes"]]
    assert kept == ([(route_id, "kept")] if in_force else [])
    assert summary["contracts"]["not_in_force"] == ([] if in_force else [route_id])
    before = session_routes(base / "plan" / "routes.json", "am")[route_id]
    after = session_routes(tmp_path / "keep" / "routes.json", "am").get(route_id)
    if in_force:
        assert after == before


def test_a_change_on_a_kept_route_keeps_it_with_fewer_riders_at_their_times(
    base: Path, tmp_path: Path
) -> None:
    rows = contracted(base)
    first, second = list(rows)[:2]
    before = session_routes(base / "plan" / "routes.json", "am")
    on_first = riders(before[first])
    assert len(on_first) >= 2, "the fixture's first route carries two children"
    gone = on_first[0]
    (tmp_path / "changes.csv").write_text(
        CHANGES + f"remove_child,{gone},,,,,,,\nroute_handed_back,,{second},,,,,,\n"
    )
    code, output = keep(base, tmp_path, "".join(rows.values()), "--changes",
                        str(tmp_path / "changes.csv"))  # fmt: skip
    assert code == 0, output
    after = session_routes(tmp_path / "keep" / "routes.json", "am")
    kept = after[first]
    assert riders(kept) == on_first[1:]
    times = {s["child_id"]: s["time"] for s in before[first]["steps"] if "child_id" in s}
    assert {s["child_id"]: s["time"] for s in kept["steps"] if "child_id" in s} == {
        c: times[c] for c in on_first[1:]
    }
    assert (kept["vehicle_type"], kept["layout"]) == (
        before[first]["vehicle_type"],
        before[first]["layout"],
    )
    summary = load(tmp_path / "keep" / "summary.json")
    assert summary["transport_checker_ok"] is True
    status = {r["route_id"]: r for r in summary["kept_contracted"]["routes"]}
    assert status[first]["status"] == "kept_fewer_riders"
    assert status[first]["riders_left"] == [gone]
    assert status[second]["status"] == "handed_back"
    assert summary["kept_contracted"]["rest_planned"] == "with_continuity"
    # the handed-back route's riders ride other routes; its contract is left out, with why
    assert all(c in {x for r in after.values() for x in riders(r)} for c in riders(before[second]))
    assert summary["contracts"]["routes_not_kept"] == {second: "handed_back"}
    assert {(r["route_id"], r["reason"]) for r in summary["contracts"]["left_out"]} == {
        (second, "handed_back")
    }
    html = (tmp_path / "keep" / "report.html").read_text()
    assert "Contract prices of the contracted routes kept" in html
    assert "not kept: handed back by its operator" in html


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (("--keep-contracted", "--baseline", "B"), "--keep-contracted", "--contracts"),
        (("--keep-contracted", "--contracts", "C"), "--keep-contracted", "--baseline"),
        (
            ("--keep-contracted", "--contracts", "C", "--evaluate", "B"),
            "--keep-contracted",
            "--evaluate only compares",
        ),
        (
            ("--keep-contracted", "--contracts", "C", "--baseline", "B", "--evaluate", "B"),
            "--baseline",
            "--evaluate compares them: give one",
        ),
        (("--contracts", "C", "--baseline", "B"), "--contracts", "--keep-contracted"),
        (("--baseline", "B"), "--baseline", "--changes"),
        (("--changes", "C"), "--changes", "--baseline"),
    ],
)
def test_bad_combinations_exit_2_naming_the_option(
    base: Path, tmp_path: Path, args: tuple[str, ...], option: str, words: str
) -> None:
    (tmp_path / "contracts.csv").write_text(CONTRACTS + "R1,Op,50,day,,\n")
    files = {"B": str(base / "plan" / "routes.json"), "C": str(tmp_path / "contracts.csv")}
    given = [files.get(a, a) for a in args]
    code, output = routes(str(base / "s"), "--out", str(tmp_path / "o"), *given)
    assert code == 2, output
    line = " ".join(output.split())
    assert len(output.strip().splitlines()) == 1, output
    assert option in line and words in line, line
    assert not (tmp_path / "o").exists()


def test_successive_contracts_without_as_of_exit_2_naming_contracts(
    base: Path, tmp_path: Path
) -> None:
    write_scenario(SC, tmp_path / "s")  # no as_of
    route_id = next(iter(contracted(base)))
    (tmp_path / "contracts.csv").write_text(
        CONTRACTS + f"{route_id},A,50,day,2025-09-01,2026-08-31\n{route_id},B,60,day,2026-09-01,\n"
    )
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--iterations", ITERATIONS,
        "--baseline", str(base / "plan" / "routes.json"), "--contracts",
        str(tmp_path / "contracts.csv"), "--keep-contracted",
    )  # fmt: skip
    assert code == 2, output
    assert "--contracts" in output and "as_of" in output
    assert not (tmp_path / "o").exists()
