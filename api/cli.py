"""The `sendplan` command line. Exit codes: 0 success, 2 bad input, 1 internal error."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sendplan.api.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Place children with SEND in special school places and plan their transport.",
)
_err = Console(stderr=True)

OutOption = Annotated[Path, typer.Option("--out", help="Folder for the outputs.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for the synthetic cohort.")]


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A live status line on a terminal; silence when piped."""
    if not _err.is_terminal:
        yield lambda _msg: None
        return
    with _err.status("starting") as status:
        yield lambda msg: status.update(msg)


def _fail_cleanly(run: Callable[[], None]) -> None:
    """Run a command, turning errors into one line and an exit code instead of a traceback."""
    try:
        run()
    except InputError as err:
        _err.print(f"[red]error:[/red] {err}", highlight=False)
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except Exception as err:
        if os.environ.get("SENDPLAN_DEBUG"):
            raise
        _err.print(
            f"[red]internal error:[/red] {type(err).__name__}. "
            "Set SENDPLAN_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        raise typer.Exit(1) from None


def _report(out: Path, summary_placed: int, summary_children: int) -> None:
    typer.echo(f"placed {summary_placed} of {summary_children} children; outputs in {out}")


@app.command()
def demo(
    out: OutOption = Path("sendplan-demo"),
    seed: SeedOption = 1,
) -> None:
    """Run the embedded Leicester default end to end on a synthetic cohort."""

    def run() -> None:
        from sendplan.api.defaults import leicester_scenario
        from sendplan.api.pipeline import run_placement
        from sendplan.api.writer import write_scenario

        with _progress() as say:
            say("generating the synthetic Leicester cohort")
            scenario = leicester_scenario(seed=seed)
            write_scenario(scenario, out / "scenario")
            summary = run_placement(scenario, out, progress=say)
        _report(out, summary.placed, summary.children)

    _fail_cleanly(run)


@app.command("place")
def place_cmd(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
    ],
    out: OutOption = Path("sendplan-out"),
) -> None:
    """Place the children of a scenario in school places."""

    def run() -> None:
        from sendplan.api.loader import load_scenario
        from sendplan.api.pipeline import run_placement

        with _progress() as say:
            say(f"reading {scenario_path.name}")
            scenario = load_scenario(scenario_path)
            summary = run_placement(scenario, out, progress=say)
        _report(out, summary.placed, summary.children)

    _fail_cleanly(run)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="sendplan")


if __name__ == "__main__":
    main()
