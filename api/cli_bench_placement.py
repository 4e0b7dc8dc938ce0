"""`sendplan bench placement`: solve and check a synthetic national-shaped instance."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sendplan.api.cli_common import SeedOption, fail_cleanly


def bench_placement_cmd(
    children: Annotated[int, typer.Option("--children", min=1, help="Children to place.")] = 11_600,
    schools: Annotated[int, typer.Option("--schools", min=1, help="Special settings.")] = 200,
    candidates: Annotated[
        int,
        typer.Option(
            "--candidates",
            min=0,
            help="Nearest admissible schools per child (0 = all, exact by pricing).",
        ),
    ] = 0,
    compare: Annotated[
        int,
        typer.Option(
            "--compare",
            min=0,
            help="With --candidates 0: also solve with this many nearest (0 = no comparison).",
        ),
    ] = 10,
    seed: SeedOption = 1,
) -> None:
    """Generate, place and check a national-shaped instance; print one JSON object."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.bench.placement import bench_placement

        result = bench_placement(
            children=children, schools=schools, candidates=candidates, seed=seed, compare=compare
        )
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
