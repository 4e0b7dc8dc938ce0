"""Prices for vehicle types that run short (``fleet_prices.py``, ``fleet_probe.py``): the price
leaves exactly the available runs on a type, a run's regret matches a brute-force search over
its cuts, leftover vehicles go where they save most, and on two schools wanting one minibus the
priced plan gives it to the school that saves most, where planning largest first does not."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from transport_cases import TRAVEL, check, child, instances, plan, scenario, school, vehicle

from sendplan.api.transport_io import routes_document
from sendplan.routing.model import Policy, Scenario, VehicleType
from sendplan.routing.transport import planner
from sendplan.routing.transport.fleet_prices import (
    regret_gbp,
    scarcity_prices,
    use_leftovers,
)
from sendplan.routing.transport.fleet_probe import initial_tours, may_run_short
from sendplan.routing.transport.layouts import kind_key, vehicle_kinds
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    feasible_taus,
    instance_for,
    merged_job,
    run_cost_gbp,
)
from sendplan.routing.vrp.problem import Visit

TAXI = vehicle("taxi", 4, 0, False, 18.0, 1.80)
TAXI_PA = vehicle("taxi_pa", 3, 0, True, 53.0, 1.80)
WAV = vehicle("wav", 4, 1, False, 25.0, 2.20)


def bus(n: int) -> VehicleType:
    return vehicle("bus", 8, 1, True, 30.0, 1.00, n)


# ------------------------------------------------------------------------------------ prices


def test_a_type_the_probes_fit_in_gets_no_price() -> None:
    assert scarcity_prices({"bus": [40.0, 10.0]}, {"bus": 2}) == {}
    assert scarcity_prices({"bus": [40.0, 10.0]}, {"bus": 3}) == {}


def test_the_price_is_halfway_between_the_last_run_kept_and_the_first_left_out() -> None:
    assert scarcity_prices({"bus": [10.0, 50.0, 30.0]}, {"bus": 2}) == {"bus": 20.0}
    assert scarcity_prices({"bus": [10.0, 50.0, 30.0]}, {"bus": 1}) == {"bus": 40.0}


def test_no_vehicle_left_prices_every_run_off() -> None:
    (price,) = scarcity_prices({"bus": [12.0, 5.0]}, {"bus": 0}).values()
    assert price > 12.0


def test_runs_that_cannot_do_without_the_type_get_no_price() -> None:
    assert scarcity_prices({"bus": [math.inf, math.inf, 3.0]}, {"bus": 1}) == {}


def test_runs_that_lose_nothing_need_no_price() -> None:
    assert scarcity_prices({"bus": [0.0, -4.0, -9.0]}, {"bus": 1}) == {}


@given(
    st.lists(st.integers(1, 50_000).map(lambda p: p / 100), min_size=2, max_size=30, unique=True),
    st.integers(0, 28),
)
def test_the_price_leaves_exactly_the_available_runs_above_it(
    regrets: list[float], keep: int
) -> None:
    """Both sides of the limit: the runs regretting more than the price are the ``keep`` that
    regret most; the others regret less."""
    keep = min(keep, len(regrets) - 1)
    prices = scarcity_prices({"bus": regrets}, {"bus": keep})
    assert sum(r > prices["bus"] for r in regrets) == keep
    assert sum(r < prices["bus"] for r in regrets) == len(regrets) - keep


# ------------------------------------------------------------------------------------ regret


def _instance(n: int, seed: int, kinds: tuple[VehicleType, ...]) -> SchoolInstance:
    rng = random.Random(seed)
    kids = [
        child(
            f"C{i}",
            rng.uniform(-8, 8),
            rng.uniform(-8, 8),
            wheelchair=rng.random() < 0.3,
            needs_assistant=rng.random() < 0.3,
            age=rng.choice([7, 14]),
        )
        for i in range(n)
    ]
    return instance_for(school(), kids, kinds, TRAVEL, session="am", policy=Policy())


def _brute_force(inst: SchoolInstance, order: list[int], others: list[VehicleType]) -> float:
    best = math.inf
    n = len(order)
    for cuts in itertools.product([False, True], repeat=n - 1):
        bounds = [0] + [i + 1 for i, c in enumerate(cuts) if c] + [n]
        total = 0.0
        for a, b in itertools.pairwise(bounds):
            seg = order[a:b]
            fits = [v for v in others if merged_job(inst, seg).suits(v)]
            if feasible_taus(inst, "am", seg) is None or not fits:
                total = math.inf
                break
            total += min(run_cost_gbp(inst, "am", v, seg) for v in fits)
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_a_runs_regret_is_the_cheapest_cut_onto_the_other_types(seed: int) -> None:
    kinds = vehicle_kinds((TAXI, TAXI_PA, WAV, bus(1)))
    inst = _instance(6, seed, kinds)
    order = list(range(len(inst.jobs)))
    random.Random(seed).shuffle(order)
    order = order[:5]
    (b,) = [v for v in kinds if v.name == "bus"]
    others = [v for v in kinds if v.name != "bus"]
    expected = _brute_force(inst, order, others)
    got = regret_gbp(inst, "am", order, b, others)
    if expected == math.inf:
        assert got == math.inf
    else:
        assert got == pytest.approx(expected - run_cost_gbp(inst, "am", b, order))


def test_a_run_loses_nothing_to_a_twin_type() -> None:
    twin = vehicle("bus_twin", 8, 1, True, 30.0, 1.00)
    kinds = vehicle_kinds((bus(1), twin))
    inst = _instance(4, 3, kinds)
    order = [k for k in range(len(inst.jobs)) if feasible_taus(inst, "am", [k]) is not None][:2]
    if feasible_taus(inst, "am", order) is None:
        order = order[:1]
    (b,) = [v for v in kinds if v.name == "bus"]
    (t,) = [v for v in kinds if v.name == "bus_twin"]
    assert regret_gbp(inst, "am", order, b, [t]) == pytest.approx(0.0)


# ----------------------------------------------------------------------- the plans themselves


def _two_schools(buses: int) -> Scenario:
    """School A: 6 children next to it and 4 in a cluster 8 km out; school B: 4 children in a
    cluster 30 km out. A minibus is dearer than a taxi to start but cheaper a kilometre, so it
    saves on both far runs, more on B's. A has more children, so planning largest first gives
    A the minibus."""
    near = [child(f"A{i}", 0.3 * (i % 3), 0.3 * (i // 3), school_id="A") for i in range(6)]
    out = [child(f"A{6 + i}", -8.0 + 0.2 * i, 0.0, school_id="A") for i in range(4)]
    far = [child(f"B{i}", 0.0, -30.0 + 0.2 * i, school_id="B") for i in range(4)]
    return scenario(near + out + far, [school("A"), school("B", 0.0, 0.5)], (TAXI, bus(buses)))


def _unpriced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "may_run_short", lambda *a, **k: False)


def test_a_scarce_minibus_goes_to_the_school_that_saves_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = _two_schools(buses=1)
    priced = plan(sc, iterations=300)
    assert check(sc, priced).ok
    assert priced.figures["fleet_prices_gbp"].get("bus", 0) > 0
    assert {r.school_id for r in priced.routes if r.vehicle_type == "bus"} == {"B"}
    summary = routes_document(sc, [priced])["sessions"]["am"]["summary"]
    assert summary["fleet_prices_gbp"] == {
        "bus": round(priced.figures["fleet_prices_gbp"]["bus"], 2)
    }
    _unpriced(monkeypatch)
    greedy = plan(sc, iterations=300)
    assert check(sc, greedy).ok
    assert {r.school_id for r in greedy.routes if r.vehicle_type == "bus"} == {"A"}
    assert priced.cost_gbp < greedy.cost_gbp - 10


def test_with_a_minibus_for_each_school_there_is_no_price() -> None:
    sc = _two_schools(buses=2)
    p = plan(sc, iterations=300)
    assert check(sc, p).ok
    assert p.figures["fleet_prices_gbp"] == {}
    assert {r.school_id for r in p.routes if r.vehicle_type == "bus"} == {"A", "B"}


def test_the_priced_plan_is_the_same_for_the_same_seed() -> None:
    sc = _two_schools(buses=1)
    assert plan(sc, iterations=120, seed=4).routes == plan(sc, iterations=120, seed=4).routes


def test_one_school_needs_no_probe() -> None:
    sc = _two_schools(buses=1)
    kinds = vehicle_kinds(sc.fleet)
    insts = instances(sc)
    shared = {s: list(range(len(i.jobs))) for s, i in insts.items()}
    remaining = {"taxi": 50, "bus": 1}
    assert may_run_short(insts, shared, kinds, remaining)
    assert not may_run_short({"B": insts["B"]}, shared, kinds, remaining)
    assert not may_run_short(insts, shared, kinds, {"taxi": 50, "bus": 15})


def test_leftover_vehicles_go_to_the_runs_they_save_most_on() -> None:
    sc = _two_schools(buses=1)
    # Plan with no minibus at all, then hand one over: it must go to the far school's run.
    none = scenario(list(sc.children), list(sc.schools), (TAXI,))
    p = plan(none, iterations=200)
    kinds = vehicle_kinds(sc.fleet)
    insts = instances(sc)
    remaining = {"taxi": 50 - len(p.routes), "bus": 1}
    moved = use_leftovers(p.routes, insts, kinds, remaining, {"bus": 40.0},
                          session="am", policy=sc.policy)  # fmt: skip
    assert remaining == {"taxi": 50 - len(p.routes) + 1, "bus": 0}
    (b,) = [r for r in moved if r.vehicle_type == "bus"]
    assert b.school_id == "B"
    before = {r.child_ids: r for r in p.routes}[b.child_ids]
    assert b.cost_gbp < before.cost_gbp
    assert [s.ride_min for s in b.stops] == [s.ride_min for s in before.stops]
    # Nothing moves when no run saves.
    remaining = {"taxi": 10, "bus": 1}
    dear = vehicle("bus", 8, 1, True, 500.0, 5.0, 1)
    dear_kinds = vehicle_kinds((TAXI, dear))
    same = use_leftovers(p.routes, insts, dear_kinds, remaining, {"bus": 1.0},
                         session="am", policy=sc.policy)  # fmt: skip
    assert same == list(p.routes) and remaining == {"taxi": 10, "bus": 1}


def test_initial_tours_keep_to_the_vehicles_left() -> None:
    kinds = vehicle_kinds((TAXI, bus(1)))
    taxi, b = kind_key(kinds[1]), kind_key(kinds[0])
    tours = [(b, (4, 5)), (b, (6,)), (taxi, (1, 2)), (taxi, (9,))]
    got = initial_tours(tours, [1, 2, 4, 5, 6], kinds, {"taxi": 5, "bus": 1})
    assert got == (
        (0, (Visit("client", 2), Visit("client", 3))),
        (1, (Visit("client", 0), Visit("client", 1))),
    )
