"""The `sendplan` command line: one module per group of commands, mounted here.

Exit codes: 0 success, 2 bad input (one line naming file, row and field), 1 internal error.

Start-up imports only typer, rich and the command modules: each command imports its library
code when it runs, so `--help`, `--version` and usage errors answer at once
(tests/cli/test_startup.py checks that no solver, database layer or numeric library loads).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

# typer vendors its own click: its usage errors are these classes, not the click package's.
from typer._click.exceptions import UsageError

from sendplan.api import (
    cli_bench_api,
    cli_bench_changes,
    cli_bench_expand,
    cli_bench_fidelity,
    cli_bench_forecast,
    cli_bench_placement,
    cli_bench_transport,
    cli_bench_vrp,
    cli_compare,
    cli_expand,
    cli_forecast,
    cli_network,
    cli_place,
    cli_routes,
    cli_serve,
    cli_sweep,
    cli_tender,
    cli_worker,
)
from sendplan.api.cli_common import (
    QuietOption,
    VerboseOption,
    configure_logging,
    with_verbosity,
)

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
app.command("routes")(cli_routes.routes)
app.command("sweep")(cli_sweep.sweep_cmd)
app.command("compare")(cli_compare.compare_cmd)
app.command("expand")(cli_expand.expand_cmd)
app.command("forecast")(cli_forecast.forecast)
app.command("serve")(cli_serve.serve_cmd)
app.command("worker")(cli_worker.worker_cmd)
app.command("tender")(cli_tender.tender_cmd)


def _version(value: bool) -> None:
    if value:
        from importlib import metadata  # here: only --version reads the installed metadata

        typer.echo(f"sendplan {metadata.version('sendplan')}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    verbose: VerboseOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Place children with SEND in special school places and plan their transport."""
    configure_logging(verbose=verbose, quiet=quiet)


app.add_typer(cli_network.network_app, name="network", help="Build and inspect road networks.")
app.add_typer(bench_app, name="bench")
app.add_typer(cli_serve.keys_app, name="keys")

bench_app.command("placement")(cli_bench_placement.bench_placement_cmd)
bench_app.command("matrix")(cli_network.bench_matrix_cmd)
bench_app.command("transport")(cli_bench_transport.bench_transport_cmd)
bench_app.command("solomon")(cli_bench_vrp.bench_solomon_cmd)
bench_app.command("lilim")(cli_bench_vrp.bench_lilim_cmd)
bench_app.command("sbrp")(cli_bench_vrp.bench_sbrp_cmd)
bench_app.command("sweep")(cli_sweep.bench_sweep_cmd)
bench_app.command("fidelity")(cli_bench_fidelity.bench_fidelity_cmd)
bench_app.command("expand")(cli_bench_expand.bench_expand_cmd)
bench_app.command("forecast")(cli_bench_forecast.bench_forecast_cmd)
bench_app.command("api")(cli_bench_api.bench_api_cmd)
bench_app.command("changes")(cli_bench_changes.bench_changes_cmd)


# Every command takes -v/-q as well as the top level (`sendplan routes ... -v`).
for group in (app, bench_app, cli_network.network_app):
    for command in group.registered_commands:
        assert command.callback is not None
        command.callback = with_verbosity(command.callback)


def main() -> None:
    """Console-script entry point. A usage error (a bad option value, a missing argument) is one
    line naming the option, exit 2, like every other bad input, instead of click's boxed panel."""
    try:
        code = app(prog_name="sendplan", standalone_mode=False)
    except UsageError as err:
        where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
        print(f"error: {err.format_message()}{where}", file=sys.stderr)
        raise SystemExit(2) from None
    except typer.Abort:  # Ctrl-C at a prompt
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
