"""The SBRP benchmark's route choice: a set-cover MIP over a route pool, then one route per stop."""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
import pytest

import sendplan.bench.sbrp as sbrp
import sendplan.bench.sbrp_chain as chain
from sendplan.bench.instances import (
    SbrpInstance,
    SbrpSchool,
    SbrpStop,
    benchmarks_dir,
    read_sbrp,
    sbrp_path,
)
from sendplan.bench.sbrp import solve_instance
from sendplan.bench.sbrp_chain import (
    can_follow,
    check_plan,
    count_buses,
    drop_repeats,
    latest_predecessors,
    min_buses,
)
from sendplan.bench.sbrp_pool import (
    LATER_SCENARIOS,
    SCENARIOS,
    SchoolRoute,
    route_times,
    split_routes,
)
from sendplan.routing.vrp.mip import CoverError, choose_cover

needs_data = pytest.mark.skipif(
    not (benchmarks_dir() / "sbrp_park_tae_kim" / "bks.csv").exists(),
    reason="no Park-Tae-Kim files",
)


def three_schools() -> SbrpInstance:
    """Bells 07:00, 07:40 and 08:30; stops a few miles from their schools (feet)."""
    schools = (
        SbrpSchool("A", 0, 0, 700, 710),
        SbrpSchool("B", 15_000, 0, 740, 750),
        SbrpSchool("C", 5_000, 10_000, 830, 840),
    )
    rows = [
        (8000, 0, "A", 20),
        (0, 9000, "A", 25),
        (22_000, 0, "B", 30),
        (15_000, 9000, "B", 20),
        (10_000, 3000, "B", 10),
        (5_000, 20_000, "C", 30),
        (14_000, 10_000, "C", 20),
        (0, 14_000, "C", 15),
    ]
    stops = tuple(SbrpStop(f"s{i}", x, y, sc, n) for i, (x, y, sc, n) in enumerate(rows))
    return SbrpInstance("THREE", schools, stops)


def pool_of(inst: SbrpInstance) -> list[SchoolRoute]:
    """One route through all stops of each school, and all its heads and tails."""
    whole = []
    for k, sc in enumerate(inst.schools):
        stops = tuple(i for i, s in enumerate(inst.stops) if s.school_id == sc.school_id)
        whole.append(SchoolRoute(k, stops, *route_times(inst, k, stops)))
    return split_routes(inst, whole)


def test_split_routes_adds_every_head_and_tail_once() -> None:
    inst = three_schools()
    pool = pool_of(inst)
    assert len(pool) == 3 + 5 + 5  # n stops: 1 whole route, n - 1 heads and n - 1 tails
    assert len({(r.school, r.stops) for r in pool}) == len(pool)
    whole = {r.school: r for r in pool[:3]}  # the given routes come first
    assert [len(r.stops) for r in whole.values()] == [2, 3, 3]
    for r in pool:
        assert r.service_s <= whole[r.school].service_s + 1e-9
        assert r.max_ride_s <= whole[r.school].max_ride_s + 1e-9


def test_cover_mip_matches_brute_force_and_the_plan_serves_each_stop_once() -> None:
    inst = three_schools()
    pool = pool_of(inst)
    follow = can_follow(inst, pool)
    assert follow.any()  # the bells are far enough apart for buses to chain
    choice = choose_cover(
        covers=[r.stops for r in pool],
        n_items=len(inst.stops),
        group=[r.school for r in pool],
        links=np.argwhere(follow),
    )
    assert choice.optimal

    # every choice of routes that covers each school's stops, school by school
    per_school = []
    for k, sc in enumerate(inst.schools):
        mine = [j for j, r in enumerate(pool) if r.school == k]
        need = {i for i, s in enumerate(inst.stops) if s.school_id == sc.school_id}
        per_school.append(
            [
                sub
                for n in range(1, len(mine) + 1)
                for sub in itertools.combinations(mine, n)
                if {i for j in sub for i in pool[j].stops} == need
            ]
        )
    brute = min(
        count_buses(follow[:, list(idx)], np.array([len(p) for p in parts]))
        for parts in itertools.product(*per_school)
        for idx in [tuple(j for p in parts for j in p)]
    )
    assert choice.vehicles == brute
    assert min_buses(inst, [pool[k] for k in choice.chosen]) == brute
    plan = drop_repeats(inst, [pool[k] for k in choice.chosen])
    check_plan(inst, plan, max_ride_s=2700)
    assert sorted(i for r in plan for i in r.stops) == list(range(len(inst.stops)))
    assert min_buses(inst, plan) <= brute


