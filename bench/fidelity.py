"""How faithfully the embedded default reproduces Leicester as it is (``sendplan bench fidelity``).

Each figure compares the default scenario's status quo (every child at their current school)
with a published value:

- special-school children in total, by placement type (LA maintained, academy/free,
  independent, non-maintained), by primary need, by age band (primary 4-10, secondary 11-15,
  post-16 16-19) and by sex: DfE SEN2 2025, Leicester (LA 856), read from the rows of
  ``data/cohort_profile.csv`` (each row names its source); tolerance 3% of the published
  value, at least one child;
- the share placed outside the city: 94 of 1,178 in June 2018 (Leicester City Council), 8%
  within 2 percentage points;
- every school's roll within its capacity, and no child at a school not open on ``as_of``:
  published 0, tolerance 0.

A figure no seed meets stays in ``figures`` with ``within`` false, ``all_within`` is then
false, and ``notes`` gives the arithmetic when published figures contradict each other.

With ``transport``, the status quo's morning routes are planned (entitlements decided by the
policy's rules) and two figures are reported for information, outside ``all_within``: the
yearly cost per transported child (NAO: GBP 8,116 per SEND pupil, England 2023/24) and the
share of pre-16 routed children riding alone (CCN: about 9%, 2024/25).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sendplan.data.status_quo import PLACEMENT_OF_SCHOOL_TYPE, out_of_city_floor
from sendplan.data.synthetic import AGES, COHORT_COLUMNS, COHORT_FILE, UNKNOWN_NEED
from sendplan.routing.kpis import cost_per_transported_child_gbp, solo_share
from sendplan.routing.model import NEED_CODES, Child, Scenario, School
from sendplan.routing.solve import solve
from sendplan.routing.transport.entitlement import apply_entitlements, decide_entitlements
from sendplan.routing.travel import straight_line_model
from sendplan.routing.vrp.stop import MaxIterations

SEN2 = "DfE SEN2 2025, Leicester (856), January 2025"
COUNCIL_2018 = "Leicester City Council, June 2018: 94 of 1,178 placed outside the city"
OUT_OF_CITY_2018 = (94, 1_178)
SHARE_TOLERANCE_POINTS = 2.0
COUNT_TOLERANCE = 0.03  # of the published value, at least one child
SPECIAL = "special"
TRANSPORT_FIGURES: tuple[tuple[str, float, str], ...] = (
    ("cost_per_transported_child_gbp", 8_116.0,
     "NAO: GBP 8,116 a year per SEND pupil transported, England 2023/24"),
    ("solo_share_pre16", 0.09,
     "CCN: about 9% of pre-16 SEND pupils transported travel alone, 2024/25"),
)  # fmt: skip
TRANSPORT_ITERATIONS = 300  # per school, as the demo: reproducible
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("primary_4_10", 4, 10),
    ("secondary_11_15", 11, 15),
    ("post16_16_19", 16, 19),
)


@dataclass(frozen=True)
class Figure:
    """A published figure and how close the default must come to it."""

    name: str
    published: float
    source: str
    tolerance: float


def _count_figure(name: str, published: int, source: str) -> Figure:
    return Figure(name, published, source, max(1.0, round(COUNT_TOLERANCE * published, 2)))


def _scaled_figure(name: str, raw: int, factor: float, why: str) -> Figure:
    target = round(raw * factor, 1)
    return Figure(
        name, target, f"{SEN2}: {raw} x {factor:.4f} ({why})",
        max(1.0, round(COUNT_TOLERANCE * target, 2)),
    )  # fmt: skip


def read_published(folder: Traversable | Path | None = None) -> dict[tuple[str, ...], int]:
    """The rows of ``cohort_profile.csv``: (table, need, age, sex, placement, area, year) to
    count. Default: the embedded ``sendplan.data`` folder."""
    where = folder if folder is not None else files("sendplan.data")
    text = (where / COHORT_FILE).read_text(encoding="utf-8-sig")
    rows = csv.DictReader(io.StringIO(text))
    return {tuple(row[c] for c in COHORT_COLUMNS[:7]): int(row["count"]) for row in rows}


def _sum(facts: Mapping[tuple[str, ...], int], table: str, **keys: str) -> int:
    columns = ("need", "age", "sex", "placement", "area", "year")
    wanted = {columns.index(k) + 1: v for k, v in keys.items()}
    return sum(
        n
        for key, n in facts.items()
        if key[0] == table and all(key[i] == v for i, v in wanted.items())
    )


def published_figures(facts: Mapping[tuple[str, ...], int]) -> list[Figure]:
    """Every figure, its published value read from ``facts`` (see :func:`read_published`)."""
    figures = [
        _count_figure(
            "special_total", _sum(facts, "special_total", area="Leicester", year="202425"), SEN2
        )
    ]
    for group in dict.fromkeys(PLACEMENT_OF_SCHOOL_TYPE.values()):
        figures.append(
            _count_figure(
                f"type_{group}", _sum(facts, "special_need_placement", placement=group), SEN2
            )
        )
    share = round(100.0 * OUT_OF_CITY_2018[0] / OUT_OF_CITY_2018[1], 1)
    figures.append(Figure("out_of_city_share_pct", share, COUNCIL_2018, SHARE_TOLERANCE_POINTS))
    # The cohort has no "unknown" need and no one outside ages 4-19 (no school here takes
    # them), so each need and age band is compared with its SEN2 count scaled to the whole
    # special total: the unknown-need children spread over the known needs in proportion, and
    # those aged 20-25 over the bands. The source line gives the raw count and the factor.
    special = figures[0].published
    unknown = _sum(facts, "special_need", need=UNKNOWN_NEED)
    for need in NEED_CODES:
        raw = _sum(facts, "special_need", need=need)
        why = f"unknown need ({unknown}) spread in proportion"
        figures.append(_scaled_figure(f"need_{need}", raw, special / (special - unknown), why))
    bands = {
        name: sum(_sum(facts, "special_age", age=str(a)) for a in range(low, high + 1))
        for name, low, high in AGE_BANDS
    }
    why = f"ages outside {AGES[0]}-{AGES[-1]} spread in proportion"
    for name, raw in bands.items():
        figures.append(_scaled_figure(f"age_{name}", raw, special / sum(bands.values()), why))
    for sex in ("M", "F"):
        figures.append(_count_figure(f"sex_{sex}", _sum(facts, "special_sex", sex=sex), SEN2))
    figures.append(Figure("places_over_capacity", 0, "capacity: every roll within it", 0.0))
    figures.append(
        Figure("children_at_schools_not_open", 0, "a school not open on as_of takes no one", 0.0)
    )
    return figures


def measure(scenario: Scenario) -> dict[str, float]:
    """The default's value of every figure: its special-school children at their current
    schools (children without one count in the totals, in no placement type)."""
    schools = {s.school_id: s for s in scenario.schools}
    special = [c for c in scenario.children if c.cohort == SPECIAL]
    at: list[tuple[Child, School]] = [
        (c, schools[c.current_school]) for c in special if c.current_school in schools
    ]
    by_type = Counter(PLACEMENT_OF_SCHOOL_TYPE.get(s.type, s.type) for _, s in at)
    out_of_city = sum(1 for _, s in at if not s.in_area)
    values: dict[str, float] = {"special_total": len(special)}
    for group in dict.fromkeys(PLACEMENT_OF_SCHOOL_TYPE.values()):
        values[f"type_{group}"] = by_type.get(group, 0)
    values["out_of_city_share_pct"] = round(100.0 * out_of_city / len(at), 2) if at else 0.0
    needs = Counter(c.primary_need for c in special)
    for need in NEED_CODES:
        values[f"need_{need}"] = needs.get(need, 0)
    for name, low, high in AGE_BANDS:
        values[f"age_{name}"] = sum(1 for c in special if low <= c.age <= high)
    for sex in ("M", "F"):
        values[f"sex_{sex}"] = sum(1 for c in special if c.sex == sex)
    rolls = Counter(c.current_school for c in scenario.children if c.current_school in schools)
    values["places_over_capacity"] = sum(
        max(0, n - schools[str(sid)].capacity) for sid, n in rolls.items()
    )
    values["children_at_schools_not_open"] = sum(
        1
        for c in scenario.children
        if c.current_school in schools
        and not schools[str(c.current_school)].open_on(scenario.as_of)
    )
    return values


def transport_values(scenario: Scenario, *, iterations: int = TRANSPORT_ITERATIONS) -> list[Any]:
    """The status quo's cost per transported child and pre-16 solo share (morning routes,
    entitlements by the policy's rules for children the council has not decided)."""
    drive = straight_line_model(scenario)
    entitlements = decide_entitlements(scenario, None, drive, drive=drive)
    decided = apply_entitlements(scenario, entitlements)
    result = solve(
        decided, sessions=("am",), placement="current", stop=MaxIterations(iterations), seed=1
    )
    return [
        cost_per_transported_child_gbp(result.summary, entitlements),
        solo_share(decided, result.transport),
    ]


