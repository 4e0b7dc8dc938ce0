"""A synthetic Leicester cohort drawn from published figures: every child is invented.

The profile (``load_profile``) comes from three compact tables next to this module, each row
with its source (see SOURCES.md, "Cohort profile and child population"):

- ``cohort_profile.csv``: DfE SEN2 2024/25 counts for Leicester (LA 856): special-school
  children by primary need, age, sex and placement type; all EHC plans by need x age and
  need x sex; residential placements.
- ``flags_profile.csv``: per-need rates for what SEN2 does not publish per child (wheelchair,
  assistant, travel alone, residential need, preferences), each row
  marked "assumption" or with its SEN2 basis.
- ``lsoa_children.csv``: Leicester's 200 LSOAs with children aged 0-15 (mid-2022) and a
  simplified polygon, so homes fall where children live.

The need x age joint for special-school children is not published, so ``load_profile`` rakes
(iterative proportional fitting) the all-plans need x age table for ages 4..19 to the
special-school need and age totals; sex by need is raked the same way. Children whose need is
recorded as unknown are spread over the known needs in proportion.

``generate_cohort`` is deterministic: one ``numpy.random.default_rng(seed)`` split into separate
streams for the mix, the homes, the flags and the preferences, so changing the schools changes
only the preferences. Counts per need follow the profile within one child (systematic
sampling), so need shares match the published shares for any seed.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from sendplan.geo.straight_line import haversine_m
from sendplan.routing.model import NEED_CODES, Child, School, Sex

COHORT_FILE = "cohort_profile.csv"
FLAGS_FILE = "flags_profile.csv"
LSOA_FILE = "lsoa_children.csv"

AGES: tuple[int, ...] = tuple(range(4, 20))  # special schools in and around Leicester take 4..19
UNKNOWN_NEED = "unknown"
LEICESTER_LA = "856"
COORD_DECIMALS = 5  # about 1 m
# Preferences: weight exp(-distance / scale), so a school 5 km further away is e times less likely.
PREFERENCE_DISTANCE_SCALE_M = 5_000.0
MAX_PREFERENCES = 3
TRAVEL_ALONE_MIN_AGE = 11  # travel training and solo travel are for secondary pupils
MAX_HOME_TRIES = 10_000
RAKE_TOLERANCE = 1e-9
RAKE_MAX_ITERATIONS = 10_000

COHORT_COLUMNS = ("table", "need", "age", "sex", "placement", "area", "year", "count", "source")
FLAGS_COLUMNS = ("flag", "need", "rate", "basis", "why")
LSOA_COLUMNS = (
    "lsoa_code", "ward", "centroid_lon", "centroid_lat", "children_0_15", "imd_decile",
    "polygon_wkt",
)  # fmt: skip


class ProfileError(ValueError):
    """A profile table is missing, malformed or inconsistent; the message names file/row/field."""


@dataclass(frozen=True, slots=True)
class NeedRates:
    """Per-need probabilities, each a tuple aligned with ``NEED_CODES``."""

    wheelchair: tuple[float, ...]
    needs_assistant: tuple[float, ...]
    travel_alone: tuple[float, ...]
    residential_need: tuple[float, ...]
    states_preferences: tuple[float, ...]
    independent_first_preference: tuple[float, ...]


FLAGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(NeedRates))


@dataclass(frozen=True, slots=True)
class Lsoa:
    """A Lower-layer Super Output Area with its child population and (simplified) polygon."""

    code: str
    ward: str
    lon: float
    lat: float
    children_0_15: int
    imd_decile: int
    polygon: Any  # shapely Polygon (WGS84), prepared for fast point tests


@dataclass(frozen=True)
class CohortProfile:
    """What a synthetic cohort is drawn from. Rows follow ``NEED_CODES``, columns ``ages``."""

    ages: tuple[int, ...]
    need_age_children: tuple[tuple[float, ...], ...]  # raked special-school children
    male_share: tuple[float, ...]  # per need
    rates: NeedRates
    lsoas: tuple[Lsoa, ...]

    def need_shares(self) -> dict[str, float]:
        """Share of special-school children by primary need (unknown spread in proportion)."""
        totals = [sum(row) for row in self.need_age_children]
        grand = sum(totals)
        return {need: total / grand for need, total in zip(NEED_CODES, totals, strict=True)}

    def mean_age(self) -> float:
        """Mean age (on 31 August) of special-school children aged 4..19."""
        table = np.asarray(self.need_age_children)
        return float((table.sum(axis=0) * np.asarray(self.ages)).sum() / table.sum())

    def overall_male_share(self) -> float:
        """Share of boys across all needs."""
        totals = np.asarray(self.need_age_children).sum(axis=1)
        return float((totals * np.asarray(self.male_share)).sum() / totals.sum())


# --- raking --------------------------------------------------------------------------------------


def rake(
    seed: NDArray[np.float64],
    *,
    row_totals: NDArray[np.float64],
    column_totals: NDArray[np.float64],
    tolerance: float = RAKE_TOLERANCE,
    max_iterations: int = RAKE_MAX_ITERATIONS,
) -> NDArray[np.float64]:
    """Iterative proportional fitting: scale ``seed`` until its margins match the totals.

    Zero cells stay zero, so the seed's pattern (which needs occur at which ages) is kept while
    the margins become the targets. Raises ValueError if the margins cannot be met.
    """
    table = np.array(seed, dtype=np.float64)
    rows = np.asarray(row_totals, dtype=np.float64)
    cols = np.asarray(column_totals, dtype=np.float64)
    if table.shape != (rows.size, cols.size):
        raise ValueError(f"seed shape {table.shape} does not match the totals")
    if (table < 0).any() or (rows < 0).any() or (cols < 0).any():
        raise ValueError("raking needs non-negative seed and totals")
    if not math.isclose(rows.sum(), cols.sum(), rel_tol=1e-9):
        raise ValueError(f"row totals {rows.sum()} and column totals {cols.sum()} differ")
    scale = max(rows.sum(), 1.0)
    gap = math.inf
    for _ in range(max_iterations):
        row_now = table.sum(axis=1)
        table *= np.divide(rows, row_now, out=np.zeros_like(rows), where=row_now > 0)[:, None]
        col_now = table.sum(axis=0)
        table *= np.divide(cols, col_now, out=np.zeros_like(cols), where=col_now > 0)[None, :]
        gap = max(
            float(np.abs(table.sum(axis=1) - rows).max(initial=0.0)),
            float(np.abs(table.sum(axis=0) - cols).max(initial=0.0)),
        )
        if gap <= tolerance * scale:
            return table
    raise ValueError(f"raking did not converge in {max_iterations} iterations (gap {gap:.3g})")


def spread_unknown(counts: Mapping[str, float]) -> dict[str, float]:
    """Counts by known need with the ``unknown`` count shared out in proportion."""
    known = {need: float(counts[need]) for need in NEED_CODES}
    total_known = sum(known.values())
    if total_known <= 0:
        raise ValueError("no children with a known need to spread the unknown over")
    factor = (total_known + float(counts.get(UNKNOWN_NEED, 0.0))) / total_known
    return {need: value * factor for need, value in known.items()}


# --- reading the tables --------------------------------------------------------------------------


def _read_rows(
    folder: Traversable | Path, name: str, columns: tuple[str, ...]
) -> list[dict[str, str]]:
    path = folder / name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ProfileError(f"{name}: missing from {folder}") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != columns:
        raise ProfileError(f"{name} row 1: columns must be {', '.join(columns)}; got {header}")
    rows = list(reader)
    for number, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise ProfileError(f"{name} row {number}: wrong number of cells")
    return rows


def _number(name: str, row: int, field: str, text: str, convert: Callable[[str], Any]) -> Any:
    try:
        value = convert(text)
    except ValueError as exc:
        raise ProfileError(f"{name} row {row} field {field}: not a number: {text!r}") from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise ProfileError(f"{name} row {row} field {field}: not a finite number: {text!r}")
    return value


FactKey = tuple[str, ...]  # (table, need, age, sex, placement, area, year)


def _read_facts(folder: Traversable | Path) -> dict[FactKey, int]:
    facts: dict[FactKey, int] = {}
    for number, row in enumerate(_read_rows(folder, COHORT_FILE, COHORT_COLUMNS), start=2):
        count = _number(COHORT_FILE, number, "count", row["count"], int)
        if count < 0:
            raise ProfileError(f"{COHORT_FILE} row {number} field count: negative")
        key = tuple(row[c] for c in COHORT_COLUMNS[:7])
        if key in facts:
            raise ProfileError(f"{COHORT_FILE} row {number}: repeats an earlier row")
        facts[key] = count
    return facts


def _fact(facts: Mapping[FactKey, int], table: str, **keys: object) -> int:
    fields = {c: str(keys.get(c, "")) for c in COHORT_COLUMNS[1:7]}
    key: FactKey = (table, *fields.values())
    if key not in facts:
        described = ", ".join(f"{k}={v}" for k, v in fields.items() if v)
        raise ProfileError(f"{COHORT_FILE}: no {table} row for {described or 'the total'}")
    return facts[key]


def _read_rates(folder: Traversable | Path) -> NeedRates:
    rates: dict[str, dict[str, float]] = {flag: {} for flag in FLAGS}
    for number, row in enumerate(_read_rows(folder, FLAGS_FILE, FLAGS_COLUMNS), start=2):
        flag, need = row["flag"], row["need"]
        if flag not in rates:
            raise ProfileError(f"{FLAGS_FILE} row {number} field flag: unknown flag {flag!r}")
        if need not in NEED_CODES:
            raise ProfileError(f"{FLAGS_FILE} row {number} field need: unknown need {need!r}")
        if need in rates[flag]:
            raise ProfileError(f"{FLAGS_FILE} row {number}: {flag} for {need} given twice")
        rate = _number(FLAGS_FILE, number, "rate", row["rate"], float)
        if not 0.0 <= rate <= 1.0:
            raise ProfileError(f"{FLAGS_FILE} row {number} field rate: {rate} outside 0..1")
        if not row["basis"].strip():
            raise ProfileError(f"{FLAGS_FILE} row {number} field basis: empty")
        rates[flag][need] = rate
    for flag, by_need in rates.items():
        missing = [need for need in NEED_CODES if need not in by_need]
        if missing:
            raise ProfileError(f"{FLAGS_FILE}: no {flag} rate for {', '.join(missing)}")
    return NeedRates(**{f: tuple(rates[f][n] for n in NEED_CODES) for f in FLAGS})


def _read_lsoas(folder: Traversable | Path) -> tuple[Lsoa, ...]:
    lsoas = []
    for number, row in enumerate(_read_rows(folder, LSOA_FILE, LSOA_COLUMNS), start=2):
        try:
            polygon = shapely.from_wkt(row["polygon_wkt"])
        except shapely.errors.ShapelyError as exc:
            raise ProfileError(f"{LSOA_FILE} row {number} field polygon_wkt: {exc}") from exc
        if polygon.geom_type != "Polygon" or polygon.is_empty or not polygon.is_valid:
            raise ProfileError(f"{LSOA_FILE} row {number} field polygon_wkt: not a valid polygon")
        shapely.prepare(polygon)
        children = _number(LSOA_FILE, number, "children_0_15", row["children_0_15"], int)
        if children < 0:
            raise ProfileError(f"{LSOA_FILE} row {number} field children_0_15: negative")
        lsoas.append(
            Lsoa(
                code=row["lsoa_code"],
                ward=row["ward"],
                lon=_number(LSOA_FILE, number, "centroid_lon", row["centroid_lon"], float),
                lat=_number(LSOA_FILE, number, "centroid_lat", row["centroid_lat"], float),
                children_0_15=children,
                imd_decile=_number(LSOA_FILE, number, "imd_decile", row["imd_decile"], int),
                polygon=polygon,
            )
        )
    if sum(lsoa.children_0_15 for lsoa in lsoas) <= 0:
        raise ProfileError(f"{LSOA_FILE}: no children to weight homes by")
    return tuple(lsoas)


def read_profile(folder: Traversable | Path) -> CohortProfile:
    """The cohort profile from the three tables in ``folder`` (raises ProfileError if bad)."""
    facts = _read_facts(folder)
    need_totals = spread_unknown(
        {n: _fact(facts, "special_need", need=n) for n in (*NEED_CODES, UNKNOWN_NEED)}
    )
    rows = np.array([need_totals[n] for n in NEED_CODES])
    ages = np.array([_fact(facts, "special_age", age=a) for a in AGES], dtype=np.float64)
    if ages.sum() <= 0:
        raise ProfileError(f"{COHORT_FILE}: no special-school children aged 4..19")
    seed_age = np.array(
        [[_fact(facts, "all_plans_need_age", need=n, age=a) for a in AGES] for n in NEED_CODES],
        dtype=np.float64,
    )
    sexes = np.array([_fact(facts, "special_sex", sex=s) for s in ("M", "F")], dtype=np.float64)
    seed_sex = np.array(
        [
            [_fact(facts, "all_plans_need_sex", need=n, sex=s) for s in ("M", "F")]
            for n in NEED_CODES
        ],
        dtype=np.float64,
    )
    try:
        joint = rake(seed_age, row_totals=rows, column_totals=ages * rows.sum() / ages.sum())
        by_sex = rake(seed_sex, row_totals=rows, column_totals=sexes * rows.sum() / sexes.sum())
    except ValueError as exc:
        raise ProfileError(f"{COHORT_FILE}: {exc}") from exc
    male = np.divide(by_sex[:, 0], rows, out=np.full(rows.size, 0.5), where=rows > 0)
    return CohortProfile(
        ages=AGES,
        need_age_children=tuple(tuple(float(v) for v in row) for row in joint),
        male_share=tuple(float(v) for v in male),
        rates=_read_rates(folder),
        lsoas=_read_lsoas(folder),
    )


@cache
def load_profile() -> CohortProfile:
    """The embedded Leicester profile from the ``sendplan.data`` package (read once)."""
    return read_profile(files("sendplan.data"))


# --- drawing -------------------------------------------------------------------------------------


def systematic_counts(expected: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    """Whole counts summing to round(expected.sum()), each the floor or ceiling of its expectation.

    Systematic sampling with one random start: any run of adjacent cells also gets the floor or
    ceiling of its total, so with cells in need-major order the need counts are exact to one child.
    """
    n = round(float(expected.sum()))
    bounds = np.cumsum(expected)
    if bounds.size:
        bounds[-1] = n
    start = rng.random()
    edges = np.concatenate(([0.0], np.maximum(np.ceil(bounds - start), 0.0)))
    return np.diff(edges).astype(np.int64)


def _draw_mix(
    profile: CohortProfile, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Need index, age and is-male for ``n`` children, in random order."""
    table = np.asarray(profile.need_age_children, dtype=np.float64)
    n_ages = table.shape[1]
    counts = systematic_counts(n * table.ravel() / table.sum(), rng)
    cells = np.repeat(np.arange(counts.size), counts)
    need = cells // n_ages
    age = np.asarray(profile.ages, dtype=np.int64)[cells % n_ages]
    male = np.zeros(n, dtype=np.bool_)
    for i, share in enumerate(profile.male_share):
        (members,) = np.nonzero(need == i)
        expected = members.size * share
        boys = math.floor(expected) + int(rng.random() < expected - math.floor(expected))
        male[rng.permutation(members)[:boys]] = True
    order = rng.permutation(n)
    return need[order], age[order], male[order]


