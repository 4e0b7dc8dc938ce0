"""The report's contract table: every contract appears, those left out of the totals with why
(not in force on the scenario's date, or naming no current route), and prices to the penny."""

from __future__ import annotations

import re
from datetime import date

from sendplan.api.report_costs import contracts_table
from sendplan.routing.transport.contracts import Contract, price_contracts

EVALUATION: dict[str, dict[str, object]] = {
    "am": {"routes_costed": [{"route_id": "AM-1", "cost_gbp": 30.0},
                             {"route_id": "AM-2", "cost_gbp": 20.0}]},
    "pm": {"routes_costed": [{"route_id": "PM-1", "cost_gbp": 25.0}]},
}  # fmt: skip


def table(*contracts: Contract, on: date | None = date(2025, 1, 16)) -> str:
    return contracts_table(price_contracts(contracts, EVALUATION, as_of=on, days_per_year=190))


def test_left_out_contracts_are_listed_with_why() -> None:
    html = table(
        Contract("AM-1", "Acme", 250.0, "session"),
        Contract("AM-2", "Bus Ltd", 60.0, "day", end=date(2024, 7, 31)),
        Contract("GONE", "Cabs", 12.0, "day"),
    )
    assert re.search(r"AM-2</td><td>Bus Ltd</td>.*not in force on 2025-01-16", html)
    assert re.search(r"GONE</td><td>Cabs</td>.*names no route", html)
    assert "AM-1" in html and html.count("left out:") == 2
    # in force on a date without one: nothing left out for that reason
    assert "not in force" not in table(Contract("AM-2", "B", 60.0, "day"), on=None)


def test_prices_show_their_pence() -> None:
    html = table(Contract("AM-1", "Acme", 40.5, "session"), Contract("PM-1", "Acme", 300, "day"))
    assert "£40.50 per session" in html and "£300.00 per day" in html


def test_the_money_is_to_the_penny_and_rows_add_up() -> None:
    html = table(
        Contract("AM-1", "Acme", 40.5, "session"),
        Contract("AM-2", "Acme", 20.25, "session"),
        Contract("PM-1", "Acme", 17.35, "day"),
    )
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    cells = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
             for r in rows[1:]]  # fmt: skip

    def money(text: str) -> float:
        return float(text.replace("£", "").replace(",", ""))

    *body, total = cells
    for col in (3, 4, 5):
        assert all(re.fullmatch(r"-?£[\d,]+\.\d\d", r[col]) for r in [*body, total])
        assert abs(sum(money(r[col]) for r in body) - money(total[col])) < 0.005
    assert total[3] == "£78.10" and body[0][5] == "£10.50"  # 40.50 - 30.00
