"""Exact placement by pricing (column generation): the priced plan's objective equals the full
solve over every admissible arc on random instances (with pools, must-admit schools, locks,
preferences), a planted profitable arc left out of the starting set is found and used, node
potentials prove optimal flows, and the automatic switch holds on both sides of its limit."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import make_child, make_school, synthetic_scenario, tiny_scenarios

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Policy, Scenario, School
from sendplan.routing.placement import check_rules
from sendplan.routing.placement import estimate as estimate_module
from sendplan.routing.placement import place as place_module
from sendplan.routing.placement import pools as pools_module
from sendplan.routing.placement import pricing as pricing_module
from sendplan.routing.placement import universe as universe_module
from sendplan.routing.placement.candidates import CandidateSet, build_candidates, only_arcs
from sendplan.routing.placement.certify import certify_potentials
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.costs import unplaced_cost_gbp
from sendplan.routing.placement.estimate import (
    SAMPLE_FRACTIONS,
    SAMPLE_MIN_CHILDREN,
    draw_samples,
    surely_sampled,
)
from sendplan.routing.placement.flow import FlowError, node_potentials, solve_min_cost_flow
from sendplan.routing.placement.network import Network
from sendplan.routing.placement.place import (
    PRICING_MIN_PAIRS,
    place,
    place_with_report,
    uses_pricing,
)
from sendplan.routing.placement.plan import PlacementReason
from sendplan.routing.placement.pools import build_pools

TRAVEL = StraightLineModel()


def _with_pools(scenario: Scenario, rng: random.Random) -> Scenario:
    """Give some schools reserved places or caps per need (where the flow model allows)."""
    schools: list[School] = []
    for s in scenario.schools:
        need = sorted(s.designations)[0]
        if s.residential_places == 0 and s.capacity > 0 and rng.random() < 0.4:
            places = rng.randint(0, s.capacity)
            if rng.random() < 0.5:
                s = dataclasses.replace(s, reserved_by_designation=((need, places),))
            else:
                s = dataclasses.replace(s, capacity_by_designation=((need, places),))
        schools.append(s)
    return dataclasses.replace(scenario, schools=tuple(schools))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tiny_scenarios(max_children=12, max_schools=6),
    st.integers(1, 3),
    st.integers(0, 2**16),
    st.booleans(),
    st.sampled_from((0, 5_000, pricing_module.KEEP_REDUCED_GBP)),
    st.sampled_from(((), (0.5,), (0.25, 0.5))),
    st.integers(0, 3),
    st.sampled_from((0, pricing_module.ANTICIPATE_GBP, 50_000)),
)
def test_priced_objective_equals_the_full_solve(
    scenario: Scenario,
    start: int,
    seed: int,
    soft: bool,
    keep: int,
    fractions: tuple[float, ...],
    at_least: int,
    anticipate: int,
) -> None:
    scenario = _with_pools(scenario, random.Random(seed))
    must_admit = (scenario.schools[0].school_id,) if soft else ()
    full, none = place_with_report(scenario, TRAVEL, must_admit=must_admit, pricing=False)
    with pytest.MonkeyPatch.context() as patch:
        # A small starting set, so that most admissible arcs are left out and priced.
        patch.setattr(place_module, "PRICING_START_CANDIDATES", start)
        # Low: arcs leave the solve often (and are priced with their own costs all the same).
        patch.setattr(pricing_module, "KEEP_REDUCED_GBP", keep)
        # 0 (none), as shipped, or far more than the rounds need: the optimum is the same.
        patch.setattr(pricing_module, "ANTICIPATE_GBP", anticipate)
        # Samples even of a few children, so the estimated start is exercised too.
        patch.setattr(estimate_module, "SAMPLE_MIN_CHILDREN", 1 if fractions else 10**9)
        patch.setattr(estimate_module, "SAMPLE_FRACTIONS", fractions)
        patch.setattr(estimate_module, "START_AT_LEAST", at_least)
        priced, report = place_with_report(scenario, TRAVEL, must_admit=must_admit, pricing=True)
    assert none is None and report is not None
    assert priced.objective == full.objective
    assert report.min_reduced_cost is None or report.min_reduced_cost >= 0
    # Every round but the last adds at least one arc.
    assert report.arcs_added >= report.rounds - 1
    check = check_placement(scenario, TRAVEL, priced)
    assert check.ok, check.violations


def test_priced_objective_equals_the_full_solve_on_a_medium_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = synthetic_scenario(seed=7, n_children=1_500, n_schools=60)
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 2)
    full, _ = place_with_report(scenario, TRAVEL, pricing=False)
    priced, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None and report.rounds >= 2 and report.arcs_added > 0
    assert report.arcs_priced > report.arcs_added
    assert report.min_reduced_cost is not None and report.min_reduced_cost >= 0
    assert priced.objective == full.objective
    assert check_placement(scenario, TRAVEL, priced).ok
    # Fewer arcs than the full network: the point of pricing.
    assert priced.arcs < full.arcs


def test_the_sampled_start_gives_the_full_solve_on_a_medium_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = synthetic_scenario(seed=5, n_children=3_000, n_schools=60)
    full, _ = place_with_report(scenario, TRAVEL, pricing=False)
    monkeypatch.setattr(estimate_module, "SAMPLE_MIN_CHILDREN", 50)
    monkeypatch.setattr(estimate_module, "SAMPLE_FRACTIONS", (0.125, 0.5))
    priced, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None and report.sample_rounds >= 2
    assert report.min_reduced_cost is None or report.min_reduced_cost >= 0
    assert priced.objective == full.objective
    assert check_placement(scenario, TRAVEL, priced).ok
    assert priced.arcs < full.arcs
    # The samples are seeded: the same scenario gives the same plan and figures.
    assert place_with_report(scenario, TRAVEL, pricing=True) == (priced, report)
    # Too few children for the smallest sample: pricing starts from the nearest schools.
    monkeypatch.setattr(estimate_module, "SAMPLE_MIN_CHILDREN", 10**9)
    unsampled, plain = place_with_report(scenario, TRAVEL, pricing=True)
    assert plain is not None and plain.sample_rounds == 0
    assert unsampled.objective == full.objective


def test_a_planted_profitable_arc_outside_the_start_is_found_and_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # S1 is nearest but dear; S2 is 5 km further and 40,000 GBP a year cheaper.
    schools = [
        make_school("S1", 1.0, annual_cost_gbp=90_000.0),
        make_school("S2", 6.0, annual_cost_gbp=50_000.0),
    ]
    scenario = Scenario(
        name="planted", children=(make_child("C1", 0.0),), schools=tuple(schools), policy=Policy()
    )
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 1)
    plan, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None
    assert report.arcs_added == 1 and report.rounds == 2
    assert report.min_reduced_cost is None  # nothing left out at the end
    assert [a.school_id for a in plan.assignments] == ["S2"]
    # The reasons see every candidate: S2 is the cheapest, not the nearest.
    reasons = plan.assignments[0].reasons
    assert str(PlacementReason.LOWEST_COST_SUITABLE) in reasons
    assert str(PlacementReason.NEAREST_SUITABLE) not in reasons
    assert check_placement(scenario, TRAVEL, plan).ok
    # Unpriced, the same start keeps the child at S1.
    capped = dataclasses.replace(scenario, policy=Policy(max_candidates=1))
    assert [a.school_id for a in place(capped, TRAVEL).assignments] == ["S1"]


@pytest.mark.parametrize(("anticipate", "added"), [(0, 1), (10**7, 2)])
def test_a_round_that_adds_arcs_also_adds_those_just_above_zero(
    monkeypatch: pytest.MonkeyPatch, anticipate: int, added: int
) -> None:
    # As the planted test, with S3 dearer than S1: its arc prices above 0 in the round that
    # adds S2's, so only anticipation (a threshold above its reduced cost) adds it too.
    schools = [
        make_school("S1", 1.0, annual_cost_gbp=90_000.0),
        make_school("S2", 6.0, annual_cost_gbp=50_000.0),
        make_school("S3", 7.0, annual_cost_gbp=95_000.0),
    ]
    scenario = Scenario(
        name="anticipated", children=(make_child("C1", 0.0),), schools=tuple(schools),
        policy=Policy(),
    )  # fmt: skip
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 1)
    monkeypatch.setattr(pricing_module, "ANTICIPATE_GBP", anticipate)
    plan, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None and report.rounds == 2 and report.arcs_added == added
    assert report.min_reduced_cost is None if added == 2 else report.min_reduced_cost > 0
    assert [a.school_id for a in plan.assignments] == ["S2"]
    assert check_placement(scenario, TRAVEL, plan).ok


def test_an_unprofitable_arc_outside_the_start_is_priced_not_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schools = [make_school("S1", 1.0), make_school("S2", 6.0, annual_cost_gbp=90_000.0)]
    scenario = Scenario(
        name="priced", children=(make_child("C1", 0.0),), schools=tuple(schools), policy=Policy()
    )
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 1)
    plan, report = place_with_report(scenario, TRAVEL, pricing=True)
    assert report is not None and report.rounds == 1
    assert report.arcs_priced == 1 and report.arcs_added == 0
    assert report.min_reduced_cost is not None and report.min_reduced_cost > 0
    assert [a.school_id for a in plan.assignments] == ["S1"]


def test_pricing_is_only_for_the_weighted_mode_over_every_school() -> None:
    scenario = synthetic_scenario(seed=3, n_children=40, n_schools=8)
    capped = dataclasses.replace(scenario, policy=Policy(max_candidates=3))
    assert place_with_report(scenario, TRAVEL, mode="lexicographic", pricing=True)[1] is None
    assert place_with_report(capped, TRAVEL, pricing=True)[1] is None
    assert place_with_report(scenario, TRAVEL, pricing=True)[1] is not None


def test_the_automatic_switch_holds_on_both_sides_of_its_limit() -> None:
    schools = tuple(make_school(f"S{j}", float(j)) for j in range(100))
    below = PRICING_MIN_PAIRS // 100 - 1
    kids = tuple(make_child(f"C{i:06d}", 0.0) for i in range(below + 1))
    at_limit = Scenario(name="limit", children=kids, schools=schools, policy=Policy())
    under = dataclasses.replace(at_limit, children=kids[:below])
    assert len(at_limit.children) * len(schools) >= PRICING_MIN_PAIRS
    assert len(under.children) * len(schools) < PRICING_MIN_PAIRS
    assert uses_pricing(at_limit, "weighted") and not uses_pricing(under, "weighted")
    assert not uses_pricing(at_limit, "lexicographic")
    capped = dataclasses.replace(at_limit, policy=Policy(max_candidates=5))
    assert not uses_pricing(capped, "weighted")


# --- node potentials ---


@st.composite
def _flow_networks(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Bipartite source -> middle -> sink networks like placement's: k sources first."""
    k = draw(st.integers(1, 6))
    mid = draw(st.integers(1, 4))
    n = k + mid + 1
    sink = n - 1
    tails, heads, caps, costs = [], [], [], []
    supply = np.zeros(n, dtype=np.int64)
    for c in range(k):
        supply[c] = draw(st.integers(1, 3))
        for h in draw(st.sets(st.integers(0, mid - 1), min_size=1, max_size=mid)):
            tails.append(c)
            heads.append(k + h)
            caps.append(int(supply[c]))
            costs.append(draw(st.integers(0, 50)))
        tails.append(c)
        heads.append(sink)
        caps.append(int(supply[c]))
        costs.append(100)  # the unplaced arc
    for h in range(mid):
        tails.append(k + h)
        heads.append(sink)
        caps.append(draw(st.integers(0, 4)))
        costs.append(draw(st.integers(-5, 5)))
    supply[sink] = -int(supply[:k].sum())
    arrays = {
        "tails": np.array(tails, dtype=np.int64),
        "heads": np.array(heads, dtype=np.int64),
        "capacities": np.array(caps, dtype=np.int64),
        "unit_costs": np.array(costs, dtype=np.int64),
    }
    return arrays, supply, k