def _draw_homes(
    lsoas: Sequence[Lsoa], n: int, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Homes: an LSOA by child population, then a uniform point inside its polygon."""
    weights = np.array([lsoa.children_0_15 for lsoa in lsoas], dtype=np.float64)
    picks = rng.choice(len(lsoas), size=n, p=weights / weights.sum())
    homes = []
    for pick in picks:
        polygon = lsoas[int(pick)].polygon
        min_lon, min_lat, max_lon, max_lat = polygon.bounds
        for _ in range(MAX_HOME_TRIES):
            u, v = (float(x) for x in rng.random(2))
            # Rounded before the test, so the stored point itself lies inside the polygon.
            lon = round(min_lon + u * (max_lon - min_lon), COORD_DECIMALS)
            lat = round(min_lat + v * (max_lat - min_lat), COORD_DECIMALS)
            if shapely.contains_xy(polygon, lon, lat):
                homes.append((lon, lat))
                break
        else:
            raise RuntimeError(f"no home found inside LSOA {lsoas[int(pick)].code}")
    return homes


def _draw_preferences(
    child: Child,
    schools: Sequence[School],
    school_lonlat: NDArray[np.float64],
    rng: np.random.Generator,
    *,
    states_rate: float,
    independent_rate: float,
) -> tuple[str, ...]:
    """Up to three ranked admitting schools, nearer ones likelier; none if none admits."""
    u_state, u_independent = rng.random(2)
    wanted = int(rng.integers(1, MAX_PREFERENCES + 1))
    admitting = [i for i, school in enumerate(schools) if school.admits(child)]
    if not admitting or u_state >= states_rate:
        return ()
    idx = np.array(admitting)
    distance_m = haversine_m(
        np.full(idx.size, child.lon),
        np.full(idx.size, child.lat),
        school_lonlat[idx, 0],
        school_lonlat[idx, 1],
    )
    weight = np.exp(-distance_m / PREFERENCE_DISTANCE_SCALE_M)
    independent = np.array([schools[i].type == "independent" for i in admitting])
    first_pool = independent if independent.all() else ~independent
    if independent.any() and u_independent < independent_rate:
        first_pool = independent
    chosen: list[int] = []
    pool = first_pool
    for _ in range(min(wanted, idx.size)):
        w = np.where(pool, weight, 0.0)
        if w.sum() <= 0:  # every candidate is implausibly far: choose evenly
            w = pool.astype(np.float64)
        pick = int(rng.choice(idx.size, p=w / w.sum()))
        chosen.append(pick)
        pool = np.ones(idx.size, dtype=np.bool_)
        pool[chosen] = False
    return tuple(schools[admitting[k]].school_id for k in chosen)


def generate_cohort(
    *,
    schools: Sequence[School],
    seed: int,
    n_children: int = 1345,
    profile: CohortProfile | None = None,
) -> tuple[Child, ...]:
    """``n_children`` synthetic children (ids C00001, ...) drawn from ``profile`` by ``seed``.

    Need and age follow the raked special-school joint, sex the raked share per need, flags the
    per-need rates, homes Leicester's child population by LSOA. About 60% state 1-3 ranked
    preferences among ``schools`` that admit them. No child is locked or has a current school
    (``sendplan.data.status_quo`` draws one); transport eligibility is left to the policy's
    rules (``transport_eligible=None``).
    """
    if n_children < 0:
        raise ValueError(f"n_children must not be negative, got {n_children}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    profile = profile if profile is not None else load_profile()
    mix_rng, home_rng, flag_rng, preference_rng = np.random.default_rng(seed).spawn(4)

    need, age, male = _draw_mix(profile, n_children, mix_rng)
    homes = _draw_homes(profile.lsoas, n_children, home_rng)
    rates = profile.rates
    rate = {f: np.asarray(getattr(rates, f), dtype=np.float64)[need] for f in FLAGS}
    u = flag_rng.random((n_children, 5))  # column 3 (once transport eligibility) stays unused
    wheelchair = u[:, 0] < rate["wheelchair"]
    assistant = u[:, 1] < rate["needs_assistant"]
    alone = (
        (u[:, 2] < rate["travel_alone"]) & (age >= TRAVEL_ALONE_MIN_AGE) & ~wheelchair & ~assistant
    )
    residential = u[:, 4] < rate["residential_need"]

    school_lonlat = np.array([(s.lon, s.lat) for s in schools], dtype=np.float64).reshape(-1, 2)
    children = []
    for i in range(n_children):
        sex: Sex = "M" if male[i] else "F"
        child = Child(
            child_id=f"C{i + 1:05d}",
            lon=homes[i][0],
            lat=homes[i][1],
            age=int(age[i]),
            primary_need=NEED_CODES[int(need[i])],
            sex=sex,
            residential_need=bool(residential[i]),
            wheelchair=bool(wheelchair[i]),
            needs_assistant=bool(assistant[i]),
            travel_alone=bool(alone[i]),
            # Decided at solve time by the policy's eligibility rules (walking distance by age,
            # post-16 by exception), not drawn here.
            transport_eligible=None,
            home_la=LEICESTER_LA,
        )
        preferences = _draw_preferences(
            child,
            schools,
            school_lonlat,
            preference_rng,
            states_rate=float(rate["states_preferences"][i]),
            independent_rate=float(rate["independent_first_preference"][i]),
        )
        children.append(dataclasses.replace(child, preferences=preferences))
    return tuple(children)