def test_cover_without_a_route_for_some_item_is_an_error() -> None:
    with pytest.raises(CoverError, match="item 1"):
        choose_cover(covers=[[0]], n_items=2, group=[0], links=np.zeros((0, 2), int))


def test_drop_repeats_keeps_each_stop_once_and_never_lengthens() -> None:
    inst = three_schools()
    a = SchoolRoute(1, (2, 3, 4), *route_times(inst, 1, (2, 3, 4)))
    b = SchoolRoute(1, (4, 3), *route_times(inst, 1, (4, 3)))
    c = SchoolRoute(1, (3,), *route_times(inst, 1, (3,)))
    plan = drop_repeats(inst, [a, b, c])
    assert sorted(i for r in plan for i in r.stops) == [2, 3, 4]
    before = {r.stops: r for r in (a, b, c)}
    for r in plan:
        original = next(o for o in (a, b, c) if set(r.stops) <= set(o.stops))
        assert r.service_s <= original.service_s + 1e-9
        assert r.stops in before or len(r.stops) < len(original.stops)


def test_check_plan_rejects_a_stop_twice_or_missing() -> None:
    inst = three_schools()
    routes = [
        SchoolRoute(k, st, *route_times(inst, k, st))
        for k, st in [(0, (0, 1)), (1, (2, 3, 4)), (2, (5, 6, 7))]
    ]
    check_plan(inst, routes, max_ride_s=5400)
    twice = [*routes, SchoolRoute(1, (3,), *route_times(inst, 1, (3,)))]
    with pytest.raises(RuntimeError, match="on 2 routes"):
        check_plan(inst, twice, max_ride_s=5400)
    with pytest.raises(RuntimeError, match="on 0 routes"):
        check_plan(inst, routes[1:], max_ride_s=5400)
    with pytest.raises(RuntimeError, match="ride exceeds"):
        check_plan(inst, routes, max_ride_s=60)


def test_latest_predecessors_keeps_the_latest_bells() -> None:
    inst = three_schools()
    pool = pool_of(inst)
    follow = can_follow(inst, pool)
    kept = latest_predecessors(inst, follow, keep=1)
    assert not (kept & ~follow).any()
    assert (kept.sum(axis=0) == np.minimum(follow.sum(axis=0), 1)).all()
    for j in np.flatnonzero(follow.sum(axis=0) > 1):  # C's routes: B (07:40) beats A (07:00)
        assert kept[1, j] and not kept[0, j]


def test_solve_instance_covers_every_stop_once_within_the_ride_limit() -> None:
    inst = three_schools()
    out = solve_instance(inst, max_ride_s=1800, time_limit_s=0, workers=1, iterations=100)
    assert out["selection"] == "cover" and out["selection_optimal"]
    assert out["checker_ok"] and out["max_ride_s"] <= 1800
    assert 1 <= out["buses"] <= out["routes"]


@needs_data
def test_rsrb01_at_the_published_best_with_little_work() -> None:
    inst = read_sbrp(sbrp_path("RSRB01"))
    out = solve_instance(inst, max_ride_s=5400, time_limit_s=0, workers=1, iterations=100)
    assert out["checker_ok"] and out["max_ride_s"] <= 5400
    assert out["buses"] <= 31  # the best published count (BiRD)


def test_the_first_cover_mip_gets_the_larger_share_of_the_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Round one's MIP has no plan to fall back on but whole route sets, so it may take
    ``FIRST_MIP_SHARE`` of the time left; a later round's ``LATER_MIP_SHARE``. The share becomes
    CBC's limit: share x time left - 0.5 s."""
    assert sbrp.FIRST_MIP_SHARE > sbrp.LATER_MIP_SHARE
    shares: list[float] = []
    limits: list[float] = []
    real_cover, real_choose = chain.cover_plan, chain.choose_cover

    def cover(*args: Any, mip_share: float, **kwargs: Any) -> Any:
        shares.append(mip_share)
        return real_cover(*args, mip_share=mip_share, **kwargs)

    def choose(**kwargs: Any) -> Any:
        limits.append(kwargs["time_limit_s"])
        return real_choose(**kwargs)

    monkeypatch.setattr(sbrp, "cover_plan", cover)
    monkeypatch.setattr(chain, "choose_cover", choose)
    inst = three_schools()
    out = solve_instance(inst, max_ride_s=2700.0, time_limit_s=4.0, workers=1)
    # 4 s give two rounds on a quiet machine; a loaded one may fit only the first.
    assert len(shares) == out["routing_rounds"] >= 1
    assert shares[0] == sbrp.FIRST_MIP_SHARE
    assert all(share == sbrp.LATER_MIP_SHARE for share in shares[1:])
    # A limit set t s before the deadline is share * t - 0.5 with t a little under what is left.
    routes = pool_of(inst)
    options = {k: [[r for r in routes if r.school == k]] for k in range(3)}
    for share in (0.6, 0.75):
        limits.clear()
        deadline = time.perf_counter() + 10.0
        chain.cover_plan(inst, routes, options, seed=1, select_rounds=1, deadline=deadline,
                         mip_share=share)  # fmt: skip
        assert share * 9.0 - 0.5 < limits[0] <= share * 10.0 - 0.5


