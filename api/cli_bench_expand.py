"""`sendplan bench expand`: the expansion planner on the Leicester default and 2023 options."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sendplan.api.cli_common import SeedOption, fail_cleanly
from sendplan.errors import InputError


def bench_expand_cmd(
    options: Annotated[
        int, typer.Option("--options", min=1, help="The first N default options.")
    ] = 7,
    years: Annotated[int, typer.Option("--years", min=1, max=30, help="Years from 2026.")] = 6,
    seed: SeedOption = 1,
) -> None:
    """Plan the 2023 options on the Leicester default; print one JSON object."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.options_io import default_options
        from sendplan.bench.expand import bench_expand

        scenario = leicester_scenario(seed=seed)
        available = default_options(scenario)
        if options > len(available):
            raise InputError("--options", f"{options} is above the {len(available)} options")
        result = bench_expand(scenario, available, n_options=options, n_years=years)
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
