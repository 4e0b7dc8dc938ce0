"""Merging runs of nearby schools (``mixed_merge.py``): taken when cheaper, every rule kept.

Each result goes through the engine's independent checker on the group's own problem (times,
windows, rides, loads, skills, vehicles, costs). All children are synthetic.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transport_cases import TRAVEL, child, instances, random_children, scenario, school, vehicle

from sendplan.routing.model import Child, School, VehicleType
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.mixed import _problem
from sendplan.routing.transport.mixed_group import Group, build_group
from sendplan.routing.transport.mixed_merge import MAX_CALLS, MixedRun, merge_group_runs
from sendplan.routing.transport.plan import Session
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import (
    Problem,
    Solution,
    Visit,
    route_cost,
    route_distance,
    visit_location,
)

SCHOOLS = [school("S1", 0, 0), school("S2", 1, 0)]


def fleet(minibuses: int = 5) -> tuple[VehicleType, ...]:
    return (
        vehicle("taxi", 4, 0, False, 18.0, 1.80),
        vehicle("taxi_pa", 3, 0, True, 53.0, 1.80),
        vehicle("wav", 4, 1, False, 25.0, 2.20),
        vehicle("wav_pa", 3, 1, True, 60.0, 2.20),
        vehicle("minibus_8", 8, 1, True, 40.0, 2.40, minibuses),
    )


def group_case(
    kids: list[Child], schools: list[School], session: Session, vehicles: tuple[VehicleType, ...]
) -> tuple[Group, list[tuple[VehicleType, int]]]:
    sc = scenario(kids, schools, vehicles)
    insts = instances(sc, session)
    jobs = [(n, job) for n, s in enumerate(schools) for job in insts[s.school_id].jobs]
    kinds = vehicle_kinds(sc.fleet)
    g = build_group(schools, jobs, kinds, TRAVEL, policy=sc.policy, session=session)
    return g, [(v, v.available) for v in kinds]


def merge(
    g: Group,
    types: list[tuple[VehicleType, int]],
    runs: list[tuple[int, list]],
    *,
    session: Session,
) -> list[MixedRun] | None:
    """Merged runs, each kind offered all of its type's vehicles (as ``vehicle_kinds`` gives)."""
    available = {v.name: v.available for v, _ in types}
    return merge_group_runs(g, types, runs, available=available, session=session)


def one_run_per_school(g: Group, types: list[tuple[VehicleType, int]]) -> list[tuple[int, list]]:
    """Each school's jobs on one run of the cheapest kind that takes them all."""
    out = []
    for s in sorted(set(g.school_of_job)):
        jobs = [j for j, t in enumerate(g.school_of_job) if t == s]
        seats = sum(g.jobs[j].seats for j in jobs)
        kind = min(
            (k for k, (v, _) in enumerate(types) if v.seats >= seats),
            key=lambda k: types[k][0].fixed_cost_gbp,
        )
        out.append((kind, jobs))
    return out


def checked(
    g: Group, types: list[tuple[VehicleType, int]], runs: list[MixedRun], session: Session
) -> list[str]:
    problem = _problem(g, types, policy=scenario([]).policy, session=session).build()
    tours = tuple(r.tour for r in runs)
    solution = Solution(
        tours, (), sum(t.cost for t in tours), sum(t.distance for t in tours), True, "merge", 0
    )
    return list(check_solution(problem, solution).violations)


def street(n: int) -> list[Child]:
    """``n`` children of each school living on one street 7 km away."""
    return [child(f"A{i}", 5 + 0.2 * i, 5, school_id="S1") for i in range(n)] + [
        child(f"B{i}", 5 + 0.2 * i, 5.3, school_id="S2") for i in range(n)
    ]


@pytest.mark.parametrize("session", ["am", "pm"])
def test_two_schools_taxi_runs_become_one_minibus_run(session: Session) -> None:
    g, types = group_case(street(3), SCHOOLS, session, fleet())
    runs = one_run_per_school(g, types)
    assert [types[k][0].name for k, _ in runs] == ["taxi", "taxi"]
    alone = merge(g, types, [runs[0]], session=session)
    other = merge(g, types, [runs[1]], session=session)
    merged = merge(g, types, runs, session=session)
    assert alone is not None and other is not None and merged is not None
    assert len(merged) == 1
    assert types[merged[0].kind][0].name == "minibus_8"
    assert sorted(merged[0].schools) == [0, 1]
    assert merged[0].cost < alone[0].cost + other[0].cost
    assert checked(g, types, merged, session) == []


