"""A thin adapter over OR-Tools' SimpleMinCostFlow: numpy arcs in, flows and status out.

This is the only module that imports ``ortools.graph``; the rest of sendplan speaks numpy.
``node_potentials`` recovers the dual prices of an optimal flow (for pricing, ``pricing.py``).
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
    node_order: NDArray[np.integer] | None = None,
) -> FlowResult:
    """Solve a min-cost flow. ``supplies[v]`` is node v's supply (negative for demand).

    Arc arrays are parallel; nodes are ``0 .. len(supplies) - 1``. ``node_order`` (a
    permutation of the nodes) is the order in which OR-Tools numbers them: the optimum's cost
    is the same in any order, but its time is not (``locality_order``); flows come back per
    arc as given. Raises FlowError unless the solver reports OPTIMAL, naming the status it did
    report.
    """
    n = len(supplies)
    check_arcs(tails, heads, capacities, unit_costs, n_nodes=n)
    if len(tails) == 0 and not np.any(supplies):
        return FlowResult(flows=np.zeros(0, dtype=np.int64), cost=0, status="OPTIMAL")
    number = np.arange(n, dtype=np.int64)  # OR-Tools' number of each node
    if node_order is not None:
        order = np.asarray(node_order, dtype=np.int64)
        if len(order) != n or not np.array_equal(np.sort(order), number):
            raise ValueError("node_order must list every node exactly once")
        number[order] = np.arange(n, dtype=np.int64)

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        number[tails].astype(np.int32),
        number[heads].astype(np.int32),
        np.ascontiguousarray(capacities, dtype=np.int64),
        np.ascontiguousarray(unit_costs, dtype=np.int64),
    )
    # Nodes that appear in no arc must still exist, or their supply would be lost.
    numbered = np.zeros(n, dtype=np.int64)
    numbered[number] = supplies
    solver.set_nodes_supplies(np.arange(n, dtype=np.int32), numbered)
    status = solver.solve()
    name = _status_name(status)
    if status != solver.OPTIMAL:
        raise FlowError(f"min-cost flow solver returned {name}, not OPTIMAL")
    flows = np.asarray(solver.flows(np.asarray(arcs, dtype=np.int32)), dtype=np.int64)
    return FlowResult(flows=flows, cost=int(solver.optimal_cost()), status=name)


def locality_order(
    *,
    tails: NDArray[np.integer],
    heads: NDArray[np.integer],
    unit_costs: NDArray[np.integer],
    supplies: NDArray[np.integer],
) -> NDArray[np.int64]:
    """A ``node_order`` that numbers the supply nodes after the others, grouped by the head of
    their cheapest arc, so that nodes likely to send flow the same way sit side by side in the
    solver's arrays. Measured on the placement's pricing networks at national scale (321,668
    nodes, 0.9-1.6 million arcs): OR-Tools' four solves took 53.8 s in this order against
    71.8 s in the placement's own (classes, then schools), three interleaved runs of each; a
    random order was slower than either. The network simplex makes the same number of pivots
    in either order, in two thirds of the time."""
    t = np.asarray(tails, dtype=np.int64)
    c = np.asarray(unit_costs, dtype=np.int64)
    n = len(supplies)
    least = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(least, t, c)
    # The first of each node's cheapest arcs (no sort of the arcs: ten times faster).
    cheapest = np.flatnonzero(c == least[t])
    _, first = np.unique(t[cheapest], return_index=True)
    cheapest_head = np.full(n, -1, dtype=np.int64)
    cheapest_head[t[cheapest[first]]] = np.asarray(heads, dtype=np.int64)[cheapest[first]]
    key = np.where(np.asarray(supplies) > 0, cheapest_head, -1)
    return np.argsort(key, kind="stable").astype(np.int64)


def solve_locally(
    *,
    tails: NDArray[np.integer],
    heads: NDArray[np.integer],
    capacities: NDArray[np.integer],
    unit_costs: NDArray[np.integer],
    supplies: NDArray[np.integer],
) -> FlowResult:
    """``solve_min_cost_flow`` with the nodes numbered in ``locality_order``: the placement's
    solves (a quarter faster at national scale)."""
    order = locality_order(tails=tails, heads=heads, unit_costs=unit_costs, supplies=supplies)
    return solve_min_cost_flow(
        tails=tails, heads=heads, capacities=capacities, unit_costs=unit_costs,
        supplies=supplies, node_order=order,
    )  # fmt: skip


def check_arcs(
    tails: NDArray[np.integer],
    heads: NDArray[np.integer],
    capacities: NDArray[np.integer],
    unit_costs: NDArray[np.integer],
    *,
    n_nodes: int,
) -> None:
    """ValueError unless the arc arrays are parallel and name nodes ``0 .. n_nodes - 1``."""
    n_arcs = len(tails)
    if not len(heads) == len(capacities) == len(unit_costs) == n_arcs:
        raise ValueError("tails, heads, capacities and unit_costs must have the same length")
    if n_arcs and (min(tails.min(), heads.min()) < 0 or max(tails.max(), heads.max()) >= n_nodes):
        raise ValueError(f"an arc names a node outside 0 .. {n_nodes - 1}")


def _status_name(status: object) -> str:
    for name, value in min_cost_flow.SimpleMinCostFlow.Status.__members__.items():
        if value == status:
            return name
    return str(status)


def node_potentials(
    *,
    tails: NDArray[np.integer],
    heads: NDArray[np.integer],
    capacities: NDArray[np.integer],
    unit_costs: NDArray[np.integer],
    flows: NDArray[np.integer],
    n_nodes: int,
    sources: int = 0,
) -> NDArray[np.int64]:
    """Node potentials ``pi`` proving an optimal flow optimal: ``cost + pi[tail] - pi[head] >= 0``
    on every residual arc (forward where flow < capacity, backward at -cost where flow > 0).

    SimpleMinCostFlow keeps its potentials to itself, so they are recovered as shortest-path
    distances in the residual graph from a virtual root joined to every node at cost 0
    (Bellman-Ford, relaxing only the arcs of nodes whose distance fell; vectorised). At an
    optimum the residual graph has no negative cycle, so this ends within ``n_nodes`` passes;
    if it does not, the flow was not optimal and FlowError says so.

    Nodes ``0 .. sources - 1`` must have no entering arc and must send all their flow out (the
    placement classes): they are eliminated first. A path ``h1 -> v -> h2`` through such a node
    v (back along an arc carrying flow, out along one with room) becomes one arc ``h1 -> h2``
    of cost ``c2 - c1``; after the shortest paths of the rest, ``pi[v]`` is the least
    ``pi[h1] - c1`` over its arcs carrying flow, which keeps both kinds of arc at v
    non-negative. The graph left is the schools' side, small at national scale.
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    capacities = np.asarray(capacities, dtype=np.int64)
    costs = np.asarray(unit_costs, dtype=np.int64)
    flows = np.asarray(flows, dtype=np.int64)
    if sources and len(heads) and int(heads.min()) < sources:
        raise ValueError("an arc enters one of the source nodes")
    src = tails < sources
    rest = ~src
    fwd = rest & (flows < capacities)
    back = rest & (flows > 0)
    t = [tails[fwd], heads[back]]
    h = [heads[fwd], tails[back]]
    w = [costs[fwd], -costs[back]]
    # Through each source: from the head of every arc carrying flow to the head of every
    # other arc with room.
    s_arcs = np.flatnonzero(src)
    s_arcs = s_arcs[np.argsort(tails[s_arcs], kind="stable")]
    s_tail = tails[s_arcs]
    starts = np.searchsorted(s_tail, np.arange(sources + 1)).astype(np.int64)
    carrying = s_arcs[flows[s_arcs] > 0]
    c_tail = tails[carrying]
    count = starts[c_tail + 1] - starts[c_tail]
    total = int(count.sum())
    pos = np.repeat(starts[c_tail] - np.cumsum(count) + count, count) + np.arange(total)
    other = s_arcs[pos]
    via = np.repeat(carrying, count)
    ok = (other != via) & (flows[other] < capacities[other]) & (heads[other] != heads[via])
    other, via = other[ok], via[ok]
    t.append(heads[via])
    h.append(heads[other])
    w.append(costs[other] - costs[via])
    pi = _shortest_from_all(
        np.concatenate(t) - sources, np.concatenate(h) - sources, np.concatenate(w),
        n_nodes - sources,
    )  # fmt: skip
    out = np.zeros(n_nodes, dtype=np.int64)
    out[sources:] = pi
    if sources:
        best = np.full(sources, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, c_tail, out[heads[carrying]] - costs[carrying])
        out[:sources] = np.where(best == np.iinfo(np.int64).max, 0, best)
    return out


