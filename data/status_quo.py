"""Leicester as it is: a seeded draw of where each special-school child is placed on a date.

SEN2 publishes how many Leicester children are in special schools of each type (January 2025:
794 LA-maintained, 400 academy/free, 150 independent, 1 non-maintained) and the need mix of each
type, but not which school each child attends. ``draw_status_quo`` invents placements that hold
those counts: every child at a school that admits them (need, age, sex), open on ``as_of``, not
a resourced provision (SEN2 counts DSP places as mainstream), with rolls within capacity (and
within any per-need cap, ``capacity_by_designation``) and children with a residential need in
residential places. ``reserved_by_designation`` is not applied: no school in data/ reserves
places (a test checks this), so none is needed.

It is a min-cost flow (``sendplan.routing.placement.flow``)::

    child -> school (admissible arcs; residential children via the school's residential places)
          -> placement type (cap = the type's quota) -> sink

Each arc costs the straight-line distance plus seeded noise, so the result is a plausible draw,
not an optimum, and a different seed gives a different status quo. The type quotas are hard when
they can be met (an overflow arc per type costs ``QUOTA_PENALTY``, far above any distance, and
above a residential child's day place); the
need x type quotas cannot be expressed in a single-commodity flow, so they are steered by
Lagrangian prices on the child -> school arcs over ``PRICE_ROUNDS`` solves, keeping the solve
closest to them. ``StatusQuo`` records which quotas were met, who could not be placed and which
residential children had to take a day place.

``out_of_city_floor`` is the least share of children outside the city that the type quotas
force, given the city's open places of each type.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sendplan.data.synthetic import (
    COHORT_FILE,
    UNKNOWN_NEED,
    generate_cohort,
    spread_unknown,
    systematic_counts,
)
from sendplan.geo.straight_line import haversine_m
from sendplan.routing.model import NEED_CODES, Child, School
from sendplan.routing.placement.flow import solve_min_cost_flow
from sendplan.routing.status_quo import TYPE_GROUPS

# SEN2's special-school placement types, and the school types that fill each.
PLACEMENT_TYPES: tuple[str, ...] = (
    "la_maintained",
    "academy_free",
    "independent",
    "non_maintained",
)
# SEN2's four special-school placement types (resourced provision is mainstream in SEN2).
PLACEMENT_OF_SCHOOL_TYPE: dict[str, str] = {
    kind: group for kind, group in TYPE_GROUPS.items() if kind != "resourced_provision"
}
PLACEMENT_TABLE = "special_need_placement"
NEW_PLANS_TABLE = "new_plans_special"
# Seeded noise added to every child -> school distance: up to 8 km, so that among schools a few
# km apart the draw, not the nearest, decides (estimate; a modelling choice, not a fact).
NOISE_M = 8_000
QUOTA_PENALTY = 10**9  # per child over a type quota: above any sum of distances
# A residential child in a day place, only if nothing else fits: below QUOTA_PENALTY, as SEN2's
# counts by type are published facts and a synthetic child's residential need is a draw (e.g.
# a PD boarder whose only residential place is non-maintained, when SEN2 has 1 such child).
RESIDENTIAL_RELAX_COST = 10**8
UNPLACED_COST = 10**11  # no admissible open school with room
PRICE_ROUNDS = 40
# Share of children who state preferences and whose current school is among them (estimate: no
# figure is published; families usually ask to stay where the child is settled).
CURRENT_SCHOOL_PREFERRED = 0.8
PRICE_STEP_M = 300.0  # metres per child over or under a cell's quota, shrinking by 1/sqrt(round)


@dataclass(frozen=True)
class StatusQuo:
    """Placements (child id -> school id, None if unplaced) and what the draw achieved."""

    placements: Mapping[str, str | None]
    type_quota: Mapping[str, int]
    type_counts: Mapping[str, int]
    need_type_quota: Mapping[tuple[str, str], int]
    need_type_counts: Mapping[tuple[str, str], int]
    unplaced: tuple[str, ...]
    residential_relaxed: tuple[str, ...]
    out_of_city: int

    @property
    def type_quotas_met(self) -> bool:
        """Whether every placement type holds exactly its quota."""
        return all(self.type_counts.get(t, 0) == q for t, q in self.type_quota.items())

    @property
    def need_type_quotas_met(self) -> bool:
        """Whether every (need, type) cell holds exactly its quota."""
        cells = set(self.need_type_quota) | set(self.need_type_counts)
        return all(self.need_type_counts.get(c, 0) == self.need_type_quota.get(c, 0) for c in cells)

    @property
    def need_type_gap(self) -> int:
        """Children placed in a (need, type) cell beyond its quota, summed over cells."""
        cells = set(self.need_type_quota) | set(self.need_type_counts)
        gaps = (self.need_type_counts.get(c, 0) - self.need_type_quota.get(c, 0) for c in cells)
        return sum(max(0, g) for g in gaps)

    @property
    def out_of_city_share(self) -> float:
        """Share of the children drawn who are placed outside the city."""
        n = len(self.placements)
        return self.out_of_city / n if n else 0.0


def read_placement_table(folder: Traversable | Path | None = None) -> dict[tuple[str, str], float]:
    """SEN2 special-school children by (need, placement type), unknown need spread in proportion.

    From the ``special_need_placement`` rows of cohort_profile.csv (sen2_2025_sen_needs_all_plans,
    Leicester, January 2025).
    """
    folder = folder if folder is not None else files("sendplan.data")
    text = (folder / COHORT_FILE).read_text(encoding="utf-8-sig")
    raw: dict[str, dict[str, float]] = {p: {} for p in PLACEMENT_TYPES}
    for row in csv.DictReader(io.StringIO(text)):
        if row["table"] == PLACEMENT_TABLE:
            raw[row["placement"]][row["need"]] = float(row["count"])
    table: dict[tuple[str, str], float] = {}
    for placement, counts in raw.items():
        if not counts:
            raise ValueError(f"{COHORT_FILE}: no {PLACEMENT_TABLE} rows for {placement}")
        if sum(counts.values()) == 0:
            spread = {need: 0.0 for need in NEED_CODES}
        else:
            spread = spread_unknown({n: counts.get(n, 0.0) for n in (*NEED_CODES, UNKNOWN_NEED)})
        table.update({(need, placement): value for need, value in spread.items()})
    return table


def quotas(
    children: Sequence[Child],
    table: Mapping[tuple[str, str], float],
    rng: np.random.Generator,
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Type quotas (summing to the children) and need x type quotas (summing to each need's
    children), scaled from ``table`` with systematic rounding."""
    n = len(children)
    totals = np.array([sum(table.get((nd, t), 0.0) for nd in NEED_CODES) for t in PLACEMENT_TYPES])
    expected = totals * n / totals.sum() if totals.sum() > 0 else np.zeros(totals.size)
    type_quota = dict(zip(PLACEMENT_TYPES, systematic_counts(expected, rng).tolist(), strict=True))
    need_count = Counter(c.primary_need for c in children)
    need_type: dict[tuple[str, str], int] = {}
    for need in NEED_CODES:
        row = np.array([table.get((need, t), 0.0) for t in PLACEMENT_TYPES])
        if row.sum() <= 0:
            row = totals.astype(np.float64)
        counts = systematic_counts(row * need_count[need] / row.sum(), rng)
        need_type.update({(need, t): int(k) for t, k in zip(PLACEMENT_TYPES, counts, strict=True)})
    return type_quota, need_type


