"""Forecast parameters: fitted from SEN2 tables, and read from / written to a CSV.

The CSV has one value a row: ``parameter,key,value,note``. ``key`` is an age band
(``continuation``, ``special_share``, ``ageing_out``, ``ceased_rate``, ``origin_plans``), a
``phase:need`` pair (``need_share``), a need (``need_growth``), a special-school type
(``special_by_type``), a horizon in years (``error_log_lo``/``error_log_hi``) or empty for a
single number. A file with only some rows overrides just those (``--params``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sendplan.data.forecast_defaults import LEICESTER as LEICESTER  # re-exported
from sendplan.data.sen2 import SPECIAL_TYPES, Sen2Tables
from sendplan.errors import InputError, visible
from sendplan.routing.model import NEED_CODES
from sendplan.routing.planning.forecast import (
    AGE_BANDS,
    BAND_AGES,
    PHASES,
    ForecastParams,
    fit_forecast,
)

DEFAULT_PARAMS = Path(__file__).with_name("forecast_leicester.csv")
_BY_BAND = ("origin_plans", "continuation", "special_share", "ageing_out", "ceased_rate")
_SCALARS = ("origin_year", "origin_special", "special_growth", "damping", "growth_damping")
# Bounds on a parameter file's values: growth rates are yearly logs (|g| <= 1 is already e-fold a
# year), years are calendar years, and nothing else is a count or ratio beyond MAX_VALUE.
MAX_VALUE = 1e7
_RANGES = {
    "origin_year": (2000.0, 2100.0),
    "special_growth": (-1.0, 1.0),
    "need_growth": (-1.0, 1.0),
    "error_log_lo": (-2.0, 2.0),
    "error_log_hi": (-2.0, 2.0),
    "damping": (0.0, 1.0),
    "growth_damping": (0.0, 1.0),
}


@dataclass(frozen=True)
class Settings:
    """The model's fitting choices (chosen on back-tests to 2018 and earlier, never on the
    year being predicted)."""

    history_years: int = 3
    shrink: float = 0.8
    damping: float = 0.9
    growth_damping: float = 1.0


def la_series(tables: Sen2Tables, la_code: str) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """One LA's plans by band (index year), special totals by year, and special by type."""
    plans = tables.plans[tables.plans["la_code"] == la_code]
    wide = plans.pivot_table(index="year", columns="age_band", values="plans", aggfunc="sum")
    wide = wide.reindex(columns=list(AGE_BANDS)).dropna()
    special = tables.special[tables.special["la_code"] == la_code]
    by_type = special.pivot_table(index="year", columns="type", values="pupils", aggfunc="sum")
    total = by_type["total"].dropna() if "total" in by_type else pd.Series(dtype=float)
    return wide, total, by_type


