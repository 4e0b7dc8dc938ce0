"""A lower bound on the cost of any plan of one session's single-school runs (issue 17).

The bound is the linear relaxation of choosing runs, solved by column generation: a covering
programme over runs (every child's job covered, at most ``available`` vehicles of each type, one
run each, over all schools together) whose new runs come from a labelling search per school and
vehicle kind (``labels.cheapest_runs``; an exact one drops each path that
``labels.least_completions`` shows cannot close below zero). Each exact search proves the least
reduced cost of any run when it is negative, so the Lagrangian bound
``value + Σ_school jobs × min(0, least reduced cost)`` holds at every exact round (tightened
per vehicle kind: a kind's runs at a school are at most its jobs there and its type's
vehicles); when an exact round finds no negative run it is the programme's value.

It is a relaxation of the planners' rules, so it bounds every plan they (or anyone) may make:
- runs may repeat a child outside the child's ``ng`` nearest neighbours (ng-routes), and a
  child may be covered more than once;
- never-together pairs are not enforced;
- every ride may run ``SLACK_S`` over its limit: the checker measures rides on the travel
  model's own times, where the planners' matrices round each leg up to a whole second.
Kept: seats and wheelchair spaces, assistant skills, sibling jobs, travel-alone children and
children whose direct ride breaks their limit alone, each run's cost as the plan counts it
(fixed cost and every kilometre from depot to depot), and the fleet's availability. It bounds
plans that route every child some vehicle type suits (children none suits are left out, as
every plan leaves them; leaving another child out costs ``UNCOVERED_GBP``). Runs that
mix schools are not in it, so it does not bound a plan under ``mixed_school_routes``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Child, Scenario, VehicleType
from sendplan.routing.transport.labels import cheapest_runs, least_completions
from sendplan.routing.transport.layouts import vehicle_kinds
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.school_instance import (
    SchoolInstance,
    instance_for,
    run_cost_gbp,
)
from sendplan.routing.transport.solo import solo_flags
from sendplan.routing.vrp.mip import CoverError, CoverLP
from sendplan.routing.vrp.stop import StopCriterion, now

log = logging.getLogger(__name__)

SLACK_S = 20
NG_SIZE = 8
HEURISTIC_SUCCESSORS = 10  # a heuristic round extends each path to its 10 nearest children only
HEURISTIC_LABELS = 300_000
EXACT_LABELS = 3_000_000
RUNS_PER_SEARCH = 30
UNCOVERED_GBP = 1_000.0  # dearer than any run; any value keeps the relaxation valid
_NO_COMPLETIONS = np.zeros((1, 1, 1))


@dataclass(frozen=True)
class SessionBound:
    """``bound_gbp``: proven lower bound on the session's cost (None when no exact round
    finished); ``lp_gbp``: the covering programme's last value (the bound itself when
    ``converged``)."""

    session: Session
    bound_gbp: float | None
    lp_gbp: float
    converged: bool
    rounds: int
    exact_rounds: int
    columns: int
    labels: int
    seconds: float


@dataclass(frozen=True)
class _Search:
    """One school's labelling data for one vehicle kind; node j ≥ 1 is job ``jobs[j - 1]``."""

    school: str
    kind: int
    jobs: tuple[int, ...]
    forwards: bool  # paths in driving order (afternoon) or reversed (morning)
    dur_s: NDArray[np.int64]
    cost: NDArray[np.float64]
    service_s: NDArray[np.int64]
    limit_s: NDArray[np.int64]
    seats: NDArray[np.int64]
    chairs: NDArray[np.int64]
    inner_gbp: NDArray[np.float64]
    closing_gbp: NDArray[np.float64]
    ng: NDArray[np.uint64]
    successors: NDArray[np.int64]

    def completions(
        self, v: VehicleType, node_cost: NDArray[np.float64], closing: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """``labels.least_completions`` of these runs on ``v`` at these reduced costs."""
        return least_completions(self.dur_s, self.cost, self.service_s, self.limit_s, self.seats,
                                 self.chairs, node_cost, closing, v.seats,
                                 v.wheelchair_spaces)  # fmt: skip


@dataclass
class Programme:
    """The covering programme of some schools' runs, its columns and its pricing searches."""

    insts: dict[str, SchoolInstance]
    kinds: Sequence[VehicleType]
    names: list[str]
    available: dict[str, int]
    row: dict[tuple[str, int], int]
    lp: CoverLP
    searches: list[_Search]
    eligible: dict[str, int]
    seen: set[tuple[str, int, tuple[int, ...]]]
    session: Session

    def add(self, s: str, kind: int, order: Sequence[int]) -> bool:
        """Add the run (a column) unless it is in already; whether it was added."""
        key = (s, kind, tuple(order))
        if key in self.seen:
            return False
        self.seen.add(key)
        inst, v = self.insts[s], self.kinds[kind]
        cost = run_cost_gbp(inst, self.session, v, order)
        self.lp.add_column(cost, [self.row[(s, k)] for k in order], self.names.index(v.name))
        return True


@dataclass(frozen=True)
class Generated:
    """Where a column generation stopped: the programme's value and duals, the proven bound
    (None before a complete exact round) and whether the value is the programme's optimum."""

    value: float
    duals: NDArray[np.float64]
    limits: NDArray[np.float64]
    bound: float | None
    converged: bool
    rounds: int
    exact_rounds: int
    labels: int


def session_bound(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    start: Sequence[Route] = (),
    workers: int = 2,
) -> SessionBound:
    """The bound on ``session``'s cost for the children in ``school_of`` (their schools).

    ``start`` seeds the programme with a plan's runs (any single-school runs of these
    children). Cheap rounds (each path extended to its nearest children only) run until they
    find nothing, then an exact one, and so on; ``stop`` is checked after every round (the
    programme's value is its cost), and when it says stop an exact round ends the search, so a
    bound comes back unless an exact search runs out of labels.
    """
    t0 = now()
    prog = programme(scenario, school_of, travel, session=session, start=start)
    out = generate(prog, stop=stop, t0=t0, workers=workers)
    return SessionBound(
        session=session,
        bound_gbp=None if out.bound is None else math.floor(out.bound * 100) / 100,
        lp_gbp=round(out.value, 2),
        converged=out.converged,
        rounds=out.rounds,
        exact_rounds=out.exact_rounds,
        columns=prog.lp.n_columns,
        labels=out.labels,
        seconds=round(now() - t0, 2),
    )


def programme(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    *,
    session: Session,
    start: Sequence[Route] = (),
) -> Programme:
    """The covering programme of the children in ``school_of``, seeded with every job alone
    on each vehicle kind that suits it and with ``start``'s runs."""
    if scenario.policy.mixed_school_routes:
        raise ValueError("the bound covers single-school runs only: mixed_school_routes is on")
    policy = scenario.policy
    kinds = vehicle_kinds(scenario.fleet)
    children = {c.child_id: c for c in scenario.children}
    schools = {s.school_id: s for s in scenario.schools}
    by_school: dict[str, list[Child]] = {}
    for child_id, school_id in sorted(school_of.items()):
        if school_id is not None:
            by_school.setdefault(school_id, []).append(children[child_id])
    insts = {
        s: instance_for(schools[s], kids, kinds, travel, session=session, policy=policy)
        for s, kids in sorted(by_school.items())
    }
    row: dict[tuple[str, int], int] = {}
    alone: set[tuple[str, int]] = set()
    for s, inst in insts.items():
        for k, job in enumerate(inst.jobs):
            if not any(job.suits(v) for v in kinds):
                continue  # no plan can route them: they are left out of the bound
            row[(s, k)] = len(row)
            if solo_flags(inst, session, k):
                alone.add((s, k))
    names = sorted({v.name for v in kinds})
    available = {v.name: v.available for v in kinds}
    lp = CoverLP(
        n_items=len(row), limits=[available[n] for n in names], uncovered_cost=UNCOVERED_GBP
    )
    searches = [
        search
        for s, inst in insts.items()
        for i in range(len(kinds))
        if (search := _search(s, inst, i, kinds[i], session, alone)) is not None
    ]
    eligible = {s: sum(1 for k in range(len(i.jobs)) if (s, k) in row and (s, k) not in alone)
                for s, i in insts.items()}  # fmt: skip
    prog = Programme(insts, kinds, names, available, row, lp, searches, eligible, set(), session)
    for s, inst in insts.items():
        for k, job in enumerate(inst.jobs):
            for i, v in enumerate(kinds):
                if job.suits(v):
                    prog.add(s, i, [k])
    _add_start(start, insts, kinds, prog.add)
    return prog


def generate(prog: Programme, *, stop: StopCriterion, t0: float, workers: int = 2) -> Generated:
    """Column generation on ``prog`` until an exact round finds no run of negative reduced
    cost, or ``stop`` says stop (then an exact round ends it)."""
    kinds, available, searches = prog.kinds, prog.available, prog.searches
    check = stop.start(t0)
    rounds = exact_rounds = labels = 0
    bound: float | None = None
    exact = converged = False
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:

        def price(
            exact: bool, duals: NDArray[np.float64], limits: NDArray[np.float64]
        ) -> tuple[int, bool, float]:
            """Run every search at these duals and add its runs: (added, complete, deduction)."""
            nonlocal labels
            found = pool.map(_price, searches, repeat(exact), repeat(duals), repeat(limits),
                             repeat(prog.row), repeat(prog.names), repeat(kinds))  # fmt: skip
            added, complete = 0, True
            shortfall: dict[str, list[tuple[float, int]]] = {}
            for sr, (done, lowest, made, runs) in zip(searches, found, strict=True):
                labels += made
                complete = complete and done
                most = min(len(sr.jobs), available[kinds[sr.kind].name])
                shortfall.setdefault(sr.school, []).append((max(0.0, -lowest), most))
                added += sum(prog.add(sr.school, sr.kind, order) for order in runs)
            deduction = sum(_deduction(prog.eligible[s], gaps) for s, gaps in shortfall.items())
            return added, complete, deduction

        while True:
            try:
                value, duals, limits = prog.lp.solve()
            except CoverError:
                if not rounds:
                    raise
                # GLOP gave up on a large programme: the last round's bound still holds.
                log.warning("the covering programme failed after %d rounds; stopping", rounds)
                break
            rounds += 1
            if exact:
                exact_rounds += 1
                added, complete, deduction = price(True, duals, limits)
                log.debug("bound round %d (exact): value %.2f, %d added", rounds, value, added)
                if complete:
                    # Costs are never negative, so 0 is a bound too.
                    bound = max(value - deduction, 0.0, 0.0 if bound is None else bound)
                    if added == 0:
                        converged = True
                        break
                if check(value):
                    break
                exact = False  # cheap rounds again, until they find nothing
                continue
            added = price(False, duals, limits)[0]
            log.debug("bound round %d: value %.2f, %d added", rounds, value, added)
            if added == 0 or check(value):
                exact = True
    return Generated(value, duals, limits, bound, converged, rounds, exact_rounds, labels)


def _deduction(n_jobs: int, gaps: Sequence[tuple[float, int]]) -> float:
    """How far a school's runs may still undercut the programme: each kind's reduced-cost
    shortfall times the most runs of that kind (its jobs, or its type's vehicles), but never
    more than the school's jobs times its worst shortfall (every run holds a job)."""
    worst = max((gap for gap, _ in gaps), default=0.0)
    return min(n_jobs * worst, sum(gap * most for gap, most in gaps))


def _add_start(
    start: Sequence[Route],
    insts: Mapping[str, SchoolInstance],
    kinds: Sequence[VehicleType],
    add: Callable[[str, int, Sequence[int]], bool],
) -> None:
    """The start plan's runs as columns (runs of other schools, or mixed, are skipped)."""
    job_of = {
        c.child_id: (s, k)
        for s, inst in insts.items()
        for k, job in enumerate(inst.jobs)
        for c in job.kids
    }
    kind_of = {(v.name, v.seats, v.wheelchair_spaces): i for i, v in enumerate(kinds)}
    for route in start:
        order: list[int] = []
        for stop in route.stops:
            s, k = job_of.get(stop.child_id, (None, -1))
            if s != route.school_id:
                break
            if k not in order:
                order.append(k)
        else:
            fitting = [i for (name, _, _), i in kind_of.items() if name == route.vehicle_type]
            for i in fitting:
                if all(insts[route.school_id].jobs[k].suits(kinds[i]) for k in order):
                    add(route.school_id, i, order)
                    break


def _search(
    s: str,
    inst: SchoolInstance,
    kind: int,
    v: VehicleType,
    session: Session,
    alone: set[tuple[str, int]],
) -> _Search | None:
    """The labelling data of school ``s`` for kind ``v`` (None: no job may share its runs)."""
    jobs = tuple(k for k, job in enumerate(inst.jobs) if (s, k) not in alone and job.suits(v))
    if not jobs:
        return None
    locs = np.array([0, *(inst.loc(k) for k in jobs)])
    # Paths leave the school: the morning is searched backwards (on the transposed matrices).
    dur = inst.dur[np.ix_(locs, locs)]
    dist = inst.dist[np.ix_(locs, locs)]
    if session == "am":
        dur, dist = dur.T, dist.T
    per_m = v.cost_per_km_gbp / 1000.0
    depot = inst.depot_index[v.name]
    if session == "am":
        closing_m = inst.dist[depot, locs] + inst.dist[0, depot]
    else:
        closing_m = inst.dist[locs, depot] + inst.dist[depot, 0]
    closing = v.fixed_cost_gbp + per_m * closing_m.astype(np.float64)
    closing[0] = np.inf
    n1 = len(locs)
    order = np.argsort(dur, axis=1, kind="stable")
    successors = np.full((n1, n1 - 1), -1, dtype=np.int64)
    ng = np.zeros((n1, (n1 + 63) // 64), dtype=np.uint64)
    for a in range(n1):
        near = [int(b) for b in order[a] if b not in (0, a)]
        successors[a, : len(near)] = near
        if a:
            for b in [*near[:NG_SIZE], a]:
                ng[a, b // 64] |= np.uint64(1) << np.uint64(b % 64)
    return _Search(
        school=s,
        kind=kind,
        jobs=jobs,
        forwards=session == "pm",
        dur_s=np.ascontiguousarray(dur, dtype=np.int64),
        cost=np.ascontiguousarray(per_m * dist.astype(np.float64)),
        service_s=np.array([0, *(inst.jobs[k].service_s for k in jobs)], dtype=np.int64),
        limit_s=np.array([0, *(inst.jobs[k].limit_s + SLACK_S for k in jobs)], dtype=np.int64),
        seats=np.array([0, *(inst.jobs[k].seats for k in jobs)], dtype=np.int64),
        chairs=np.array([0, *(inst.jobs[k].chairs for k in jobs)], dtype=np.int64),
        inner_gbp=np.array([0.0, *(per_m * inst.jobs[k].inner_m for k in jobs)]),
        closing_gbp=closing,
        ng=ng,
        successors=successors,
    )


def _price(
    sr: _Search,
    exact: bool,
    duals: NDArray[np.float64],
    limits: NDArray[np.float64],
    row: Mapping[tuple[str, int], int],
    names: Sequence[str],
    kinds: Sequence[VehicleType],
) -> tuple[bool, float, int, list[list[int]]]:
    """One search at the programme's duals: (complete, least reduced cost, labels, runs)."""
    v = kinds[sr.kind]
    node_cost = sr.inner_gbp - np.array([0.0, *(duals[row[(sr.school, k)]] for k in sr.jobs)])
    closing = sr.closing_gbp - limits[names.index(v.name)]
    successors = sr.successors if exact else sr.successors[:, :HEURISTIC_SUCCESSORS].copy()
    # An exact search drops paths that cannot close below zero; a heuristic one is cut short
    # anyway, and the completions would cost it more than they save.
    completions = sr.completions(v, node_cost, closing) if exact else _NO_COMPLETIONS
    done, least, made, paths, _ = cheapest_runs(
        sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats, sr.chairs, node_cost, closing,
        v.seats, v.wheelchair_spaces, sr.ng, successors,
        EXACT_LABELS if exact else HEURISTIC_LABELS, RUNS_PER_SEARCH, completions, exact,
    )  # fmt: skip
    runs = [[sr.jobs[j - 1] for j in path if j > 0] for path in paths.tolist()]
    return bool(done), float(least), int(made), [r[::-1] for r in runs] if sr.forwards else runs
