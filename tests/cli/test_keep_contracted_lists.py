"""`--keep-contracted` bookkeeping: the warning counts and names only routes left with no contract
in force; a contract not in force is listed under not_in_force only (never as naming no route);
a contract on a route that runs only in a session not planned (`--session am`) is said so;
every run not kept is in routes_not_kept, also one of a council id whose other run is kept."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.keep_contracted import not_kept, warn_not_in_force
from sendplan.api.writer import write_scenario
from sendplan.routing.transport.contracts import Contract, price_contracts
from sendplan.routing.transport.keep_contracted import KeptRoute

AS_OF = date(2027, 1, 15)
OLD = (date(2025, 9, 1), date(2026, 7, 31))  # ended before as_of
NOW = (date(2026, 9, 1), date(2027, 7, 31))  # in force on as_of


def contract(route_id: str, dates: tuple[date, date]) -> Contract:
    return Contract(route_id, "Op", 50.0, "day", *dates)


def evaluation(*route_ids: str) -> dict[str, dict[str, object]]:
    return {"am": {"routes_costed": [{"route_id": r, "cost_gbp": 40.0} for r in route_ids]}}


def test_a_contract_not_in_force_is_only_under_not_in_force() -> None:
    contracts = [contract("R1", OLD), contract("R2", NOW), contract("R9", NOW)]
    kinds: tuple[dict[str, str] | None, ...] = (None, {})
    for gone in kinds:  # --evaluate, and a re-plan keeping contracted routes
        # R1 is a route of the baseline the re-plan renamed or ended: not in the plan
        got = price_contracts(
            contracts, evaluation("R2"), as_of=AS_OF, days_per_year=190, gone=gone
        )
        assert got["not_in_force"] == ["R1"]
        assert got["contracts_without_route"] == ["R9"]  # in force, naming no route
        assert {(r["route_id"], r["reason"]) for r in got["left_out"]} == {
            ("R1", "not_in_force"),
            ("R9", "no_such_route"),
        }


def test_a_contract_on_a_route_of_a_session_not_planned_is_said_so() -> None:
    contracts = [contract("PM-1", NOW), contract("R9", NOW), contract("PM-2", OLD)]
    got = price_contracts(
        contracts, evaluation("AM-1"), as_of=AS_OF, days_per_year=190, gone={},
        unplanned={"PM-1", "PM-2"},
    )  # fmt: skip
    assert got["contracts_session_not_planned"] == ["PM-1"]
    assert got["contracts_without_route"] == ["R9"]
    assert got["not_in_force"] == ["PM-2"]
    reasons = {(r["route_id"], r["reason"]) for r in got["left_out"]}
    assert ("PM-1", "session_not_planned") in reasons and ("PM-2", "not_in_force") in reasons


def test_every_run_not_kept_is_named_also_when_the_other_run_is_kept() -> None:
    rows = [
        KeptRoute("C-1", "am", "broke_a_rule", 3, 0),
        KeptRoute("C-2", "am", "kept", 2, 2),
        KeptRoute("C-3", "am", "handed_back", 2, 0),
        KeptRoute("C-1", "pm", "kept", 3, 3),
        KeptRoute("C-2", "pm", "kept", 2, 2),
        KeptRoute("C-3", "pm", "ended", 2, 0),
    ]
    routes, elsewhere = not_kept(rows)
    assert routes == {"C-1": "broke_a_rule", "C-3": "handed_back"}
    assert elsewhere == ["C-1"]
    assert not_kept([r for r in rows if r.route_id == "C-2"]) == ({}, [])


@pytest.mark.parametrize(
    ("contracts", "words"),
    [
        # R1's old contract is not in force, its new one is: R1 is kept, not re-planned
        (
            [contract("R1", OLD), contract("R1", NOW), contract("R2", OLD)],
            "2 contracts not in force on 2027-01-15: 1 route with no contract in force "
            "planned with the rest (first: route 'R2')",
        ),
        (
            [contract("R1", OLD), contract("R1", NOW)],
            "1 contract not in force on 2027-01-15: each of their routes has another contract "
            "in force",
        ),
    ],
)
def test_the_warning_counts_only_routes_with_no_contract_in_force(
    caplog: pytest.LogCaptureFixture, contracts: list[Contract], words: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="sendplan"):
        warn_not_in_force(contracts, as_of=AS_OF, shown=AS_OF.isoformat())
    assert [r.getMessage() for r in caplog.records] == [words]


def test_no_warning_when_every_contract_is_in_force(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sendplan"):
        warn_not_in_force([contract("R1", NOW)], as_of=AS_OF, shown=AS_OF.isoformat())
    assert caplog.records == []


@pytest.mark.parametrize("planned", ["am", "pm"])
def test_with_one_session_planned_a_contract_on_the_other_sessions_route_says_so(
    tmp_path: Path, planned: str
) -> None:
    sc = scenario(
        random_children(10, 8, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
    )
    write_scenario(replace(sc, as_of=AS_OF), tmp_path / "s")
    run = CliRunner().invoke
    got = run(app, ["routes", str(tmp_path / "s"), "--out", str(tmp_path / "plan"),
                    "--iterations", "20", "--session", "both"])  # fmt: skip
    assert got.exit_code == 0, got.output
    doc = json.loads((tmp_path / "plan" / "routes.json").read_text())["sessions"]
    other = "pm" if planned == "am" else "am"
    mine, theirs = doc[planned]["routes"][0]["route_id"], doc[other]["routes"][0]["route_id"]
    (tmp_path / "c.csv").write_text(
        "route_id,operator,price_gbp,per,start_date,end_date\n"
        f"{mine},Acme,50,day,,\n{theirs},Acme,60,day,,\nNO-SUCH,Acme,70,day,,\n"
    )
    got = run(app, [
        "routes", str(tmp_path / "s"), "--out", str(tmp_path / "keep"), "--iterations", "20",
        "--session", planned, "--baseline", str(tmp_path / "plan" / "routes.json"),
        "--contracts", str(tmp_path / "c.csv"), "--keep-contracted",
    ])  # fmt: skip
    assert got.exit_code == 0, got.output
    summary = json.loads((tmp_path / "keep" / "summary.json").read_text())
    priced = summary["contracts"]
    assert priced["contracts_session_not_planned"] == [theirs]
    assert priced["contracts_without_route"] == ["NO-SUCH"]
    assert [r["route_id"] for r in priced["routes"]] == [mine]
    assert {(r["route_id"], r["reason"]) for r in priced["left_out"]} == {
        (theirs, "session_not_planned"), ("NO-SUCH", "no_such_route"),
    }  # fmt: skip
    # the route of the session planned is kept; the other session's is not one to keep here
    kept = summary["kept_contracted"]["routes"]
    assert [(k["route_id"], k["session"], k["status"]) for k in kept] == [(mine, planned, "kept")]
    assert priced["routes_not_kept"] == {}