def national_series(tables: Sen2Tables, la_codes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Plans by band and special totals summed over ``la_codes`` (years where all report)."""
    plans = tables.plans[tables.plans["la_code"].isin(la_codes)]
    wide = plans.pivot_table(index="year", columns="age_band", values="plans", aggfunc="sum")
    special = tables.special[
        tables.special["la_code"].isin(la_codes) & (tables.special["type"] == "total")
    ]
    return wide.reindex(columns=list(AGE_BANDS)).dropna(), special.groupby("year")["pupils"].sum()


def profile_up_to(tables: Sen2Tables, fit_to: int) -> dict[str, float]:
    """Relative special share by band from single-year data up to ``fit_to`` (flat if none).
    It only splits the total between phases, so the back-tested totals do not depend on it."""
    rows = tables.special_by_age[tables.special_by_age["year"] <= fit_to]
    grouped = rows.groupby("age_band")[["special", "plans"]].sum()
    if grouped.empty or grouped["plans"].sum() <= 0:
        return {b: 1.0 for b in AGE_BANDS}
    special = {str(k): float(v) for k, v in grouped["special"].items()}
    plans = {str(k): float(v) for k, v in grouped["plans"].items()}
    mean = sum(special.values()) / sum(plans.values())
    return {b: special[b] / plans[b] / mean if plans.get(b, 0.0) > 0 else 0.0 for b in AGE_BANDS}


def fit_la(
    tables: Sen2Tables,
    la_code: str,
    *,
    fit_to: int,
    prior: ForecastParams | None,
    settings: Settings,
    profile: dict[str, float],
    ageing_out: dict[str, float] | None = None,
) -> ForecastParams:
    """The LA's parameters fitted to ``fit_to`` (shrunk to ``prior``)."""
    plans, special, by_type = la_series(tables, la_code)
    plans = plans[plans.index <= fit_to]
    special = special[special.index <= fit_to]
    fitted = fit_forecast(
        plans,
        special,
        fit_to=fit_to,
        history_years=settings.history_years,
        prior=prior,
        shrink=settings.shrink if prior else 0.0,
        profile=profile,
        base=_base(fit_to, settings, ageing_out),
    )
    types: dict[str, float] = {}
    if fit_to in by_type.index:
        row = by_type[by_type.index == fit_to].to_numpy(dtype=float)[0]
        types = {
            str(k): float(v) for k, v in zip(by_type.columns, row, strict=True) if not math.isnan(v)
        }
    shares = {t: types[t] for t in SPECIAL_TYPES if t in types}
    return replace(fitted, special_by_type=shares)


def national_prior(
    tables: Sen2Tables,
    la_codes: list[str],
    *,
    fit_to: int,
    settings: Settings,
    profile: dict[str, float],
    ageing_out: dict[str, float] | None = None,
) -> ForecastParams:
    """The pooled fit of ``la_codes`` (their sums), the prior each LA is shrunk towards."""
    plans, special = national_series(tables, la_codes)
    return fit_forecast(
        plans[plans.index <= fit_to],
        special[special.index <= fit_to],
        fit_to=fit_to,
        history_years=settings.history_years,
        profile=profile,
        base=_base(fit_to, settings, ageing_out),
    )


def _base(fit_to: int, settings: Settings, ageing_out: dict[str, float] | None) -> ForecastParams:
    """What the fit does not set: the settings' damping and the ageing (even by default)."""
    base = ForecastParams(
        origin_year=fit_to,
        origin_plans={b: 0.0 for b in AGE_BANDS},
        origin_special=0.0,
        continuation={b: 1.0 for b in AGE_BANDS},
        special_share={b: 0.0 for b in AGE_BANDS},
        damping=settings.damping,
        growth_damping=settings.growth_damping,
    )
    return replace(base, ageing_out=ageing_out) if ageing_out else base


def eligible_las(tables: Sen2Tables, *, fit_to: int, predict: int | None) -> list[str]:
    """LAs with plans by band at ``fit_to`` and special totals at fit_to, fit_to - 1 and
    ``predict`` if given (LAs merged or split between the two have a gap and are left out)."""
    special = tables.special[tables.special["type"] == "total"].dropna(subset=["pupils"])
    plans = tables.plans.dropna(subset=["plans"])
    have = special.groupby("la_code")["year"].apply(set)
    have_plans = plans.groupby("la_code")["year"].apply(set)
    at_fit = {
        str(k): float(v)
        for k, v in special[special["year"] == fit_to].groupby("la_code")["pupils"].sum().items()
    }
    needed = {fit_to - 1, fit_to} | ({predict} if predict is not None else set())
    return sorted(
        str(la)
        for la, years in have.items()
        if needed <= years and fit_to in have_plans.get(la, set()) and at_fit.get(str(la), 0.0) > 0
    )


def fit_for_la(
    tables: Sen2Tables,
    la_code: str,
    *,
    fit_to: int | None = None,
    settings: Settings | None = None,
) -> ForecastParams:
    """Every parameter for one LA from the tables: the latest January by default, shrunk to the
    pooled fit of every LA at the latest January they all report; ageing, the special share by
    band and need shares from single-year and need breakdowns where the LA has them."""
    settings = settings or Settings()
    _, special, _ = la_series(tables, la_code)
    if special.empty:
        raise InputError("--la", f"no special-school figures for LA {visible(la_code)} in SEN2")
    fit_to = fit_to or int(special.index.max())
    # The pooled fit uses the latest January most LAs report (2022 in the 2025 release).
    years = sorted(int(y) for y in tables.plans["year"].unique() if y <= fit_to)
    pooled_year = max(
        (y for y in years if len(eligible_las(tables, fit_to=y, predict=None)) >= 20),
        default=fit_to,
    )
    ageing = ageing_shares(tables, la_code, fit_to)
    profile = profile_up_to(tables, fit_to)
    pooled = eligible_las(tables, fit_to=pooled_year, predict=None)
    prior = (
        national_prior(
            tables,
            pooled,
            fit_to=pooled_year,
            settings=settings,
            profile=profile,
            ageing_out=ageing,
        )
        if pooled
        else None
    )
    params = fit_la(
        tables,
        la_code,
        fit_to=fit_to,
        prior=prior,
        settings=settings,
        profile=profile,
        ageing_out=ageing,
    )
    return replace(
        params,
        need_share=need_shares(tables, la_code, fit_to),
        ceased_rate=ceased_rates(tables, la_code, fit_to) or params.ceased_rate,
    )


def ceased_rates(tables: Sen2Tables, la_code: str, year: int) -> dict[str, float]:
    """Plans ceasing per year by band: the latest calendar year's ceased plans (not counting
    those reaching the maximum age, which ageing already ends) over that January's plans ({}
    without ceased-plans data)."""
    ceased = tables.ceased[(tables.ceased["la_code"] == la_code) & (tables.ceased["year"] <= year)]
    plans = tables.plans[tables.plans["la_code"] == la_code]
    years = sorted(set(ceased["year"]) & set(plans["year"]))
    if not years:
        return {}
    latest = years[-1]
    ended = ceased[ceased["year"] == latest]
    ended_by_band = {
        str(b): float(c - m)
        for b, c, m in zip(ended["age_band"], ended["ceased"], ended["at_max_age"], strict=True)
    }
    january = plans[plans["year"] == latest]
    held = {str(b): float(n) for b, n in zip(january["age_band"], january["plans"], strict=True)}
    if any(held.get(b, 0.0) <= 0 for b in AGE_BANDS):
        return {}
    return {b: round(min(max(ended_by_band.get(b, 0.0) / held[b], 0.0), 1.0), 4) for b in AGE_BANDS}


def ageing_shares(tables: Sen2Tables, la_code: str, year: int) -> dict[str, float] | None:
    """Share of each band at its top age, who move up next January, from the LA's single
    years of age that January (None without them: ages are then taken as even in a band)."""
    ages = tables.special_by_age[
        (tables.special_by_age["la_code"] == la_code) & (tables.special_by_age["year"] == year)
    ]
    shares = {}
    for band, (low, high) in BAND_AGES.items():
        rows = ages[ages["age"].between(low, high)]
        total = float(rows["plans"].sum())
        if total <= 0:
            return None
        shares[band] = float(rows.loc[rows["age"] == high, "plans"].sum()) / total
    return shares


def need_shares(tables: Sen2Tables, la_code: str, year: int) -> dict[str, dict[str, float]]:
    """Special-school need mix by phase: the LA's need mix of all plans in each age band,
    reweighted so the whole matches its special-school need mix ({} without need data)."""
    special = tables.special_by_need[
        (tables.special_by_need["la_code"] == la_code) & (tables.special_by_need["year"] <= year)
    ]
    plans = tables.plans_by_need[
        (tables.plans_by_need["la_code"] == la_code) & (tables.plans_by_need["year"] <= year)
    ]
    if special.empty or plans.empty:
        return {}
    latest = int(special["year"].max())
    latest_special = special[special["year"] == latest]
    in_special = {
        str(k): float(v)
        for k, v in zip(latest_special["need"], latest_special["pupils"].fillna(0.0), strict=True)
    }
    plans = plans[plans["year"] == plans["year"].max()]
    all_plans = {str(k): float(v) for k, v in plans.groupby("need")["plans"].sum().items()}
    special_total, plans_total = sum(in_special.values()), sum(all_plans.values())
    # A need's special-school share relative to its share of all plans.
    weight = {
        n: (in_special.get(n, 0.0) / special_total) / (v / plans_total)
        if v > 0 and special_total > 0
        else 0.0
        for n, v in all_plans.items()
    }
    shares: dict[str, dict[str, float]] = {}
    for band, rows in plans.groupby("age_band"):
        raw = {
            str(n): float(v) * weight[str(n)]
            for n, v in zip(rows["need"], rows["plans"], strict=True)
        }
        total = sum(raw.values())
        if total > 0:
            shares[PHASES[str(band)]] = {n: round(v / total, 4) for n, v in raw.items() if v > 0}
    return shares


def params_rows(params: ForecastParams) -> list[tuple[str, str, float]]:
    """The parameters as (parameter, key, value) rows, in file order."""
    rows: list[tuple[str, str, float]] = [
        (name, "", float(getattr(params, name))) for name in _SCALARS
    ]
    for name in _BY_BAND:
        rows += [(name, band, float(getattr(params, name)[band])) for band in AGE_BANDS]
    rows += [("special_by_type", kind, v) for kind, v in params.special_by_type.items()]
    for phase, shares in params.need_share.items():
        rows += [("need_share", f"{phase}:{need}", v) for need, v in shares.items()]
    rows += [("need_growth", need, v) for need, v in params.need_growth.items()]
    rows += [("error_log_lo", str(h), v) for h, v in enumerate(params.error_log_lo, start=1)]
    rows += [("error_log_hi", str(h), v) for h, v in enumerate(params.error_log_hi, start=1)]
    return rows


def params_csv(params: ForecastParams, *, notes: dict[str, str] | None = None) -> str:
    """The parameters as CSV text (``notes`` by parameter name go in the note column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["parameter", "key", "value", "note"])
    noted: set[str] = set()
    for name, key, value in params_rows(params):
        # The note once per parameter, on its first row.
        note = (notes or {}).get(name, "") if name not in noted else ""
        noted.add(name)
        writer.writerow([name, key, f"{value:.6g}", note])
    return buffer.getvalue()


def read_params(path: Path, *, base: ForecastParams | None = None) -> ForecastParams:
    """Parameters from a CSV; rows it lacks keep ``base``'s values (all required without)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(name, f"cannot read the file ({type(err).__name__})") from None
    reader = csv.DictReader(io.StringIO(text))
    for column in ("parameter", "key", "value"):
        if column not in (reader.fieldnames or []):
            raise InputError(name, f"missing column {column!r}", field=column)
    fields: dict[str, Any] = {}
    if base is not None:
        fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
        fields = {k: dict(v) if isinstance(v, dict) else v for k, v in fields.items()}
        fields["need_share"] = {p: dict(s) for p, s in base.need_share.items()}
    lo: dict[int, float] = {}
    hi: dict[int, float] = {}
    for row_number, row in enumerate(reader, start=2):
        parameter, key = (row["parameter"] or "").strip(), (row["key"] or "").strip()
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            raise InputError(
                name, f"{visible(str(row['value']))} is not a number", row=row_number, field="value"
            )
        low, high = _RANGES.get(parameter, (-MAX_VALUE, MAX_VALUE))
        if not low <= value <= high:
            raise InputError(
                name, f"{parameter} {value:g} is outside {low:g}..{high:g}", row=row_number,
                field="value",
            )  # fmt: skip
        if parameter in _SCALARS:
            fields[parameter] = int(value) if parameter == "origin_year" else value
        elif parameter in _BY_BAND:
            if key not in AGE_BANDS:
                raise InputError(
                    name,
                    f"{visible(key)} is not an age band ({', '.join(AGE_BANDS)})",
                    row=row_number,
                    field="key",
                )
            fields.setdefault(parameter, {})[key] = value
        elif parameter == "special_by_type":
            if key not in SPECIAL_TYPES:
                raise InputError(
                    name,
                    f"{visible(key)} is not a special-school type",
                    row=row_number,
                    field="key",
                )
            fields.setdefault(parameter, {})[key] = value
        elif parameter == "need_share":
            phase, _, need = key.partition(":")
            if phase not in PHASES.values() or need not in NEED_CODES:
                raise InputError(
                    name, f"{visible(key)} is not phase:need", row=row_number, field="key"
                )
            fields.setdefault("need_share", {}).setdefault(phase, {})[need] = value
        elif parameter == "need_growth":
            if key not in NEED_CODES:
                raise InputError(
                    name, f"{visible(key)} is not a need code ({', '.join(NEED_CODES)})",
                    row=row_number, field="key",
                )  # fmt: skip
            fields.setdefault("need_growth", {})[key] = value
        elif parameter in ("error_log_lo", "error_log_hi") and key.isdigit() and int(key) >= 1:
            (lo if parameter == "error_log_lo" else hi)[int(key)] = value
        else:
            raise InputError(
                name,
                f"unknown parameter {visible(parameter)} (key {visible(key)})",
                row=row_number,
                field="parameter",
            )
    if lo:
        fields["error_log_lo"] = tuple(lo[h] for h in sorted(lo))
    if hi:
        fields["error_log_hi"] = tuple(hi[h] for h in sorted(hi))
    try:
        return ForecastParams(**fields)
    except (TypeError, ValueError) as err:
        raise InputError(name, str(err).replace("__init__() ", "")) from None
