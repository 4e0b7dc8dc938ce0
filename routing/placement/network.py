"""The min-cost flow network over classes, and its weighted and lexicographic solves.

*Network.* Per school three nodes: the school node, its general node and its residential node.
Class -> school arcs (capacity = class size, cost ``arc_cost_gbp``) end at the general node (a
residential class: at the residential node, whose arc into the general node carries the
residential places left); the general node's arc into the school node carries the general
(unreserved) places left, and school -> sink the places left. A class whose need the school
caps or reserves places for enters that (school, need) pool instead (``pools.py``): pool in ->
pool out (the cap left), out -> school node (the reserved places left), out -> general node.
Class -> sink (cost ``unplaced_gbp``) lets children stay unplaced, so every instance is
feasible. In the "what if" mode the ``must_admit`` schools also get an unbounded general ->
school arc costing ``over_capacity_gbp`` per place, and an unbounded school -> sink arc: their
general places become soft (residential places and caps per need stay hard). The solver must
report OPTIMAL.

*Weighted solve.* The costs above: the weighted objective of ``place.py``.

*Lexicographic solve*, in the order of ``place.py`` (placed, in area, cost, travel; with
preferences: placed, in area, preference ranks, cost, travel). Two solves:
(1) unplaced costs ``N + 1`` and an out-of-area arc 1, where N is the number of free children;
since at most N children are out of area, one more unplaced child always costs more than any
out-of-area count, so the optimum is lexicographic in (placed, in area). (2) Those two counts
are fixed by routing in-area schools, out-of-area schools and the unplaced arcs through three
hub nodes with capacities equal to the optimum's counts (they sum to the total supply, so each
is saturated: the feasible flows are exactly the optima of (1)); arc cost ``fee x M + travel``,
so cost comes first and travel breaks ties. ``M = 2 x S x t_max + 1`` with S the school-side
nodes (every node but the classes) and t_max the longest candidate journey:
the flow is optimal when no residual cycle has negative cost; in a simple residual cycle no two
class nodes are adjacent, so it has at most 2S travel-carrying arcs and its travel is within
+-2S x t_max; hence a cycle that lowers cost by at least 1 GBP is always negative (the plan is
cost-optimal) and among cost-neutral cycles travel decides (travel-optimal among those). With
preferences each arc adds ``units x P``, ``P = 2 x S x (fee_max x M + M) + 1``: the same bound
makes a cycle that lowers the preference units by one always negative, whatever it does to cost
and travel, so preferences come before cost. Raises
PlacementError if the costs would still overflow 64-bit integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import Policy
from sendplan.routing.placement.arrays import index_in_sorted
from sendplan.routing.placement.bundle import solve_with_hub
from sendplan.routing.placement.candidates import CandidateSet
from sendplan.routing.placement.costs import unplaced_cost_gbp
from sendplan.routing.placement.flow import FlowError, node_potentials, solve_locally
from sendplan.routing.placement.plan import PlacementError
from sendplan.routing.placement.pools import PoolSet
from sendplan.routing.placement.simplex import solve_from

# A warm start goes to the network simplex only when at most this many arcs break the last
# potentials; past it, OR-Tools' solve from scratch is faster. Measured on the last two pricing
# rounds at national scale (640,000 children x 3,000 settings; 321,667 nodes, 1.7 million
# arcs): 449 arcs broken took 1.4 s against 7.8 s for OR-Tools' solve of the round (twins and
# hub included); 27,913 took 13.4 s against 6.6 s. With both solvers' nodes numbered for
# locality (``flow.locality_order``) it still holds: 30,000 instead took 36.5 s and 39.0 s in
# all against 31.1 s.
WARM_MAX_BROKEN = 5_000
# Headroom under 2**63 for OR-Tools' internal cost scaling (it multiplies by the node count).
_COST_LIMIT = 2**62


@dataclass(frozen=True)
class SolvedFlow:
    """The flow's answer: units per candidate arc, per over-capacity arc, and model size."""

    cand_flow: NDArray[np.int64]
    over: NDArray[np.int64]  # per school
    nodes: int
    arcs: int
    potential: NDArray[np.int64] | None = None  # per node, when asked for (``pricing.py``)
    # With the potentials: every arc's (tail, head, capacity, cost, flow), the classes' first.
    residual: tuple[NDArray[np.int64], ...] | None = None
    warm: bool = False  # solved from a warm start (``simplex.py``), not afresh