def test_no_merge_without_a_free_vehicle_that_takes_both() -> None:
    g, types = group_case(street(3), SCHOOLS, "am", fleet(minibuses=0))
    types = [(v, n) for v, n in types if n > 0]
    runs = one_run_per_school(g, types)
    merged = merge(g, types, runs, session="am")
    assert merged is not None
    assert sorted(r.homes for r in merged) == sorted(tuple(jobs) for _, jobs in runs)


@pytest.mark.parametrize(("offered", "left", "runs_after"), [(5, 0, 2), (5, 1, 1), (0, 5, 2)])
def test_a_merge_needs_a_vehicle_of_its_kind_and_of_its_type(
    offered: int, left: int, runs_after: int
) -> None:
    """A kind is offered some of its type's vehicles, and layouts of a type share them."""
    g, types = group_case(street(3), SCHOOLS, "am", fleet())
    types = [(v, offered if v.name == "minibus_8" else n) for v, n in types]
    runs = one_run_per_school(g, types)
    available = {v.name: v.available for v, _ in types} | {"minibus_8": left}
    out = merge_group_runs(g, types, runs, available=available, session="am")
    assert out is not None
    assert len(out) == runs_after


def test_a_merge_keeps_every_ride_within_its_limit_both_sides() -> None:
    g, types = group_case(street(3), SCHOOLS, "am", fleet())
    runs = one_run_per_school(g, types)
    loose = merge(g, types, runs, session="am")
    assert loose is not None and len(loose) == 1
    at = {(v.kind, v.index): n for n, v in enumerate(loose[0].tour.visits)}

    def ride(j: int) -> int:
        p, d = at[("pickup", j)], at[("delivery", j)]
        return loose[0].tour.times[d] - loose[0].tour.times[p] - g.jobs[j].service_s

    longest = max(ride(j) for j in range(len(g.jobs)))
    for limit, merges in ((longest, True), (longest - 1, False)):
        tight = dataclasses.replace(
            g, jobs=[dataclasses.replace(job, limit_s=limit) for job in g.jobs]
        )
        out = merge(tight, types, runs, session="am")
        assert out is not None
        assert checked(tight, types, out, "am") == []
        # At one second under, the loose merge breaks a ride: whatever is made differs.
        assert (checked(tight, types, loose, "am") == []) is merges
        assert (out == loose) is merges


def test_a_run_that_breaks_a_rule_as_given_leaves_the_group_unmerged() -> None:
    g, types = group_case(street(3), SCHOOLS, "am", fleet())
    runs = one_run_per_school(g, types)
    tight = dataclasses.replace(g, jobs=[dataclasses.replace(job, limit_s=0) for job in g.jobs])
    assert merge(tight, types, runs, session="am") is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 14),
    session=st.sampled_from(["am", "pm"]),
)
def test_merged_runs_pass_the_checker_and_never_cost_more(
    seed: int, n: int, session: Session
) -> None:
    # S3 starts and ends later: some orders of calls miss a window.
    schools = [*SCHOOLS, school("S3", 0, 1.5, bell_am_min=9 * 60 + 25, finish_pm_min=15 * 60 + 35)]
    kids = [
        dataclasses.replace(k, travel_alone=False)
        for k in random_children(n, seed, schools=("S1", "S2", "S3"), radius_km=5.0)
    ]
    present = [s for s in schools if any(k.current_school == s.school_id for k in kids)]
    # One minibus: the checker then also sees that no more are used than offered.
    g, types = group_case(kids, present, session, fleet(minibuses=1))
    # Each job alone on the cheapest kind that suits it and has a vehicle left.
    left = {v.name: n for v, n in types}
    runs = []
    for j, job in enumerate(g.jobs):
        kind = min(
            (k for k, (v, _) in enumerate(types) if job.suits(v) and left[v.name] > 0),
            key=lambda k: types[k][0].fixed_cost_gbp,
        )
        left[types[kind][0].name] -= 1
        runs.append((kind, [j]))
    before = merge(g, types, [], session=session)
    assert before == []
    merged = merge(g, types, runs, session=session)
    if merged is None:  # a job alone breaks its limit: nothing to merge
        return
    alone = [merge(g, types, [r], session=session) for r in runs]
    assert all(a is not None for a in alone)
    assert checked(g, types, merged, session) == []
    assert sum(r.cost for r in merged) <= sum(a[0].cost for a in alone if a)
    assert sorted(j for r in merged for j in r.homes) == list(range(len(g.jobs)))
    assert all(len(r.schools) <= MAX_CALLS for r in merged)
    # Layouts of one type share its vehicles.
    by_type = Counter(types[r.kind][0].name for r in merged)
    assert by_type["minibus_8"] <= 1


# --- an oracle: every merge of two runs, timed by a simple temporal network -------------------


