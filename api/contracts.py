"""Read CONTRACTS.csv: one awarded price per current route.

Columns: ``route_id`` and ``operator`` (text), ``price_gbp`` (a number), ``per`` (``day`` or
``session``), and optionally ``start_date`` / ``end_date`` (YYYY-MM-DD). Every error names the
file, row and field; a route priced twice is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sendplan.api.cells import CellError, FieldError, number_in, parse_date, parse_text, show
from sendplan.api.tables import Column, Spec, build_rows, check_unique, csv_table
from sendplan.routing.result import Result
from sendplan.routing.transport.contracts import Contract, price_contracts

PRICE_GBP_RANGE = (0.0, 1_000_000.0)


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


def read_contracts(path: Path) -> tuple[Contract, ...]:
    """The contracts of ``path``, in file order."""
    table = csv_table(Path(path))
    rows = build_rows(table, CONTRACT_SPEC, _contract)
    if not rows:
        raise table.source.error("no contracts: the file has a header but no rows")
    check_unique(table, rows, lambda c: c.route_id, "route_id")
    return tuple(c for _, c in rows)


def with_contract_prices(result: Result, contracts: Sequence[Contract]) -> Result:
    """``result`` with its summary's ``contracts``: the evaluated current routes priced by
    contract beside the model's estimate."""
    scenario = result.scenario
    priced = price_contracts(
        contracts,
        result.evaluation or {},
        as_of=scenario.as_of,
        days_per_year=scenario.policy.school_days_per_year,
    )
    return replace(result, summary=replace(result.summary, contracts=priced))
