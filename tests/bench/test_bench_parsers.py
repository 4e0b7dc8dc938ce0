"""Benchmark parsers and conversions, on the shared files (skipped when they are absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sendplan.api.cli_bench_vrp import _names
from sendplan.bench.instances import (
    InstanceError,
    SbrpInstance,
    SbrpSchool,
    SbrpStop,
    benchmarks_dir,
    lilim_100_names,
    lilim_path,
    read_lilim,
    read_lilim_reference,
    read_sbrp,
    read_sbrp_bks,
    read_solomon,
    read_solomon_bks,
    sbrp_names,
    sbrp_path,
    solomon_names,
    solomon_path,
)
from sendplan.bench.lilim import lilim_problem
from sendplan.bench.sbrp import solve_instance
from sendplan.bench.sbrp_chain import min_buses
from sendplan.bench.sbrp_pool import (
    SchoolRoute,
    bell_s,
    previous_school,
    route_times,
    school_problem,
)
from sendplan.bench.solomon import exact_distance, solomon_problem
from sendplan.routing.vrp.check import check_solution
from sendplan.routing.vrp.problem import (
    Problem,
    Solution,
    Tour,
    Visit,
    route_cost,
    route_distance,
    visit_location,
)

ROOT = benchmarks_dir()
needs_data = pytest.mark.skipif(
    not (ROOT / "solomon" / "bks.csv").exists(), reason=f"no benchmark files in {ROOT}"
)


# ----------------------------------------------------------------------------------- Solomon


@needs_data
def test_solomon_c101_header_and_first_customer() -> None:
    inst = read_solomon(solomon_path("c101"))
    assert (inst.name, inst.vehicles, inst.capacity, inst.customers) == ("C101", 25, 200, 100)
    assert inst.xy[0] == (40.0, 50.0) and inst.due[0] == 1236
    assert (inst.xy[1], inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (
        (45.0, 68.0),
        10,
        912,
        967,
        90,
    )


@needs_data
def test_every_solomon_instance_parses_and_has_a_bks() -> None:
    names = solomon_names()
    bks = read_solomon_bks()
    assert len(names) == 56 and set(names) == set(bks)
    for name in names:
        inst = read_solomon(solomon_path(name))
        assert inst.customers == 100
        assert all(r <= d for r, d in zip(inst.ready, inst.due, strict=True))
        assert bks[name][1] > 0


@needs_data
def test_solomon_problem_scales_distances_and_times() -> None:
    inst = read_solomon(solomon_path("R101"))
    problem = solomon_problem(inst)
    assert problem.distance[0, 1] == round(((35 - 41) ** 2 + (35 - 49) ** 2) ** 0.5 * 1000)
    assert np.array_equal(problem.distance, problem.distance.T)
    c = problem.clients[0]
    assert (c.tw_early, c.tw_late, c.service_duration, c.delivery) == (
        161_000,
        171_000,
        10_000,
        (10,),
    )
    assert problem.vehicle_types[0].num_available == 25


def forward_route(problem: Problem, visits: list[Visit]) -> Tour:
    """The earliest schedule of a visit order (no waiting beyond windows)."""
    t, loc, times = problem.depots[0].tw_early, problem.depots[0].location, []
    for v in visits:
        where = visit_location(problem, v)
        if v.kind == "client":
            early, service = (
                problem.clients[v.index].tw_early,
                problem.clients[v.index].service_duration,
            )
        else:
            s = problem.shipments[v.index]
            stop = s.pickup if v.kind == "pickup" else s.delivery
            early, service = stop.tw_early, stop.service_duration
        t = max(t + int(problem.duration[loc, where]), early)
        times.append(t)
        t, loc = t + service, where
    end = t + int(problem.duration[loc, problem.depots[0].location])
    dist = route_distance(problem, 0, visits)
    return Tour(
        0,
        tuple(visits),
        tuple(times),
        problem.depots[0].tw_early,
        end,
        dist,
        route_cost(problem, 0, dist, end - problem.depots[0].tw_early),
    )


# ----------------------------------------------------------------------------------- Li & Lim


@needs_data
def test_every_lilim_100_instance_pairs_its_requests() -> None:
    names = lilim_100_names()
    refs = read_lilim_reference()
    assert len(names) == 56 and set(names) <= set(refs)
    for name in names:
        inst = read_lilim(lilim_path(name))
        assert 2 * len(inst.pairs) == len(inst.xy) - 1
        for p, d in inst.pairs:
            assert inst.demand[p] == -inst.demand[d] >= 0


def read_sintef_routes(path: Path) -> list[list[int]]:
    routes = []
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
    return routes


@needs_data
def test_published_lilim_solutions_pass_the_checker_at_their_distance() -> None:
    """The parser, the conversion and the checker agree with all 56 published BKS routes."""
    files = sorted((ROOT / "li_lim" / "bks_solutions_100").glob("*.txt"))
    assert len(files) == 56
    for sol in files:
        check_published(sol)


def check_published(sol: Path) -> None:
    inst = read_lilim(lilim_path(sol.name.split(".")[0]))
    problem = lilim_problem(inst)
    visit_of = {}
    for j, (p, d) in enumerate(inst.pairs):
        visit_of[p], visit_of[d] = Visit("pickup", j), Visit("delivery", j)
    routes = tuple(
        forward_route(problem, [visit_of[n] for n in nodes]) for nodes in read_sintef_routes(sol)
    )
    result = Solution(
        routes,
        (),
        sum(r.cost for r in routes),
        sum(r.distance for r in routes),
        True,
        "published",
        0,
    )
    assert check_solution(problem, result).ok, (
        sol.name,
        check_solution(problem, result).violations,
    )
    published = float(sol.stem.split("_")[-1])
    assert exact_distance(problem, result, inst.xy) == pytest.approx(published, abs=0.01)
    assert len(routes) == int(sol.stem.split(".")[1].split("_")[0])


# ------------------------------------------------------------------------------------- SBRP


@needs_data
def test_sbrp_instances_match_the_published_table() -> None:
    refs = read_sbrp_bks()
    names = sbrp_names()
    assert len(names) == 24
    with (ROOT / "sbrp_park_tae_kim" / "bks.csv").open() as fh:
        table = {row["instance"]: row for row in csv.DictReader(fh)}
    for name, row in table.items():
        inst = read_sbrp(sbrp_path(name))
        assert len(inst.schools) == int(row["schools"])
        assert len(inst.stops) == int(row["stops"])
        assert sum(s.students for s in inst.stops) == int(row["students"])
        assert max(s.students for s in inst.stops) <= 66
    assert refs[("RSRB01", 2700)].buses_best == 31


def test_bell_times_are_hhmm() -> None:
    assert bell_s(810) == 8 * 3600 + 10 * 60
    assert bell_s(945) == 9 * 3600 + 45 * 60


@needs_data
def test_sbrp_school_problem_turns_the_ride_limit_into_windows() -> None:
    inst = read_sbrp(sbrp_path("RSRB01"))
    stops = [i for i, s in enumerate(inst.stops) if s.school_id == inst.schools[0].school_id]
    problem = school_problem(inst, 0, stops, max_ride_s=2700, route_cost=1000)
    horizon = problem.depots[1].tw_late
    for k, c in enumerate(problem.clients):
        assert c.tw_early + c.service_duration == horizon - 27_000
        assert c.pickup == (inst.stops[stops[k]].students,)
    # a route through every stop in file order would break the ride limit; one stop never does
    service, ride = route_times(inst, 0, stops[:1])
    assert ride < 2700 and service > ride


@needs_data
def test_two_routes_share_a_bus_only_when_the_bells_allow() -> None:
    inst = read_sbrp(sbrp_path("RSRB01"))
    by_bell = sorted(range(len(inst.schools)), key=lambda k: inst.schools[k].am_early_hhmm)
    early, late = by_bell[0], by_bell[-1]
    first = next(i for i, s in enumerate(inst.stops) if s.school_id == inst.schools[late].school_id)
    route_late = SchoolRoute(late, (first,), *route_times(inst, late, (first,)))
    other = next(
        i for i, s in enumerate(inst.stops) if s.school_id == inst.schools[early].school_id
    )
    route_early = SchoolRoute(early, (other,), *route_times(inst, early, (other,)))
    assert min_buses(inst, [route_early, route_late]) == 1  # hours apart: one bus runs both
    twin = SchoolRoute(late, (first,), route_late.service_s, route_late.max_ride_s)
    assert min_buses(inst, [route_late, twin]) == 2  # same bell: two buses


# ---------------------------------------------------------------------------- malformed files


def test_malformed_solomon_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "X1.txt"
    bad.write_text(
        "X1\n\nVEHICLE\nNUMBER CAPACITY\n 25 200\n\nCUSTOMER\nCUST NO.\n"
        " 0 40 50 0 0 1236 0\n 1 45 68 ten 912 967 90\n"
    )
    with pytest.raises(InstanceError, match=r"X1.txt:10: not a number") as err:
        read_solomon(bad)
    assert err.value.line == 10


def test_lilim_with_a_broken_pair_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "l1.txt"
    bad.write_text(
        "2\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n1\t1\t1\t5\t0\t50\t1\t0\t2\n"
        "2\t2\t2\t-5\t0\t50\t1\t0\t0\n"
    )
    with pytest.raises(InstanceError, match="does not point to 1"):
        read_lilim(bad)


def test_sbrp_stop_for_an_unknown_school_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "Schools.txt").write_text("ID\tX\tY\tAMEARLY\tAMLATE\n1\t0\t0\t810\t820\n")
    (tmp_path / "Stops.txt").write_text(
        "ID\tX_COORD\tY_COORD\tEP_ID\tSTUDENT_COUNT\n7\t1\t1\t2\t5\n"
    )
    with pytest.raises(InstanceError, match=r"Stops.txt:2: unknown school 2"):
        read_sbrp(tmp_path)


def test_missing_file_is_an_instance_error(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="cannot read"):
        read_solomon(tmp_path / "nope.txt")


def tiny_sbrp() -> SbrpInstance:
    schools = (SbrpSchool("A", 0, 0, 700, 710), SbrpSchool("B", 20_000, 0, 830, 840))
    stops = tuple(
        SbrpStop(f"s{i}", x, y, school, n)
        for i, (x, y, school, n) in enumerate(
            [
                (5000, 0, "A", 30),
                (0, 6000, "A", 30),
                (4000, 4000, "A", 20),
                (25_000, 0, "B", 40),
                (20_000, 8000, "B", 30),
                (15_000, 3000, "B", 10),
            ]
        )
    )
    return SbrpInstance("TINY", schools, stops)


@pytest.mark.parametrize("max_ride", [900.0, 2700.0])
def test_sbrp_solve_instance_respects_rides_and_chains_buses(max_ride: float) -> None:
    inst = tiny_sbrp()
    out = solve_instance(
        inst, max_ride_s=max_ride, time_limit_s=0, workers=1, iterations=200, select_rounds=3
    )
    assert out["checker_ok"]
    assert out["max_ride_s"] <= max_ride
    # 80 students for A and 80 for B need two routes each; A's bell is 90 min before B's,
    # so the buses that ran A's routes can run B's
    assert out["routes"] >= 4
    assert out["buses"] == out["routes"] // 2


def test_sbrp_routes_can_start_at_an_earlier_school() -> None:
    inst = tiny_sbrp()
    assert previous_school(inst, 1) == 0 and previous_school(inst, 0) is None
    problem = school_problem(inst, 1, [3, 4, 5], max_ride_s=2700, route_cost=10, start_from=0)
    assert problem.distance[0, 2] > 0  # leaving school A for the first stop takes time
    free = school_problem(inst, 1, [3, 4, 5], max_ride_s=2700, route_cost=10)
    assert free.distance[0, 2] == 0


def test_instance_names_read_commas_repeats_and_trailing_names() -> None:
    assert _names(None) is None
    assert _names(["all"]) is None
    assert _names(["R101, C101"]) == ["R101", "C101"]
    assert _names(["R101"], ["C101", "RC201"]) == ["R101", "C101", "RC201"]
    assert _names(["R101", "C101"]) == ["R101", "C101"]
