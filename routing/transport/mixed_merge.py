"""Merging two runs of a mixed-school group into one run, where that is cheaper.

The mixed phase's search moves one job at a time, so, as in the single-school plan
(``merge_runs.py``), two runs that one larger vehicle would do for less can stay two: the first
job moved into a new larger run pays all of its fixed cost. This pass takes runs whole: either
run's homes as one block at every place among the other's, the schools called at in every
order, on every kind that suits the merged run and has a vehicle free; it makes the merge that
saves most, then repeats until none saves. The search then goes on from the merged runs.
Measured on the Leicester default AM at 120 s, seeds 1 to 3: mixed plans of £19,161, £19,229
and £19,299 with it, £19,166, £19,204 and £19,480 without (the search's own noise is of the
same order; the pass takes under 0.3 s).

Costs and rules are the group problem's own (``mixed.py``): a run costs its kind's fixed cost
plus its distance cost, engine units, depot to depot; every school call within its window, every
ride within its job's limit, seats, wheelchair spaces and assistants. Times are the latest start
that meets every window: no home has a window, so leaving later never lengthens a ride.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sendplan.routing.model import VehicleType
from sendplan.routing.transport.mixed_group import Group, engine_costs
from sendplan.routing.transport.plan import Session
from sendplan.routing.vrp.problem import Tour, Visit

__all__ = ["MixedRun", "merge_group_runs"]

# The most schools one merged run calls at: every order of them is tried.
MAX_CALLS = 3
# Beyond any time of day, in seconds: a home's window.
_FAR = 10**9


@dataclass(frozen=True)
class MixedRun:
    """A run of a group: its jobs in the order their homes are visited, the order of its school
    calls, and the engine's route (kind an index into the offered kinds, cost in engine units)."""

    homes: tuple[int, ...]
    schools: tuple[int, ...]
    tour: Tour

    @property
    def kind(self) -> int:
        return self.tour.vehicle_type

    @property
    def cost(self) -> int:
        return self.tour.cost


@dataclass(frozen=True)
class _Context:
    g: Group
    kinds: Sequence[VehicleType]
    session: Session
    dur: list[list[int]]
    dist: list[list[int]]


