"""The library's forecast: special-school demand by phase and need against a scenario's places.

``forecast(scenario, years=(2026, 2031))`` uses the Leicester parameters shipped in ``data/``;
``la_code`` (another authority) or ``sen2_dir`` (newer SEN2 releases) fits them from the DfE
SEN2 files at run time, and ``params_file`` overrides any parameter. The model itself is
``sendplan.routing.planning.forecast`` (no file I/O).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from sendplan.data.forecast_defaults import DEFAULT_SEN2_DIR, LEICESTER
from sendplan.data.forecast_params import DEFAULT_PARAMS, fit_for_la, read_params
from sendplan.data.sen2 import read_sen2
from sendplan.errors import InputError, visible
from sendplan.routing.model import Scenario
from sendplan.routing.planning.forecast import (
    ForecastParams,
    places_by_phase,
    project_cohort,
    special_demand,
    special_totals,
    sufficiency,
)


def forecast_params(
    *, la_code: str, sen2_dir: Path | None, params_file: Path | None
) -> ForecastParams:
    """Shipped Leicester parameters, or a fit from SEN2 for another LA (or with --sen2-dir);
    then the rows of ``params_file`` override."""
    shipped = read_params(DEFAULT_PARAMS)
    if la_code != LEICESTER or sen2_dir is not None:
        folder = sen2_dir or DEFAULT_SEN2_DIR
        if not folder.is_dir():
            raise InputError(
                "--sen2-dir", f"{visible(str(folder), 80)} is not a folder of SEN2 releases"
            )
        fitted = fit_for_la(read_sen2(folder), la_code)
        # The uncertainty band is the all-LA back-test's, shipped with the defaults.
        shipped = ForecastParams(
            **{**asdict(fitted), "error_log_lo": shipped.error_log_lo,
               "error_log_hi": shipped.error_log_hi}
        )  # fmt: skip
    if params_file is not None:
        shipped = read_params(params_file, base=shipped)
    return shipped


@dataclass(frozen=True)
class Forecast:
    """A forecast's parameters and tables for the years asked: ``cohort`` (plans by phase,
    with ageing, new and ceased plans), ``totals`` (special-school demand with its 80% band and
    the places open) and ``sufficiency`` (demand against places by year, phase and need)."""

    params: ForecastParams
    years: tuple[int, int]
    cohort: pd.DataFrame
    totals: pd.DataFrame
    sufficiency: pd.DataFrame


def forecast(
    scenario: Scenario,
    *,
    years: tuple[int, int],
    la_code: str = LEICESTER,
    sen2_dir: Path | None = None,
    params_file: Path | None = None,
) -> Forecast:
    """Special-school demand each year of ``years`` (first, last) against ``scenario``'s places."""
    try:
        first, last = (int(y) for y in years)
    except (TypeError, ValueError):
        raise InputError("years", "give (first, last), e.g. (2026, 2031)") from None
    if not 2000 <= first <= last <= 2100:
        raise InputError("years", f"({first}, {last}) is not first <= last within 2000..2100")
    params = forecast_params(la_code=la_code, sen2_dir=sen2_dir, params_file=params_file)
    tables = forecast_tables(scenario, params, first=first, last=last)
    return Forecast(params=params, years=(first, last), **tables)


def forecast_tables(
    scenario: Scenario, params: ForecastParams, *, first: int, last: int
) -> dict[str, pd.DataFrame]:
    """The cohort, totals and sufficiency tables for the years ``first``..``last``."""
    if first <= params.origin_year:
        raise InputError(
            "years", f"forecasts start after the data's last January, {params.origin_year}"
        )
    horizon = last - params.origin_year
    wanted = range(first, last + 1)
    cohort = project_cohort(params, years=horizon)
    demand = special_demand(params, years=horizon)
    # Each phase's total over needs, beside the needs.
    phase_total = demand.groupby(["year", "phase"], as_index=False)[
        ["demand", "demand_low", "demand_high"]
    ].sum()
    demand = pd.concat([demand, phase_total.assign(need="all")], ignore_index=True)
    places = places_by_phase(scenario.schools, wanted)
    table = sufficiency(demand, places)
    totals = special_totals(params, years=horizon)
    all_places = places[places["need"] == "all"].groupby("year")["places"].sum()
    totals["places"] = totals["year"].map(all_places)
    return {
        "cohort": cohort[cohort["year"].isin(wanted)].round(1),
        "totals": totals[totals["year"].isin(wanted)].round(1),
        "sufficiency": table[table["year"].isin(wanted)]
        .sort_values(["year", "phase", "need"])
        .round(1),
    }
