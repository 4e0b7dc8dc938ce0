"""`sendplan forecast SCENARIO --years 2026-2031`: special-school demand against places each year.

Writes forecast.csv (the sufficiency table), forecast.json (parameters, cohort components,
totals with their band, the table) and forecast.html (the same with an inline SVG chart), all
at once or not at all.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from sendplan.api.atomic import GENERATOR, MANIFEST_NAME, atomic_output, check_inputs_outside
from sendplan.api.cli_common import OutOption, fail_cleanly
from sendplan.api.loader import load_scenario
from sendplan.api.manifest import file_entries
from sendplan.data.forecast_params import DEFAULT_PARAMS, LEICESTER, fit_for_la, read_params
from sendplan.data.sen2 import read_sen2
from sendplan.errors import InputError, visible
from sendplan.routing.planning.forecast import (
    ForecastParams,
    places_by_phase,
    project_cohort,
    special_demand,
    special_totals,
    sufficiency,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEN2_DIR = ROOT.parent / "shared" / "data" / "sen_statistics"
MAX_YEARS = 30


def parse_years(text: str) -> tuple[int, int]:
    """``2026-2031`` (or one year) as (first, last); InputError naming --years otherwise."""
    found = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", text)
    if found is None:
        raise InputError("--years", f"{visible(text)} is not a year or a range like 2026-2031")
    first = int(found.group(1))
    last = int(found.group(2) or first)
    if last < first or last - first >= MAX_YEARS:
        raise InputError("--years", f"{visible(text)} is not a range of at most {MAX_YEARS} years")
    return first, last


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


def forecast_tables(
    scenario_path: Path, params: ForecastParams, *, first: int, last: int
) -> dict[str, pd.DataFrame]:
    """The cohort, totals and sufficiency tables for the years ``first``..``last``."""
    if first <= params.origin_year:
        raise InputError(
            "--years", f"forecasts start after the data's last January, {params.origin_year}"
        )
    horizon = last - params.origin_year
    scenario = load_scenario(scenario_path, require_children=False)
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


def chart_svg(totals: pd.DataFrame, *, width: int = 640, height: int = 320) -> str:
    """Demand (line, with its 80% band shaded) against places open (dashed) by year."""
    pad = 48
    years = totals["year"].tolist()
    top = max(float(totals[["special_high", "places"]].max().max()), 1.0) * 1.1

    def x(year: float) -> float:
        span = max(years[-1] - years[0], 1)
        return pad + (year - years[0]) / span * (width - 2 * pad)

    def y(value: float) -> float:
        return height - pad - value / top * (height - 2 * pad)

    def path(values: list[float]) -> str:
        return " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(years, values, strict=True))

    high, low = totals["special_high"].tolist(), totals["special_low"].tolist()
    band = (
        path(high)
        + " "
        + " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(years[::-1], low[::-1], strict=True))
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="Special-school demand against places">',
        f'<polygon points="{band}" fill="#9ecae1" opacity="0.6"/>',
        f'<polyline points="{path(totals["special"].tolist())}" fill="none" stroke="#08519c" '
        'stroke-width="2"/>',
        f'<polyline points="{path(totals["places"].fillna(0).tolist())}" fill="none" '
        'stroke="#a50f15" stroke-width="2" stroke-dasharray="6 4"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#333"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>',
    ]
    for year in years:
        parts.append(f'<text x="{x(year):.1f}" y="{height - pad + 16}" font-size="11" '
                     f'text-anchor="middle">{year}</text>')  # fmt: skip
    for tick in (0.0, top / 2, top):
        parts.append(f'<text x="{pad - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{tick:,.0f}</text>')  # fmt: skip
    parts.append(
        f'<text x="{pad}" y="{pad - 12}" font-size="12">demand (line, 80% band shaded) and '
        "places open (dashed)</text></svg>"
    )
    return "\n".join(parts)


def report_html(document: dict[str, Any], totals: pd.DataFrame, table: pd.DataFrame) -> str:
    """A self-contained page: the chart, the totals and the sufficiency table."""
    shortfall = table[(table["need"] == "all") & (table["surplus"] < 0)]
    summary = (
        "No phase is short of places in any year."
        if shortfall.empty
        else f"{len(shortfall)} phase-years short of places (negative surplus)."
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>sendplan forecast</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "text-align:right}</style></head><body>"
        f"<h1>Special-school demand and places, LA {html.escape(document['la_code'])}</h1>"
        f"<p>Fitted to January {document['origin_year']} (SEN2). {html.escape(summary)}</p>"
        f"{chart_svg(totals)}<h2>Totals</h2>{totals.to_html(index=False)}"
        f"<h2>Sufficiency by phase and need</h2>"
        "<p>Need rows count places at schools designated for that need, so they overlap.</p>"
        f"{table.to_html(index=False)}</body></html>\n"
    )


def forecast(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
    ],
    years: Annotated[str, typer.Option("--years", help="Januaries to forecast, e.g. 2026-2031.")],
    la_code: Annotated[str, typer.Option("--la", help="Old 3-digit LA code.")] = LEICESTER,
    sen2_dir: Annotated[
        Path | None,
        typer.Option(
            "--sen2-dir",
            help="Folder of SEN2 releases to fit from (default: shipped "
            "Leicester parameters; other LAs read ../shared/data/sen_statistics).",
        ),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option("--params", help="CSV parameter,key,value overriding fitted parameters."),
    ] = None,
    out: OutOption = Path("sendplan-forecast"),
) -> None:
    """Forecast special-school demand by phase and need against the scenario's places."""

    def run() -> None:
        first, last = parse_years(years)
        check_inputs_outside(out, {"scenario": scenario_path, "--params file": params_file})
        params = forecast_params(la_code=la_code, sen2_dir=sen2_dir, params_file=params_file)
        tables = forecast_tables(scenario_path, params, first=first, last=last)
        document: dict[str, Any] = {
            "la_code": la_code,
            "origin_year": params.origin_year,
            "years": [first, last],
            "parameters": {k: v for k, v in asdict(params).items()},
            "totals": tables["totals"].to_dict(orient="records"),
            "cohort": tables["cohort"].to_dict(orient="records"),
            "sufficiency": tables["sufficiency"].to_dict(orient="records"),
        }
        with atomic_output(out) as folder:
            tables["sufficiency"].to_csv(folder / "forecast.csv", index=False)
            (folder / "forecast.json").write_text(
                json.dumps(document, indent=1, default=float) + "\n", encoding="utf-8"
            )
            (folder / "forecast.html").write_text(
                report_html(document, tables["totals"], tables["sufficiency"]), encoding="utf-8"
            )
            manifest = {
                "generator": GENERATOR, "command": ["sendplan", *sys.argv[1:]],
                "created": date.today().isoformat(), "files": file_entries(folder),
            }  # fmt: skip
            (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        short = tables["sufficiency"]
        short = short[(short["need"] == "all") & (short["surplus"] < 0)]
        typer.echo(f"wrote {out}: {len(short)} phase-years short of places")

    fail_cleanly(run)
