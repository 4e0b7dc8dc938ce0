"""Contract prices of a council's current routes, beside the model's estimate of the same routes.

A contract prices one route (by its id in the existing routes) per day or per session. A price
per session counts once for each run of the route id in a day: sendplan's own ids (``AM-…``,
``PM-…``) name one run each, a council id running both sessions counts twice. When one session
alone was evaluated, the model's estimate and a per-session price both count that run twice (as
``Summary.transport_cost_basis`` does). With the scenario's ``as_of`` date, a contract whose
dates do not cover it is not in force and left out of the totals; without one, every contract
counts (no clock is read, so the same inputs give the same figures). A route may have successive
contracts whose dates do not overlap; the date then picks the one in force.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

SESSIONS_PER_DAY = 2


@dataclass(frozen=True)
class Contract:
    """One route's awarded price."""

    route_id: str
    operator: str
    price_gbp: float
    per: Literal["day", "session"]
    start: date | None = None
    end: date | None = None
    row: int | None = None  # in the contracts file, for messages

    def in_force(self, on: date | None) -> bool:
        if on is None:
            return True
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)

    def overlaps(self, other: Contract) -> bool:
        """Whether the two contracts' dates share a day (no date: open-ended that way)."""
        return (self.start is None or other.end is None or self.start <= other.end) and (
            other.start is None or self.end is None or other.start <= self.end
        )

    def gbp_per_day(self, runs_per_day: int) -> float:
        """The price of a day of a route that runs ``runs_per_day`` times a day."""
        return self.price_gbp * (1 if self.per == "day" else runs_per_day)


def _costed(entry: Mapping[str, object]) -> list[dict[str, Any]]:
    costed = entry.get("routes_costed", [])
    assert isinstance(costed, list)
    return costed


def _day_factor(evaluation: Mapping[str, Mapping[str, object]]) -> int:
    """Runs a day that one evaluated run stands for: two when one session alone was evaluated."""
    return SESSIONS_PER_DAY if len(evaluation) == 1 else 1


def model_cost_per_day(evaluation: Mapping[str, Mapping[str, object]]) -> dict[str, float]:
    """Per existing route id, the model's cost of a day (see the module's note)."""
    factor = _day_factor(evaluation)
    out: dict[str, float] = {}
    for entry in evaluation.values():
        for item in _costed(entry):
            out[item["route_id"]] = out.get(item["route_id"], 0.0) + factor * item["cost_gbp"]
    return out


def runs_per_day(evaluation: Mapping[str, Mapping[str, object]]) -> dict[str, int]:
    """Per existing route id, the runs of a day it stands for: one per evaluated session it runs
    in, doubled when one session alone was evaluated."""
    factor = _day_factor(evaluation)
    out: dict[str, int] = {}
    for entry in evaluation.values():
        for route_id in {item["route_id"] for item in _costed(entry)}:
            out[route_id] = out.get(route_id, 0) + factor
    return out


def _terms(c: Contract) -> dict[str, Any]:
    return {
        "route_id": c.route_id,
        "operator": c.operator,
        "price_gbp": round(c.price_gbp, 2),
        "per": c.per,
        "start_date": None if c.start is None else c.start.isoformat(),
        "end_date": None if c.end is None else c.end.isoformat(),
    }


def price_contracts(
    contracts: Sequence[Contract],
    evaluation: Mapping[str, Mapping[str, object]],
    *,
    as_of: date | None,
    days_per_year: int,
    gone: Mapping[str, str] | None = None,
    unplanned: Collection[str] = (),
) -> dict[str, Any]:
    """The contracted routes' cost by contract and by the model, per route and in total; the
    contracts left out (not in force on ``as_of``, naming no evaluated route, whose route is
    ``gone``: a re-plan did not keep it, the reason by route id, or whose route runs only in a
    session not planned: ``unplanned``) with why."""
    kept_only, gone = gone is not None, gone or {}
    model = model_cost_per_day(evaluation)
    runs = runs_per_day(evaluation)
    live = [
        c for c in contracts if c.in_force(as_of) and c.route_id in model and c.route_id not in gone
    ]
    rows = [
        {
            **_terms(c),
            "runs_per_day": runs[c.route_id],
            "contract_gbp_per_day": round(c.gbp_per_day(runs[c.route_id]), 2),
            "model_gbp_per_day": round(model[c.route_id], 2),
            "difference_gbp_per_day": round(c.gbp_per_day(runs[c.route_id]) - model[c.route_id], 2),
        }
        for c in sorted(live, key=lambda c: c.route_id)
    ]
    contract_day = sum(c.gbp_per_day(runs[c.route_id]) for c in live)
    model_day = sum(model[c.route_id] for c in live)
    named = {c.route_id for c in contracts} - set(gone)
    # A contract not in force is filed under not_in_force only, whether its route is here or not.
    in_force = {c.route_id for c in contracts if c.in_force(as_of)} - set(gone)
    off = set(unplanned) - set(model)
    left_out = [
        {**_terms(c), "reason": _left_out_because(c, as_of, gone, off)}
        for c in sorted(contracts, key=lambda c: c.route_id)
        if not c.in_force(as_of) or c.route_id not in model or c.route_id in gone
    ]
    out: dict[str, Any] = {
        "as_of": None if as_of is None else as_of.isoformat(),
        "contracted_routes": len(rows),
        "contract_cost_gbp_per_day": round(contract_day, 2),
        "model_cost_gbp_per_day": round(model_day, 2),
        "contract_cost_gbp_per_year": round(contract_day * days_per_year, 2),
        "model_cost_gbp_per_year": round(model_day * days_per_year, 2),
        "routes": rows,
        "left_out": left_out,
        "routes_without_contract": sorted(set(model) - named),
        "contracts_without_route": sorted(in_force - set(model) - off),
        "not_in_force": sorted(c.route_id for c in contracts if not c.in_force(as_of)),
    }
    if unplanned:
        out["contracts_session_not_planned"] = sorted(in_force & off)
    if kept_only:  # a re-plan keeping contracted routes: those it could not keep, and why
        out["routes_not_kept"] = dict(sorted(gone.items()))
    return out


def _left_out_because(
    c: Contract, as_of: date | None, gone: Mapping[str, str], unplanned: Collection[str]
) -> str:
    if not c.in_force(as_of):
        return "not_in_force"
    if c.route_id in gone:
        return gone[c.route_id]
    if c.route_id in unplanned:
        return "session_not_planned"
    return "no_such_route"