@dataclass(frozen=True)
class WarmStart:
    """A weighted optimum to start the next solve from: the solve's ``residual`` arcs and
    flows, and potentials proving it (those of the solve, or others, ``certify.py``)."""

    residual: tuple[NDArray[np.int64], ...]
    potential: NDArray[np.int64]


@dataclass(frozen=True)
class Network:
    """The flow network over classes; nodes: classes, schools, residential nodes, hubs, sink."""

    cs: CandidateSet
    supply: NDArray[np.int64]  # per class: its free children
    class_res: NDArray[np.bool_]
    spare: NDArray[np.int64]
    spare_res: NDArray[np.int64]
    soft: NDArray[np.bool_]
    in_area: NDArray[np.bool_]
    over_gbp: int
    pools: PoolSet

    def reachable(self) -> int:
        """Free children with at least one candidate (the others stay out of the network)."""
        return int(self.supply[np.diff(self.cs.cand_starts) > 0].sum())

    def solve_weighted(
        self, policy: Policy, *, potentials: bool = False, warm: WarmStart | None = None
    ) -> SolvedFlow:
        """The weighted optimum; with ``potentials``, also node potentials proving it. With
        ``warm``, the last optimum of a network over other arcs between the same nodes, from
        which the network simplex (``simplex.py``) starts; ``SolvedFlow.warm`` says whether
        it finished, else the flow is solved afresh."""
        return self._solve(
            cand_cost=self.cs.cost,
            unplaced_cost=unplaced_cost_gbp(policy),
            over_cost=self.over_gbp,
            hubs=None,
            potentials=potentials,
            warm=warm,
        )

    def sink(self) -> int:
        """The sink's node id (every class's unplaced arc ends there in the weighted mode)."""
        return self.cs.n_classes + 3 * len(self.cs.schools) + 3

    def arc_heads(
        self, cls: NDArray[np.int64], school: NDArray[np.int64], pool: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """The node a (class, school) arc enters: the pool's in node when the need has a pool
        there, else the school's residential node for a residential class, else its general
        node."""
        k, m = self.cs.n_classes, len(self.cs.schools)
        head = np.where(self.class_res[cls], k + 2 * m + school, k + m + school)
        return np.where(pool >= 0, self.sink() + 1 + pool, head).astype(np.int64, copy=False)

    def solve_lexicographic(self, preference: NDArray[np.int64] | None = None) -> SolvedFlow:
        """Placed, then in area, then (with ``preference``, units per candidate arc) preference
        ranks, then cost, then travel."""
        cand = self.cs.candidates
        n_free = int(self.supply.sum())
        out_arc = (~self.in_area[cand.school]).astype(np.int64)
        first = self._solve(cand_cost=out_arc, unplaced_cost=n_free + 1, over_cost=0, hubs=None)
        placed = int(first.cand_flow.sum())
        out_of_area = int((first.cand_flow * out_arc).sum())
        fee = np.rint(np.array([s.annual_cost_gbp for s in self.cs.schools])).astype(np.int64)
        travel = np.rint(cand.travel_s).astype(np.int64)
        # Every node but the class nodes is "school-side"; a simple residual cycle alternates
        # class and school-side nodes, so it has at most 2 x side travel-carrying arcs.
        side = 3 * len(fee) + 4 + 2 * len(self.pools.cap)
        big_m = 2 * side * (int(travel.max()) if len(travel) else 0) + 1
        over_gbp = self.over_gbp
        top = max(int(fee.max()) if len(fee) else 0, over_gbp)
        nodes = self.cs.n_classes + side
        # Preferences above cost: a residual cycle's cost-and-travel part stays within
        # 2 x side x (top x M + M), so one preference rank (x pref_m) outweighs it.
        pref_m = 2 * side * (top * big_m + big_m) + 1 if preference is not None else 0
        pref_top = int(preference.max()) if preference is not None and len(preference) else 0
        worst = pref_top * pref_m + top * big_m + big_m
        if worst * (nodes + 1) >= _COST_LIMIT or worst * max(n_free, 1) >= _COST_LIMIT:
            raise PlacementError(
                "lexicographic mode: the cost x travel range of this scenario overflows exact "
                "64-bit flow costs; use the weighted mode or a smaller scenario"
            )
        try:
            pref_cost = 0 if preference is None else preference * pref_m
            return self._solve(
                cand_cost=pref_cost + fee[cand.school] * big_m + travel,
                unplaced_cost=0,
                over_cost=over_gbp * big_m,
                hubs=(placed - out_of_area, out_of_area, self.reachable() - placed),
            )
        except FlowError as err:  # OR-Tools' own cost-range check (BAD_COST_RANGE)
            raise PlacementError(f"lexicographic mode: {err}") from err

    def _solve(
        self,
        *,
        cand_cost: NDArray[np.int64],
        unplaced_cost: int,
        over_cost: int,
        hubs: tuple[int, int, int] | None,
        potentials: bool = False,
        warm: WarmStart | None = None,
    ) -> SolvedFlow:
        cs, cand, pools = self.cs, self.cs.candidates, self.pools
        k = cs.n_classes
        m = len(cs.schools)
        n_pools = len(pools.cap)
        school_node = k + np.arange(m, dtype=np.int64)
        general_node = school_node + m
        res_node = school_node + 2 * m
        hub_in, hub_out, hub_un = k + 3 * m, k + 3 * m + 1, k + 3 * m + 2
        sink = k + 3 * m + 3
        pool_in = sink + 1 + np.arange(n_pools, dtype=np.int64)
        pool_out = pool_in + n_pools
        # A class without candidates can only stay unplaced: it needs no node.
        active = (self.supply > 0) & (np.diff(cs.cand_starts) > 0)
        use = active[cand.child]
        c_class, c_school = cand.child[use], cand.school[use]
        c_head = self.arc_heads(c_class, c_school, pools.cand_pool[use])
        classes = np.flatnonzero(active).astype(np.int64)
        total = int(self.supply[classes].sum())
        with_res = np.flatnonzero(self.spare_res > 0).astype(np.int64)
        softs = np.flatnonzero(self.soft).astype(np.int64)
        if hubs is None:
            school_exit = np.full(m, sink, dtype=np.int64)
            unplaced_head = sink
        else:
            school_exit = np.where(self.in_area, hub_in, hub_out).astype(np.int64)
            unplaced_head = hub_un
        zeros = np.zeros(max(m, n_pools), dtype=np.int64)
        # (tail, head, capacity, cost) blocks; the candidate arcs first, the soft ones second.
        blocks = [
            (c_class, c_head, self.supply[c_class], cand_cost[use]),
            (general_node[softs], school_node[softs], np.full(len(softs), total),
             np.full(len(softs), over_cost)),
            (res_node[with_res], general_node[with_res], self.spare_res[with_res],
             zeros[: len(with_res)]),
            (general_node, school_node, pools.general_spare, zeros[:m]),
            (school_node, school_exit, np.where(self.soft, total, self.spare), zeros[:m]),
            (classes, np.full(len(classes), unplaced_head), self.supply[classes],
             np.full(len(classes), unplaced_cost)),
            (pool_in, pool_out, np.where(pools.cap_spare >= 0, pools.cap_spare, total),
             zeros[:n_pools]),
            (pool_out, school_node[pools.school], pools.reserved_spare, zeros[:n_pools]),
            (pool_out, general_node[pools.school], np.full(n_pools, total), zeros[:n_pools]),
        ]  # fmt: skip
        if hubs is not None:
            hub_nodes = np.array([hub_in, hub_out, hub_un], dtype=np.int64)
            blocks.append((hub_nodes, np.full(3, sink), np.array(hubs), np.zeros(3, np.int64)))
        supplies = np.zeros(sink + 1 + 2 * n_pools, dtype=np.int64)
        supplies[classes] = self.supply[classes]
        supplies[sink] = -total
        arrays = {
            name: np.concatenate([b[x] for b in blocks]).astype(np.int64, copy=False)
            for x, name in enumerate(("tails", "heads", "capacities", "unit_costs"))
        }
        tails_a = arrays["tails"]
        potential = None
        residual = None
        started = None
        if potentials and warm is not None:
            started = _from_warm(arrays, supplies, warm, classes=k, sink=sink)
        if started is not None:
            flows, potential = started
        elif potentials:
            # The unplaced arcs: the sixth block (``solve_with_hub`` gives them one node).
            first = sum(len(b[0]) for b in blocks[:5])
            flows, potential = solve_with_hub(
                arrays, supplies, classes=k, n_cand=len(c_class),
                unplaced=slice(first, first + len(classes)),
            )  # fmt: skip
        else:
            flows = solve_locally(**arrays, supplies=supplies).flows
        if potential is not None:
            residual = (tails_a, arrays["heads"], arrays["capacities"], arrays["unit_costs"], flows)
        cand_flow = np.zeros(len(cand.child), dtype=np.int64)
        cand_flow[np.flatnonzero(use)] = flows[: len(c_class)]
        over = np.zeros(m, dtype=np.int64)
        over[softs] = flows[len(c_class) : len(c_class) + len(softs)]
        return SolvedFlow(
            cand_flow=cand_flow,
            over=over,
            nodes=len(supplies),
            arcs=len(tails_a),
            potential=potential,
            residual=residual,
            warm=started is not None,
        )


def _from_warm(
    arrays: dict[str, NDArray[np.int64]],
    supplies: NDArray[np.int64],
    warm: WarmStart,
    *,
    classes: int,
    sink: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """The warm start's flow carried onto ``arrays`` (an arc keeps its flow when the same
    (tail, head) was in the last network; a class's children on no arc stay unplaced), then
    made optimal by the network simplex; None when that flow is not feasible here or the
    simplex gives up (the caller then solves afresh)."""
    tails, heads = arrays["tails"], arrays["heads"]
    n = len(supplies)
    if len(warm.potential) != n:
        return None
    old_t, old_h, _, _, old_f = warm.residual
    key = tails * n + heads
    old_key = old_t * n + old_h
    order = np.argsort(old_key, kind="stable")
    old_key = old_key[order]
    if len(old_key) == 0 or not np.all(old_key[1:] > old_key[:-1]):
        return None  # parallel arcs: (tail, head) would not name one arc
    pos = index_in_sorted(old_key, key)
    flows = np.zeros(len(key), dtype=np.int64)
    flows[pos >= 0] = old_f[order][pos[pos >= 0]]
    # Each class's children not on one of its arcs go onto its unplaced arc (to the sink).
    sent = np.bincount(tails, weights=flows, minlength=n)[:classes].astype(np.int64)
    unplaced = np.flatnonzero((tails < classes) & (heads == sink))
    flows[unplaced] += supplies[tails[unplaced]] - sent[tails[unplaced]]
    reduced = arrays["unit_costs"] + warm.potential[tails] - warm.potential[heads]
    broken = ((reduced < 0) & (flows < arrays["capacities"])) | ((reduced > 0) & (flows > 0))
    if int(broken.sum()) > WARM_MAX_BROKEN:
        return None
    try:
        done = solve_from(**arrays, supplies=supplies, flows=flows, potentials=warm.potential)
    except ValueError:
        return None  # an arc that carried flow is gone, or a capacity shrank
    if not done.optimal:
        return None
    # The potentials a solve afresh gives (shortest paths in the residual graph), not the
    # simplex's own: pricing with those took a fifth round at national scale, these four.
    try:
        pot = node_potentials(**arrays, flows=done.flows, n_nodes=n, sources=classes)
    except FlowError:
        return None  # not reached: the simplex proved the flow optimal
    return done.flows, pot


__all__ = ["Network", "SolvedFlow", "WarmStart"]
