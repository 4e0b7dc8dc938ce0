"""`sendplan bench transport --baseline pyvrp / --anytime`: the plain-PyVRP baseline sees the
same rules as sendplan (the independent checker passes both plans and fails a broken one), the
option parsers, and determinism under an iteration limit."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.cli_bench_fidelity import parse_seeds
from sendplan.api.cli_bench_transport import parse_time_limits
from sendplan.api.defaults import leicester_scenario
from sendplan.bench.generated import concentrate
from sendplan.bench.pyvrp_baseline import plan_baseline, school_case, school_problem
from sendplan.bench.transport_compare import (
    TARGET_MEAN_RATIO,
    compare_seed,
    ratio_without_solo,
    solo_cost_gbp,
)
from sendplan.errors import InputError
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.solve import solve
from sendplan.routing.transport.check import check_transport, limit_min
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.plan import RouteFlag, Session, TransportPlan
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.transport.rules import boarding_s, max_ride_s
from sendplan.routing.travel import straight_line_model
from sendplan.routing.vrp.stop import MaxIterations

RUNNER = CliRunner()
ITERATIONS = 60
CHILDREN = 90


@dataclass(frozen=True)
class Solved:
    scenario: Scenario
    school_of: dict[str, str | None]
    travel: TravelModel
    sendplan: TransportPlan
    baseline: TransportPlan


def _solved(session: Session, seed: int = 4) -> Solved:
    scenario = leicester_scenario(seed=seed, n_children=CHILDREN)
    result = solve(scenario, sessions=(session,), stop=MaxIterations(ITERATIONS), seed=seed,
                   placement="auto", workers=1, status_quo=False)  # fmt: skip
    assert result.travel is not None
    school_of = school_of_children(result.scenario, result.placement)
    base = plan_baseline(result.scenario, school_of, result.travel, session=session,
                         stop=MaxIterations(ITERATIONS), seed=seed, workers=1)  # fmt: skip
    return Solved(result.scenario, school_of, result.travel, result.transport[0], base)


@pytest.fixture(scope="module", params=["am", "pm"])
def solved(request: pytest.FixtureRequest) -> Solved:
    return _solved(request.param)


def test_the_checker_passes_both_plans(solved: Solved) -> None:
    for plan in (solved.sendplan, solved.baseline):
        verdict = check_transport(solved.scenario, solved.school_of, solved.travel, plan)
        assert verdict.ok, (plan.engine, verdict.violations[:5])
    # The same children: every transported child is on a route in both plans.
    assert solved.baseline.transported == solved.sendplan.transported
    assert {u.child_id for u in solved.baseline.unrouted} == {
        u.child_id for u in solved.sendplan.unrouted
    }
    assert len(solved.baseline.routes) > 1 and solved.baseline.engine == "pyvrp-baseline"


def test_baseline_rides_are_within_limits_and_travel_alone_rides_alone(solved: Solved) -> None:
    children = {c.child_id: c for c in solved.scenario.children}
    policy = solved.scenario.policy
    for route in solved.baseline.routes:
        kids = [children[i] for i in route.child_ids]
        if any(c.travel_alone for c in kids):
            assert len(kids) == 1 and "travel_alone" in route.flags
        if any(c.needs_assistant for c in kids):
            assert route.assistant
        for stop, child in zip(route.stops, kids, strict=True):
            if not route.flags:
                assert stop.ride_min <= limit_min(child, policy) + 1e-6


def test_a_baseline_plan_breaking_a_ride_limit_fails_the_checker(solved: Solved) -> None:
    children = {c.child_id: c for c in solved.scenario.children}
    policy = solved.scenario.policy
    am = solved.baseline.session == "am"
    k, route = next((k, r) for k, r in enumerate(solved.baseline.routes) if not r.solo)
    child = children[route.stops[0].child_id]
    # Push the first stop one minute past the child's limit: earlier pick-up in the morning
    # (the vehicle leaving its depot earlier too), later drop-off in the afternoon.
    extra = limit_min(child, policy) - route.stops[0].ride_min + 1.0
    first = route.stops[0]
    moved = replace(
        first,
        time_min=first.time_min - extra if am else first.time_min + extra,
        ride_min=first.ride_min + extra,
    )
    if am:
        broken = replace(route, stops=(moved, *route.stops[1:]), start_min=route.start_min - extra)
    else:  # a single drop-off is enough: later stops are pushed later by the same minute
        later = tuple(replace(s, time_min=s.time_min + extra, ride_min=s.ride_min + extra)
                      for s in route.stops[1:])  # fmt: skip
        broken = replace(route, stops=(moved, *later), end_min=route.end_min + extra)
    routes = list(solved.baseline.routes)
    routes[k] = broken
    plan = replace(solved.baseline, routes=tuple(routes))
    verdict = check_transport(solved.scenario, solved.school_of, solved.travel, plan)
    assert not verdict.ok
    assert child.child_id in verdict.rides_over_limit
    assert any("exceeds limit" in v and child.child_id in v for v in verdict.violations)


def test_solo_runs_are_the_same_on_both_sides() -> None:
    # Solo runs are forced by the rules, so ``ratio_without_solo`` may leave them out of both.
    scenario = leicester_scenario(seed=4, n_children=CHILDREN)
    alone = {c.child_id for c in scenario.children[::5]}  # eligibility is decided in solve
    children = tuple(
        replace(c, travel_alone=True) if c.child_id in alone else c for c in scenario.children
    )
    scenario = replace(scenario, children=children)
    for session in ("am", "pm"):
        result = solve(scenario, sessions=(session,), stop=MaxIterations(ITERATIONS), seed=4,
                       placement="auto", workers=1, status_quo=False)  # fmt: skip
        assert result.travel is not None
        school_of = school_of_children(result.scenario, result.placement)
        base = plan_baseline(result.scenario, school_of, result.travel, session=session,
                             stop=MaxIterations(ITERATIONS), seed=4, workers=1)  # fmt: skip
        ours = result.transport[0]

        def solo(plan: TransportPlan) -> list[tuple[tuple[str, ...], str, float]]:
            return sorted((r.child_ids, r.vehicle_type, round(r.cost_gbp, 6))
                          for r in plan.routes if r.solo)  # fmt: skip

        assert len(solo(ours)) >= len(alone & set(school_of)) > 0
        assert solo(ours) == solo(base)
        assert solo_cost_gbp(base) > 0
        assert solo_cost_gbp(ours) == pytest.approx(solo_cost_gbp(base))


def test_never_together_runs_stay_among_the_runs_compared(solved: Solved) -> None:
    # Which child leaves a shared run for a never-together pair is the planner's choice.
    plan = solved.baseline
    k, route = next((k, r) for k, r in enumerate(plan.routes) if not r.solo)
    for flag, counted in ((RouteFlag.NEVER_TOGETHER, False), (RouteFlag.TRAVEL_ALONE, True)):
        routes = list(plan.routes)
        routes[k] = replace(route, solo=True, flags=(flag,))
        flagged = replace(plan, routes=tuple(routes))
        extra = route.cost_gbp if counted else 0.0
        assert solo_cost_gbp(flagged) == pytest.approx(solo_cost_gbp(plan) + extra)


def test_ratio_without_solo_compares_the_rest() -> None:
    shared, needed = ratio_without_solo(100.0, 40.0, 110.0, 40.0)
    assert shared == pytest.approx(60 / 70)
    assert needed == pytest.approx((TARGET_MEAN_RATIO * 110 - 40) / 70)
    assert ratio_without_solo(50.0, 50.0, 50.0, 50.0) == (None, None)  # nothing to change


@given(solo=st.floats(0, 1e4), rest=st.floats(1, 1e4), shared_ratio=st.floats(0.5, 1.5))
def test_the_needed_ratio_without_solo_gives_the_target_ratio(
    solo: float, rest: float, shared_ratio: float
) -> None:
    base = solo + rest
    _, needed = ratio_without_solo(solo + shared_ratio * rest, solo, base, solo)
    assert needed is not None
    # A plan whose changeable runs reach exactly the needed ratio meets the target exactly,
    # and one a hair above it misses.
    at = solo + needed * rest
    assert at / base == pytest.approx(TARGET_MEAN_RATIO, rel=1e-9)
    assert (at + 1e-6 * base) / base > TARGET_MEAN_RATIO


def test_time_windows_state_the_ride_limits() -> None:
    scenario = leicester_scenario(seed=5, n_children=40)
    counts = Counter(c.current_school for c in scenario.children if c.current_school)
    school_id = counts.most_common(1)[0][0]
    kids = [c for c in scenario.children if c.current_school == school_id][:6]
    school = next(s for s in scenario.schools if s.school_id == school_id)
    fleet = vehicle_kinds(scenario.fleet)
    travel = straight_line_model(scenario)
    for session in ("am", "pm"):
        case = school_case(school, kids, fleet, travel, session=session, policy=scenario.policy)
        shared = [i for i, c in enumerate(kids) if case.direct_s(i) <= max_ride_s(c, case.policy)]
        problem = school_problem(case, shared, fleet, [v.available for v in fleet])
        for client, i in zip(problem.clients, shared, strict=True):
            limit = max_ride_s(kids[i], case.policy)
            board = boarding_s(kids[i], case.policy)
            if session == "am":  # boarding done by A - ride, ride at most the limit
                assert client.tw_early == case.school_s - limit - board
                assert client.tw_late == case.school_s - case.direct_s(i) - board
            else:
                assert (client.tw_early, client.tw_late) == (case.school_s, case.school_s + limit)
        assert problem.depots[0].tw_late == case.school_s


def test_same_seed_and_iterations_give_the_same_baseline_cost() -> None:
    first = compare_seed(leicester_scenario(seed=6, n_children=70), seed=6, iterations=40,
                         workers=1)  # fmt: skip
    again = compare_seed(leicester_scenario(seed=6, n_children=70), seed=6, iterations=40,
                         workers=1)  # fmt: skip
    assert first["baseline_cost_gbp"] == again["baseline_cost_gbp"] > 0
    assert first["sendplan_cost_gbp"] == again["sendplan_cost_gbp"] > 0
    assert first["ratio"] == again["ratio"]
    assert first["baseline"]["routes"] == again["baseline"]["routes"]


# ------------------------------------------------------------------------------- the options


def test_seeds_parse_ranges_and_single_seeds() -> None:
    assert parse_seeds("1-5") == [1, 2, 3, 4, 5]
    assert parse_seeds("3") == [3]
    assert parse_seeds("1-3,2,9") == [1, 2, 3, 9]


@pytest.mark.parametrize("text", ["5-1", "x", "1-", "-3", "", "1-5-7", "1.5"])
def test_bad_seeds_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_seeds(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "pyvrp", "--seeds", "5-1"], "'5-1' is not a range of seeds"),
        (["--baseline", "pyvrp", "--seeds", "one"], "is not a seed or a range"),
        (["--seeds", "1-5"], "needs --baseline"),
        (["--baseline", "ortools"], "is not one of pyvrp"),
        (["--anytime", "10,0"], "is not a number of seconds above 0"),
        (["--anytime", "5,ten"], "'ten' is not a number of seconds"),
        (["--anytime", "5", "--baseline", "pyvrp"], "excludes --baseline"),
        (["--anytime", "5", "--mixed-schools"], "excludes --anytime"),
        (["--lower-bound", "--mixed-schools"], "bounds single-school plans"),
        (["--lower-bound", "--anytime", "5"], "bounds single-school plans"),
        (["--lower-bound", "--bound-time-limit", "0"], "--bound-time-limit"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    outcome = RUNNER.invoke(app, ["bench", "transport", *args])
    assert outcome.exit_code == 2, outcome.output
    assert message in outcome.output and "Traceback" not in outcome.output


def test_anytime_limits_parse_sorted_and_once() -> None:
    assert parse_time_limits("5,10,30,60,120") == [5.0, 10.0, 30.0, 60.0, 120.0]
    assert parse_time_limits("30, 5,30") == [5.0, 30.0]
    assert parse_time_limits("0.5") == [0.5]


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "x", "", "5,,10", "1e9"])
def test_bad_anytime_limits_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_time_limits(text)


def test_cli_prints_the_ratios_for_each_seed() -> None:
    args = ["bench", "transport", "--baseline", "pyvrp", "--seeds", "3", "--generated", "50",
            "--iterations", "30"]  # fmt: skip
    outcome = RUNNER.invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    assert result["seeds"] == [3] and result["generated_children"] == 50
    (row,) = result["per_seed"]
    assert row["sendplan_checker_ok"] and row["baseline_checker_ok"]
    assert row["ratio"] == pytest.approx(row["sendplan_cost_gbp"] / row["baseline_cost_gbp"], 1e-3)
    assert result["mean_ratio"] == result["max_ratio"] == row["ratio"]
    assert result["target_met"] == (row["ratio"] <= 0.97)


def test_lower_bound_is_below_both_plans_and_gives_the_least_ratio() -> None:
    args = ["bench", "transport", "--baseline", "pyvrp", "--seeds", "3,4", "--generated", "50",
            "--iterations", "30", "--lower-bound", "--bound-time-limit", "60"]  # fmt: skip
    outcome = RUNNER.invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    for row in result["per_seed"]:
        bound = row["lower_bound"]
        # Converged: the bound is the programme's value, rounded down to the penny.
        assert bound["converged"] and 0 <= bound["lp_gbp"] - bound["bound_gbp"] <= 0.011
        assert 0 < bound["bound_gbp"] <= min(row["sendplan_cost_gbp"], row["baseline_cost_gbp"])
        # Each school's integer bound: at least its programme, together at most either plan
        # (not always above the whole session's programme, whose schools share the fleet).
        schools = row["school_bounds"]
        per = schools["per_school"]
        assert schools["bound_gbp"] == pytest.approx(sum(b["bound_gbp"] for b in per), abs=0.01)
        assert schools["schools"] == len(per) > 0 and schools["schools_exact"] == len(per)
        assert all(b["bound_gbp"] >= b["lp_gbp"] - 0.011 for b in per)
        assert schools["bound_gbp"] <= min(row["sendplan_cost_gbp"], row["baseline_cost_gbp"])
        assert row["best_bound_gbp"] == max(bound["bound_gbp"], schools["bound_gbp"])
        assert row["lowest_possible_ratio"] == pytest.approx(
            row["best_bound_gbp"] / row["baseline_cost_gbp"], abs=1e-4
        )
    least = sum(r["lowest_possible_ratio"] for r in result["per_seed"]) / 2
    assert result["lowest_possible_mean_ratio"] == pytest.approx(least, abs=1e-4)
    assert result["target_provably_out_of_reach"] == (least > 0.97)


def test_concentrate_moves_every_child_onto_k_real_sites() -> None:
    drawn = leicester_scenario(seed=2, n_children=120)
    moved = concentrate(drawn, schools=3)
    sites = {c.current_school for c in moved.children}
    assert len(sites) == 3 and sites <= {s.school_id for s in drawn.schools}
    assert all(c.transport_eligible for c in moved.children)
    # The rest of each child is the cohort's: home, needs, flags.
    for before, after in zip(drawn.children, moved.children, strict=True):
        assert replace(after, current_school=None, transport_eligible=None) == replace(
            before, current_school=None, transport_eligible=None
        )
        if before.current_school in sites:
            assert after.current_school == before.current_school
    with pytest.raises(ValueError, match="at least 1"):
        concentrate(drawn, schools=0)


def test_generated_schools_needs_generated() -> None:
    outcome = RUNNER.invoke(app, ["bench", "transport", "--generated-schools", "4"])
    assert outcome.exit_code == 2 and "needs --generated" in outcome.output


@pytest.mark.parametrize("mixed", [True, False])
def test_mixed_schools_lets_sendplan_merge_runs_and_the_baseline_still_plans_each_alone(
    mixed: bool,
) -> None:
    args = ["bench", "transport", "--baseline", "pyvrp", "--seeds", "2", "--generated", "80",
            "--generated-schools", "6", "--iterations", "30"]  # fmt: skip
    outcome = RUNNER.invoke(app, [*args, "--mixed-schools"] if mixed else args)
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    (row,) = result["per_seed"]
    assert result["mixed_school_routes"] is mixed
    assert row["sendplan_checker_ok"] and row["baseline_checker_ok"]
    assert (row["sendplan"]["mixed_school_routes"] > 0) is mixed
    assert row["baseline"]["mixed_school_routes"] == 0
