"""`sendplan expand`: choose expansion options and their timing; write expansion.json/.csv.

The folder is written atomically (``api/atomic.py``) with a manifest.json naming every file.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sendplan.api.atomic import atomic_output, check_inputs_outside
from sendplan.api.cli_common import (
    SeedOption,
    fail_cleanly,
    load_with_postcodes,
    parse_year_range,
    progress,
)
from sendplan.api.cli_place import MoversOption, movers_rule
from sendplan.api.growth import RULES, TREND, Growth, growth_factors, parse_growth
from sendplan.api.json_files import write_json
from sendplan.api.neutralise import csv_row
from sendplan.data.forecast_defaults import LEICESTER
from sendplan.errors import InputError
from sendplan.routing.planning.expand_defaults import (
    DEFAULT_ANNUITY_RATE,
    DEFAULT_ASSET_LIFE_YEARS,
    DEFAULT_MOVERS,
)

if TYPE_CHECKING:
    from sendplan.routing.model import Scenario
    from sendplan.routing.planning.expand import Expansion

DEFAULT_SCENARIO = "leicester"
CSV_COLUMNS = (
    "year", "children", "options_open", "cost_gbp", "placement_gbp", "capital_gbp",
    "unplaced", "in_city_share", "mean_journey_min", "transport_estimate_gbp",
    "do_nothing_cost_gbp", "do_nothing_unplaced", "do_nothing_in_city_share",
    "do_nothing_mean_journey_min", "saving_gbp",
    # Added after the first columns (consumers read those by name and position): cash fees,
    # the annualised capital under an unambiguous name, and doing nothing's figures in full.
    "fees_gbp", "capital_annualised_gbp", "movers", "do_nothing_placement_gbp",
    "do_nothing_fees_gbp", "do_nothing_transport_estimate_gbp", "do_nothing_placed",
    "do_nothing_movers",
)  # fmt: skip


def parse_years(text: str) -> list[int]:
    """``2026-2031`` or ``2026`` as the list of years; InputError naming --years otherwise."""
    first, last = parse_year_range(text)
    return list(range(first, last + 1))


def load_expansion_scenario(text: str, *, seed: int) -> Scenario:
    """The scenario folder or workbook, or the embedded Leicester default for ``leicester``."""
    # Imported here, as every command's library code is: `--help` and usage errors need none.
    from sendplan.api.defaults import leicester_scenario

    if text == DEFAULT_SCENARIO:
        return leicester_scenario(seed=seed)
    return load_with_postcodes(Path(text), None)


def expansion_document(
    result: Expansion, *, seed: int | None, growth: Growth = TREND
) -> dict[str, Any]:
    """expansion.json: the portfolio, costs, marginal values and both trajectories; ``seed``:
    the synthetic cohort's (the CLI's ``--seed``), None where a run takes none; ``growth``:
    the rule that gave the yearly factors (``growth_rule``)."""
    return {
        "method": result.method,
        "movers": result.movers,
        "seed": seed,
        "optimal": True,
        "gap": result.gap,
        "chosen": result.chosen,
        "cost_gbp": result.cost_gbp,
        "do_nothing_gbp": result.do_nothing_gbp,
        "saving_gbp": result.do_nothing_gbp - result.cost_gbp,
        "capital_gbp": result.capital_gbp,
        "capital_one_off_gbp": result.capital_gbp,
        "fees_gbp": sum(r.fees_gbp for r in result.years),
        "do_nothing_fees_gbp": sum(r.fees_gbp for r in result.do_nothing),
        "budget_gbp": result.budget_gbp,
        "annuity_factor": result.annuity_factor,
        "growth": {str(y): g for y, g in result.growth.items()},
        "growth_rule": growth.label(),
        "marginal_gbp": result.marginal_gbp,
        "marginal_meaning": "chosen: cost of dropping it (and what requires it); unchosen: "
        "the capital in GBP at or below which it would be chosen (null: not at any capital)",
        "options": [
            {
                "option_id": o.option_id,
                "school_id": o.school_id,
                "name": o.name,
                "places": o.places,
                "capital_gbp": o.capital_gbp,
                "earliest_year": o.earliest_year,
                "exclusive_group": o.exclusive_group,
                "requires": o.requires,
                "source": o.source,
            }
            for o in result.options
        ],
        "years": [_year(r) for r in result.years],
        "do_nothing": [_year(r) for r in result.do_nothing],
        "feasible_sets": result.feasible_sets,
        "placement_solves": result.placement_solves,
    }


def _year(row: Any) -> dict[str, Any]:
    return {
        "year": row.year, "children": row.children, "options_open": list(row.options_open),
        "cost_gbp": row.cost_gbp, "placement_gbp": row.placement_gbp,
        "capital_gbp": row.capital_gbp, "capital_annualised_gbp": row.capital_gbp,
        "fees_gbp": row.fees_gbp, "movers": row.movers,
        "placed": row.placed, "unplaced": row.unplaced,
        "in_city_share": round(row.in_city_share, 4),
        "mean_journey_min": round(row.mean_journey_min, 2),
        "transport_estimate_gbp": round(row.transport_estimate_gbp),
    }  # fmt: skip


def expansion_rows(result: Expansion) -> list[list[str]]:
    """expansion.csv's rows (after the header): one per year, plan beside do-nothing."""
    rows = []
    for r, b in zip(result.years, result.do_nothing, strict=True):
        rows.append([
            str(r.year), str(r.children), ";".join(r.options_open), str(r.cost_gbp),
            str(r.placement_gbp), str(r.capital_gbp), str(r.unplaced),
            f"{r.in_city_share:.4f}", f"{r.mean_journey_min:.2f}",
            str(round(r.transport_estimate_gbp)), str(b.cost_gbp), str(b.unplaced),
            f"{b.in_city_share:.4f}", f"{b.mean_journey_min:.2f}", str(b.cost_gbp - r.cost_gbp),
            str(r.fees_gbp), str(r.capital_gbp), str(r.movers), str(b.placement_gbp),
            str(b.fees_gbp), str(round(b.transport_estimate_gbp)), str(b.placed), str(b.movers),
        ])  # fmt: skip
    return rows