def feasible(problem: Problem, kind: int, visits: tuple[Visit, ...]) -> bool:
    """Whether some times meet every window and ride limit (waiting allowed anywhere): no
    negative cycle in the constraint graph (Bellman-Ford). Node 0 is the depot start."""
    vt = problem.vehicle_types[kind]
    depot = problem.depots[vt.start_depot].location
    locs = [depot] + [visit_location(problem, v) for v in visits]
    service = [0] + [
        problem.shipments[v.index].pickup.service_duration
        if v.kind == "pickup"
        else problem.shipments[v.index].delivery.service_duration
        for v in visits
    ]
    edges = []  # (u, v, w): t_v - t_u <= w
    far = 10**9
    n = len(locs) + 1  # plus a zero-time origin, last
    origin = n - 1
    edges.append((0, origin, 0))  # t_start >= 0
    for i in range(len(locs) - 1):
        edges.append((i + 1, i, -(int(problem.duration[locs[i], locs[i + 1]]) + service[i])))
    at = {(v.kind, v.index): i + 1 for i, v in enumerate(visits)}
    for i, v in enumerate(visits, start=1):
        ship = problem.shipments[v.index]
        stop = ship.pickup if v.kind == "pickup" else ship.delivery
        edges.append((origin, i, min(stop.tw_late, far)))
        edges.append((i, origin, -stop.tw_early))
        if v.kind == "pickup" and ship.max_ride is not None:
            d = at[("delivery", v.index)]
            edges.append((i, d, ship.max_ride + ship.pickup.service_duration))
    dist = [0] * n
    for _ in range(n):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v]:
                dist[v], changed = dist[u] + w, True
        if not changed:
            return True
    return False


def oracle_best(
    problem: Problem, g: Group, a: list[int], b: list[int], session: Session
) -> int | None:
    """The cheapest merge of runs ``a`` and ``b`` over the same neighbourhood: either run's
    homes as a block among the other's, the schools in every order, every kind."""
    best = None
    for first, second in ((a, b), (b, a)):
        for at in range(len(first) + 1):
            homes = first[:at] + second + first[at:]
            for order in itertools.permutations(sorted({g.school_of_job[j] for j in homes})):
                school_kind, home_kind = (
                    ("delivery", "pickup") if session == "am" else ("pickup", "delivery")
                )
                calls = tuple(
                    Visit(school_kind, j) for s in order for j in homes if g.school_of_job[j] == s
                )
                trip = tuple(Visit(home_kind, j) for j in homes)
                visits = trip + calls if session == "am" else calls + trip
                for k in range(len(problem.vehicle_types)):
                    if not problem.vehicle_types[k].num_available or not _fits(problem, k, homes):
                        continue
                    if feasible(problem, k, visits):
                        cost = route_cost(problem, k, route_distance(problem, k, visits), 0)
                        best = cost if best is None else min(best, cost)
    return best


def _fits(problem: Problem, k: int, homes: list[int]) -> bool:
    vt = problem.vehicle_types[k]
    load = [sum(problem.shipments[j].amount[d] for j in homes) for d in range(2)]
    skills = set().union(*(problem.shipments[j].skills for j in homes))
    return skills <= vt.skills and all(x <= c for x, c in zip(load, vt.capacity, strict=True))


@pytest.mark.parametrize("session", ["am", "pm"])
@pytest.mark.parametrize("shift_km", [-3.0, -1.0, 0.5, 1.0, 4.0])
def test_a_pair_merges_exactly_when_the_best_merge_saves(session: Session, shift_km: float) -> None:
    """Three children of each school on two taxis; both together need the dearer minibus, which
    pays only while their streets are close (both sides are among these shifts)."""
    kids = [child(f"A{i}", 3 + 0.3 * i, 0, school_id="S1") for i in range(3)] + [
        child(f"B{i}", 3 - shift_km - 0.3 * i, -0.5, school_id="S2") for i in range(3)
    ]
    g, types = group_case(kids, SCHOOLS, session, fleet())
    problem = _problem(g, types, policy=scenario([]).policy, session=session).build()
    runs = one_run_per_school(g, types)
    apart = (
        merge(g, types, runs[:1], session=session),
        merge(g, types, runs[1:], session=session),
    )
    assert apart[0] is not None and apart[1] is not None
    before = apart[0][0].cost + apart[1][0].cost
    best = oracle_best(problem, g, runs[0][1], runs[1][1], session)
    merged = merge(g, types, runs, session=session)
    assert merged is not None
    if best is not None and best < before:
        assert [r.cost for r in merged] == [best]
    else:
        assert sorted(r.cost for r in merged) == sorted(r[0].cost for r in apart)