def _residual_reduced_costs(
    arrays: dict[str, np.ndarray], flows: np.ndarray, pot: np.ndarray
) -> np.ndarray:
    t, h, cap, c = (arrays[x] for x in ("tails", "heads", "capacities", "unit_costs"))
    fwd = flows < cap
    back = flows > 0
    return np.concatenate([(c + pot[t] - pot[h])[fwd], (-c + pot[h] - pot[t])[back]])


@settings(max_examples=200, deadline=None)
@given(_flow_networks(), st.booleans())
def test_potentials_prove_an_optimal_flow(
    network: tuple[dict[str, np.ndarray], np.ndarray, int], eliminate: bool
) -> None:
    arrays, supply, k = network
    result = solve_min_cost_flow(**arrays, supplies=supply)
    pot = node_potentials(
        **arrays, flows=result.flows, n_nodes=len(supply), sources=k if eliminate else 0
    )
    assert (_residual_reduced_costs(arrays, result.flows, pot) >= 0).all()


def test_potentials_refuse_a_flow_that_is_not_optimal() -> None:
    # Two parallel arcs 0 -> 1 (cost 1 and 5), one unit sent on the dear one.
    arrays = {
        "tails": np.array([0, 0]),
        "heads": np.array([1, 1]),
        "capacities": np.array([1, 1]),
        "unit_costs": np.array([1, 5]),
    }
    with pytest.raises(FlowError, match="not optimal"):
        node_potentials(**arrays, flows=np.array([0, 1]), n_nodes=2)
    pot = node_potentials(**arrays, flows=np.array([1, 0]), n_nodes=2)
    assert (_residual_reduced_costs(arrays, np.array([1, 0]), pot) >= 0).all()