def eligible_schools(schools: Sequence[School], as_of: date | None) -> list[School]:
    """Special schools open on ``as_of`` (resourced provisions and unknown types left out)."""
    return [s for s in schools if s.type in PLACEMENT_OF_SCHOOL_TYPE and s.open_on(as_of)]


def out_of_city_floor(
    type_quota: Mapping[str, int], schools: Sequence[School], as_of: date | None
) -> tuple[int, float]:
    """The fewest children the quotas force outside the city, and their share.

    Per placement type: children of that type beyond the city's open places of that type must
    be placed outside it (independent + non-maintained with no city school open: all of them).
    """
    city: Counter[str] = Counter()
    for school in eligible_schools(schools, as_of):
        if school.in_area:
            city[PLACEMENT_OF_SCHOOL_TYPE[school.type]] += school.capacity
    floor = sum(max(0, quota - city[t]) for t, quota in type_quota.items())
    n = sum(type_quota.values())
    return floor, (floor / n if n else 0.0)


@dataclass(frozen=True)
class _Graph:
    tails: NDArray[np.int64]
    heads: NDArray[np.int64]
    capacities: NDArray[np.int64]
    base_costs: NDArray[np.int64]
    cell: NDArray[np.int64]  # (need, type) cell of a child -> school arc, -1 for other arcs
    school_of_arc: NDArray[np.int64]  # school index of a child -> school arc, -1 otherwise
    child_of_arc: NDArray[np.int64]
    supplies: NDArray[np.int64]
    relaxed_arc: NDArray[np.bool_]


