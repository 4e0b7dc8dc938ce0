"""The integer bound per school: on tiny instances it equals the integer covering optimum over
every run (enumerated by brute force, solved by scipy's MILP), capped by the plans' cost; its
listing finds every run within the gap and no other; CBC's cover is the brute-force best."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from bound_cases import every_run, two_school_cases, two_schools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from transport_cases import TRAVEL, fleet, instances, plan, random_children, scenario

from sendplan.routing.model import Scenario, VehicleType
from sendplan.routing.transport import bound_exact
from sendplan.routing.transport.bound import UNCOVERED_GBP, _Search, _search
from sendplan.routing.transport.bound_exact import SchoolBound, school_bounds
from sendplan.routing.transport.labels import cheapest_runs, least_completions, runs_within
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.transport.solo import solo_flags
from sendplan.routing.vrp.mip import cheapest_cover
from sendplan.routing.vrp.stop import MaxIterations


def brute_force_optimum_gbp(sc: Scenario, session: Session, school_id: str) -> float:
    """The least cost of covering the school's children with its elementary runs, each type
    at most its availability, a child left out at ``UNCOVERED_GBP``."""
    kids = [i for i, c in enumerate(sc.children) if c.current_school == school_id]
    runs = [r for r in every_run(sc, session) if r.school_id == school_id]
    names = sorted({v.name for v in sc.fleet})
    n = len(runs) + len(kids)
    a = np.zeros((len(kids) + len(names), n))
    for r, run in enumerate(runs):
        for i in run.members:
            a[kids.index(i), r] = 1.0
        a[len(kids) + names.index(run.vehicle), r] = 1.0
    for k in range(len(kids)):
        a[k, len(runs) + k] = 1.0
    lower = [1.0] * len(kids) + [0.0] * len(names)
    upper = [np.inf] * len(kids) + [float(v.available) for n_ in names for v in sc.fleet
                                    if v.name == n_]  # fmt: skip
    costs = [r.cost_gbp for r in runs] + [UNCOVERED_GBP] * len(kids)
    out = milp(costs, constraints=LinearConstraint(a, lower, upper), integrality=np.ones(n),
               bounds=Bounds(0, 1))  # fmt: skip
    assert out.status == 0
    return float(out.fun)


def bounds_of(sc: Scenario, plans: Sequence[Sequence[Route]], **kw: object) -> list[SchoolBound]:
    return list(school_bounds(sc, school_of_children(sc, None), TRAVEL, session=kw.pop(  # type: ignore[arg-type]
        "session", "am"), stop=MaxIterations(10_000), plans=plans, workers=1, **kw))  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@two_school_cases
def test_each_school_bound_is_its_integer_optimum_or_the_plans_cost(
    n: int, seed: int, limit: float, session: Session, scarce: bool
) -> None:
    sc = two_schools(n, seed, limit, scarce)
    p = plan(sc, session, iterations=50)
    got = bounds_of(sc, [p.routes], session=session)
    assert [b.school_id for b in got] == sorted({c.current_school for c in sc.children})
    for b in got:
        assert b.converged and b.exact
        ceiling = sum(r.cost_gbp for r in p.routes if r.school_id == b.school_id) or np.inf
        optimum = brute_force_optimum_gbp(sc, session, b.school_id)
        # A plan that leaves children out (``scarce``) may cost less than the programme.
        assert b.lp_gbp <= optimum + 0.02
        assert b.bound_gbp == pytest.approx(max(min(optimum, ceiling), b.lp_gbp), abs=0.02)
    # Each school may use the whole fleet, so the sum bounds the plan (with ``scarce``, the
    # plan may leave children unrouted that the bound counts, so only without it).
    if not scarce:
        assert sum(b.bound_gbp for b in got) <= p.cost_gbp + 0.01


@pytest.mark.parametrize("where", ["just under", "just over", "halfway down"])
def test_a_ceiling_below_the_optimum_is_the_bound_and_one_above_is_not(where: str) -> None:
    # Between the programme's value and the integer optimum, the bound is the plans' cost;
    # above the optimum, it is the optimum.
    kids = random_children(6, 11, radius_km=5.0, flags=False)
    sc = scenario(kids)
    p = plan(sc, iterations=200)
    optimum = brute_force_optimum_gbp(sc, "am", "S1")
    (first,) = bounds_of(sc, [p.routes])
    assert first.lp_gbp < optimum - 1.0  # an integrality gap to test in
    ceiling = {"just under": optimum - 0.05, "just over": optimum + 0.05,
               "halfway down": (first.lp_gbp + optimum) / 2}[where]  # fmt: skip
    priced = [replace(r, cost_gbp=r.cost_gbp * ceiling / p.cost_gbp) for r in p.routes]
    (b,) = bounds_of(sc, [priced])
    assert b.ceiling_gbp == pytest.approx(ceiling, abs=0.01)
    assert b.exact
    assert b.bound_gbp == pytest.approx(min(optimum, ceiling), abs=0.01)
    # The least of several plans' costs is the ceiling.
    (both,) = bounds_of(sc, [p.routes, priced])
    assert both.ceiling_gbp == pytest.approx(min(p.cost_gbp, ceiling), abs=0.01)


def test_out_of_labels_the_school_keeps_its_programme_bound() -> None:
    kids = random_children(8, 5, radius_km=4.0, flags=False)
    sc = scenario(kids)
    p = plan(sc, iterations=100)
    (full,) = bounds_of(sc, [p.routes])
    (cut,) = bounds_of(sc, [p.routes], max_labels=2)
    assert full.runs_listed is not None and full.runs_listed > 1 and full.exact
    assert cut.runs_listed is None and not cut.exact
    assert cut.bound_gbp == pytest.approx(cut.lp_gbp, abs=0.01)
    assert cut.bound_gbp <= full.bound_gbp + 0.01


def test_without_a_plan_a_school_keeps_its_programme_bound() -> None:
    # No ceiling, nothing to list against: the programme's value is the bound.
    sc = scenario(random_children(5, 9, radius_km=4.0, flags=False))
    (b,) = bounds_of(sc, [])
    assert b.ceiling_gbp is None and b.runs_listed is None and not b.exact and b.converged
    assert b.bound_gbp == pytest.approx(b.lp_gbp, abs=0.011) and b.bound_gbp > 0


def test_mixed_school_policy_is_refused() -> None:
    sc = scenario(random_children(3, 1), mixed_school_routes=True)
    with pytest.raises(ValueError, match="single-school"):
        bounds_of(sc, [])


def _brute_force_runs(sr: object, node_cost: np.ndarray, closing: np.ndarray, cap: tuple[int, int]
                      ) -> dict[frozenset[int], tuple[float, int]]:  # fmt: skip
    """Every elementary path from the school, extended as the labelling does: each node set's
    least reduced cost (closing included) and its least time at the last node."""
    s = sr  # a bound._Search
    n1 = s.dur_s.shape[0]  # type: ignore[attr-defined]
    best: dict[frozenset[int], tuple[float, int]] = {}
    for size in range(1, n1):
        for path in itertools.permutations(range(1, n1), size):
            t, prev, rc, seats, chairs, ok = 0, 0, 0.0, 0, 0, True
            for j in path:
                t += (s.service_s[prev] if prev else 0) + s.dur_s[prev, j]  # type: ignore[attr-defined]
                seats += s.seats[j]  # type: ignore[attr-defined]
                chairs += s.chairs[j]  # type: ignore[attr-defined]
                if t > s.limit_s[j] or seats > cap[0] or chairs > cap[1]:  # type: ignore[attr-defined]
                    ok = False
                    break
                rc += s.cost[prev, j] + node_cost[j]  # type: ignore[attr-defined]
                prev = j
            if ok:
                rc += closing[prev]
                key = frozenset(path)
                if key not in best or rc < best[key][0]:
                    best[key] = (rc, t)
    return best


def _one_search(
    seed: int, n: int, dual_scale: float, kind_at: int
) -> tuple[_Search, VehicleType, np.ndarray] | None:
    """One school's labelling data for the fleet's ``kind_at`` type, and node costs at random
    duals (None when no child may share a run)."""
    kids = random_children(n, seed, radius_km=5.0, flags=False)
    sc = scenario(kids, vehicles=(fleet()[kind_at],))
    (inst,) = instances(sc).values()
    (kind,) = vehicle_kinds(sc.fleet)
    alone = {("S1", k) for k in range(len(inst.jobs)) if solo_flags(inst, "am", k)}
    sr = _search("S1", inst, 0, kind, "am", alone)
    if sr is None:
        return None
    rng = np.random.default_rng(seed)
    duals = np.concatenate([[0.0], rng.uniform(0, 60.0 * dual_scale, len(sr.jobs))])
    return sr, kind, sr.inner_gbp - duals


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 6),
    dual_scale=st.floats(0.0, 1.5),
    kind_at=st.sampled_from([0, 4]),  # a taxi (4 seats) and a minibus (8)
    least_run=st.sampled_from([-1.0, -0.01, 0.01]),
)
def test_pricing_pruned_by_completions_still_finds_the_least_negative_run(
    seed: int, n: int, dual_scale: float, kind_at: int, least_run: float
) -> None:
    # Six children or fewer all lie in each other's ng-neighbourhoods: runs are elementary.
    found = _one_search(seed, n, dual_scale, kind_at)
    if found is None:
        return
    sr, kind, node_cost = found
    caps = (kind.seats, kind.wheelchair_spaces)
    runs = _brute_force_runs(sr, node_cost, sr.closing_gbp, caps)
    # Every run closes once: shifting the closing cost moves the least run just either side
    # of zero (or well below it), where a pruning that is too eager or too slack shows.
    closing = sr.closing_gbp + (least_run - min(rc for rc, _ in runs.values()))
    completions = least_completions(sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats,
                                    sr.chairs, node_cost, closing, *caps)  # fmt: skip
    # A full vehicle can only close: the seats are in the completions.
    full = completions[:, :, -1]
    assert np.array_equal(full, np.repeat(closing[:, None], full.shape[1], axis=1))
    made = []
    for bounded in (False, True):
        done, least, count, _, rcs = cheapest_runs(
            sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats, sr.chairs, node_cost,
            closing, *caps, sr.ng, sr.successors, 100_000, 5, completions, bounded,
        )  # fmt: skip
        assert done
        made.append(count)
        if least_run < 0:
            assert least == pytest.approx(least_run, abs=1e-6)
            assert rcs[0] == pytest.approx(least_run, abs=1e-6)
        else:
            assert least >= 0 and len(rcs) == 0
    assert made[1] <= made[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), dual_scale=st.floats(0.0, 1.5))
def test_the_listing_holds_every_run_within_the_gap_and_no_other(
    seed: int, n: int, dual_scale: float
) -> None:
    found = _one_search(seed, n, dual_scale, 4)  # one minibus kind: 8 seats
    if found is None:
        return
    sr, kind, node_cost = found
    closing = sr.closing_gbp.copy()
    oracle = _brute_force_runs(sr, node_cost, closing, (kind.seats, kind.wheelchair_spaces))
    values = sorted({rc for rc, _ in oracle.values()})
    # Gaps at a run's reduced cost (it is in) and a penny under (it is out), both sides.
    for gap in {values[len(values) // 2], values[len(values) // 2] - 0.01, values[-1] + 1.0}:
        completions = least_completions(sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats,
                                        sr.chairs, node_cost, closing, kind.seats,
                                        kind.wheelchair_spaces)  # fmt: skip
        done, count, node, parent, rc, dead = runs_within(
            sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats, sr.chairs, node_cost,
            closing, kind.seats, kind.wheelchair_spaces, completions, gap, 100_000,
        )  # fmt: skip
        assert done
        listed: dict[frozenset[int], float] = {}
        for q in range(count):
            if dead[q] or rc[q] + closing[node[q]] > gap + 1e-6:
                continue
            members, e = set(), q
            while e != -1:
                members.add(int(node[e]))
                e = int(parent[e])
            key = frozenset(members)
            listed[key] = min(listed.get(key, np.inf), float(rc[q] + closing[node[q]]))
        want = {k: rc_ for k, (rc_, _) in oracle.items() if rc_ <= gap + 1e-6}
        assert listed.keys() == want.keys()
        for k, rc_ in want.items():
            assert listed[k] == pytest.approx(rc_, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.floats(1.0, 100.0), st.sets(st.integers(0, 3), min_size=1), st.integers(0, 1)),
        min_size=1,
        max_size=7,
    ),
    limit=st.integers(1, 3),
)
def test_cheapest_cover_is_the_brute_force_best(
    data: list[tuple[float, set[int], int]], limit: int
) -> None:
    costs = [c for c, _, _ in data]
    covers = [sorted(items) for _, items, _ in data]
    group = [g for _, _, g in data]
    got = cheapest_cover(costs=costs, covers=covers, group=group, n_items=4,
                         limits=[limit, limit], uncovered_cost=500.0, time_limit_s=10)  # fmt: skip
    best = np.inf
    for chosen in itertools.product([0, 1], repeat=len(data)):
        if any(
            sum(x for x, g in zip(chosen, group, strict=True) if g == h) > limit for h in (0, 1)
        ):
            continue
        held = set().union(*(set(c) for x, c in zip(chosen, covers, strict=True) if x))
        cost = sum(c for x, c in zip(chosen, costs, strict=True) if x) + 500.0 * (4 - len(held))
        best = min(best, cost)
    assert got.optimal and got.value is not None
    assert got.value == pytest.approx(best, abs=1e-6)
    assert got.bound == pytest.approx(best, abs=1e-6)


def test_the_module_caps_are_positive() -> None:
    assert bound_exact.MAX_LABELS > 0 and bound_exact.MIP_TIME_LIMIT_S > 0
