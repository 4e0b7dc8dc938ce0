"""Cohort forecast of EHC plans and special-school demand by age band (phase) and need.

A cohort-component model on SEN2's five age bands, which are also the school phases:

* **ageing**: each January a share of every band (``ageing_out``, 1/width by default: ages
  are spread evenly in a band) moves up one band; those leaving the top band (age 25) cease;
* **continuation** ``g``: next year's count in a band is ``g`` times its aged-on base (stayers
  plus those aged in). ``g`` is fitted from the last ``history_years`` transitions, shrunk
  towards a pooled (e.g. national) fit, and damped year by year towards the ratio that holds the
  band level (a damped trend: growth of plans does not go on for ever at its recent rate);
* **new and ceased plans** split the net change: ``ceased_rate`` of the base cease, the rest of
  the change is new plans (SEN2 gives ceased plans by age and LA only from 2024, so the rate is
  fitted where there is data and stated otherwise);
* **special schools**: the total follows its own damped log-linear trend (``special_growth`` a
  year, fitted from the special-school totals: places, not plans, bound it); the cohort splits
  it between bands in proportion to plans x ``special_share``;
* **need**: special demand in each phase split by ``need_share``, each need drifting by
  ``need_growth`` a year (relative, renormalised);
* **uncertainty**: a band from back-test errors, quantiles of log(actual / forecast) by horizon.

Pure numpy/pandas: no file I/O (``sendplan.data.sen2`` reads the releases,
``sendplan.data.forecast_params`` fits and reads the parameters).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from sendplan.routing.model import School

AGE_BANDS: tuple[str, ...] = ("under_5", "5_10", "11_15", "16_19", "20_25")
# Ages in each band (January): "under 5" is mostly 3-4 in SEN2 (under-3s are a handful).
BAND_AGES: dict[str, tuple[int, int]] = {
    "under_5": (2, 4),
    "5_10": (5, 10),
    "11_15": (11, 15),
    "16_19": (16, 19),
    "20_25": (20, 25),
}
PHASES: dict[str, str] = {
    "under_5": "early_years",
    "5_10": "primary",
    "11_15": "secondary",
    "16_19": "post_16",
    "20_25": "post_19",
}

DSP_TYPE = "resourced_provision"


def band_of_age(age: int) -> str:
    """The age band of a single year of age (under 2 counts as under 5, over 25 as 20-25)."""
    for band, (_low, high) in BAND_AGES.items():
        if age <= high:
            return band
    return AGE_BANDS[-1]


def _even_ageing() -> dict[str, float]:
    return {b: 1.0 / (high - low + 1) for b, (low, high) in BAND_AGES.items()}


@dataclass(frozen=True)
class ForecastParams:
    """Everything the projection uses; each field can be overridden (``dataclasses.replace``).

    Rates are per year. ``origin_plans``/``origin_special`` are the January ``origin_year`` stock
    the projection starts from. ``error_log_lo``/``error_log_hi`` are the 10th/90th percentiles
    of log(actual / forecast) of the special total by horizon (index 0 is one year ahead).
    """

    origin_year: int
    origin_plans: dict[str, float]
    origin_special: float
    continuation: dict[str, float]
    special_share: dict[str, float]
    special_growth: float = 0.0
    damping: float = 0.9
    growth_damping: float = 1.0
    ageing_out: dict[str, float] = field(default_factory=_even_ageing)
    ceased_rate: dict[str, float] = field(
        default_factory=lambda: {
            "under_5": 0.02,
            "5_10": 0.02,
            "11_15": 0.03,
            "16_19": 0.12,
            "20_25": 0.15,
        }
    )
    need_share: dict[str, dict[str, float]] = field(default_factory=dict)
    need_growth: dict[str, float] = field(default_factory=dict)
    special_by_type: dict[str, float] = field(default_factory=dict)
    error_log_lo: tuple[float, ...] = ()
    error_log_hi: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name in ("origin_plans", "continuation", "special_share", "ageing_out", "ceased_rate"):
            values = getattr(self, name)
            missing = [b for b in AGE_BANDS if b not in values]
            if missing:
                raise ValueError(f"{name} has no value for age band {missing[0]}")
            bad = [b for b in AGE_BANDS if not (math.isfinite(values[b]) and values[b] >= 0)]
            if bad:
                raise ValueError(f"{name} for age band {bad[0]} must be a number >= 0")
        for name in ("ageing_out", "ceased_rate", "damping", "growth_damping"):
            values = getattr(self, name)
            for value in values.values() if isinstance(values, dict) else (values,):
                if not 0 <= value <= 1:
                    raise ValueError(f"{name} must lie in 0..1")


def age_on(plans: np.ndarray, ageing_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """One January of ageing: (stayed, aged_in) per band and the count leaving the top band."""
    moving = plans * ageing_out
    aged_in = np.concatenate([[0.0], moving[:-1]])
    return plans - moving, aged_in, float(moving[-1])


def _level_ratio(plans: np.ndarray, ageing_out: np.ndarray) -> np.ndarray:
    """Continuation that would hold every band at its current count (the damping target)."""
    stayed, aged_in, _ = age_on(plans, ageing_out)
    base = stayed + aged_in
    return np.where(base > 0, plans / np.maximum(base, 1e-9), 1.0)


def project_cohort(params: ForecastParams, *, years: int) -> pd.DataFrame:
    """Plans by age band for ``years`` Januaries after the origin, with each year's components.

    Columns: year, age_band, phase, plans, stayed, aged_in, new, ceased, special. For every year,
    ``plans`` summed over bands equals last year's sum + new - ceased (ageing moves children
    between bands; those leaving at 25 are counted in the top band's ``ceased``).
    """
    ageing = np.array([params.ageing_out[b] for b in AGE_BANDS])
    ceased_rate = np.array([params.ceased_rate[b] for b in AGE_BANDS])
    log_g = np.log(np.maximum([params.continuation[b] for b in AGE_BANDS], 1e-9))
    share = np.array([params.special_share[b] for b in AGE_BANDS])
    plans = np.array([params.origin_plans[b] for b in AGE_BANDS], dtype=float)
    log_target = np.log(np.maximum(_level_ratio(plans, ageing), 1e-9))
    rows = []
    growth_level = 0.0
    for h in range(1, years + 1):
        stayed, aged_in, left_top = age_on(plans, ageing)
        base = stayed + aged_in
        ratio = np.exp(log_target + params.damping**h * (log_g - log_target))
        following = base * ratio
        ceased = np.minimum(base * ceased_rate, base)
        # A fall bigger than the ceasing rate means more plans ceased, not negative new plans.
        ceased = np.maximum(ceased, base - following)
        new = following - base + ceased
        ceased[-1] += left_top
        growth_level += params.special_growth * params.growth_damping**h
        # The special total follows its own damped trend (places, not plans, limit it); the
        # cohort only splits it between bands.
        weights = following * share
        total = params.origin_special * math.exp(growth_level)
        special = weights / weights.sum() * total if weights.sum() > 0 else weights
        for i, band in enumerate(AGE_BANDS):
            rows.append(
                (
                    params.origin_year + h,
                    band,
                    PHASES[band],
                    following[i],
                    stayed[i],
                    aged_in[i],
                    new[i],
                    ceased[i],
                    special[i],
                )
            )
        plans = following
    columns = ["year", "age_band", "phase", "plans", "stayed", "aged_in", "new", "ceased"]
    return pd.DataFrame(rows, columns=[*columns, "special"])


def special_totals(params: ForecastParams, *, years: int) -> pd.DataFrame:
    """Special-school placements each year (origin included) with a low/high band.

    Columns: year, special, special_low, special_high. The band applies the back-test error
    quantiles of the horizon (beyond the last, they widen with the square root of the horizon).
    """
    cohort = project_cohort(params, years=years)
    totals = cohort.groupby("year")["special"].sum()
    rows = [
        (params.origin_year, params.origin_special, params.origin_special, params.origin_special)
    ]
    for h, value in enumerate(totals.to_numpy(dtype=float), start=1):
        lo, hi = _error_band(params, h)
        year = params.origin_year + h
        rows.append((year, float(value), value * math.exp(lo), value * math.exp(hi)))
    return pd.DataFrame(rows, columns=["year", "special", "special_low", "special_high"])


BANDS = ("central", "low", "high")


def demand_factors(
    params: ForecastParams, years: Sequence[int], *, base_year: int, band: str = "central"
) -> dict[int, float]:
    """Each year's special-school demand over the ``base_year``'s, from ``special_totals``:
    the cohort factors ``expand`` scales a scenario's children by. ``band`` low or high takes
    the year's end of the 80% band (over the base year's central value)."""
    if band not in BANDS:
        raise ValueError(f"band must be one of {', '.join(BANDS)}, not {band!r}")
    if base_year < params.origin_year:
        raise ValueError(
            f"the forecast starts in {params.origin_year}, after the scenario's year {base_year}"
        )
    early = [y for y in years if y < base_year]
    if early:
        raise ValueError(f"{early[0]} is before the scenario's year {base_year}")
    last = max([base_year, *years])
    totals = special_totals(params, years=last - params.origin_year)
    column = "special" if band == "central" else f"special_{band}"
    year_list = totals["year"].tolist()
    value = dict(zip(year_list, totals[column].tolist(), strict=True))
    base = dict(zip(year_list, totals["special"].tolist(), strict=True))[base_year]
    if not base > 0:
        raise ValueError(f"the forecast has no special-school demand in {base_year}")
    return {int(y): float(value[y]) / base for y in years}


def _error_band(params: ForecastParams, horizon: int) -> tuple[float, float]:
    lo, hi = params.error_log_lo, params.error_log_hi
    if not lo or not hi:
        return 0.0, 0.0
    last = min(len(lo), len(hi))
    if horizon <= last:
        return lo[horizon - 1], hi[horizon - 1]
    widen = math.sqrt(horizon / last)
    return lo[last - 1] * widen, hi[last - 1] * widen


def special_demand(params: ForecastParams, *, years: int) -> pd.DataFrame:
    """Special-school demand by year, phase and need, with the low/high band.

    Columns: year, phase, need, demand, demand_low, demand_high. Without ``need_share`` for a
    phase the need is ``all``. The band is the total's, proportionally (needs move together).
    """
    cohort = project_cohort(params, years=years)
    rows = []
    summed = cohort.groupby(["year", "phase"], sort=True)["special"].sum().reset_index()
    for year, phase, special in summed.itertuples(index=False):
        h = int(year) - params.origin_year
        lo, hi = _error_band(params, h)
        for need, share in _need_shares(params, str(phase), h).items():
            value = float(special) * share
            rows.append((int(year), phase, need, value, value * math.exp(lo), value * math.exp(hi)))
    columns = ["year", "phase", "need", "demand", "demand_low", "demand_high"]
    return pd.DataFrame(rows, columns=columns)


def _need_shares(params: ForecastParams, phase: str, horizon: int) -> dict[str, float]:
    shares = params.need_share.get(phase)
    if not shares:
        return {"all": 1.0}
    drifted = {n: s * math.exp(params.need_growth.get(n, 0.0) * horizon) for n, s in shares.items()}
    total = sum(drifted.values())
    return {n: v / total for n, v in drifted.items()} if total > 0 else {"all": 1.0}


def fit_continuation(
    plans: pd.DataFrame, *, fit_to: int, history_years: int, ageing_out: dict[str, float]
) -> dict[str, float] | None:
    """Geometric-mean continuation per band over the last ``history_years`` transitions up to
    ``fit_to``; ``plans`` is indexed by year with one column per band. None if no transition."""
    ageing = np.array([ageing_out[b] for b in AGE_BANDS])
    logs = []
    for year in range(fit_to, fit_to - history_years, -1):
        if year not in plans.index or year - 1 not in plans.index:
            continue
        before = plans.loc[year - 1, list(AGE_BANDS)].to_numpy(dtype=float)
        after = plans.loc[year, list(AGE_BANDS)].to_numpy(dtype=float)
        stayed, aged_in, _ = age_on(before, ageing)
        base = stayed + aged_in
        if np.isnan(before).any() or np.isnan(after).any() or (base <= 0).any():
            continue
        logs.append(np.log(np.maximum(after, 0.5) / base))
    if not logs:
        return None
    mean = np.mean(logs, axis=0)
    return {b: float(math.exp(v)) for b, v in zip(AGE_BANDS, mean, strict=True)}


def fit_special_growth(special: pd.Series, *, fit_to: int, history_years: int) -> float:
    """Yearly log growth of special-school placements: the least-squares slope of the log totals
    over the ``history_years`` + 1 Januaries up to ``fit_to`` (0 with fewer than two)."""
    points = [
        (year, math.log(special[year]))
        for year in range(fit_to - history_years, fit_to + 1)
        if year in special.index and not pd.isna(special[year]) and special[year] > 0
    ]
    if len(points) < 2:
        return 0.0
    x, y = np.array(points).T
    return float(np.polyfit(x, y, 1)[0])


def fit_forecast(
    plans: pd.DataFrame,
    special: pd.Series,
    *,
    fit_to: int,
    history_years: int = 3,
    prior: ForecastParams | None = None,
    shrink: float = 0.5,
    profile: dict[str, float] | None = None,
    base: ForecastParams | None = None,
) -> ForecastParams:
    """Parameters fitted from one LA's January series up to ``fit_to`` (nothing later is read).

    ``plans``: index year, one column per band. ``special``: special-school totals by year.
    ``prior``: a pooled fit (e.g. all LAs) the LA's continuation and share trend are shrunk
    towards with weight ``shrink`` (borrowing strength; 0 = the LA alone). ``profile``: the
    relative special share by band (default flat). ``base`` supplies every other parameter.
    """
    if fit_to not in plans.index or fit_to not in special.index or pd.isna(special[fit_to]):
        raise ValueError(f"no January {fit_to} figures to start from")
    profile = profile or {b: 1.0 for b in AGE_BANDS}
    ageing = base.ageing_out if base else _even_ageing()
    origin_row = plans.loc[fit_to, list(AGE_BANDS)].to_numpy(dtype=float)
    local = fit_continuation(plans, fit_to=fit_to, history_years=history_years, ageing_out=ageing)
    trend = fit_special_growth(special, fit_to=fit_to, history_years=history_years)
    if local is None:
        local = prior.continuation if prior else _level_hold(origin_row, ageing)
    if prior is not None:
        local = {
            b: math.exp(
                (1 - shrink) * math.log(local[b]) + shrink * math.log(prior.continuation[b])
            )
            for b in AGE_BANDS
        }
        trend = (1 - shrink) * trend + shrink * prior.special_growth
    origin = dict(zip(AGE_BANDS, map(float, origin_row), strict=True))
    weighted = sum(origin[b] * profile[b] for b in AGE_BANDS)
    scale = float(special[fit_to]) / weighted if weighted > 0 else 0.0
    fitted = {
        "origin_year": fit_to,
        "origin_plans": origin,
        "origin_special": float(special[fit_to]),
        "continuation": local,
        "special_share": {b: profile[b] * scale for b in AGE_BANDS},
        "special_growth": trend,
    }
    if base is not None:
        return replace(base, **fitted)  # type: ignore[arg-type]
    return ForecastParams(**fitted)  # type: ignore[arg-type]


def _level_hold(origin: np.ndarray, ageing_out: dict[str, float]) -> dict[str, float]:
    ageing = np.array([ageing_out[b] for b in AGE_BANDS])
    ratio = _level_ratio(origin, ageing)
    return dict(zip(AGE_BANDS, map(float, ratio), strict=True))


def sufficiency(demand: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Demand against places by year, phase and need: surplus (places - demand) and its band.

    ``places``: year, phase, need, places (need ``all`` rows are the phase's total places).
    A negative ``surplus`` is a shortfall; ``surplus_low`` is the surplus if demand is high.
    """
    table = demand.merge(places, on=["year", "phase", "need"], how="left")
    table["places"] = table["places"].fillna(0.0)
    table["surplus"] = table["places"] - table["demand"]
    table["surplus_low"] = table["places"] - table["demand_high"]
    table["surplus_high"] = table["places"] - table["demand_low"]
    return table


