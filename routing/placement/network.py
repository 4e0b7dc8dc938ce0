"""The min-cost flow network over classes, and its weighted and lexicographic solves.

*Network.* Class -> school arcs (capacity = class size, cost ``arc_cost_gbp``); a residential
class reaches the school through the school's residential node, whose arc into the school node
carries the residential places left. School -> sink carries the places left; class -> sink
(cost ``unplaced_gbp``) lets children stay unplaced, so every instance is feasible. In the
"what if" mode the ``must_admit`` schools also get an unbounded school -> sink arc costing
``over_capacity_gbp`` per place: their capacity becomes soft (residential places stay hard).
Places a school reserves per need (``capacity_by_designation``) flow through a pool node
between the classes of that need and the school (``build_pools``). The solver must report
OPTIMAL.

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
nodes (schools, residential nodes, pools, hubs, sink) and t_max the longest candidate journey:
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

from sendplan.routing.model import NEED_CODES, Policy
from sendplan.routing.placement.candidates import CandidateSet, Pairs
from sendplan.routing.placement.costs import unplaced_cost_gbp
from sendplan.routing.placement.flow import FlowError, solve_min_cost_flow
from sendplan.routing.placement.plan import PlacementError

# Headroom under 2**63 for OR-Tools' internal cost scaling (it multiplies by the node count).
_COST_LIMIT = 2**62


@dataclass(frozen=True)
class PoolSet:
    """Places reserved per (school, need): a node between the classes of that need and the
    school, whose arc into the school carries the reserved places left."""

    school: NDArray[np.int64]  # per pool
    cap: NDArray[np.int64]
    spare: NDArray[np.int64]  # cap minus the locked children of that need there
    cand_pool: NDArray[np.int64]  # per candidate arc: its pool or -1
    locked_pool: NDArray[np.int64]  # per locked pair: its pool or -1


def build_pools(cs: CandidateSet, locked: Pairs) -> PoolSet:
    """The (school, need) pools of ``capacity_by_designation``.

    A pool shared by day and residential children would need two commodities (the flow could
    not keep residential children on the residential path), so a school may not combine places
    per designation with residential places: PlacementError (a CP-SAT model would be needed).
    """
    codes = {code: k for k, code in enumerate(NEED_CODES)}
    n_codes = len(NEED_CODES)
    keys: list[int] = []
    caps: list[int] = []
    for j, school in enumerate(cs.schools):
        if school.capacity_by_designation and school.residential_places > 0:
            raise PlacementError(
                f"school {school.school_id}: places per designation together with residential "
                "places are not a flow model; give one or the other"
            )
        for need, places in school.capacity_by_designation:
            keys.append(j * n_codes + codes[need])
            caps.append(places)
    key_a = np.array(keys, dtype=np.int64)
    cap_a = np.array(caps, dtype=np.int64)
    child_need = np.array([codes[c.primary_need] for c in cs.children], dtype=np.int64)

    def lookup(school: NDArray[np.int64], need: NDArray[np.int64]) -> NDArray[np.int64]:
        if len(key_a) == 0:
            return np.full(len(school), -1, dtype=np.int64)
        wanted = school * n_codes + need
        pos = np.minimum(np.searchsorted(key_a, wanted), len(key_a) - 1)
        return np.where(key_a[pos] == wanted, pos, -1).astype(np.int64)

    cand = cs.candidates
    cand_pool = lookup(cand.school, child_need[cs.rep][cand.child] if len(cs.rep) else cand.school)
    locked_pool = lookup(locked.school, child_need[locked.child])
    locked_use = np.bincount(locked_pool[locked_pool >= 0], minlength=len(cap_a))
    return PoolSet(
        school=key_a // n_codes,
        cap=cap_a,
        spare=np.maximum(cap_a - locked_use, 0),
        cand_pool=cand_pool,
        locked_pool=locked_pool,
    )


@dataclass(frozen=True)
class _Flow:
    """The flow's answer: units per candidate arc, per over-capacity arc, and model size."""

    cand_flow: NDArray[np.int64]
    over: NDArray[np.int64]  # per school
    nodes: int
    arcs: int


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

    def solve_weighted(self, policy: Policy) -> _Flow:
        return self._solve(
            cand_cost=self.cs.cost,
            unplaced_cost=unplaced_cost_gbp(policy),
            over_cost=self.over_gbp,
            hubs=None,
        )

    def solve_lexicographic(self, preference: NDArray[np.int64] | None = None) -> _Flow:
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
        side = 2 * len(fee) + 4 + len(self.pools.cap)
        big_m = 2 * side * (int(travel.max()) if len(travel) else 0) + 1
        over_gbp = self.over_gbp
        top = max(int(fee.max()) if len(fee) else 0, over_gbp)
        nodes = self.cs.n_classes + 2 * len(fee) + 4 + len(self.pools.cap)
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
    ) -> _Flow:
        cs, cand = self.cs, self.cs.candidates
        k = cs.n_classes
        m = len(cs.schools)
        school_node = k + np.arange(m, dtype=np.int64)
        res_node = k + m + np.arange(m, dtype=np.int64)
        hub_in, hub_out, hub_un = k + 2 * m, k + 2 * m + 1, k + 2 * m + 2
        sink = k + 2 * m + 3
        # A class without candidates can only stay unplaced: it needs no node.
        active = (self.supply > 0) & (np.diff(cs.cand_starts) > 0)
        use = active[cand.child]
        c_class, c_school = cand.child[use], cand.school[use]
        pools = self.pools
        pool_node = sink + 1 + np.arange(len(pools.cap), dtype=np.int64)
        c_pool = pools.cand_pool[use]
        c_head = np.where(self.class_res[c_class], res_node[c_school], school_node[c_school])
        c_head = np.where(
            c_pool >= 0, pool_node[np.maximum(c_pool, 0)] if len(pool_node) else 0, c_head
        )
        classes = np.flatnonzero(active).astype(np.int64)
        with_res = np.flatnonzero(self.spare_res > 0).astype(np.int64)
        softs = np.flatnonzero(self.soft).astype(np.int64)
        if hubs is None:
            school_exit = np.full(m, sink, dtype=np.int64)
            unplaced_head = sink
        else:
            school_exit = np.where(self.in_area, hub_in, hub_out).astype(np.int64)
            unplaced_head = hub_un
        tails = [c_class, res_node[with_res], school_node, school_node[softs], classes]
        heads = [
            c_head,
            school_node[with_res],
            school_exit,
            school_exit[softs],
            np.full(len(classes), unplaced_head),
        ]
        caps = [
            self.supply[c_class],
            self.spare_res[with_res],
            self.spare,
            np.full(len(softs), int(self.supply[classes].sum())),
            self.supply[classes],
        ]
        costs = [
            cand_cost[use],
            np.zeros(len(with_res) + m, dtype=np.int64),
            np.full(len(softs), over_cost),
            np.full(len(classes), unplaced_cost),
        ]
        # Pools go last so the arc offsets above stay fixed.
        tails.append(pool_node)
        heads.append(school_node[pools.school])
        caps.append(pools.spare)
        costs.append(np.zeros(len(pool_node), dtype=np.int64))
        if hubs is not None:
            tails.append(np.array([hub_in, hub_out, hub_un]))
            heads.append(np.full(3, sink))
            caps.append(np.array(hubs))
            costs.append(np.zeros(3, dtype=np.int64))
        supplies = np.zeros(sink + 1 + len(pool_node), dtype=np.int64)
        supplies[classes] = self.supply[classes]
        supplies[sink] = -int(self.supply[classes].sum())
        tails_a = np.concatenate(tails).astype(np.int64)
        result = solve_min_cost_flow(
            tails=tails_a,
            heads=np.concatenate(heads).astype(np.int64),
            capacities=np.concatenate(caps).astype(np.int64),
            unit_costs=np.concatenate(costs).astype(np.int64),
            supplies=supplies,
        )
        cand_flow = np.zeros(len(cand.child), dtype=np.int64)
        cand_flow[np.flatnonzero(use)] = result.flows[: len(c_class)]
        start = len(c_class) + len(with_res) + m
        over = np.zeros(m, dtype=np.int64)
        over[softs] = result.flows[start : start + len(softs)]
        return _Flow(cand_flow=cand_flow, over=over, nodes=len(supplies), arcs=len(tails_a))


__all__ = ["Network", "PoolSet", "build_pools"]