def test_a_later_routing_round_gets_the_time_a_larger_mip_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Round one routes for ``ROUTING_SHARE`` of the limit; a later round for what is left after
    a MIP ``LATER_MIP_GROWTH`` times the last one, the routing's overhead and a second, and not
    at all below ``MIN_LATER_ROUTING_SHARE``."""
    drawn: list[tuple[float, int, tuple[Any, ...]]] = []
    mip_done: list[float] = []
    real_pool, real_cover = sbrp.route_pool, sbrp.cover_plan

    def pool(*args: Any, time_limit_s: float, seed: int, scenarios: Any, **kwargs: Any) -> Any:
        drawn.append((time_limit_s, seed, tuple(scenarios)))
        kwargs["iterations"] = 20  # a fraction of a second: no overhead past the limit
        return real_pool(*args, time_limit_s=time_limit_s, seed=seed, scenarios=scenarios,
                         **kwargs)  # fmt: skip

    def cover(*args: Any, **kwargs: Any) -> Any:
        out = real_cover(*args, **kwargs)
        time.sleep(2.0)  # a MIP of 2 s
        mip_done.append(time.perf_counter())
        return out

    monkeypatch.setattr(sbrp, "route_pool", pool)
    monkeypatch.setattr(sbrp, "cover_plan", cover)
    limit_s = 8.0
    started = time.perf_counter()
    out = solve_instance(three_schools(), max_ride_s=2700.0, time_limit_s=limit_s, workers=1)
    assert len(drawn) == out["routing_rounds"] >= 1
    assert drawn[0] == (limit_s * sbrp.ROUTING_SHARE, 1, SCENARIOS)
    # round two: the time left at the end of round one, less a 3 s MIP and 1 s
    assert out["routing_rounds"] == 2, "a second round fits unless the machine is very slow"
    fits = limit_s - (mip_done[0] - started) - sbrp.LATER_MIP_GROWTH * 2.0 - 1.0
    assert drawn[1][0] == pytest.approx(fits, abs=0.1)
    assert limit_s * sbrp.MIN_LATER_ROUTING_SHARE <= drawn[1][0] < limit_s * sbrp.ROUTING_SHARE
    assert drawn[1][1:] == (2, LATER_SCENARIOS)


def test_every_second_routing_round_draws_the_later_scenarios(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second seed of the same costs and caps rarely adds the routes a cover lacks, so rounds
    alternate between ``SCENARIOS`` and ``LATER_SCENARIOS``; a single round (work limits) draws
    ``SCENARIOS`` only."""
    assert set(SCENARIOS).isdisjoint(LATER_SCENARIOS)
    drawn: list[tuple[Any, ...]] = []
    real_pool = sbrp.route_pool

    def pool(*args: Any, scenarios: Any, iterations: int | None, **kwargs: Any) -> Any:
        drawn.append(tuple(scenarios))
        # Work-limited rounds take a fraction of a second: several fit in the time limit.
        return real_pool(*args, scenarios=scenarios, iterations=20, **kwargs)

    monkeypatch.setattr(sbrp, "route_pool", pool)
    inst = three_schools()
    out = solve_instance(inst, max_ride_s=2700.0, time_limit_s=4.0, workers=1)
    assert len(drawn) == out["routing_rounds"] >= 2
    assert drawn == [SCENARIOS if k % 2 == 0 else LATER_SCENARIOS for k in range(len(drawn))]
    drawn.clear()
    solve_instance(inst, max_ride_s=2700.0, time_limit_s=0, workers=1, iterations=20)
    assert drawn == [SCENARIOS]