def test_potentials_refuse_an_arc_into_a_source() -> None:
    arrays = {
        "tails": np.array([1]),
        "heads": np.array([0]),
        "capacities": np.array([1]),
        "unit_costs": np.array([1]),
    }
    with pytest.raises(ValueError, match="source"):
        node_potentials(**arrays, flows=np.array([0]), n_nodes=2, sources=1)


def test_promising_arcs_on_both_sides_of_the_keep_limit() -> None:
    limit = pricing_module.KEEP_REDUCED_GBP
    reduced = np.array([limit, limit + 1, limit + 1, limit + 1, -5], dtype=np.int64)
    carrying = np.array([False, False, True, False, False])
    added_once = np.array([False, False, False, True, False])
    kept = pricing_module._promising(reduced, carrying, added_once)
    assert kept.tolist() == [True, False, True, True, True]


def test_chunk_sizes_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = synthetic_scenario(seed=11, n_children=400, n_schools=30)
    monkeypatch.setattr(place_module, "PRICING_START_CANDIDATES", 2)
    plan, report = place_with_report(scenario, TRAVEL, pricing=True)
    verdict = check_placement(scenario, TRAVEL, plan)
    # One (point or class) row per chunk, and one pair per checker slice.
    monkeypatch.setattr(universe_module, "_CHUNK_CELLS", 1)
    monkeypatch.setattr(pricing_module, "_SLICE_ARCS", 1)
    monkeypatch.setattr(check_rules, "PAIRS_PER_SLICE", 1)
    small, small_report = place_with_report(scenario, TRAVEL, pricing=True)
    assert small == plan and small_report == report
    assert check_placement(scenario, TRAVEL, plan) == verdict and verdict.ok


