"""`sendplan bench forecast`: back-test the cohort forecast on SEN2 (one JSON object)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.cli_common import fail_cleanly
from sendplan.data.forecast_defaults import DEFAULT_SEN2_DIR, LEICESTER
from sendplan.errors import InputError


def bench_forecast_cmd(
    fit_to: Annotated[int, typer.Option("--fit-to", help="Last January the fit may read.")],
    predict: Annotated[int, typer.Option("--predict", help="January to predict and score.")],
    la_code: Annotated[str, typer.Option("--la", help="Old 3-digit LA code.")] = LEICESTER,
    all_las: Annotated[
        bool, typer.Option("--all-las", help="Every LA with data for both years.")
    ] = False,
    sen2_dir: Annotated[
        Path, typer.Option("--sen2-dir", help="Folder of SEN2 releases.")
    ] = DEFAULT_SEN2_DIR,
) -> None:
    """Fit to --fit-to, predict --predict; APE of special-school totals against 3 baselines."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.bench.forecast import backtest_all
        from sendplan.data.sen2 import read_sen2

        if predict <= fit_to:
            raise InputError("--predict", f"{predict} is not after --fit-to {fit_to}")
        started = time.perf_counter()
        tables = read_sen2(sen2_dir)
        if not all_las and la_code not in tables.la_codes():
            raise InputError("--la", f"LA {la_code!r} has no special-school figures in SEN2")
        result = backtest_all(
            tables, fit_to=fit_to, predict=predict, la_codes=None if all_las else [la_code]
        )
        result["la"] = "all" if all_las else la_code
        result["runtime_s"] = round(time.perf_counter() - started, 2)
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
