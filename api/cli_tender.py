"""`sendplan tender PLAN_DIR --out DIR`: the tender pack of a finished plan, per route what an
operator needs to price it (``tender.py`` reads it, ``tender_write.py`` writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.atomic import check_inputs_outside
from sendplan.api.cli_common import OutOption, fail_cleanly
from sendplan.api.tender import read_tender_routes
from sendplan.api.tender_write import write_tender


def tender_cmd(
    plan_dir: Annotated[
        Path,
        typer.Argument(
            metavar="PLAN_DIR", help="A plan folder written by `sendplan routes` or `demo`."
        ),
    ],
    out: OutOption = Path("sendplan-tender"),
) -> None:
    """Write the tender pack: one row per route (and a sheet per route) with schools, session,
    times, vehicle type and layout, assistant, riders, wheelchair users, needs flags, miles and
    minutes. No child is named."""

    def run() -> None:
        check_inputs_outside(out, {"PLAN_DIR": plan_dir})
        routes = read_tender_routes(plan_dir)
        write_tender(routes, out)
        typer.echo(f"{len(routes)} routes in the tender pack; outputs in {out}")

    fail_cleanly(run)