def fidelity(
    seeds: Iterable[int],
    scenario_for: Callable[[int], Scenario],
    *,
    facts: Mapping[tuple[str, ...], int] | None = None,
    transport: bool = False,
) -> dict[str, Any]:
    """Every figure, its value per seed and whether all seeds are within tolerance; with
    ``transport`` also the informational transport figures (see the module docstring)."""
    facts = facts if facts is not None else read_published()
    figures = published_figures(facts)
    seeds = list(seeds)
    scenarios = {seed: scenario_for(seed) for seed in seeds}
    values = {seed: measure(s) for seed, s in scenarios.items()}
    rows = []
    for f in figures:
        got = [values[seed][f.name] for seed in seeds]
        rows.append(
            {
                "name": f.name,
                "published": f.published,
                "source": f.source,
                "tolerance": f.tolerance,
                "values": got,
                "within": bool(got) and all(abs(v - f.published) <= f.tolerance for v in got),
            }
        )
    failing = {str(r["name"]) for r in rows if not r["within"]}
    first = scenarios[seeds[0]] if seeds else None
    informational = []
    if transport:
        measured = {seed: transport_values(s) for seed, s in scenarios.items()}
        informational = [
            {"name": name, "published": value, "source": source,
             "values": [measured[seed][k] for seed in seeds]}
            for k, (name, value, source) in enumerate(TRANSPORT_FIGURES)
        ]  # fmt: skip
    return {
        "seeds": seeds,
        "children": sorted({len(s.children) for s in scenarios.values()}),
        "as_of": None if first is None or first.as_of is None else first.as_of.isoformat(),
        "figures": rows,
        "all_within": not failing and bool(seeds),
        "notes": _notes(facts, figures, failing, first),
        **({"transport": informational} if transport else {}),
    }