def write_expansion(
    result: Expansion, out: Path, *, command: list[str], seed: int | None,
    inputs: Mapping[str, str] | None = None, growth: Growth = TREND,
) -> None:  # fmt: skip
    """expansion.json, expansion.csv and manifest.json, atomically; ``inputs``: the (file name:
    sha256) of each file read, recorded in the manifest as a run's are, with the movers rule,
    the seed and the growth rule."""
    from sendplan.api.manifest import write_command_manifest

    with atomic_output(out) as folder:
        document = expansion_document(result, seed=seed, growth=growth)
        write_json(document, folder / "expansion.json")
        with (folder / "expansion.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(csv_row(row) for row in expansion_rows(result))
        extra: dict[str, Any] = {
            "movers": result.movers, "seed": seed, "growth_rule": growth.label()
        }  # fmt: skip
        if inputs is not None:
            extra["inputs"] = dict(sorted(inputs.items()))
        write_command_manifest(folder, command=command, **extra)


def expansion_table(result: Expansion, *, growth: Growth = TREND) -> str:
    """The console table: per year, the plan against doing nothing; then the totals and the
    demand it planned for (``growth``: the rule)."""
    lines = [
        f"{'year':>4}  {'cost GBP':>12}  {'do-nothing':>12}  {'in-city':>7}  {'(none)':>7}  "
        f"{'journey':>7}  {'(none)':>7}  opens"
    ]
    shown: set[str] = set()
    for r, b in zip(result.years, result.do_nothing, strict=True):
        new = [o for o in r.options_open if o not in shown]
        shown.update(new)
        lines.append(
            f"{r.year:>4}  {r.cost_gbp:>12,}  {b.cost_gbp:>12,}  {r.in_city_share:>7.1%}  "
            f"{b.in_city_share:>7.1%}  {r.mean_journey_min:>7.1f}  {b.mean_journey_min:>7.1f}  "
            f"{' '.join(new)}"
        )
    lines.append(
        f"total {result.cost_gbp:,} GBP vs do-nothing {result.do_nothing_gbp:,} "
        f"(saving {result.do_nothing_gbp - result.cost_gbp:,}); capital {result.capital_gbp:,.0f}"
    )
    lines.append(
        f"fees {sum(r.fees_gbp for r in result.years):,} GBP vs do-nothing "
        f"{sum(r.fees_gbp for r in result.do_nothing):,}; {result.movers} movers "
        f"{min(r.movers for r in result.years):,}-{max(r.movers for r in result.years):,} a year"
    )
    factors = ", ".join(f"{year} x{factor:.3f}" for year, factor in result.growth.items())
    lines.append(f"demand growth {growth.label()}: {factors}")
    for option_id, value in result.marginal_gbp.items():
        kind = "drop costs" if option_id in result.chosen else "chosen at capital <="
        shown_value = "never" if value is None else f"{value:,}"
        lines.append(f"  {option_id}: {kind} {shown_value}")
    return "\n".join(lines)


def expand_cmd(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario folder or .xlsx workbook, or 'leicester' for the embedded default.",
        ),
    ] = DEFAULT_SCENARIO,
    options: Annotated[
        Path | None,
        typer.Option("--options", help="Options CSV (default: the 2023 Leicester options)."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option("--budget", min=0, help="Capital budget over the horizon, GBP.")
    ] = None,
    years: Annotated[str, typer.Option("--years", help="FIRST-LAST, e.g. 2026-2031.")] = (
        "2026-2031"
    ),
    annuity_rate: Annotated[
        float, typer.Option("--annuity-rate", min=0, max=1, help="Green Book 3.5% by default.")
    ] = DEFAULT_ANNUITY_RATE,
    asset_life: Annotated[
        int, typer.Option("--asset-life", min=1, max=200, help="Years (40: an estimate).")
    ] = DEFAULT_ASSET_LIFE_YEARS,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("sendplan-expand"),
    seed: SeedOption = 1,
    movers: MoversOption = DEFAULT_MOVERS,
    growth: Annotated[
        str,
        typer.Option(
            "--growth",
            help=f"Demand growth: {', '.join(RULES)} (sendplan forecast's special-school "
            "demand, central or its 80% band), or a yearly rate (0.05 or 5%).",
        ),
    ] = "trend",
    la_code: Annotated[
        str, typer.Option("--la", help="With --growth forecast*: old 3-digit LA code.")
    ] = LEICESTER,
    sen2_dir: Annotated[
        Path | None,
        typer.Option(
            "--sen2-dir", help="With --growth forecast*: SEN2 releases to fit from, as forecast."
        ),
    ] = None,
    forecast_file: Annotated[
        Path | None,
        typer.Option(
            "--forecast-params",
            help="With --growth forecast*: CSV parameter,key,value (as forecast --params).",
        ),
    ] = None,
) -> None:
    """Choose which expansion options to build, and when, at least total cost."""

    def run() -> None:
        from sendplan.api.loader import with_input_files
        from sendplan.api.options_io import read_options, shipped_options
        from sendplan.routing.planning.expand import ExpansionError, expand
        from sendplan.routing.planning.year_cohort import base_year

        rule = movers_rule(movers)
        span = parse_years(years)
        demand = parse_growth(growth)
        if not demand.from_forecast:
            given = [
                name
                for name, value in (("--la", la_code != LEICESTER), ("--sen2-dir", sen2_dir),
                                    ("--forecast-params", forecast_file))
                if value
            ]  # fmt: skip
            if given:
                raise InputError(given[0], "applies only with --growth forecast (or -low, -high)")
        inputs: dict[str, Path | None] = {
            "--options file": options,
            "--forecast-params file": forecast_file,
        }
        if scenario != DEFAULT_SCENARIO:
            inputs["scenario"] = Path(scenario)
        check_inputs_outside(out, inputs)
        with progress() as say:
            base = load_expansion_scenario(scenario, seed=seed)
            if span[0] < base_year(base):
                raise InputError(
                    "--years", f"plans start in the scenario's year, {base_year(base)}, or later"
                )
            factors = growth_factors(
                demand, span, base_year=base_year(base), la_code=la_code, sen2_dir=sen2_dir,
                params_file=forecast_file,
            )  # fmt: skip
            chosen_options = (
                shipped_options(
                    base, field="--options", remedy="give the council's own options file"
                )
                if options is None
                else read_options(options, base)
            )
            try:
                result = expand(
                    base, chosen_options, years=span, budget_gbp=budget,
                    annuity_rate=annuity_rate, asset_life_years=asset_life, progress=say,
                    movers=rule, demand_growth=factors,
                )  # fmt: skip
            except ExpansionError as err:
                raise InputError("--options", str(err)) from None
            # Every file the run reads is named with its hash in the manifest.
            read = dict(with_input_files(base, (options, forecast_file)).sources)
            write_expansion(
                result, out, command=["sendplan", *sys.argv[1:]], seed=seed, inputs=read,
                growth=demand,
            )  # fmt: skip
        typer.echo(expansion_table(result, growth=demand))
        typer.echo(f"outputs in {out}")

    fail_cleanly(run)