# --- the universe, the hub and the certificate ---


def _every_school(policy: Policy) -> Policy:
    return dataclasses.replace(policy, max_candidates=0)


def _classes(scenario: Scenario) -> tuple[CandidateSet, np.ndarray, Callable[..., Network]]:
    """The classes and free children of a scenario, and its network over some arcs."""
    children = sorted(scenario.children, key=lambda c: c.child_id)
    schools = sorted(scenario.schools, key=lambda s: s.school_id)
    cs, locked = build_candidates(children, schools, TRAVEL, scenario.policy)
    supply = np.bincount(cs.class_of, minlength=cs.n_classes).astype(np.int64)
    soft = np.zeros(len(schools), dtype=bool)

    def network_for(arcs: CandidateSet) -> Network:
        return Network(
            cs=arcs,
            supply=supply,
            class_res=np.array([children[int(r)].residential_need for r in cs.rep], dtype=bool),
            spare=np.array([s.capacity for s in schools], dtype=np.int64),
            spare_res=np.array([s.residential_places for s in schools], dtype=np.int64),
            soft=soft,
            in_area=np.array([s.in_area for s in schools], dtype=bool),
            over_gbp=0,
            pools=build_pools(arcs, locked, soft),
        )

    return cs, supply, network_for


def _universe(cs: CandidateSet, net: Network, policy: Policy) -> universe_module.Universe:
    need = pools_module.need_codes(cs)
    table = pools_module.pool_table(net.pools, len(cs.schools))
    reach = universe_module.build_reach(cs, TRAVEL)
    return universe_module.build_universe(
        cs, reach, policy, lambda c, s: net.arc_heads(c, s, table[need[c], s])
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_scenarios(max_children=12, max_schools=6))
def test_the_universe_is_every_candidate_arc_with_its_cost(scenario: Scenario) -> None:
    scenario = dataclasses.replace(scenario, policy=_every_school(scenario.policy))
    cs, _, network_for = _classes(scenario)
    universe = _universe(cs, network_for(cs), scenario.policy)
    assert universe.cls.tolist() == cs.candidates.child.tolist()
    assert universe.school.tolist() == cs.candidates.school.tolist()
    assert universe.cost.tolist() == cs.cost.tolist()
    assert universe.members(cs).all()
    every = universe.pairs(np.ones(len(universe.cls), dtype=bool))
    assert every.travel_s.tolist() == cs.candidates.travel_s.tolist()
    assert every.distance_m.tolist() == cs.candidates.distance_m.tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_scenarios(max_children=12, max_schools=6), st.integers(0, 2**16))