def _notes(
    facts: Mapping[tuple[str, ...], int],
    figures: list[Figure],
    failing: set[str],
    scenario: Scenario | None,
) -> list[str]:
    """The arithmetic behind figures that published sources make contradictory."""
    published = {f.name: f.published for f in figures}
    total = published["special_total"]
    notes = []
    if scenario is not None and any(not c.current_school for c in scenario.children):
        missing = sum(1 for c in scenario.children if not c.current_school)
        notes.append(
            f"{missing} of {len(scenario.children)} children have no current school: the "
            "placement-type, out-of-city and capacity figures count only those with one"
        )
    if "out_of_city_share_pct" in failing and scenario is not None:
        private = published["type_independent"] + published["type_non_maintained"]
        in_city = sorted(
            s.name
            for s in scenario.schools
            if s.in_area and s.type in ("independent", "non_maintained")
            and s.open_on(scenario.as_of)
        )  # fmt: skip
        day = scenario.as_of.isoformat() if scenario.as_of else "any date (no as_of)"
        where = (
            f"independent or non-maintained special schools open in the city on {day}: "
            f"{', '.join(in_city) if in_city else 'none'}"
        )
        quota = {
            g: round(published[f"type_{g}"])
            for g in dict.fromkeys(PLACEMENT_OF_SCHOOL_TYPE.values())
        }
        private_quota = {g: quota[g] for g in ("independent", "non_maintained")}
        outside, _ = out_of_city_floor(private_quota, scenario.schools, scenario.as_of)
        floor, floor_share = out_of_city_floor(quota, scenario.schools, scenario.as_of)
        notes.append(
            f"out_of_city_share_pct: SEN2 2025 has {private:.0f} children in independent "
            f"({published['type_independent']:.0f}) or non-maintained "
            f"({published['type_non_maintained']:.0f}) special schools; {where}; so at least "
            f"{outside:.0f} of {total:.0f} ({100 * outside / total:.1f}%) are outside the "
            f"city, and with every type beyond the city's open places of that type at least "
            f"{floor} ({100 * floor_share:.1f}%), against the council's "
            f"{OUT_OF_CITY_2018[0]} of {OUT_OF_CITY_2018[1]:,} "
            f"({published['out_of_city_share_pct']}%) in June 2018; {_outside(scenario)}"
        )
    if any(name.startswith(("age_", "need_")) for name in failing):
        notes.append(
            "needs and age bands are compared with SEN2's counts scaled to the special total "
            "(each figure's source gives the raw count and the factor); a miss there is the "
            "draw's rounding of a small count"
        )
    return notes


def _outside(scenario: Scenario) -> str:
    """Where the first seed's special-school children outside the city are, by school type."""
    schools = {s.school_id: s for s in scenario.schools}
    at = [
        schools[str(c.current_school)]
        for c in scenario.children
        if c.cohort == SPECIAL and c.current_school in schools
    ]
    out = [s for s in at if not s.in_area]
    private = sum(1 for s in out if s.type in ("independent", "non_maintained"))
    return (
        f"the first seed has {len(out)} of {len(at)} outside the city: {private} independent "
        f"or non-maintained, {len(out) - private} maintained, academy or free"
    )


__all__ = ["Figure", "fidelity", "measure", "published_figures", "read_published"]