def _build_graph(
    children: Sequence[Child],
    schools: Sequence[School],
    type_quota: Mapping[str, int],
    rng: np.random.Generator,
) -> _Graph:
    n_c, n_s, n_t = len(children), len(schools), len(PLACEMENT_TYPES)
    residential = [i for i, s in enumerate(schools) if s.residential_places > 0]
    res_node = {s: n_c + n_s + k for k, s in enumerate(residential)}
    # A per-need cap (capacity_by_designation): that need's children pass through its own node.
    capped = [(s, code) for s, sc in enumerate(schools) for code, _ in sc.capacity_by_designation]
    cap_node = {key: n_c + n_s + len(residential) + k for k, key in enumerate(capped)}
    type_node = n_c + n_s + len(residential) + len(capped)
    sink = type_node + n_t
    arcs: list[tuple[int, int, int, int, int, int, int, bool]] = []
    school_lon = np.array([s.lon for s in schools], dtype=np.float64)
    school_lat = np.array([s.lat for s in schools], dtype=np.float64)
    type_index = [PLACEMENT_TYPES.index(PLACEMENT_OF_SCHOOL_TYPE[s.type]) for s in schools]
    for c, child in enumerate(children):
        distance = haversine_m(
            np.full(n_s, child.lon), np.full(n_s, child.lat), school_lon, school_lat
        )
        noise = rng.integers(0, NOISE_M + 1, size=n_s)
        need = NEED_CODES.index(child.primary_need)
        for s, school in enumerate(schools):
            if not school.admits(child):
                continue
            cost = int(distance[s]) + int(noise[s])
            cell = need * n_t + type_index[s]
            day = cap_node.get((s, child.primary_need), n_c + s)
            if child.residential_need and s in res_node and day == n_c + s:
                arcs.append((c, res_node[s], 1, cost, cell, s, c, False))
            relax = child.residential_need
            extra = RESIDENTIAL_RELAX_COST if relax else 0
            arcs.append((c, day, 1, cost + extra, cell, s, c, relax))
        arcs.append((c, sink, 1, UNPLACED_COST, -1, -1, c, False))
    for s, node in res_node.items():
        arcs.append((node, n_c + s, schools[s].residential_places, 0, -1, -1, -1, False))
    for (s, code), node in cap_node.items():
        places = schools[s].designation_capacity(code) or 0
        arcs.append((node, n_c + s, places, 0, -1, -1, -1, False))
    for s, school in enumerate(schools):
        arcs.append((n_c + s, type_node + type_index[s], school.capacity, 0, -1, -1, -1, False))
    for t, placement in enumerate(PLACEMENT_TYPES):
        arcs.append((type_node + t, sink, type_quota.get(placement, 0), 0, -1, -1, -1, False))
        arcs.append((type_node + t, sink, n_c, QUOTA_PENALTY, -1, -1, -1, False))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_c] = 1
    supplies[sink] = -n_c
    columns = list(zip(*arcs, strict=True)) if arcs else [()] * 8
    return _Graph(
        tails=np.array(columns[0], dtype=np.int64),
        heads=np.array(columns[1], dtype=np.int64),
        capacities=np.array(columns[2], dtype=np.int64),
        base_costs=np.array(columns[3], dtype=np.int64),
        cell=np.array(columns[4], dtype=np.int64),
        school_of_arc=np.array(columns[5], dtype=np.int64),
        child_of_arc=np.array(columns[6], dtype=np.int64),
        supplies=supplies,
        relaxed_arc=np.array(columns[7], dtype=np.bool_),
    )


