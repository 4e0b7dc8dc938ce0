"""Demand growth for ``expand``: the SEN2 trend, the forecast, or a yearly rate.

``trend`` (the default) is Leicester's special-school growth of 2019-2025, 3.55% a year
(``year_cohort.DEFAULT_GROWTH_PER_YEAR``). ``forecast`` takes the cohort forecast's
special-school total (``sendplan forecast``, the same parameters) for each year over its value
in the scenario's year, so ``expand`` plans for the demand ``forecast`` shows;
``forecast-low`` and ``forecast-high`` take the ends of its 80% band, to test a portfolio
against less or more demand. A number is a yearly rate (``0.05`` or ``5%``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sendplan.data.forecast_defaults import LEICESTER
from sendplan.errors import InputError, visible

if TYPE_CHECKING:
    from sendplan.routing.planning.forecast import ForecastParams

FORECAST_RULES = {"forecast": "central", "forecast-low": "low", "forecast-high": "high"}
RULES = ("trend", *FORECAST_RULES)
# A yearly rate outside this range is a typing slip, not a plan (-50% .. +100% a year).
RATE_RANGE = (-0.5, 1.0)
# The largest cohort factor a year may have, as a sweep's growth axis allows: compounding a rate
# (or a forecast's parameters) over decades must not ask for billions of children.
MAX_FACTOR = 100.0


@dataclass(frozen=True)
class Growth:
    """How demand grows: one of ``RULES``, or ``rate`` a year (rule ``rate``)."""

    rule: str = "trend"
    rate: float | None = None

    @property
    def from_forecast(self) -> bool:
        return self.rule in FORECAST_RULES

    def label(self) -> str:
        """The rule as given back in outputs: ``trend``, ``forecast-high`` or ``0.05``."""
        return self.rule if self.rate is None else f"{self.rate:g}"


TREND = Growth()  # expand's default


def parse_growth(text: str, *, field: str = "--growth") -> Growth:
    """``trend``, ``forecast``, ``forecast-low``, ``forecast-high``, or a yearly rate
    (``0.05``, ``5%``); InputError naming ``field`` otherwise."""
    given = text.strip().lower().replace("_", "-")
    if given in RULES:
        return Growth(given)
    percent = given.endswith("%")
    try:
        rate = float(given.removesuffix("%")) / (100.0 if percent else 1.0)
    except ValueError:
        rate = math.nan
    low, high = RATE_RANGE
    if not (math.isfinite(rate) and low <= rate <= high):
        raise InputError(
            field,
            f"{visible(text, 40)} is not one of {', '.join(RULES)} or a yearly rate from "
            f"{low:g} to {high:g} (e.g. 0.05 or 5%)",
        )
    return Growth("rate", rate)


def growth_factors(
    growth: Growth,
    years: Sequence[int],
    *,
    base_year: int,
    params: ForecastParams | None = None,
    la_code: str = LEICESTER,
    sen2_dir: Path | None = None,
    params_file: Path | None = None,
    field: str = "--growth",
) -> dict[int, float] | None:
    """Each year's cohort factor over the scenario's year ``base_year``; None for ``trend``
    (``expand``'s own default). The forecast rules use ``params``, or when None the forecast's
    own (``forecasting.forecast_params`` of ``la_code``, ``sen2_dir`` and ``params_file``)."""
    if growth.rate is not None:
        factors = {y: (1.0 + growth.rate) ** (y - base_year) for y in years}
    elif not growth.from_forecast:
        return None
    else:
        # Here, not at import: the forecast (and pandas) only when a forecast rule asks.
        from sendplan.routing.planning.forecast import demand_factors

        if params is None:
            from sendplan.api.forecasting import forecast_params

            params = forecast_params(la_code=la_code, sen2_dir=sen2_dir, params_file=params_file)
        band = FORECAST_RULES[growth.rule]
        try:
            factors = demand_factors(params, years, base_year=base_year, band=band)
        except ValueError as err:
            raise InputError(field, str(err)) from None
    what = growth.rule if growth.rate is None else f"{growth.rate:.1%} a year"
    for year, factor in factors.items():
        if not (math.isfinite(factor) and 0 < factor <= MAX_FACTOR):
            raise InputError(
                field, f"{what} makes {year}'s demand {factor:.3g} times the scenario's; "
                f"at most {MAX_FACTOR:g} times",
            )  # fmt: skip
    return factors


__all__ = ["MAX_FACTOR", "RULES", "TREND", "Growth", "growth_factors", "parse_growth"]
