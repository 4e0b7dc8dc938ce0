"""`sendplan tender PLAN_DIR --out DIR`: the tender pack of a finished plan, per route what an
operator needs to price it (``tender.py`` reads it, ``tender_write.py`` writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.atomic import check_inputs_outside, check_out_folder
from sendplan.api.cli_common import fail_cleanly


def tender_cmd(
    plan_dir: Annotated[
        Path,
        typer.Argument(
            metavar="PLAN_DIR", help="A plan folder written by `sendplan routes` or `demo`."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for the pack: new, empty or written by sendplan (replaced whole).",
        ),
    ] = Path("sendplan-tender"),
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="The scenario the plan was made for: its fleet gives the layout of a route "
            "that states none (the type's first layout taking the most riders aboard at once).",
        ),
    ] = None,
) -> None:
    """Write the tender pack: one row per route (and a sheet per route) with schools, session,
    times, vehicle type and layout, assistant, riders, wheelchair users, needs flags, miles and
    minutes. No child is named."""

    def run() -> None:
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.api.loader import file_sha256, load_scenario
        from sendplan.api.tender import ROUTES_FILE, read_tender_routes
        from sendplan.api.tender_write import write_tender

        # checked here, not in an option callback, so a refusal is one line (exit 2)
        check_out_folder(out)
        check_inputs_outside(out, {"PLAN_DIR": plan_dir, "--scenario": scenario})
        fleet = None
        if scenario is not None:
            fleet = {v.name: v for v in load_scenario(scenario).fleet}
        routes = read_tender_routes(plan_dir, fleet=fleet)
        write_tender(routes, out, source=file_sha256(plan_dir / ROUTES_FILE))
        typer.echo(f"{len(routes)} routes in the tender pack; outputs in {out}")

    fail_cleanly(run)