def test_the_hub_gives_the_class_networks_optimum_with_proving_potentials(
    scenario: Scenario, seed: int
) -> None:
    scenario = _with_pools(scenario, random.Random(seed))
    cs, supply, network_for = _classes(scenario)
    # Keep one arc for most classes, so that the hub has members.
    rng = np.random.default_rng(seed)
    keep = rng.random(len(cs.cost)) < 0.6
    sub = network_for(only_arcs(cs, keep))
    plain = sub._solve(cand_cost=sub.cs.cost, unplaced_cost=1_000_000, over_cost=0, hubs=None)
    hub = sub.solve_weighted(Policy(), potentials=True)
    assert hub.potential is not None and hub.residual is not None
    objective = int((hub.cand_flow * sub.cs.cost).sum())
    assert objective + 1_000_000 * int(supply.sum() - hub.cand_flow.sum()) == int(
        (plain.cand_flow * sub.cs.cost).sum()
    ) + 1_000_000 * int(supply.sum() - plain.cand_flow.sum())
    tails, heads, caps, costs, flows = hub.residual
    reduced = costs + hub.potential[tails] - hub.potential[heads]
    assert (reduced[flows < caps] >= 0).all() and (reduced[flows > 0] <= 0).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_scenarios(max_children=12, max_schools=6), st.integers(0, 2**16))
def test_a_certificate_is_only_found_for_a_flow_optimal_over_every_arc(
    scenario: Scenario, seed: int
) -> None:
    scenario = dataclasses.replace(scenario, policy=_every_school(scenario.policy))
    cs, supply, network_for = _classes(scenario)
    universe = _universe(cs, network_for(cs), scenario.policy)
    policy = scenario.policy
    full = network_for(cs).solve_weighted(policy)
    best = int((full.cand_flow * cs.cost).sum()) + unplaced_cost_gbp(policy) * int(
        supply.sum() - full.cand_flow.sum()
    )
    keep = np.random.default_rng(seed).random(len(universe.cls)) < 0.5
    sub = network_for(universe.candidate_set(cs, keep))
    flow = sub.solve_weighted(policy, potentials=True)
    assert flow.potential is not None and flow.residual is not None
    pot = pricing_module.class_potentials(sub, flow, supply, policy)
    proof = certify_potentials(
        universe, keep, flow.cand_flow, supply, flow.residual, pot,
        sink=sub.sink(), unplaced_gbp=unplaced_cost_gbp(policy),
        violated=np.flatnonzero(supply > 0),
    )  # fmt: skip
    value = int((flow.cand_flow * sub.cs.cost).sum()) + unplaced_cost_gbp(policy) * int(
        supply.sum() - flow.cand_flow.sum()
    )
    if proof is not None:
        assert value == best
        out = ~keep & (supply[universe.cls] > 0)
        reduced = universe.cost + proof[universe.cls] - proof[universe.head]
        assert (reduced[out] >= 0).all()
    if value > best:
        assert proof is None


def test_surely_sampled_both_sides_and_then_samples_are_drawn() -> None:
    need = math.ceil(2 * SAMPLE_MIN_CHILDREN / min(SAMPLE_FRACTIONS))
    assert not surely_sampled(need - 1)
    assert surely_sampled(need)
    assert draw_samples(np.ones(need, dtype=np.int64))
