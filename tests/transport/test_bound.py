"""The session's lower bound: on tiny instances it equals the linear programme over every run,
enumerated here and solved by scipy; it never exceeds a plan; it refuses mixed runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytest
from bound_cases import every_run, two_school_cases, two_schools
from hypothesis import HealthCheck, settings
from ortools.linear_solver import pywraplp
from scipy.optimize import linprog
from transport_cases import (
    TRAVEL,
    child,
    fleet,
    plan,
    planned_and_checked,
    random_children,
    scenario,
    vehicle,
)

from sendplan.routing.model import Scenario
from sendplan.routing.transport import bound
from sendplan.routing.transport.bound import SLACK_S, UNCOVERED_GBP, SessionBound, session_bound
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.planner import school_of_children
from sendplan.routing.transport.rules import boarding_s, int_matrices
from sendplan.routing.vrp.mip import CoverError, CoverLP
from sendplan.routing.vrp.stop import MaxIterations


def brute_force_lp_gbp(sc: Scenario, session: Session) -> float:
    """The covering LP over every elementary run of every school and vehicle type (as
    ``every_run`` lists them), with each type's availability shared by all schools and an
    uncovered child at ``UNCOVERED_GBP``."""
    kids = list(sc.children)
    columns = every_run(sc, session)
    names = sorted({v.name for v in sc.fleet})
    n_cols = len(columns) + len(kids)
    costs = [c.cost_gbp for c in columns] + [UNCOVERED_GBP] * len(kids)
    a_ub = np.zeros((len(kids) + len(names), n_cols))
    for r, col in enumerate(columns):
        for i in col.members:
            a_ub[i, r] = -1.0
        a_ub[len(kids) + names.index(col.vehicle), r] = 1.0
    for i in range(len(kids)):
        a_ub[i, len(columns) + i] = -1.0
    b_ub = [-1.0] * len(kids) + [float(next(v.available for v in sc.fleet if v.name == n))
                                 for n in names]  # fmt: skip
    out = linprog(costs, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert out.status == 0
    return float(out.fun)


def bound_of(sc: Scenario, session: Session = "am", *, start: Sequence[Route] = ()) -> SessionBound:
    return session_bound(sc, school_of_children(sc, None), TRAVEL, session=session,
                         stop=MaxIterations(10_000), start=start, workers=1)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@two_school_cases
def test_converged_bound_equals_the_lp_over_every_run(
    n: int, seed: int, limit: float, session: Session, scarce: bool
) -> None:
    sc = two_schools(n, seed, limit, scarce)
    b = bound_of(sc, session)
    expected = brute_force_lp_gbp(sc, session)
    assert b.converged
    assert b.bound_gbp == pytest.approx(expected, abs=0.02)
    assert b.lp_gbp == pytest.approx(expected, abs=0.02)


def test_the_bound_never_exceeds_a_checked_plan_and_is_close_to_it() -> None:
    kids = random_children(30, 7, radius_km=6.0)
    sc = scenario(kids)
    p = plan(sc, iterations=300)
    b = bound_of(sc, start=p.routes)
    assert b.converged and b.bound_gbp is not None
    assert b.bound_gbp <= p.cost_gbp + 1e-6
    # A bound far below every plan would prove nothing: it is within a fifth of this one.
    assert b.bound_gbp >= 0.8 * p.cost_gbp
    # The start plan's runs change the path, not the converged value.
    assert bound_of(sc).lp_gbp == pytest.approx(b.lp_gbp, abs=0.02)


def test_runs_the_cheap_rounds_miss_are_found_by_the_exact_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cheap rounds that extend each path to its one nearest child only: the exact rounds must
    # find every other run, and the bound is still the LP over every run.
    monkeypatch.setattr(bound, "HEURISTIC_SUCCESSORS", 1)
    kids = random_children(6, 3, radius_km=4.0, flags=False)
    sc = scenario(kids, vehicles=(vehicle("minibus_8", 8, 0, False, 40.0, 2.4, 50),))
    b = bound_of(sc)
    assert b.exact_rounds >= 2
    assert b.bound_gbp == pytest.approx(brute_force_lp_gbp(sc, "am"), abs=0.02)


def test_mixed_school_policy_is_refused() -> None:
    sc = scenario(random_children(3, 1), mixed_school_routes=True)
    with pytest.raises(ValueError, match="single-school"):
        bound_of(sc)


def test_children_no_vehicle_suits_are_left_out_as_every_plan_leaves_them() -> None:
    kids = [child("C1", 1.0, 1.0, wheelchair=True), child("C2", -1.0, 2.0, wheelchair=True),
            child("C3", 2.0, 0.0)]  # fmt: skip
    sc = scenario(kids, vehicles=(vehicle("taxi", 4, 0, False, 18.0, 1.8, 5),))
    p = planned_and_checked(sc)
    assert len(p.unrouted) == 2
    b = bound_of(sc)
    assert b.bound_gbp == pytest.approx(
        brute_force_lp_gbp(replace(sc, children=(kids[2],)), "am"), abs=0.02
    )
    assert b.bound_gbp is not None and 0 < b.bound_gbp <= p.cost_gbp + 1e-6


@pytest.mark.parametrize("over_s", [SLACK_S - 10, SLACK_S + 10])
def test_rides_may_exceed_their_limit_by_the_slack_and_no_more(over_s: int) -> None:
    # A far out, B near school, on one line: only A-then-B can share (B's limit is tight), and
    # A's limit sits ``over_s`` below that shared ride; within the slack the pair shares.
    sc = scenario([child("A", 8.0, 0.0), child("B", 1.0, 0.0)])
    pts = np.array([(s.lon, s.lat) for s in (*sc.schools, *sc.children)])
    dur, _ = int_matrices(TRAVEL, pts)
    board = boarding_s(sc.children[1], sc.policy)
    shared_ride_s = int(dur[1, 2]) + board + int(dur[2, 0])
    limits = {"A": (shared_ride_s - over_s) / 60, "B": (int(dur[2, 0]) + 60) / 60}
    sc = scenario([replace(c, ride_limit_min=limits[c.child_id]) for c in sc.children])
    b = bound_of(sc)
    assert b.bound_gbp == pytest.approx(brute_force_lp_gbp(sc, "am"), abs=0.02)
    alone = sum(bound_of(scenario([c])).lp_gbp for c in sc.children)
    if over_s <= SLACK_S:
        assert b.bound_gbp < alone - 1.0  # sharing one taxi is cheaper than two
    else:
        assert b.bound_gbp == pytest.approx(alone, abs=0.02)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_bound_stopped_early_still_holds(seed: int) -> None:
    # One cheap round, then the exact one: not converged, but its Lagrangian bound holds.
    kids = random_children(12, seed, radius_km=5.0, flags=False)
    sc = scenario(kids, vehicles=(vehicle("minibus_8", 8, 0, False, 40.0, 2.4, 3), *fleet(50)[:4]))
    early = session_bound(sc, school_of_children(sc, None), TRAVEL, session="am",
                          stop=MaxIterations(1), workers=1)  # fmt: skip
    assert early.exact_rounds == 1 and early.bound_gbp is not None and early.bound_gbp >= 0
    assert early.bound_gbp <= bound_of(sc).lp_gbp + 0.02


def test_the_deduction_takes_the_tighter_of_its_two_caps() -> None:
    # 10 jobs; kinds short by 2.0 (at most 3 runs) and 0.5 (at most 10): 6 + 5 = 11 < 10 x 2.
    assert bound._deduction(10, [(2.0, 3), (0.5, 10)]) == pytest.approx(11.0)
    # Both kinds short by 2.0 with 10 runs each: the school's 10 jobs cap it at 20.
    assert bound._deduction(10, [(2.0, 10), (2.0, 10)]) == pytest.approx(20.0)
    assert bound._deduction(10, []) == 0.0


def test_a_programme_the_solver_gives_up_on_ends_the_search_with_the_bound_so_far(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GLOP may fail on a large programme (status ABNORMAL): the search stops there and keeps
    # what earlier rounds proved; a failure on the first solve is still an error.
    kids = random_children(12, 2, radius_km=5.0, flags=False)
    sc = scenario(kids, vehicles=(vehicle("minibus_8", 8, 0, False, 40.0, 2.4, 50),))
    full = bound_of(sc)
    assert full.converged and full.rounds >= 3
    real = CoverLP.solve
    calls = {"n": 0}

    def failing_after(limit: int) -> Callable[[CoverLP], object]:
        def solve(self: CoverLP) -> object:
            calls["n"] += 1
            if calls["n"] > limit:
                raise CoverError("GLOP returned status 4")
            return real(self)

        return solve

    monkeypatch.setattr(CoverLP, "solve", failing_after(full.rounds - 1))
    cut = bound_of(sc)
    assert not cut.converged and cut.rounds == full.rounds - 1
    assert cut.bound_gbp is None or cut.bound_gbp <= full.lp_gbp + 0.01
    calls["n"] = 0
    monkeypatch.setattr(CoverLP, "solve", failing_after(0))
    with pytest.raises(CoverError):
        bound_of(sc)


class _GivesUp:
    """GLOP as CoverLP drives it, except that its first ``times`` solves give up (ABNORMAL);
    it counts the solves asked to start from scratch."""

    def __init__(self, solver: pywraplp.Solver, times: int) -> None:
        self._solver, self._times, self.from_scratch = solver, times, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._solver, name)

    def Solve(self, params: pywraplp.MPSolverParameters | None = None) -> int:
        off = pywraplp.MPSolverParameters.INCREMENTALITY_OFF
        if params is not None:
            incremental = params.GetIntegerParam(pywraplp.MPSolverParameters.INCREMENTALITY)
            self.from_scratch += incremental == off
        if self._times:
            self._times -= 1
            return int(pywraplp.Solver.ABNORMAL)
        return int(self._solver.Solve() if params is None else self._solver.Solve(params))


@pytest.mark.parametrize("failures", [1, 2])
def test_a_programme_glop_gives_up_on_is_solved_once_more_from_scratch(failures: int) -> None:
    def two_runs() -> CoverLP:
        lp = CoverLP(n_items=2, limits=[1.0], uncovered_cost=100.0)
        lp.add_column(3.0, [0, 1], 0)
        lp.add_column(2.0, [0], 0)
        return lp

    value, items, groups = two_runs().solve()
    assert value == pytest.approx(3.0)
    lp = two_runs()
    flaky = _GivesUp(lp._solver, failures)
    lp._solver = flaky  # type: ignore[assignment]
    if failures == 2:
        with pytest.raises(CoverError, match="status"):
            lp.solve()
    else:
        again = lp.solve()
        assert again[0] == pytest.approx(value)
        assert np.allclose(again[1], items) and np.allclose(again[2], groups)
    assert flaky.from_scratch == 1
