"""Read CONTRACTS.csv: one awarded price per current route.

Columns: ``route_id`` and ``operator`` (text), ``price_gbp`` (a number), ``per`` (``day`` or
``session``), and optionally ``start_date`` / ``end_date`` (YYYY-MM-DD). Every error names the
file, row and field. A route may have successive contracts whose dates do not overlap (a
blank date is open-ended); overlapping ones are an error naming both rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sendplan.api.cells import CellError, FieldError, number_in, parse_date, parse_text, show
from sendplan.api.tables import Column, Spec, Table, build_rows, csv_table
from sendplan.errors import InputError, visible
from sendplan.logs import get_logger
from sendplan.routing.result import Result
from sendplan.routing.transport.contracts import Contract, price_contracts

PRICE_GBP_RANGE = (0.0, 1_000_000.0)

log = get_logger(__name__)


def parse_per(text: str) -> str:
    value = text.strip().lower()
    if value not in ("day", "session"):
        raise CellError(f"{show(text)} is not day or session")
    return value


CONTRACT_SPEC = Spec(
    columns={
        "route_id": Column(parse_text, required=True),
        "operator": Column(parse_text, required=True),
        "price_gbp": Column(number_in(*PRICE_GBP_RANGE), required=True),
        "per": Column(parse_per, required=True),
        "start_date": Column(parse_date),
        "end_date": Column(parse_date),
    }
)


def _contract(values: dict[str, Any]) -> Contract:
    start, end = values.get("start_date"), values.get("end_date")
    if start is not None and end is not None and end < start:
        raise FieldError("end_date", f"end_date {end.isoformat()} is before start_date")
    return Contract(
        route_id=values["route_id"],
        operator=values["operator"],
        price_gbp=values["price_gbp"],
        per=values["per"],
        start=start,
        end=end,
    )


def check_row_lengths(table: Table) -> None:
    """Every row has a field per column: a row lacking its last fields would otherwise read as
    those fields blank (a missing end_date as an open-ended contract)."""
    width = len(table.header)
    for row, cells in table.rows:
        if len(cells) < width:
            missing = ", ".join(table.header[len(cells) :])
            raise table.source.error(
                f"{len(cells)} fields, the header has {width} ({missing} missing)", row=row
            )


def read_contracts(path: Path) -> tuple[Contract, ...]:
    """The contracts of ``path``, in file order."""
    table = csv_table(Path(path))
    check_row_lengths(table)
    rows = build_rows(table, CONTRACT_SPEC, _contract)
    if not rows:
        raise table.source.error("no contracts: the file has a header but no rows")
    contracts = tuple(replace(c, row=row) for row, c in rows)
    check_no_overlaps(table, contracts)
    return contracts


def check_no_overlaps(table: Table, contracts: Sequence[Contract]) -> None:
    """One contract at a time per route: successive dates are fine, overlapping ones not."""
    earlier: dict[str, list[Contract]] = {}
    for c in contracts:
        for other in earlier.get(c.route_id, []):
            if c.overlaps(other):
                raise table.source.error(
                    f"route_id {show(c.route_id)} has a contract on row {other.row} whose dates "
                    "overlap these (a route has one contract at a time)",
                    row=c.row,
                    field="start_date",
                )
        earlier.setdefault(c.route_id, []).append(c)


def check_one_contract_each(contracts: Sequence[Contract]) -> None:
    """Without a date to choose by, each route must have one contract."""
    seen: dict[str, Contract] = {}
    for c in contracts:
        if c.route_id in seen:
            raise InputError(
                "--contracts",
                f"route_id {show(c.route_id)} has successive contracts (rows "
                f"{seen[c.route_id].row} and {c.row}): give the scenario an as_of date "
                "(scenario.toml) to choose the one in force",
            )
        seen[c.route_id] = c


def in_force_route_ids(contracts: Sequence[Contract], as_of: date | None) -> frozenset[str]:
    """The route ids whose contract is in force on ``as_of`` (every contract without a date:
    then each route must have one contract, else an error naming ``--contracts``)."""
    if as_of is None:
        check_one_contract_each(contracts)
    return frozenset(c.route_id for c in contracts if c.in_force(as_of))


def with_contract_prices(result: Result, contracts: Sequence[Contract]) -> Result:
    """``result`` with its summary's ``contracts``: the evaluated current routes priced by
    contract beside the model's estimate. Contracts not in force on the scenario's ``as_of``
    are left out of the totals, and one warning line says how many."""
    scenario = result.scenario
    if scenario.as_of is None:
        check_one_contract_each(contracts)
    priced = price_contracts(
        contracts,
        result.evaluation or {},
        as_of=scenario.as_of,
        days_per_year=scenario.policy.school_days_per_year,
    )
    if priced["not_in_force"]:
        n, first = len(priced["not_in_force"]), priced["not_in_force"][0]
        log.warning(
            "%d contract%s not in force on %s left out of the totals (first: route %s)",
            n, "" if n == 1 else "s", priced["as_of"], visible(first, 40),
        )  # fmt: skip
    return replace(result, summary=replace(result.summary, contracts=priced))
