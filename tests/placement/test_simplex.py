"""The warm-started network simplex: on random networks (any costs, any starting flow and
potentials) it reaches OR-Tools' optimum with potentials proving it; from an optimum it makes
no pivot, and a planted profitable arc costs a pivot or two; a start that breaks a capacity or
a supply is refused; past its work limit it says it did not finish, and the placement network
then solves afresh with the same optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import synthetic_scenario

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.placement import kernels as kernels_module
from sendplan.routing.placement import network as network_module
from sendplan.routing.placement import place as place_module
from sendplan.routing.placement import simplex as simplex_module
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.flow import node_potentials, solve_min_cost_flow
from sendplan.routing.placement.place import place_with_report
from sendplan.routing.placement.simplex import solve_from

TRAVEL = StraightLineModel()
SHIPPED_MAX_BROKEN = network_module.WARM_MAX_BROKEN

Arrays = dict[str, np.ndarray]


@st.composite
def _started_networks(draw: st.DrawFn) -> tuple[Arrays, np.ndarray, np.ndarray, np.ndarray]:
    """A digraph with a feasible flow (the supplies are what it sends) and any potentials."""
    n = draw(st.integers(2, 9))
    m = draw(st.integers(1, 30))
    node = st.integers(0, n - 1)
    pairs = [
        p for p in draw(st.lists(st.tuples(node, node), min_size=m, max_size=m)) if p[0] != p[1]
    ]
    caps = [draw(st.integers(0, 6)) for _ in pairs]
    arrays = {
        "tails": np.array([p[0] for p in pairs], dtype=np.int64),
        "heads": np.array([p[1] for p in pairs], dtype=np.int64),
        "capacities": np.array(caps, dtype=np.int64),
        "unit_costs": np.array([draw(st.integers(-9, 20)) for _ in pairs], dtype=np.int64),
    }
    flows = np.array([draw(st.integers(0, c)) for c in caps], dtype=np.int64)
    supplies = np.zeros(n, dtype=np.int64)
    np.add.at(supplies, arrays["tails"], flows)
    np.subtract.at(supplies, arrays["heads"], flows)
    potentials = np.array(draw(st.lists(st.integers(-30, 30), min_size=n, max_size=n)))
    return arrays, supplies, flows, potentials


def _assert_optimal(
    arrays: Arrays, supplies: np.ndarray, flows: np.ndarray, pot: np.ndarray
) -> None:
    t, h, cap, c = (arrays[x] for x in ("tails", "heads", "capacities", "unit_costs"))
    assert ((flows >= 0) & (flows <= cap)).all()
    balance = supplies.copy()
    np.subtract.at(balance, t, flows)
    np.add.at(balance, h, flows)
    assert not balance.any()
    reduced = c + pot[t] - pot[h]
    assert not (((reduced < 0) & (flows < cap)) | ((reduced > 0) & (flows > 0))).any()


@settings(max_examples=300, deadline=None)
@given(_started_networks())
def test_any_start_reaches_the_optimum_with_proving_potentials(
    network: tuple[Arrays, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    arrays, supplies, flows, potentials = network
    done = solve_from(**arrays, supplies=supplies, flows=flows, potentials=potentials)
    assert done.optimal
    _assert_optimal(arrays, supplies, done.flows, done.potentials)
    best = solve_min_cost_flow(**arrays, supplies=supplies)
    assert int((done.flows * arrays["unit_costs"]).sum()) == best.cost
    # The caller's arrays are left as they were.
    assert (flows >= 0).all() and not np.shares_memory(flows, done.flows)


def _bipartite() -> tuple[Arrays, np.ndarray]:
    """Three classes of 2 children, two schools of 3 places and an unplaced arc each."""
    tails = [0, 0, 1, 1, 2, 3, 4, 0, 1, 2]
    heads = [3, 4, 3, 4, 3, 5, 5, 5, 5, 5]
    caps = [2, 2, 2, 2, 2, 3, 3, 2, 2, 2]
    costs = [10, 40, 12, 30, 15, 0, 0, 100, 100, 100]
    arrays = {
        "tails": np.array(tails, dtype=np.int64),
        "heads": np.array(heads, dtype=np.int64),
        "capacities": np.array(caps, dtype=np.int64),
        "unit_costs": np.array(costs, dtype=np.int64),
    }
    return arrays, np.array([2, 2, 2, 0, 0, -6], dtype=np.int64)


def _optimum(arrays: Arrays, supplies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flows = solve_min_cost_flow(**arrays, supplies=supplies).flows
    return flows, node_potentials(**arrays, flows=flows, n_nodes=len(supplies))


def test_an_optimal_start_makes_no_pivot() -> None:
    arrays, supplies = _bipartite()
    flows, pot = _optimum(arrays, supplies)
    done = solve_from(**arrays, supplies=supplies, flows=flows, potentials=pot)
    assert done.optimal and done.pivots == 0
    assert (done.flows == flows).all()


@pytest.mark.parametrize(("cost", "used"), [(3, 2), (32, 2), (34, 1), (44, 1), (46, 0), (60, 0)])
def test_a_planted_arc_is_used_as_far_as_it_pays(cost: int, used: int) -> None:
    # Class 2 (at school 3 for 15) may also go to school 4, which is full: its first child
    # there lets class 0's child at school 4 (40) move to school 3 (10), saving 45 - cost; the
    # second lets one of class 1's (30) move to school 3 (12), saving 33 - cost.
    arrays, supplies = _bipartite()
    flows, pot = _optimum(arrays, supplies)
    before = int((flows * arrays["unit_costs"]).sum())
    planted = {
        k: np.append(v, x) for (k, v), x in zip(arrays.items(), (2, 4, 2, cost), strict=True)
    }
    done = solve_from(**planted, supplies=supplies, flows=np.append(flows, 0), potentials=pot)
    assert done.optimal
    _assert_optimal(planted, supplies, done.flows, done.potentials)
    after = int((done.flows * planted["unit_costs"]).sum())
    assert before - after == max(45 - cost, 0) + max(33 - cost, 0)
    assert done.flows[-1] == used


def test_a_start_that_breaks_a_capacity_or_a_supply_is_refused() -> None:
    arrays, supplies = _bipartite()
    flows, pot = _optimum(arrays, supplies)
    over = flows.copy()
    over[0] = arrays["capacities"][0] + 1
    with pytest.raises(ValueError, match="capacity"):
        solve_from(**arrays, supplies=supplies, flows=over, potentials=pot)
    short = supplies.copy()
    short[0] += 1
    with pytest.raises(ValueError, match="supply"):
        solve_from(**arrays, supplies=short, flows=flows, potentials=pot)


def test_past_its_work_limit_it_says_it_did_not_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    arrays, supplies = _bipartite()
    zero = np.zeros(len(supplies), dtype=np.int64)
    unplaced = np.where(arrays["heads"] == 5, np.where(arrays["tails"] < 3, 2, 0), 0)
    done = solve_from(**arrays, supplies=supplies, flows=unplaced, potentials=zero)
    assert done.optimal and done.pivots > 0
    monkeypatch.setattr(simplex_module, "_WORK_PER_ITEM", 0)
    stopped = solve_from(**arrays, supplies=supplies, flows=unplaced, potentials=zero)
    assert not stopped.optimal
    # The flow it stopped at is still feasible, only not proven optimal.
    assert (stopped.flows <= arrays["capacities"]).all() and (stopped.flows >= 0).all()


@pytest.mark.parametrize("limit", [0, 1, SHIPPED_MAX_BROKEN])
def test_pricing_rounds_start_warm_only_within_the_limit(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    scenario = synthetic_scenario(seed=7, n_children=1_500, n_schools=60)
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 2)
    full, _ = place_with_report(scenario, TRAVEL, pricing=False)
    broken: list[int] = []
    solve = network_module.solve_from

    def counting(**kw: np.ndarray) -> simplex_module.SimplexResult:
        t, h, c, pot = kw["tails"], kw["heads"], kw["unit_costs"], kw["potentials"]
        reduced = c + pot[t] - pot[h]
        f, cap = kw["flows"], kw["capacities"]
        broken.append(int((((reduced < 0) & (f < cap)) | ((reduced > 0) & (f > 0))).sum()))
        return solve(**kw)

    monkeypatch.setattr(network_module, "solve_from", counting)
    monkeypatch.setattr(network_module, "WARM_MAX_BROKEN", limit)
    priced, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None and report.rounds >= 2
    assert priced.objective == full.objective
    assert check_placement(scenario, TRAVEL, priced).ok
    # Only starts within the limit reach the simplex, and each that does ends proven.
    assert all(b <= limit for b in broken)
    assert report.warm_rounds == len(broken)
    if limit == 0:
        assert report.warm_rounds == 0
    if limit == SHIPPED_MAX_BROKEN:
        assert report.warm_rounds >= 1


def _planted_warm_start() -> tuple[Arrays, np.ndarray, network_module.WarmStart]:
    """The bipartite network's optimum as a warm start, and the network with class 2's arc to
    school 4 added (cost 3: it breaks the optimum's potentials on that one arc)."""
    arrays, supplies = _bipartite()
    flows, pot = _optimum(arrays, supplies)
    residual = tuple(arrays[x] for x in ("tails", "heads", "capacities", "unit_costs"))
    warm = network_module.WarmStart((*residual, flows), pot)
    planted = {
        k: np.insert(v, 5, x) for (k, v), x in zip(arrays.items(), (2, 4, 2, 3), strict=True)
    }
    return planted, supplies, warm


@pytest.mark.parametrize(
    ("limit", "work", "warm"), [(1, 300, True), (0, 300, False), (1, 0, False)]
)
def test_a_warm_start_is_taken_within_both_limits(
    monkeypatch: pytest.MonkeyPatch, limit: int, work: int, warm: bool
) -> None:
    planted, supplies, start = _planted_warm_start()
    monkeypatch.setattr(network_module, "WARM_MAX_BROKEN", limit)
    monkeypatch.setattr(simplex_module, "_WORK_PER_ITEM", work)
    done = network_module._from_warm(planted, supplies, start, classes=3, sink=5)
    assert (done is not None) == warm
    if done is not None:
        flows, pot = done
        _assert_optimal(planted, supplies, flows, pot)
        assert flows[5] == 2  # the planted arc, used for both children


def test_a_warm_start_whose_flow_lost_an_arc_is_not_taken() -> None:
    planted, supplies, start = _planted_warm_start()
    used = int(np.flatnonzero(start.residual[4][:5] > 0)[0])  # a class arc carrying flow
    gone = {k: np.delete(v, used) for k, v in planted.items()}
    assert network_module._from_warm(gone, supplies, start, classes=3, sink=5) is None


def test_the_kernels_compile_uncached_where_nothing_is_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = kernels_module.numba.njit

    def njit(*args: object, **kwargs: object) -> object:
        if kwargs.get("cache"):  # as numba does with no writable cache directory
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels_module.numba, "njit", njit)

    def add(a: int, b: int) -> int:
        return a + b

    assert kernels_module._compiled(add)(2, 3) == 5
