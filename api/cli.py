"""The `sendplan` command line: one module per group of commands, mounted here.

Exit codes: 0 success, 2 bad input (one line naming file, row and field), 1 internal error.
"""

from __future__ import annotations

import typer

from sendplan.api import cli_place

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Place children with SEND in special school places and plan their transport.",
)
bench_app = typer.Typer(
    no_args_is_help=True, help="Benchmarks; each prints one JSON object to stdout."
)

app.command("demo")(cli_place.demo)
app.command("place")(cli_place.place)
app.add_typer(bench_app, name="bench")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="sendplan")


if __name__ == "__main__":
    main()