def places_by_phase(schools: Iterable[School], years: Iterable[int]) -> pd.DataFrame:
    """Special places open each January (16th) by phase and need (resourced provision left out).

    A school's capacity is split between phases by the share of its ages in each; need rows
    count the places of schools designated for that need (capped by ``capacity_by_designation``),
    so they overlap between needs; need ``all`` is the phase's total. Columns: year, phase,
    need, places.
    """
    rows = []
    for year in years:
        day = date(year, 1, 16)
        totals: dict[tuple[str, str], float] = {}
        for school in schools:
            # Resourced provision (DSP) places are mainstream places in SEN2, not special ones.
            if not school.open_on(day) or school.capacity <= 0 or school.type == DSP_TYPE:
                continue
            span = school.age_high - school.age_low + 1
            for band, (low, high) in BAND_AGES.items():
                overlap = min(high, school.age_high) - max(low, school.age_low) + 1
                if overlap <= 0:
                    continue
                phase = PHASES[band]
                share = overlap / span
                key = (phase, "all")
                totals[key] = totals.get(key, 0.0) + school.capacity * share
                for need in school.designations:
                    cap = school.designation_capacity(need)
                    places = (school.capacity if cap is None else cap) * share
                    totals[(phase, need)] = totals.get((phase, need), 0.0) + places
        rows += [(year, phase, need, places) for (phase, need), places in sorted(totals.items())]
    return pd.DataFrame(rows, columns=["year", "phase", "need", "places"])
