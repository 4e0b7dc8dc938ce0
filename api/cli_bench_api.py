"""`sendplan bench api`: the HTTP service under concurrent clients (see api/service/loadtest.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sendplan.api.cli_common import fail_cleanly


def bench_api_cmd(
    clients: Annotated[int, typer.Option("--clients", min=1, max=1000,
                                         help="Concurrent HTTP clients.")] = 50,
    seconds: Annotated[float, typer.Option("--seconds", min=1, max=3600,
                                           help="How long the clients run.")] = 20.0,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Solve worker processes.")] = 2,
    iterations: Annotated[int, typer.Option("--iterations", min=1, max=100_000,
                                            help="Search iterations per placement job.")] = 50,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="A scratch database (e.g. PostgreSQL) instead of a temporary "
        "SQLite file; the bench leaves its rows there.")] = None,
) -> None:  # fmt: skip
    """Start the service on loopback, load it with clients creating and polling jobs; print one
    JSON object (requests, errors, p50/p95 of submit and status calls, jobs the workers ran)."""

    def run() -> None:
        from sendplan.api.service.loadtest import bench_api

        result = bench_api(clients=clients, seconds=seconds, workers=workers,
                           iterations=iterations, database_url=database_url)  # fmt: skip
        typer.echo(json.dumps(result, sort_keys=True))

    fail_cleanly(run)
