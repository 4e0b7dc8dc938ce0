"""`sendplan bench fidelity`: the default's status quo against published figures (one JSON)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated

import typer

from sendplan.api.cli_common import SEED_MAX, fail_cleanly
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.routing.model import Scenario

MAX_SEEDS = 100


def parse_seeds(text: str) -> list[int]:
    """``1-5``, ``1,3,7`` or a mix (``1-3,9``): the seeds in order, each once."""
    seeds: list[int] = []
    for part in text.split(","):
        found = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if found is None:
            raise InputError("--seeds", f"{part.strip()!r} is not a seed or a range like 1-5")
        low = int(found.group(1))
        high = int(found.group(2)) if found.group(2) else low
        if high < low or high > SEED_MAX:
            raise InputError("--seeds", f"{part.strip()!r} is not a range of seeds")
        seeds += [s for s in range(low, min(high, low + MAX_SEEDS) + 1) if s not in seeds]
        if len(seeds) > MAX_SEEDS:
            raise InputError("--seeds", f"at most {MAX_SEEDS} seeds")
    return seeds


def bench_fidelity_cmd(
    seeds: Annotated[
        str, typer.Option("--seeds", help="Seeds of the default cohort: 1-5, 1,3,7 or 1-3,9.")
    ] = "1-5",
    n_children: Annotated[
        int | None,
        typer.Option("--n-children", min=1, help="Children per cohort (default: 1,345)."),
    ] = None,
    transport: Annotated[
        bool,
        typer.Option(
            "--transport",
            help="Also plan the status quo's morning routes: cost per transported child and "
            "pre-16 solo share beside NAO and CCN figures (for information).",
        ),
    ] = False,
) -> None:
    """Compare the default's status quo with published Leicester figures; print one JSON."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.defaults import leicester_scenario
        from sendplan.bench.fidelity import fidelity

        wanted = parse_seeds(seeds)

        def scenario_for(seed: int) -> Scenario:
            return leicester_scenario(seed=seed, n_children=n_children)

        result = fidelity(wanted, scenario_for, transport=transport)
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
