"""One flow node for every class with a single school arc: the same flows, far fewer nodes.

Pricing (``pricing.py``) solves networks where most classes have one school arc besides their
unplaced arc. Such a class only chooses how many of its children take that arc (at most its
size), the rest staying unplaced; so all of them can share one node, the *hub*: it supplies
their children, keeps each class's school arc with the class's size as capacity, and has one
unplaced arc for all of them. Every flow of the hub network is a flow of the class network
with the same cost and the other way round (each class's arc carries what it carried), so
the optimum is the same; the min-cost flow's time grows with its nodes, and the hub removes
most of them.

Each class's potential is then the least ``pi[head] - cost`` over its arcs carrying flow, as
``flow.node_potentials`` gives a class node: with the hub's own potential tight on its arcs,
every residual arc of the class network is non-negative (checked, FlowError otherwise).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.placement.flow import FlowError, node_potentials, solve_locally
from sendplan.routing.placement.twins import find_twins, merge_twins, split_twins


def solve_with_hub(
    arrays: dict[str, NDArray[np.int64]],
    supplies: NDArray[np.int64],
    *,
    classes: int,
    n_cand: int,
    unplaced: slice,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The optimal flow of the class network ``arrays`` and potentials proving it.

    Nodes ``0 .. classes - 1`` are the classes; the first ``n_cand`` arcs are their school
    arcs, sorted by class, and the arcs in ``unplaced`` their unplaced arcs (one each, all to
    one node). Twins (``twins.py``) share a node first."""
    tails, heads = arrays["tails"], arrays["heads"]
    rep = find_twins(tails, heads, arrays["unit_costs"], classes=classes, n_cand=n_cand,
                     unplaced=unplaced)  # fmt: skip
    if rep is None:
        return _solve_with_hub(arrays, supplies, classes=classes, n_cand=n_cand,
                               unplaced=unplaced)  # fmt: skip
    merged, merged_supplies, keep, merged_cand, merged_unplaced = merge_twins(
        arrays, supplies, rep, n_cand=n_cand, unplaced=unplaced
    )
    merged_flows, pot = _solve_with_hub(
        merged, merged_supplies, classes=classes, n_cand=merged_cand, unplaced=merged_unplaced
    )
    flows = split_twins(merged_flows, keep, tails, supplies, rep, n_cand=n_cand,
                        unplaced=unplaced)  # fmt: skip
    pot[:classes] = pot[rep]
    _check_proof(arrays, flows, pot)
    return flows, pot


def _solve_with_hub(
    arrays: dict[str, NDArray[np.int64]],
    supplies: NDArray[np.int64],
    *,
    classes: int,
    n_cand: int,
    unplaced: slice,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    tails, heads = arrays["tails"], arrays["heads"]
    caps, costs = arrays["capacities"], arrays["unit_costs"]
    n = len(supplies)
    cand_tail = tails[:n_cand]
    single = np.bincount(cand_tail, minlength=classes)[:classes] == 1
    un_idx = np.arange(unplaced.start, unplaced.stop, dtype=np.int64)
    un_tail = tails[un_idx]
    alone = un_idx[single[un_tail]]
    if len(alone) < 2:
        flows = solve_locally(**arrays, supplies=supplies).flows
        return flows, node_potentials(**arrays, flows=flows, n_nodes=n, sources=classes)
    hub = n
    hub_supply = int(supplies[tails[alone]].sum())
    present = np.ones(len(tails), dtype=bool)
    present[alone] = False
    moved = tails.copy()
    moved[:n_cand] = np.where(single[cand_tail], hub, cand_tail)
    hubbed = {
        "tails": np.append(moved[present], hub),
        "heads": np.append(heads[present], heads[alone[0]]),
        "capacities": np.append(caps[present], hub_supply),
        "unit_costs": np.append(costs[present], costs[alone[0]]),
    }
    hub_supplies = np.append(supplies, hub_supply)
    hub_supplies[:classes][single] = 0
    hub_flows = solve_locally(**hubbed, supplies=hub_supplies).flows
    flows = np.zeros(len(tails), dtype=np.int64)
    flows[present] = hub_flows[:-1]
    placed = np.bincount(cand_tail, weights=flows[:n_cand], minlength=classes).astype(np.int64)
    flows[alone] = supplies[tails[alone]] - placed[tails[alone]]
    pot = node_potentials(**hubbed, flows=hub_flows, n_nodes=n + 1, sources=classes)[:n]
    # Each class on the hub: the least pi[head] - cost over its arcs carrying flow.
    own = np.full(classes, np.iinfo(np.int64).max, dtype=np.int64)
    arcs = np.concatenate([np.flatnonzero(single[cand_tail]), alone])
    arcs = arcs[flows[arcs] > 0]
    np.minimum.at(own, tails[arcs], pot[heads[arcs]] - costs[arcs])
    pot[:classes] = np.where(single, own, pot[:classes])
    _check_proof(arrays, flows, pot)
    return flows, pot


def _check_proof(
    arrays: dict[str, NDArray[np.int64]], flows: NDArray[np.int64], pot: NDArray[np.int64]
) -> None:
    """FlowError unless ``pot`` proves ``flows`` optimal on every residual arc."""
    tails, heads = arrays["tails"], arrays["heads"]
    reduced = arrays["unit_costs"] + pot[tails] - pot[heads]
    room = flows < arrays["capacities"]
    if (reduced[room] < 0).any() or (reduced[flows > 0] > 0).any():
        raise FlowError("the shared nodes' potentials do not prove the class network's flow")


__all__ = ["solve_with_hub"]