def draw_status_quo(
    children: Sequence[Child],
    schools: Sequence[School],
    *,
    as_of: date | None,
    seed: int,
    table: Mapping[tuple[str, str], float] | None = None,
) -> StatusQuo:
    """Place every special-cohort child (``cohort == "special"``) as described in the module."""
    rng = np.random.default_rng([seed, 2025])
    special = [c for c in children if c.cohort == "special"]
    open_schools = eligible_schools(schools, as_of)
    table = table if table is not None else read_placement_table()
    type_quota, need_type_quota = quotas(special, table, rng)
    graph = _build_graph(special, open_schools, type_quota, rng)
    target = np.array(
        [need_type_quota.get((n, t), 0) for n in NEED_CODES for t in PLACEMENT_TYPES],
        dtype=np.float64,
    )
    price = np.zeros(target.size)
    is_choice = graph.cell >= 0
    best: tuple[int, NDArray[np.int64]] | None = None
    for round_ in range(PRICE_ROUNDS):
        shifted = np.rint(price - price.min()).astype(np.int64)
        costs = graph.base_costs.copy()
        costs[is_choice] += shifted[graph.cell[is_choice]]
        flows = solve_min_cost_flow(
            tails=graph.tails,
            heads=graph.heads,
            capacities=graph.capacities,
            unit_costs=costs,
            supplies=graph.supplies,
        ).flows
        used = is_choice & (flows > 0)
        counts = np.bincount(graph.cell[used], minlength=target.size).astype(np.float64)
        gap = int(np.maximum(counts - target, 0).sum())
        if best is None or gap < best[0]:
            best = (gap, flows)
        if gap == 0:
            break
        price += PRICE_STEP_M / math.sqrt(round_ + 1) * (counts - target)
    assert best is not None
    return _result(special, open_schools, graph, best[1], type_quota, need_type_quota)


def _result(
    special: Sequence[Child],
    schools: Sequence[School],
    graph: _Graph,
    flows: NDArray[np.int64],
    type_quota: dict[str, int],
    need_type_quota: dict[tuple[str, str], int],
) -> StatusQuo:
    used = (graph.cell >= 0) & (flows > 0)
    placements: dict[str, str | None] = {c.child_id: None for c in special}
    for arc in np.nonzero(used)[0]:
        child = special[int(graph.child_of_arc[arc])]
        placements[child.child_id] = schools[int(graph.school_of_arc[arc])].school_id
    relaxed = tuple(
        special[int(graph.child_of_arc[a])].child_id
        for a in np.nonzero(used & graph.relaxed_arc)[0]
    )
    by_id = {s.school_id: s for s in schools}
    type_counts: Counter[str] = Counter()
    need_type: Counter[tuple[str, str]] = Counter()
    for child in special:
        school_id = placements[child.child_id]
        if school_id is not None:
            placement = PLACEMENT_OF_SCHOOL_TYPE[by_id[school_id].type]
            type_counts[placement] += 1
            need_type[child.primary_need, placement] += 1
    return StatusQuo(
        placements=placements,
        type_quota=type_quota,
        type_counts=dict(type_counts),
        need_type_quota=need_type_quota,
        need_type_counts=dict(need_type),
        unplaced=tuple(cid for cid, sid in placements.items() if sid is None),
        residential_relaxed=relaxed,
        out_of_city=sum(1 for sid in placements.values() if sid and not by_id[sid].in_area),
    )


