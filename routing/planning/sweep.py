"""Many variants of one scenario, solved in parallel: :func:`sweep`.

A :class:`Grid` names axes (capacity options, cohort growth, policy values, movers rules,
objective modes, seeds); their cartesian product is the variants, each one task that builds its
scenario (:func:`variant_scenario`), places the children (and plans the morning routes when
``routes`` is set) and returns one small row (:func:`run_variant`). The tasks run on Dask
distributed (:mod:`sendplan.routing.planning.cluster`): a local cluster by default, an existing
one by address, or in this process (``in_process=True``, what the tests compare against).

Growth rule (deterministic by seed): ``growth`` g scales the cohort to ``round(g * n)``
children. Below 1, a seeded random choice of children is dropped; above 1, seeded random
children are copied as new children (id ``<id>.g<k>``, same home, age and needs, no current
school, a new plan, no sibling group or never-with links), so they are placed this year.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sendplan.routing.model import Child, Policy, Scenario
from sendplan.routing.placement.movers import MOVERS_RULES, MoversRule
from sendplan.routing.placement.place import MODES
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

MAX_VARIANTS = 10_000
"""A grid with more variants is refused: the product of a few long axes grows fast."""

ROUTE_ITERATIONS = 100
"""Default route search iterations per school with ``routes``: an iteration limit, not a time
limit, so a variant's routes are the same wherever its task runs."""

Row = dict[str, Any]


class SweepError(ValueError):
    """A grid that cannot be swept on this scenario (too many variants, an unknown school)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class CapacityOption:
    """An expansion option as a sweep applies it: places added per school (negative removes)."""

    option_id: str
    add: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Variant:
    """One point of the grid: everything a task needs besides the base scenario."""

    variant_id: str
    options: tuple[CapacityOption, ...] = ()
    growth: float = 1.0
    policy: tuple[tuple[str, Any], ...] = ()
    movers: MoversRule = "phase_transfer"
    mode: str = "weighted"
    seed: int = 1
    routes: bool = False
    route_iterations: int = ROUTE_ITERATIONS

    def axes(self) -> Row:
        """The variant's axis values as a row's leading columns."""
        row: Row = {
            "variant": self.variant_id,
            "options": "+".join(o.option_id for o in self.options) or "none",
            "growth": self.growth,
            "movers": self.movers,
            "mode": self.mode,
            "seed": self.seed,
        }
        for key, value in self.policy:
            row[f"policy.{key}"] = list(value) if isinstance(value, tuple) else value
        return row


@dataclass(frozen=True)
class Grid:
    """The axes of a sweep; each is a tuple of values and ``options`` a tuple of option sets
    (``()`` is the baseline). Policy values are checked when the variants are built."""

    options: tuple[tuple[CapacityOption, ...], ...] = ((),)
    growth: tuple[float, ...] = (1.0,)
    policy: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    movers: tuple[MoversRule, ...] = ("phase_transfer",)
    modes: tuple[str, ...] = ("weighted",)
    seeds: tuple[int, ...] = (1,)
    routes: bool = False
    route_iterations: int = ROUTE_ITERATIONS

    def size(self) -> int:
        """How many variants the grid makes."""
        counts = [len(self.options), len(self.growth), len(self.movers), len(self.modes)]
        counts += [len(self.seeds), *(len(values) for _, values in self.policy)]
        return int(np.prod(counts, dtype=object))

    def variants(self) -> tuple[Variant, ...]:
        """The cartesian product, seeds innermost, ids ``v001``... in that order."""
        size = self.size()
        if size > MAX_VARIANTS:
            raise SweepError("grid", f"{size:,} variants, above the limit of {MAX_VARIANTS:,}")
        if size == 0:
            raise SweepError("grid", "an axis has no values, so there are no variants")
        _check_axes(self)
        keys = [key for key, _ in self.policy]
        width = max(3, len(str(size)))
        made = []
        product = itertools.product(
            self.options, self.growth, itertools.product(*(v for _, v in self.policy)),
            self.movers, self.modes, self.seeds,
        )  # fmt: skip
        for number, (options, growth, values, movers, mode, seed) in enumerate(product, 1):
            made.append(
                Variant(
                    variant_id=f"v{number:0{width}d}",
                    options=options,
                    growth=growth,
                    policy=tuple(zip(keys, values, strict=True)),
                    movers=movers,
                    mode=mode,
                    seed=seed,
                    routes=self.routes,
                    route_iterations=self.route_iterations,
                )
            )
        return tuple(made)


def _check_axes(grid: Grid) -> None:
    for movers in grid.movers:
        if movers not in MOVERS_RULES:
            raise SweepError("movers", f"unknown rule {movers!r}; use {' or '.join(MOVERS_RULES)}")
    for mode in grid.modes:
        if mode not in MODES:
            raise SweepError("modes", f"unknown mode {mode!r}; use {' or '.join(MODES)}")
    for growth in grid.growth:
        if not 0 < growth <= 100:
            raise SweepError("growth", f"{growth} is not a factor above 0 and at most 100")
    known = {f.name for f in dataclasses.fields(Policy)}
    for key, values in grid.policy:
        if key not in known:
            raise SweepError(f"policy.{key}", "not a policy key")
        for value in values:
            try:
                Policy(**{key: value})
            except (ValueError, TypeError) as err:
                raise SweepError(f"policy.{key}", str(err)) from None


def check_grid(scenario: Scenario, grid: Grid) -> tuple[Variant, ...]:
    """The grid's variants, or a SweepError when one cannot apply to ``scenario``."""
    variants = grid.variants()
    schools = {s.school_id: s.capacity for s in scenario.schools}
    for options in grid.options:
        for option in options:
            for school_id, add in option.add:
                if school_id not in schools:
                    raise SweepError(
                        f"option {option.option_id}", f"school {school_id!r} is not in the scenario"
                    )
                if schools[school_id] + add < 0:
                    raise SweepError(
                        f"option {option.option_id}",
                        f"school {school_id} has {schools[school_id]} places; cannot add {add}",
                    )
    return variants


