"""Contract prices round-trip through `sendplan routes --evaluate --contracts`: a plan we wrote,
read back as the current routes and priced by contract, shows each route's contract price per
day beside the model's estimate (the plan's own cost), with routes lacking a contract and
contracts naming no route listed; bad contract files are one-line errors naming file, row and
field."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.writer import write_scenario

SC = scenario(
    random_children(12, 4, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
)
HEADER = "route_id,operator,price_gbp,per,start_date,end_date\n"


def routes(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(app, ["routes", *args])
    return got.exit_code, got.output


def test_contract_prices_round_trip_through_evaluate(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "plan"), "--iterations", "40"
    )
    assert code == 0, output
    planned = json.loads((tmp_path / "plan" / "routes.json").read_text())["sessions"]["am"][
        "routes"
    ]
    assert len(planned) >= 2
    priced, left_out = planned[:-1], planned[-1]
    lines, expected = [], {}
    for k, r in enumerate(priced):
        per = "day" if k % 2 == 0 else "session"
        price = 40.0 + 7.25 * k
        lines.append(f"{r['route_id']},Operator {k},{price},{per},2026-09-01,2027-07-31\n")
        expected[r["route_id"]] = price * (1 if per == "day" else 2)
    lines.append("NO-SUCH-ROUTE,Operator X,99,day,,\n")
    (tmp_path / "contracts.csv").write_text(HEADER + "".join(lines))
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "again"), "--iterations", "40",
        "--evaluate", str(tmp_path / "plan" / "routes.json"),
        "--contracts", str(tmp_path / "contracts.csv"),
    )  # fmt: skip
    assert code == 0, output
    got = json.loads((tmp_path / "again" / "summary.json").read_text())["contracts"]
    assert [r["route_id"] for r in got["routes"]] == sorted(expected)
    for row in got["routes"]:
        assert row["contract_gbp_per_day"] == round(expected[row["route_id"]], 2)
        # only AM was planned and evaluated: a day is two runs at the evaluated cost, which
        # is the plan's own cost to the penny
        cost = next(r["cost"] for r in priced if r["route_id"] == row["route_id"])
        assert abs(row["model_gbp_per_day"] - 2 * cost) <= 0.02
    assert abs(got["contract_cost_gbp_per_day"] - sum(expected.values())) <= 0.01
    assert got["routes_without_contract"] == [left_out["route_id"]]
    assert got["contracts_without_route"] == ["NO-SUCH-ROUTE"]
    assert got["contract_cost_gbp_per_year"] == round(
        got["contract_cost_gbp_per_day"] * SC.policy.school_days_per_year, 2
    )
    html = (tmp_path / "again" / "report.html").read_text()
    assert "Contract prices of the current routes" in html and "Operator 0" in html


def test_bad_contract_files_are_one_line_errors(tmp_path: Path) -> None:
    write_scenario(SC, tmp_path / "s")
    current = tmp_path / "current.csv"
    current.write_text(
        "route_id,vehicle_type,school_id,session,stop_order,child_id\n"
        f"R1,minibus_8,{SC.children[0].current_school},am,1,{SC.children[0].child_id}\n"
    )
    cases = [
        ("R1,Op,50,week,,\n", "per", "not day or session"),
        ("R1,Op,-5,day,,\n", "price_gbp", "negative"),
        ("R1,Op,50,day,2027-01-01,2026-01-01\n", "end_date", "before start_date"),
        (
            "R1,Op,50,day,,\nR1,Op,60,day,,\n",
            "row 3, field start_date",
            "on row 2 whose dates overlap",
        ),
        ("R1,Op,50,day,2026-09-01,2027-07-31\nR1,Op,60,day,2027-07-31,\n", "row 3", "overlap"),
        # a row lacking its last field is not an open-ended contract
        ("R1,Op,50,day,2026-01-01\n", "row 2", "5 fields, the header has 6 (end_date missing)"),
        ("R1,Op,50,day\n", "row 2", "4 fields, the header has 6 (start_date, end_date missing)"),
    ]
    for body, field, words in cases:
        (tmp_path / "contracts.csv").write_text(HEADER + body)
        code, output = routes(
            str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--iterations", "20",
            "--evaluate", str(current), "--contracts", str(tmp_path / "contracts.csv"),
        )  # fmt: skip
        assert code == 2, output
        assert "contracts.csv" in output and field in output and words in output, output
        assert not (tmp_path / "o").exists()
    # successive contracts need the scenario's as_of date to choose between them
    (tmp_path / "contracts.csv").write_text(
        HEADER + "R1,Op,50,day,2026-09-01,2027-07-31\nR1,Op,60,day,2027-08-01,\n"
    )
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--iterations", "20",
        "--evaluate", str(current), "--contracts", str(tmp_path / "contracts.csv"),
    )  # fmt: skip
    assert code == 2 and "--contracts" in output and "rows 2 and 3" in output, output
    assert "as_of" in output and not (tmp_path / "o").exists()
    code, output = routes(
        str(tmp_path / "s"),
        "--out",
        str(tmp_path / "o"),
        "--contracts",
        str(tmp_path / "contracts.csv"),
    )
    assert code == 2 and "--evaluate" in output


def test_contracts_not_in_force_warn_in_one_line_and_are_listed(tmp_path: Path) -> None:
    sc = replace(SC, as_of=date(2027, 1, 15))
    write_scenario(sc, tmp_path / "s")
    code, output = routes(
        str(tmp_path / "s"), "--out", str(tmp_path / "plan"), "--iterations", "20",
        "--session", "both",
    )  # fmt: skip
    assert code == 0, output
    sessions = json.loads((tmp_path / "plan" / "routes.json").read_text())["sessions"]
    am, pm = sessions["am"]["routes"][0]["route_id"], sessions["pm"]["routes"][0]["route_id"]
    (tmp_path / "contracts.csv").write_text(
        HEADER
        + f"{am},Acme,200,session,2025-09-01,2026-08-31\n"  # the contract before this one
        + f"{am},Acme,250,session,2026-09-01,2027-07-31\n"
        + f"{pm},Acme,99,day,2027-01-16,2027-07-31\n"  # starts the day after as_of
    )
    got = CliRunner().invoke(
        app,
        ["routes", str(tmp_path / "s"), "--out", str(tmp_path / "again"), "--iterations", "20",
         "--session", "both", "--evaluate", str(tmp_path / "plan" / "routes.json"),
         "--contracts", str(tmp_path / "contracts.csv")],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    warned = [line for line in got.stderr.splitlines() if "not in force" in line]
    assert len(warned) == 1 and "2 contracts " in warned[0], got.stderr
    priced = json.loads((tmp_path / "again" / "summary.json").read_text())["contracts"]
    # an AM-… id runs once a day: its price per session is its price per day
    assert [(r["route_id"], r["contract_gbp_per_day"]) for r in priced["routes"]] == [(am, 250.0)]
    assert priced["not_in_force"] == sorted([am, pm])
    html = (tmp_path / "again" / "report.html").read_text()
    assert "not in force on 2027-01-15" in html


def test_evaluate_prices_every_session_read_whatever_session_is_planned(tmp_path: Path) -> None:
    """`--evaluate` reads every session of the current routes (`--session` picks only what is
    planned): with `--session am`, a contract on a PM route of the file is priced, one on an id
    the file does not hold names no route; there is no session not planned to file it under."""
    write_scenario(SC, tmp_path / "s")
    for out, which in (("both", "both"), ("am", "am")):
        code, output = routes(str(tmp_path / "s"), "--out", str(tmp_path / out),
                              "--iterations", "20", "--session", which)  # fmt: skip
        assert code == 0, output
    both = json.loads((tmp_path / "both" / "routes.json").read_text())["sessions"]
    am_run, pm_run = both["am"]["routes"][0], both["pm"]["routes"][0]
    am, pm = am_run["route_id"], pm_run["route_id"]
    (tmp_path / "c.csv").write_text(
        HEADER + f"{am},Acme,50,day,,\n{pm},Acme,60,day,,\nNO-SUCH,Acme,70,day,,\n"
    )

    def evaluated(current: str) -> tuple[dict[str, Any], list[str]]:
        out = tmp_path / f"ev-{current}"
        code, output = routes(
            str(tmp_path / "s"), "--out", str(out), "--iterations", "20", "--session", "am",
            "--evaluate", str(tmp_path / current / "routes.json"),
            "--contracts", str(tmp_path / "c.csv"),
        )  # fmt: skip
        assert code == 0, output
        evaluation = json.loads((out / "evaluation.json").read_text())
        return json.loads((out / "summary.json").read_text())["contracts"], sorted(evaluation)

    priced, sessions = evaluated("both")
    assert sessions == ["am", "pm"]
    # both sessions evaluated: each AM-/PM- id is one run a day at its own cost
    rows = {r["route_id"]: r for r in priced["routes"]}
    assert sorted(rows) == sorted([am, pm])
    for run in (am_run, pm_run):
        assert rows[run["route_id"]]["runs_per_day"] == 1
        assert abs(rows[run["route_id"]]["model_gbp_per_day"] - run["cost"]) <= 0.02
    assert priced["contracts_without_route"] == ["NO-SUCH"]
    assert [(r["route_id"], r["reason"]) for r in priced["left_out"]] == [
        ("NO-SUCH", "no_such_route")
    ]
    assert "contracts_session_not_planned" not in priced
    # current routes of the AM session alone: the PM id names no route read
    priced, sessions = evaluated("am")
    assert sessions == ["am"]
    read = json.loads((tmp_path / "am" / "routes.json").read_text())["sessions"]
    ids = {r["route_id"] for r in read["am"]["routes"]}
    assert pm not in ids
    assert [r["route_id"] for r in priced["routes"]] == ([am] if am in ids else [])
    assert priced["contracts_without_route"] == sorted({"NO-SUCH", pm} | ({am} - ids))
    assert "contracts_session_not_planned" not in priced