def merge_group_runs(
    g: Group,
    kinds: Sequence[tuple[VehicleType, int]],
    runs: Sequence[tuple[int, Sequence[int]]],
    *,
    available: Mapping[str, int],
    session: Session,
) -> list[MixedRun] | None:
    """The group's single-school ``runs`` (kind, jobs in driving order) with pairs merged while
    a merge saves; None when a run breaks a rule of the group problem as given. ``kinds`` are
    the group problem's kinds, each with the vehicles it is offered; ``available`` the vehicles
    of each type the group may use (kinds of one type share them)."""
    ctx = _Context(g, [v for v, _ in kinds], session, g.dur.tolist(), g.dist.tolist())
    free = _Free([n for _, n in kinds], dict(available))
    live: dict[int, MixedRun] = {}
    for n, (kind, homes) in enumerate(runs):
        schools = tuple(dict.fromkeys(g.school_of_job[j] for j in homes))
        run = _evaluate(ctx, tuple(homes), schools, [kind])
        if run is None:
            return None
        live[n] = run
        free.take(ctx, kind, 1)
    best = {
        (a, b): _best_merge(ctx, live[a], live[b], free) for a, b in itertools.combinations(live, 2)
    }
    while True:
        ranked = sorted(
            ((live[a].cost + live[b].cost - m.cost, a, b) for (a, b), m in best.items() if m),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        for saving, a, b in ranked:
            if saving <= 0:
                return list(live.values())
            merged = best[(a, b)]
            assert merged is not None
            if not free.has(ctx, merged.kind, (live[a], live[b])):
                # Its kind ran out since it was chosen: choose again from what is left.
                best[(a, b)] = _best_merge(ctx, live[a], live[b], free)
                break
            for run in (live.pop(a), live.pop(b)):
                free.take(ctx, run.kind, -1)
            free.take(ctx, merged.kind, 1)
            best = {k: m for k, m in best.items() if a not in k and b not in k}
            new = max((*live, a, b)) + 1
            for c in live:
                best[(c, new)] = _best_merge(ctx, live[c], merged, free)
            live[new] = merged
            break
        else:
            return list(live.values())


@dataclass
class _Free:
    """Vehicles not on a run: of each offered kind, and of each type."""

    kind: list[int]
    type: dict[str, int]

    def take(self, ctx: _Context, k: int, n: int) -> None:
        self.kind[k] -= n
        self.type[ctx.kinds[k].name] -= n

    def has(self, ctx: _Context, k: int, freed: Sequence[MixedRun]) -> bool:
        """Whether a run of kind ``k`` has a vehicle once the ``freed`` runs give theirs back."""
        name = ctx.kinds[k].name
        back_kind = sum(r.kind == k for r in freed)
        back_type = sum(ctx.kinds[r.kind].name == name for r in freed)
        return self.kind[k] + back_kind > 0 and self.type[name] + back_type > 0


def _best_merge(ctx: _Context, a: MixedRun, b: MixedRun, free: _Free) -> MixedRun | None:
    """The cheapest run of both runs' jobs: either run's homes as a block among the other's,
    the schools in every order, on every kind that suits and has a vehicle free."""
    g = ctx.g
    jobs = a.homes + b.homes
    seats = sum(g.jobs[j].seats for j in jobs)
    chairs = sum(g.jobs[j].chairs for j in jobs)
    assistant = any(g.jobs[j].assistant for j in jobs)
    fits = [
        k
        for k, v in enumerate(ctx.kinds)
        if v.seats >= seats
        and v.wheelchair_spaces >= chairs
        and (v.has_assistant or not assistant)
        and free.has(ctx, k, (a, b))
    ]
    schools = tuple(dict.fromkeys(a.schools + b.schools))
    if not fits or len(schools) > MAX_CALLS:
        return None
    best: MixedRun | None = None
    for first, second in ((a.homes, b.homes), (b.homes, a.homes)):
        for at in range(len(first) + 1):
            homes = first[:at] + second + first[at:]
            for order in itertools.permutations(schools):
                run = _evaluate(ctx, homes, order, fits)
                if run is not None and (best is None or run.cost < best.cost):
                    best = run
    return best


def _evaluate(
    ctx: _Context, homes: tuple[int, ...], order: Sequence[int], fits: Sequence[int]
) -> MixedRun | None:
    """The run over ``homes`` calling at the schools in ``order`` on the cheapest of ``fits``,
    with its latest times; None when a rule breaks."""
    g, am = ctx.g, ctx.session == "am"
    at_school = tuple(
        Visit("delivery" if am else "pickup", j)
        for s in order
        for j in homes
        if g.school_of_job[j] == s
    )
    at_home = tuple(Visit("pickup" if am else "delivery", j) for j in homes)
    visits = at_home + at_school if am else at_school + at_home
    nodes, early, late, service = [], [], [], []
    for v in visits:
        if (v.kind == "delivery") == am:
            s = g.school_of_job[v.index]
            nodes.append(s)
            early.append(g.windows[s].early_s)
            late.append(g.windows[s].late_s)
            service.append(0)
        else:
            nodes.append(g.job_loc(v.index))
            early.append(-_FAR)
            late.append(_FAR)
            service.append(g.jobs[v.index].service_s)
    transit = [ctx.dur[a][b] + service[i] for i, (a, b) in enumerate(itertools.pairwise(nodes))]
    latest = late[-1]
    for i in range(len(nodes) - 2, -1, -1):
        latest = min(late[i], latest - transit[i])
    if not early[0] <= latest < _FAR:
        return None
    times = [latest]
    for i, step in enumerate(transit):
        t = max(times[-1] + step, early[i + 1])
        if t > late[i + 1]:
            return None
        times.append(t)
    at: dict[tuple[str, int], int] = {(v.kind, v.index): n for n, v in enumerate(visits)}
    for j in homes:
        p, d = at[("pickup", j)], at[("delivery", j)]
        if times[d] - times[p] - service[p] > g.jobs[j].limit_s:
            return None
    inner = sum(ctx.dist[a][b] for a, b in itertools.pairwise(nodes))
    best: MixedRun | None = None
    for k in fits:
        kind = ctx.kinds[k]
        depot = g.depot_loc(kind)
        start = times[0] - ctx.dur[depot][nodes[0]]
        metres = ctx.dist[depot][nodes[0]] + inner + ctx.dist[nodes[-1]][depot]
        fixed, per_m = engine_costs(kind)
        cost = fixed + per_m * metres
        if best is None or cost < best.cost:
            end = times[-1] + service[-1] + ctx.dur[nodes[-1]][depot]
            tour = Tour(k, visits, tuple(times), start, end, metres, cost)
            best = MixedRun(homes, tuple(order), tour)
    return best
