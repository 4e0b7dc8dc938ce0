"""What every command shares: one-line errors with exit codes, and a progress line on terminals."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sendplan.errors import InputError
from sendplan.routing.model import Scenario

stderr = Console(stderr=True)

OutOption = Annotated[Path, typer.Option("--out", help="Folder for the outputs.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed.")]
NetworkOption = Annotated[
    Path | None,
    typer.Option("--network", help="Road network from `sendplan network build` (or a map file)."),
]
MatrixOption = Annotated[
    Path | None,
    typer.Option("--matrix", help="CSV from_id,to_id,seconds,metres from another router."),
]
PostcodesOption = Annotated[
    Path | None,
    typer.Option(
        "--postcodes",
        help="Code-Point Open or ONS Postcode Directory CSV to geocode children's postcodes "
        "offline.",
    ),
]


def load_with_postcodes(scenario_path: Path, postcodes: Path | None) -> Scenario:
    """Load a scenario, geocoding `postcode`-only children from the user's postcode file."""
    from sendplan.api.loader import load_scenario

    if postcodes is None:
        return load_scenario(scenario_path)
    from sendplan.geo.postcodes import load_postcodes

    table = load_postcodes(postcodes)
    return load_scenario(scenario_path, postcodes=table.lookup)


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A live status line on a terminal; silence when piped."""
    if not stderr.is_terminal:
        yield lambda _msg: None
        return
    with stderr.status("starting") as status:
        yield lambda msg: status.update(msg)


def fail_cleanly(run: Callable[[], None]) -> None:
    """Run a command, turning errors into one line and an exit code instead of a traceback.

    Exit codes: 2 for bad input (the message names file, row and field), 1 for anything else.
    """
    try:
        run()
    except InputError as err:
        stderr.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except Exception as err:
        if os.environ.get("SENDPLAN_DEBUG"):
            raise
        stderr.print(
            f"[red]internal error:[/red] {type(err).__name__}. "
            "Set SENDPLAN_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        raise typer.Exit(1) from None
