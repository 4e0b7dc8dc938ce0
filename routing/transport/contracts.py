"""Contract prices of a council's current routes, beside the model's estimate of the same routes.

A contract prices one route (by its id in the existing routes) per day or per session. Routes
run both sessions of a school day, so a price per session counts twice a day; the model's
estimate of a route is its evaluated cost in each session evaluated, doubled when only one
session was (as ``Summary.transport_cost_basis`` does). With the scenario's ``as_of`` date, a
contract whose dates do not cover it is not in force and left out of the totals; without one,
every contract counts (no clock is read, so the same inputs give the same figures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def in_force(self, on: date | None) -> bool:
        if on is None:
            return True
        return (self.start is None or self.start <= on) and (self.end is None or on <= self.end)

    @property
    def gbp_per_day(self) -> float:
        return self.price_gbp * (1 if self.per == "day" else SESSIONS_PER_DAY)


def model_cost_per_day(evaluation: Mapping[str, Mapping[str, object]]) -> dict[str, float]:
    """Per existing route id, the model's cost of a day (see the module's note)."""
    factor = SESSIONS_PER_DAY if len(evaluation) == 1 else 1
    out: dict[str, float] = {}
    for entry in evaluation.values():
        costed = entry.get("routes_costed", [])
        assert isinstance(costed, list)
        for item in costed:
            out[item["route_id"]] = out.get(item["route_id"], 0.0) + factor * item["cost_gbp"]
    return out


def price_contracts(
    contracts: Sequence[Contract],
    evaluation: Mapping[str, Mapping[str, object]],
    *,
    as_of: date | None,
    days_per_year: int,
) -> dict[str, Any]:
    """The contracted routes' cost by contract and by the model, per route and in total."""
    model = model_cost_per_day(evaluation)
    live = [c for c in contracts if c.in_force(as_of) and c.route_id in model]
    rows = [
        {
            "route_id": c.route_id,
            "operator": c.operator,
            "price_gbp": round(c.price_gbp, 2),
            "per": c.per,
            "start_date": None if c.start is None else c.start.isoformat(),
            "end_date": None if c.end is None else c.end.isoformat(),
            "contract_gbp_per_day": round(c.gbp_per_day, 2),
            "model_gbp_per_day": round(model[c.route_id], 2),
            "difference_gbp_per_day": round(c.gbp_per_day - model[c.route_id], 2),
        }
        for c in sorted(live, key=lambda c: c.route_id)
    ]
    contract_day = sum(c.gbp_per_day for c in live)
    model_day = sum(model[c.route_id] for c in live)
    named = {c.route_id for c in contracts}
    return {
        "as_of": None if as_of is None else as_of.isoformat(),
        "contracted_routes": len(rows),
        "contract_cost_gbp_per_day": round(contract_day, 2),
        "model_cost_gbp_per_day": round(model_day, 2),
        "contract_cost_gbp_per_year": round(contract_day * days_per_year, 2),
        "model_cost_gbp_per_year": round(model_day * days_per_year, 2),
        "routes": rows,
        "routes_without_contract": sorted(set(model) - named),
        "contracts_without_route": sorted(named - set(model)),
        "not_in_force": sorted(c.route_id for c in contracts if not c.in_force(as_of)),
    }
