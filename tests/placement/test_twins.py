"""Twins (classes with the same arcs) share a flow node: same optimum, flows and proof per class."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendplan.routing.placement import twins as twins_module
from sendplan.routing.placement.bundle import solve_with_hub
from sendplan.routing.placement.flow import solve_min_cost_flow
from sendplan.routing.placement.twins import find_twins

UNPLACED_GBP = 1_000

# A class: its supply and its arcs as (school, cost), schools ascending.
Template = tuple[int, tuple[tuple[int, int], ...]]


def _network(
    classes: list[Template], capacity: list[int]
) -> tuple[dict[str, np.ndarray], np.ndarray, int, slice]:
    """Classes -> schools -> sink, and each class's unplaced arc, laid out as the placement
    network is: school arcs sorted by class, then the schools' arcs, then the unplaced ones."""
    k, m = len(classes), len(capacity)
    sink = k + m
    rows: list[tuple[int, int, int, int]] = []
    for c, (supply, arcs) in enumerate(classes):
        rows += [(c, k + j, supply, cost) for j, cost in arcs]
    n_cand = len(rows)
    rows += [(k + j, sink, cap, 0) for j, cap in enumerate(capacity)]
    first = len(rows)
    rows += [(c, sink, supply, UNPLACED_GBP) for c, (supply, _) in enumerate(classes)]
    tails, heads, caps, costs = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:k] = [supply for supply, _ in classes]
    supplies[sink] = -supplies[:k].sum()
    arrays = {"tails": tails, "heads": heads, "capacities": caps, "unit_costs": costs}
    return arrays, supplies, n_cand, slice(first, first + k)


@st.composite
def twin_networks(draw: st.DrawFn) -> tuple[list[Template], list[int]]:
    m = draw(st.integers(1, 4))
    capacity = draw(st.lists(st.integers(0, 6), min_size=m, max_size=m))
    arc_lists = st.lists(
        st.tuples(st.integers(0, m - 1), st.integers(0, 50)), min_size=1, max_size=m,
        unique_by=lambda a: a[0],
    ).map(lambda arcs: tuple(sorted(arcs)))  # fmt: skip
    templates = draw(st.lists(arc_lists, min_size=1, max_size=4))
    # Each class copies a template: most have twins.
    picks = draw(st.lists(st.integers(0, len(templates) - 1), min_size=2, max_size=10))
    supplies = draw(st.lists(st.integers(1, 3), min_size=len(picks), max_size=len(picks)))
    return [(s, templates[p]) for s, p in zip(supplies, picks, strict=True)], capacity


@settings(max_examples=300, deadline=None)
@given(twin_networks())
def test_twins_give_the_class_networks_optimum_with_proving_potentials(
    case: tuple[list[Template], list[int]],
) -> None:
    classes, capacity = case
    arrays, supplies, n_cand, unplaced = _network(classes, capacity)
    plain = solve_min_cost_flow(**arrays, supplies=supplies)
    flows, pot = solve_with_hub(
        arrays, supplies, classes=len(classes), n_cand=n_cand, unplaced=unplaced
    )
    tails, heads = arrays["tails"], arrays["heads"]
    caps, costs = arrays["capacities"], arrays["unit_costs"]
    assert int((flows * costs).sum()) == plain.cost
    assert ((flows >= 0) & (flows <= caps)).all()
    balance = np.bincount(tails, flows, len(supplies)) - np.bincount(heads, flows, len(supplies))
    assert balance.astype(np.int64).tolist() == supplies.tolist()
    reduced = costs + pot[tails] - pot[heads]
    assert (reduced[flows < caps] >= 0).all() and (reduced[flows > 0] <= 0).all()


def test_only_classes_with_the_same_arcs_and_unplaced_arc_are_twins() -> None:
    classes: list[Template] = [
        (1, ((0, 5), (1, 7))),
        (2, ((0, 5), (1, 7))),  # twin of 0
        (1, ((0, 5), (1, 8))),  # one cost differs
        (1, ((0, 5), (2, 7))),  # one school differs
        (3, ((0, 5),)),
        (1, ((0, 5), (1, 7))),  # twin of 0
        (1, ((0, 5),)),  # twin of 4
    ]
    arrays, _, n_cand, unplaced = _network(classes, [3, 3, 3])
    rep = find_twins(arrays["tails"], arrays["heads"], arrays["unit_costs"],
                     classes=len(classes), n_cand=n_cand, unplaced=unplaced)  # fmt: skip
    assert rep is not None and rep.tolist() == [0, 0, 2, 3, 4, 0, 4]
    # A different unplaced cost parts twins.
    costs = arrays["unit_costs"].copy()
    costs[unplaced.start + 5] += 1
    rep = find_twins(arrays["tails"], arrays["heads"], costs, classes=len(classes),
                     n_cand=n_cand, unplaced=unplaced)  # fmt: skip
    assert rep is not None and rep.tolist() == [0, 0, 2, 3, 4, 5, 4]


def test_no_twins_gives_none() -> None:
    classes: list[Template] = [(1, ((0, 5),)), (1, ((0, 6),)), (1, ((1, 5),))]
    arrays, _, n_cand, unplaced = _network(classes, [1, 1])
    assert find_twins(arrays["tails"], arrays["heads"], arrays["unit_costs"],
                      classes=3, n_cand=n_cand, unplaced=unplaced) is None  # fmt: skip


def test_a_hash_collision_merges_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    classes: list[Template] = [(1, ((0, 5),)), (1, ((0, 6),)), (1, ((0, 5),))]
    arrays, supplies, n_cand, unplaced = _network(classes, [1])
    # Every arc hashes alike: the arc-by-arc comparison must refuse the false twins.
    monkeypatch.setattr(twins_module, "_mixed", lambda x, salt: np.zeros_like(x))
    assert find_twins(arrays["tails"], arrays["heads"], arrays["unit_costs"],
                      classes=3, n_cand=n_cand, unplaced=unplaced) is None  # fmt: skip
    flows, _ = solve_with_hub(arrays, supplies, classes=3, n_cand=n_cand, unplaced=unplaced)
    assert int((flows * arrays["unit_costs"]).sum()) == 5 + 2 * UNPLACED_GBP
