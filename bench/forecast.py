"""Back-test of the cohort forecast on the SEN2 series (``sendplan bench forecast``).

Fit each LA to January ``fit_to`` (nothing later is read), predict January ``predict``, and score
the special-school total, and each special-school type, by absolute percentage error. Three
baselines on the same totals, in the same run: ``flat`` (the ``fit_to`` figure), ``naive``
(last year's growth carried forward) and ``linear`` (a least-squares line through the last four
Januaries). Over every LA, the median and 90th percentile of the errors are reported for each.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sendplan.data.forecast_params import (
    Settings,
    eligible_las,
    fit_la,
    la_series,
    national_prior,
    profile_up_to,
)
from sendplan.data.sen2 import SPECIAL_TYPES, Sen2Tables
from sendplan.errors import InputError
from sendplan.routing.planning.forecast import (
    ForecastParams,
    special_totals,
)

BASELINES = ("flat", "naive", "linear")


def baselines(special: pd.Series, *, fit_to: int, predict: int) -> dict[str, float]:
    """Flat, naive (last growth) and linear (last four Januaries) forecasts of ``predict``."""
    h = predict - fit_to
    last = float(special[fit_to])
    previous = special.get(fit_to - 1)
    naive = last * (last / previous) ** h if previous and previous > 0 else last
    years = [y for y in range(fit_to - 3, fit_to + 1) if y in special.index]
    if len(years) >= 2:
        slope, intercept = np.polyfit(years, [special[y] for y in years], 1)
        linear = max(float(slope * predict + intercept), 0.0)
    else:
        linear = last
    return {"flat": last, "naive": naive, "linear": linear}


def backtest_la(
    tables: Sen2Tables,
    la_code: str,
    *,
    fit_to: int,
    predict: int,
    prior: ForecastParams | None,
    settings: Settings,
    profile: dict[str, float],
) -> dict[str, float]:
    """Actual and forecast special totals for one LA, and the absolute % errors."""
    if predict <= fit_to:
        raise InputError("--predict", f"{predict} is not after --fit-to {fit_to}")
    params = fit_la(tables, la_code, fit_to=fit_to, prior=prior, settings=settings, profile=profile)
    _, special, by_type = la_series(tables, la_code)
    if predict not in special.index:
        raise InputError("--predict", f"LA {la_code} has no special-school total for {predict}")
    actual = float(special[predict])
    totals = special_totals(params, years=predict - fit_to)
    forecast = float(totals["special"].to_numpy(dtype=float)[-1])
    out = {"actual": actual, "forecast": forecast, "mape_pct": _ape(forecast, actual)}
    for name, value in baselines(special, fit_to=fit_to, predict=predict).items():
        out[f"{name}_forecast"] = value
        out[f"{name}_mape_pct"] = _ape(value, actual)
    origin_total = sum(params.special_by_type.values())
    if predict in by_type.index and origin_total > 0:
        for kind, origin in params.special_by_type.items():
            got = by_type.loc[predict].get(kind)
            if got is not None and not pd.isna(got) and got > 0:
                out[f"{kind}_mape_pct"] = _ape(forecast * origin / origin_total, float(got))
    return out


def _ape(forecast: float, actual: float) -> float:
    return abs(forecast - actual) / actual * 100.0 if actual > 0 else math.nan


def backtest_all(
    tables: Sen2Tables,
    *,
    fit_to: int,
    predict: int,
    settings: Settings | None = None,
    la_codes: list[str] | None = None,
) -> dict[str, object]:
    """The back-test over every eligible LA: median and p90 APE for the model and baselines."""
    settings = settings or Settings()
    eligible = eligible_las(tables, fit_to=fit_to, predict=predict)
    for la in la_codes or ():
        if la not in eligible:
            raise InputError(
                "--la",
                f"LA {la!r} lacks special-school totals for {fit_to - 1}, {fit_to} or "
                f"{predict}, or plans by age for {fit_to}",
            )
    las = la_codes or eligible
    if not las:
        raise InputError(
            "--sen2-dir", f"no LA has special-school totals for {fit_to} and {predict}"
        )
    profile = profile_up_to(tables, fit_to)
    pooled = eligible_las(tables, fit_to=fit_to, predict=None)
    prior = national_prior(tables, pooled, fit_to=fit_to, settings=settings, profile=profile)
    results = [
        backtest_la(
            tables,
            la,
            fit_to=fit_to,
            predict=predict,
            prior=prior,
            settings=settings,
            profile=profile,
        )
        for la in las
    ]
    table = pd.DataFrame(results)
    out: dict[str, object] = {"fit_to": fit_to, "predict": predict, "n_las": len(las)}
    for prefix in ("", *(f"{b}_" for b in BASELINES)):
        errors = table[f"{prefix}mape_pct"].dropna()
        out[f"{prefix}median_mape_pct"] = round(float(errors.median()), 2)
        out[f"{prefix}p90_mape_pct"] = round(float(errors.quantile(0.9)), 2)
    if len(results) == 1:
        # One LA: its own figures too (mape_pct, flat_mape_pct, ..., by type).
        out.update({k: round(v, 2) for k, v in results[0].items()})
    for kind in SPECIAL_TYPES:
        column = f"{kind}_mape_pct"
        if column in table:
            out[f"by_type_median_mape_pct_{kind}"] = round(float(table[column].median()), 2)
    out["beats_every_baseline"] = all(
        out["median_mape_pct"] <= out[f"{b}_median_mape_pct"]  # type: ignore[operator]
        and out["p90_mape_pct"] <= out[f"{b}_p90_mape_pct"]  # type: ignore[operator]
        for b in BASELINES
    )
    return out


def error_quantiles(
    tables: Sen2Tables, *, origins: range, horizons: int, settings: Settings | None = None
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """10th/90th percentiles of log(actual / forecast) of special totals by horizon, over every
    LA and every origin in ``origins`` with the actual year in the data (rolling origin)."""
    settings = settings or Settings()
    by_h: dict[int, list[float]] = {h: [] for h in range(1, horizons + 1)}
    last_year = int(tables.special["year"].max())
    for fit_to in origins:
        for h in range(1, horizons + 1):
            if fit_to + h > last_year:
                continue
            las = eligible_las(tables, fit_to=fit_to, predict=fit_to + h)
            if not las:
                continue
            profile = profile_up_to(tables, fit_to)
            pooled = eligible_las(tables, fit_to=fit_to, predict=None)
            prior = national_prior(
                tables, pooled, fit_to=fit_to, settings=settings, profile=profile
            )
            for la in las:
                got = backtest_la(
                    tables,
                    la,
                    fit_to=fit_to,
                    predict=fit_to + h,
                    prior=prior,
                    settings=settings,
                    profile=profile,
                )
                if got["forecast"] > 0:
                    by_h[h].append(math.log(got["actual"] / got["forecast"]))
    kept = [h for h in by_h if by_h[h]]
    lo = tuple(round(float(np.quantile(by_h[h], 0.1)), 4) for h in kept)
    hi = tuple(round(float(np.quantile(by_h[h], 0.9)), 4) for h in kept)
    return lo, hi
