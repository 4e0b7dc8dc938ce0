"""The flow adapter's node numbering: any order gives the optimum, per arc as given."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendplan.routing.placement.flow import locality_order, node_potentials, solve_min_cost_flow

Arrays = dict[str, np.ndarray]


@st.composite
def networks(draw: st.DrawFn) -> tuple[Arrays, np.ndarray]:
    """Sources -> middle nodes -> sink with random capacities and costs (parallel arcs too),
    and every source's own arc to the sink, dear, so every instance is feasible."""
    k, m = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    sink = k + m
    rows = draw(
        st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, m - 1), st.integers(0, 4),
                           st.integers(0, 40)), max_size=20)
    )  # fmt: skip
    supply = draw(st.lists(st.integers(0, 4), min_size=k, max_size=k))
    room = draw(st.lists(st.integers(0, 6), min_size=m, max_size=m))
    arcs = [(c, k + j, cap, cost) for c, j, cap, cost in rows]
    arcs += [(k + j, sink, r, 0) for j, r in enumerate(room)]
    arcs += [(c, sink, s, 100) for c, s in enumerate(supply)]
    order = draw(st.permutations(range(len(arcs))))
    columns = zip(*[arcs[i] for i in order], strict=True)
    t, h, cap, cost = (np.array(x, dtype=np.int64) for x in columns)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:k] = supply
    supplies[sink] = -sum(supply)
    return {"tails": t, "heads": h, "capacities": cap, "unit_costs": cost}, supplies


@settings(max_examples=200, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_every_numbering_gives_the_optimum_per_arc_as_given(
    case: tuple[Arrays, np.ndarray], rnd: random.Random
) -> None:
    arrays, supplies = case
    n = len(supplies)
    plain = solve_min_cost_flow(**arrays, supplies=supplies)
    shuffled = np.array(rnd.sample(range(n), n), dtype=np.int64)
    for order in (locality_order(**_no_caps(arrays), supplies=supplies), shuffled):
        result = solve_min_cost_flow(**arrays, supplies=supplies, node_order=order)
        flows = result.flows
        assert result.cost == plain.cost == int((flows * arrays["unit_costs"]).sum())
        assert ((flows >= 0) & (flows <= arrays["capacities"])).all()
        out = np.bincount(arrays["tails"], flows, n) - np.bincount(arrays["heads"], flows, n)
        assert out.astype(np.int64).tolist() == supplies.tolist()
        # Potentials exist only for an optimal flow (FlowError otherwise).
        node_potentials(**arrays, flows=flows, n_nodes=n)


def _no_caps(arrays: Arrays) -> Arrays:
    return {x: arrays[x] for x in ("tails", "heads", "unit_costs")}


def test_locality_order_puts_supply_nodes_last_by_their_cheapest_head() -> None:
    # Sources 0, 1, 2, 3; heads 4, 5; sink 6. Cheapest heads: 0 -> 5, 1 -> 4, 2 -> 5, 3 -> 4.
    tails = np.array([0, 0, 1, 1, 2, 3, 4, 5])
    heads = np.array([4, 5, 4, 5, 5, 4, 6, 6])
    costs = np.array([9, 3, 1, 2, 7, 5, 0, 0])
    supplies = np.array([1, 1, 1, 1, 0, 0, -4])
    order = locality_order(tails=tails, heads=heads, unit_costs=costs, supplies=supplies)
    assert order.tolist() == [4, 5, 6, 1, 3, 0, 2]


def test_locality_order_without_arcs_keeps_the_numbering() -> None:
    empty = np.zeros(0, dtype=np.int64)
    order = locality_order(tails=empty, heads=empty, unit_costs=empty,
                           supplies=np.array([0, 0, 0]))  # fmt: skip
    assert order.tolist() == [0, 1, 2]


@pytest.mark.parametrize("order", [[0, 1], [0, 1, 1], [0, 1, 3], [2, 1, 0, 0]])
def test_a_node_order_that_is_not_a_permutation_is_refused(order: list[int]) -> None:
    with pytest.raises(ValueError, match="every node exactly once"):
        solve_min_cost_flow(
            tails=np.array([0, 1]), heads=np.array([1, 2]), capacities=np.array([1, 1]),
            unit_costs=np.array([1, 1]), supplies=np.array([1, 0, -1]),
            node_order=np.array(order),
        )  # fmt: skip


def test_a_permutation_is_accepted() -> None:
    result = solve_min_cost_flow(
        tails=np.array([0, 1]), heads=np.array([1, 2]), capacities=np.array([1, 1]),
        unit_costs=np.array([1, 1]), supplies=np.array([1, 0, -1]),
        node_order=np.array([2, 0, 1]),
    )  # fmt: skip
    assert result.flows.tolist() == [1, 1] and result.cost == 2
