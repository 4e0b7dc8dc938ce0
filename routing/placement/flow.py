"""A thin adapter over OR-Tools' SimpleMinCostFlow: numpy arcs in, flows and status out.

This is the only module that imports ``ortools.graph``; the rest of sendplan speaks numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow


class FlowError(RuntimeError):
    """The min-cost flow solver did not return an optimal flow."""


@dataclass(frozen=True)
class FlowResult:
    """The flow on every arc (in the order given), the total cost and the solver status."""

    flows: NDArray[np.int64]
    cost: int
    status: str

    @property
    def optimal(self) -> bool:
        """Whether the solver proved the flow optimal."""
        return self.status == "OPTIMAL"


def solve_min_cost_flow(
    *,
    tails: NDArray[np.integer],
    heads: NDArray[np.integer],
    capacities: NDArray[np.integer],
    unit_costs: NDArray[np.integer],
    supplies: NDArray[np.integer],
) -> FlowResult:
    """Solve a min-cost flow. ``supplies[v]`` is node v's supply (negative for demand).

    Arc arrays are parallel; nodes are ``0 .. len(supplies) - 1``. Raises FlowError unless the
    solver reports OPTIMAL, naming the status it did report.
    """
    n_arcs = len(tails)
    if not len(heads) == len(capacities) == len(unit_costs) == n_arcs:
        raise ValueError("tails, heads, capacities and unit_costs must have the same length")
    n_nodes = len(supplies)
    if n_arcs and (min(tails.min(), heads.min()) < 0 or max(tails.max(), heads.max()) >= n_nodes):
        raise ValueError("an arc names a node outside 0 .. len(supplies) - 1")
    if n_arcs == 0 and not np.any(supplies):
        return FlowResult(flows=np.zeros(0, dtype=np.int64), cost=0, status="OPTIMAL")

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.ascontiguousarray(tails, dtype=np.int32),
        np.ascontiguousarray(heads, dtype=np.int32),
        np.ascontiguousarray(capacities, dtype=np.int64),
        np.ascontiguousarray(unit_costs, dtype=np.int64),
    )
    # Nodes that appear in no arc must still exist, or their supply would be lost.
    solver.set_nodes_supplies(
        np.arange(n_nodes, dtype=np.int32), np.ascontiguousarray(supplies, dtype=np.int64)
    )
    status = solver.solve()
    name = _status_name(status)
    if status != solver.OPTIMAL:
        raise FlowError(f"min-cost flow solver returned {name}, not OPTIMAL")
    flows = np.asarray(solver.flows(np.asarray(arcs, dtype=np.int32)), dtype=np.int64)
    return FlowResult(flows=flows, cost=int(solver.optimal_cost()), status=name)


def _status_name(status: object) -> str:
    for name, value in min_cost_flow.SimpleMinCostFlow.Status.__members__.items():
        if value == status:
            return name
    return str(status)