def with_status_quo(children: Sequence[Child], status_quo: StatusQuo) -> tuple[Child, ...]:
    """The children with ``current_school`` set from the draw (others unchanged)."""
    return tuple(
        dataclasses.replace(c, current_school=status_quo.placements[c.child_id])
        if c.child_id in status_quo.placements
        else c
        for c in children
    )


def _profile_rows(folder: Traversable | Path | None) -> list[dict[str, str]]:
    folder = folder if folder is not None else files("sendplan.data")
    return list(csv.DictReader(io.StringIO((folder / COHORT_FILE).read_text(encoding="utf-8-sig"))))


def new_plan_rate(folder: Traversable | Path | None = None) -> float:
    """Share of special-school children whose plan was issued in the last year: SEN2 2025's new
    plans for Leicester in calendar 2024 placed in special schools over the January 2025
    special caseload (44 / 1,345)."""
    rows = _profile_rows(folder)

    def count(table: str, year: str) -> int:
        hits = [r for r in rows if r["table"] == table and r["area"] == "Leicester"]
        hits = [r for r in hits if r["year"] == year]
        if len(hits) != 1:
            raise ValueError(f"{COHORT_FILE}: expected one {table} row for Leicester {year}")
        return int(hits[0]["count"])

    return count(NEW_PLANS_TABLE, "2024") / count("special_total", "202425")


def draw_new_plans(children: Sequence[Child], *, rate: float, seed: int) -> tuple[Child, ...]:
    """The children with ``new_plan`` set for ``rate`` of the special cohort (rounded at random),
    chosen uniformly: the new-plan table by age counts age at the plan's start, not today's."""
    rng = np.random.default_rng([seed, 2024])
    special = [i for i, c in enumerate(children) if c.cohort == "special"]
    expected = len(special) * rate
    k = math.floor(expected) + int(rng.random() < expected - math.floor(expected))
    chosen = {special[int(i)] for i in rng.permutation(len(special))[:k]}
    return tuple(
        dataclasses.replace(c, new_plan=True) if i in chosen else c for i, c in enumerate(children)
    )


def cohort_as_of(
    *, schools: Sequence[School], seed: int, as_of: date | None, n_children: int = 1345
) -> tuple[tuple[Child, ...], StatusQuo]:
    """A synthetic cohort (``generate_cohort``) with new plans and a status quo on ``as_of``."""
    children = generate_cohort(schools=schools, seed=seed, n_children=n_children)
    children = draw_new_plans(children, rate=new_plan_rate(), seed=seed)
    status_quo = draw_status_quo(children, schools, as_of=as_of, seed=seed)
    placed = with_status_quo(children, status_quo)
    return prefer_current_school(placed, rate=CURRENT_SCHOOL_PREFERRED, seed=seed), status_quo


def prefer_current_school(
    children: Sequence[Child], *, rate: float, seed: int
) -> tuple[Child, ...]:
    """For ``rate`` of the children who state preferences but not their current school, the
    current school becomes the first preference (the last one drops, keeping 1-3 schools)."""
    rng = np.random.default_rng([seed, 2026])
    draws = rng.random(len(children))
    out = []
    for child, u in zip(children, draws, strict=True):
        current = child.current_school
        if current and child.preferences and current not in child.preferences and u < rate:
            others = child.preferences[: len(child.preferences) - 1]
            child = dataclasses.replace(child, preferences=(current, *others))
        out.append(child)
    return tuple(out)