def _shortest_from_all(
    t: NDArray[np.int64], h: NDArray[np.int64], w: NDArray[np.int64], n: int
) -> NDArray[np.int64]:
    """Shortest distances from a virtual root joined to every node at cost 0."""
    # Parallel arcs: only the cheapest matters.
    key = t * max(n, 1) + h
    order = np.argsort(key)
    key = key[order]
    runs = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else order
    t, h = key[runs] // max(n, 1), key[runs] % max(n, 1)
    w = np.minimum.reduceat(w[order], runs) if len(key) else w
    starts = np.searchsorted(t, np.arange(n + 1)).astype(np.int64)
    dist = np.zeros(n, dtype=np.int64)
    active = np.arange(n, dtype=np.int64)
    for _ in range(n + 1):
        first, count = starts[active], starts[active + 1] - starts[active]
        total = int(count.sum())
        if total == 0:
            return dist
        # The arcs of the active nodes: each node's run starts[v] .. starts[v + 1].
        arcs = np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)
        reach = dist[t[arcs]] + w[arcs]
        better = reach < dist[h[arcs]]
        if not better.any():
            return dist
        np.minimum.at(dist, h[arcs][better], reach[better])
        active = np.unique(h[arcs][better])
    raise FlowError("the flow has a negative residual cycle: it is not optimal")
