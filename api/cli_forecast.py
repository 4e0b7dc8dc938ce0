"""`sendplan forecast SCENARIO --years 2026-2031`: special-school demand against places each year.

Writes forecast.csv (the sufficiency table), forecast.json (parameters, cohort components,
totals with their band, the table) and forecast.html (the same with an inline SVG chart), all
at once or not at all.
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sendplan.api.atomic import atomic_output, check_inputs_outside
from sendplan.api.cli_common import OutOption, fail_cleanly, parse_year_range
from sendplan.data.forecast_defaults import LEICESTER
from sendplan.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


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
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.forecasting import forecast as forecast_demand
        from sendplan.api.loader import load_scenario
        from sendplan.api.manifest import write_command_manifest

        first, last = parse_year_range(years)
        check_inputs_outside(out, {"scenario": scenario_path, "--params file": params_file})
        scenario = load_scenario(scenario_path, require_children=False)
        try:
            result = forecast_demand(
                scenario, years=(first, last), la_code=la_code, sen2_dir=sen2_dir,
                params_file=params_file,
            )  # fmt: skip
        except InputError as err:
            if err.file != "years":  # the library's argument; on the command line, --years
                raise
            raise InputError("--years", err.message) from None
        params = result.params
        tables = {"cohort": result.cohort, "totals": result.totals,
                  "sufficiency": result.sufficiency}  # fmt: skip
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
            write_command_manifest(folder, command=["sendplan", *sys.argv[1:]])
        short = tables["sufficiency"]
        short = short[(short["need"] == "all") & (short["surplus"] < 0)]
        typer.echo(f"wrote {out}: {len(short)} phase-years short of places")

    fail_cleanly(run)
