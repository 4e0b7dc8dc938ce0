"""Integer lower bounds per school: the bound's relaxation solved whole, where it is small
enough to enumerate (issue 17, item 2).

Runs of different schools share nothing but the fleet, so dropping the fleet's sharing
(each school may use every vehicle) leaves one covering problem per school, and the sum of
their optima bounds any plan of single-school runs. Each school's optimum is found exactly
when it can be:

1. its covering programme (``bound.programme``) is solved by column generation until an
   exact round proves it optimal, with value ``lp`` and duals ``π`` (≥ 0) and ``μ`` (≤ 0);
2. any cover ``x`` costs ``Σ c_r x_r ≥ lp + Σ rc_r x_r`` with every reduced cost
   ``rc_r ≥ 0``, so a cover cheaper than ``ceiling`` (a plan's cost for the school) uses
   only runs of reduced cost below ``ceiling - lp``; ``labels.runs_within`` lists all of
   them (elementary runs, each set of children in its cheapest order);
3. CBC solves the covering problem over those runs: its optimum, if below ``ceiling``, is
   the school's; otherwise ``ceiling`` is a bound. Without a proof in time CBC's best
   bound is used.

Where the listing outgrows ``MAX_LABELS`` the school keeps its programme's bound.
The relaxation is ``bound.py``'s (rides ``SLACK_S`` over their limits, never-together
pairs free, a child may be covered twice), so this bounds every plan those bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.transport.bound import (
    UNCOVERED_GBP,
    Generated,
    Programme,
    generate,
    programme,
)
from sendplan.routing.transport.labels import runs_within
from sendplan.routing.transport.plan import Route, Session
from sendplan.routing.transport.school_instance import run_cost_gbp
from sendplan.routing.vrp.mip import CoverError, cheapest_cover
from sendplan.routing.vrp.stop import StopCriterion, now

MAX_LABELS = 4_000_000
MIP_TIME_LIMIT_S = 60.0


@dataclass(frozen=True)
class SchoolBound:
    """One school's bound. ``ceiling_gbp``: the least the plans spend there (None: no plan
    has runs there); ``bound_gbp``: proven lower bound on its runs' cost (0 when its
    programme did not converge and no exact round finished); ``lp_gbp``: the programme's
    value; ``exact``: ``bound_gbp`` is the relaxation's integer optimum, or the ceiling it
    cannot beat; ``runs_listed``: runs within the reduced-cost gap (None: not listed)."""

    school_id: str
    jobs: int
    ceiling_gbp: float | None
    bound_gbp: float
    lp_gbp: float
    converged: bool
    exact: bool
    runs_listed: int | None
    seconds: float


def school_bounds(
    scenario: Scenario,
    school_of: Mapping[str, str | None],
    travel: TravelModel,
    *,
    session: Session,
    stop: StopCriterion,
    plans: Sequence[Sequence[Route]],
    max_labels: int = MAX_LABELS,
    mip_time_limit_s: float = MIP_TIME_LIMIT_S,
    workers: int = 2,
) -> tuple[SchoolBound, ...]:
    """Each school's bound, in school order; their sum bounds the session's cost.

    The ``plans``' runs seed each programme, and a school's ceiling is the least any of
    them spends there (any ceiling keeps the bound valid; a low one keeps the listing
    short). ``stop`` applies to each school's column generation.
    """
    schools = sorted({s for s in school_of.values() if s is not None})
    out = []
    for s in schools:
        t0 = now()
        mine = {c: school for c, school in school_of.items() if school == s}
        spent = [[r for r in p if r.school_id == s and not r.mixed] for p in plans]
        runs = [r for p in spent for r in p]
        ceiling = min((sum(r.cost_gbp for r in p) for p in spent if p), default=math.inf)
        prog = programme(scenario, mine, travel, session=session, start=runs)
        gen = generate(prog, stop=stop, t0=t0, workers=workers)
        bound, exact, listed = gen.bound or 0.0, False, None
        if gen.converged and math.isfinite(ceiling):
            whole = _integer_bound(prog, gen, ceiling, max_labels, mip_time_limit_s)
            if whole is not None:
                found, exact, listed = whole
                bound = max(bound, found)
        out.append(
            SchoolBound(
                school_id=s,
                jobs=len(prog.row),
                ceiling_gbp=round(ceiling, 2) if math.isfinite(ceiling) else None,
                bound_gbp=math.floor(bound * 100) / 100,
                lp_gbp=round(gen.value, 2),
                converged=gen.converged,
                exact=exact,
                runs_listed=listed,
                seconds=round(now() - t0, 2),
            )
        )
    return tuple(out)


def _integer_bound(
    prog: Programme, gen: Generated, ceiling: float, max_labels: int, mip_time_limit_s: float
) -> tuple[float, bool, int] | None:
    """The school's integer bound (CBC's over the listed runs, capped by ``ceiling``; 0 when
    CBC returned no cover), whether CBC proved it, and the runs listed; None when the listing
    ran out of labels."""
    # A penny of margin: GLOP's duals and value hold only to its tolerances.
    found = _listed_runs(prog, gen, ceiling - gen.value + 0.01, max_labels)
    if found is None:
        return None
    costs, covers, group = found
    try:
        best = cheapest_cover(
            costs=costs, covers=covers, group=group, n_items=len(prog.row),
            limits=[prog.available[n] for n in prog.names], uncovered_cost=UNCOVERED_GBP,
            time_limit_s=mip_time_limit_s,
        )  # fmt: skip
    except CoverError:
        return 0.0, False, len(costs)
    return min(best.bound, ceiling), best.optimal, len(costs)


def _listed_runs(
    prog: Programme, gen: Generated, gap: float, max_labels: int
) -> tuple[list[float], list[list[int]], list[int]] | None:
    """Every run of reduced cost at most ``gap`` at ``gen``'s duals, each set of jobs on
    each vehicle kind once at its cheapest, with every single-job run (those riding alone
    included): costs, covered rows and groups. None when a listing ran out of labels."""
    best: dict[tuple[int, frozenset[int]], tuple[float, list[int]]] = {}
    (s,) = prog.insts
    inst = prog.insts[s]

    def keep(kind: int, order: list[int]) -> None:
        cost = run_cost_gbp(inst, prog.session, prog.kinds[kind], order)
        key = (kind, frozenset(order))
        if key not in best or cost < best[key][0]:
            best[key] = (cost, order)

    for _, k in prog.row:
        for i, v in enumerate(prog.kinds):
            if inst.jobs[k].suits(v):
                keep(i, [k])
    for sr in prog.searches:
        v = prog.kinds[sr.kind]
        node_cost = sr.inner_gbp - np.array([0.0, *(gen.duals[prog.row[(s, k)]] for k in sr.jobs)])
        closing = sr.closing_gbp - gen.limits[prog.names.index(v.name)]
        completions = sr.completions(v, node_cost, closing)
        done, count, node, parent, rc, dead = runs_within(
            sr.dur_s, sr.cost, sr.service_s, sr.limit_s, sr.seats, sr.chairs, node_cost, closing,
            v.seats, v.wheelchair_spaces, completions, gap, max_labels,
        )  # fmt: skip
        if not done:
            return None
        nodes, parents = node[:count], parent[:count]
        ends = np.flatnonzero(~dead[:count] & (rc[:count] + closing[nodes] <= gap + 1e-6))
        node_list, parent_list = nodes.tolist(), parents.tolist()
        for q in ends.tolist():
            path = []
            while q != -1:
                path.append(sr.jobs[node_list[q] - 1])
                q = parent_list[q]
            # Paths run outwards from the school: the morning's driving order as they are.
            keep(sr.kind, path[::-1] if sr.forwards else path)
    items = sorted(best.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1])))
    costs = [cost for _, (cost, _) in items]
    covers = [[prog.row[(s, k)] for k in order] for _, (_, order) in items]
    group = [prog.names.index(prog.kinds[kind].name) for (kind, _), _ in items]
    return costs, covers, group