def grow(children: Sequence[Child], growth: float, *, seed: int) -> tuple[Child, ...]:
    """The cohort scaled by ``growth`` (see the module's growth rule), in a stable order."""
    n = len(children)
    target = round(growth * n)
    if target == n or n == 0:
        return tuple(children)
    rng = np.random.default_rng(seed)
    if target < n:
        keep = set(rng.choice(n, size=target, replace=False).tolist())
        kept = [c for i, c in enumerate(children) if i in keep]
        ids = {c.child_id for c in kept}
        # A dropped child may be named by another's never_with: the link goes with them.
        return tuple(
            dataclasses.replace(c, never_with=tuple(o for o in c.never_with if o in ids))
            for c in kept
        )
    # Whole rounds of the cohort first, then a seeded choice without repeats for the rest.
    extra = target - n
    picks = [*np.tile(np.arange(n), extra // n), *rng.choice(n, size=extra % n, replace=False)]
    copies = [
        dataclasses.replace(
            children[int(i)],
            child_id=f"{children[int(i)].child_id[:50]}.g{k}",
            current_school=None,
            locked=False,
            new_plan=True,
            sibling_group=None,
            never_with=(),
        )
        for k, i in enumerate(picks, 1)
    ]
    return (*children, *copies)


def variant_scenario(scenario: Scenario, variant: Variant) -> Scenario:
    """``scenario`` with the variant's options, growth and policy values applied."""
    added: dict[str, int] = {}
    for option in variant.options:
        for school_id, add in option.add:
            added[school_id] = added.get(school_id, 0) + add
    schools = tuple(
        dataclasses.replace(s, capacity=s.capacity + added[s.school_id])
        if s.school_id in added
        else s
        for s in scenario.schools
    )
    policy = dataclasses.replace(scenario.policy, **dict(variant.policy))
    children = grow(scenario.children, variant.growth, seed=variant.seed)
    return dataclasses.replace(scenario, schools=schools, policy=policy, children=children)


def run_variant(scenario: Scenario, variant: Variant) -> Row:
    """Solve one variant (placement only, or with the AM routes) and return its row."""
    t0 = time.perf_counter()
    result = solve(
        variant_scenario(scenario, variant),
        sessions=("am",) if variant.routes else (),
        stop=MaxIterations(variant.route_iterations),
        seed=variant.seed,
        mode=variant.mode,
        movers=variant.movers,
        workers=1,  # the cluster is the parallelism; a task never starts processes
        status_quo=False,  # one row per variant; the status quo is not a variant's figure
    )
    s = result.summary
    placed = s.placed or 0
    row = variant.axes()
    row.update(
        children=s.children,
        placed=placed,
        unplaced=s.unplaced,
        placed_in_city=s.placed_in_area,
        in_city_share=round((s.placed_in_area or 0) / placed, 6) if placed else None,
        placement_cost_gbp_per_year=s.placement_cost_gbp_per_year,
        mean_travel_min=s.mean_travel_min,
    )
    if variant.routes:
        row.update(routes=s.routes, transport_cost_gbp_per_year=s.transport_cost_gbp_per_year)
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


PARETO_OBJECTIVES: tuple[tuple[str, int], ...] = (
    ("placement_cost_gbp_per_year", 1),
    ("placed_in_city", -1),
    ("mean_travel_min", 1),
)
"""The Pareto front's objectives as (column, sense): 1 to minimise, -1 to maximise."""


def pareto_front(points: Sequence[Sequence[float]]) -> list[bool]:
    """For each point (every coordinate minimised): True when no other point is at least as
    good in every coordinate and better in one. Equal points are all on the front."""
    array = np.asarray(points, dtype=float).reshape(len(points), -1)
    front = []
    for p in array:
        dominated = np.any(np.all(array <= p, axis=1) & np.any(array < p, axis=1))
        front.append(not bool(dominated))
    return front


def mark_pareto(rows: Sequence[Row]) -> list[Row]:
    """The rows with ``pareto`` set: on the front of :data:`PARETO_OBJECTIVES` (a row missing
    a figure, e.g. no child placed, is never on it)."""
    complete = [r for r in rows if all(r.get(k) is not None for k, _ in PARETO_OBJECTIVES)]
    flags = pareto_front([[sense * r[k] for k, sense in PARETO_OBJECTIVES] for r in complete])
    on = {r["variant"] for r, flag in zip(complete, flags, strict=True) if flag}
    return [{**r, "pareto": r["variant"] in on} for r in rows]


@dataclass(frozen=True)
class SweepResult:
    """The rows in variant order (``pareto`` marked), and how the sweep ran: ``workers`` of a
    local cluster, or ``scheduler``'s address, or neither when run in process."""

    rows: tuple[Row, ...]
    variants: int
    workers: int | None
    scheduler: str | None
    seconds: float
    cancelled: bool = False
    front: tuple[str, ...] = field(default=())
    # Of ``seconds``, the time to start the cluster (0 in process or on a running scheduler's).
    startup_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (sweep.json)."""
        return {
            "variants": self.variants, "finished": len(self.rows), "cancelled": self.cancelled,
            "workers": self.workers, "scheduler": self.scheduler,
            "seconds": round(self.seconds, 3), "startup_seconds": round(self.startup_seconds, 3),
            "pareto": list(self.front),
            "objectives": {k: "min" if s > 0 else "max" for k, s in PARETO_OBJECTIVES},
            "rows": list(self.rows),
        }  # fmt: skip


class SweepCancelled(KeyboardInterrupt):
    """A sweep stopped early (Ctrl-C, or ``on_result`` raised KeyboardInterrupt): pending
    variants were cancelled and the cluster closed; ``result`` holds every finished row."""

    def __init__(self, result: SweepResult) -> None:
        self.result = result
        super().__init__(f"sweep cancelled after {len(result.rows)} of {result.variants} variants")


def sweep(
    scenario: Scenario,
    grid: Grid | Sequence[Variant],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[Row], None] | None = None,
    in_process: bool = False,
) -> SweepResult:
    """Solve every variant of ``grid`` on Dask and return their rows.

    Args:
        grid: the axes, or variants already made (ids must be unique).
        workers: local cluster processes (default one per core); ignored with ``scheduler``.
        scheduler: the address of a running Dask scheduler (``tcp://host:8786``) to use
            instead of a local cluster.
        on_result: called in this process with each finished row as it arrives (stream it to
            disk here); if it raises, pending variants are cancelled.
        in_process: solve the variants one by one here, without Dask.

    Raises:
        SweepError: the grid cannot apply to the scenario.
        SweepCancelled: interrupted; its ``result`` keeps every finished row.
    """
    if isinstance(grid, Grid):
        variants = check_grid(scenario, grid)
    else:
        variants = tuple(grid)
        if len({v.variant_id for v in variants}) != len(variants):
            raise SweepError("variants", "two variants share an id")
    local = workers or os.cpu_count() or 1  # the local cluster's size, as cluster.py sizes it
    t0 = time.perf_counter()
    ready = [t0]
    rows: list[Row] = []

    def collect(row: Row) -> None:
        rows.append(row)
        if on_result is not None:
            on_result(row)

    def result(*, cancelled: bool) -> SweepResult:
        order = {v.variant_id: i for i, v in enumerate(variants)}
        marked = mark_pareto(sorted(rows, key=lambda r: order[r["variant"]]))
        return SweepResult(
            rows=tuple(marked), variants=len(variants),
            workers=None if scheduler or in_process else local, scheduler=scheduler,
            seconds=time.perf_counter() - t0, cancelled=cancelled,
            front=tuple(r["variant"] for r in marked if r["pareto"]),
            startup_seconds=ready[-1] - t0,
        )  # fmt: skip

    try:
        if in_process:
            for variant in variants:
                collect(run_variant(scenario, variant))
        else:
            from sendplan.routing.planning.cluster import run_on_dask

            run_on_dask(
                run_variant, scenario, variants, on_done=collect, workers=workers,
                scheduler=scheduler, on_ready=lambda: ready.append(time.perf_counter()),
            )  # fmt: skip
    except KeyboardInterrupt:
        raise SweepCancelled(result(cancelled=True)) from None
    return result(cancelled=False)
