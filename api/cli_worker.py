"""`sendplan worker --scheduler ADDRESS`: one more job worker, on this machine or another.

Start a Dask scheduler once (``dask scheduler --host 10.0.0.5``), point `sendplan serve` at it
(``SENDPLAN_SCHEDULER=tcp://10.0.0.5:8786``) and run `sendplan worker --scheduler
tcp://10.0.0.5:8786` on each machine that should run jobs. Each worker process runs one job at a
time against ``SENDPLAN_DATABASE_URL`` (environment or ``.env``; a PostgreSQL URL, since a SQLite
file is only reachable on one machine), so database credentials never travel through Dask.
A worker killed mid-job loses nothing: the job's lease runs out and the service re-queues it.
Stop a worker with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from sendplan.api.cli_common import fail_cleanly


def _database_url() -> str:
    """The one setting a worker needs, read like the service's (without its secret key)."""
    # Imported here, as every command's library code is: `--help` and usage errors need none.
    from pydantic_settings import BaseSettings, SettingsConfigDict

    from sendplan.api.service.settings import Settings

    class WorkerSettings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="SENDPLAN_", env_file=".env", extra="ignore")

        database_url: str = str(Settings.model_fields["database_url"].default)

    return WorkerSettings().database_url


def worker_cmd(
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler", metavar="ADDRESS", help="The Dask scheduler, e.g. tcp://10.0.0.5:8786."
        ),
    ],
    nthreads: Annotated[
        int, typer.Option("--jobs", min=1, max=64, help="Jobs this worker runs at once.")
    ] = 1,
) -> None:
    """Join a Dask scheduler as a worker running the service's jobs."""

    def run() -> None:
        from sendplan.api.service.db import absolute_url
        from sendplan.api.service.runner import DATABASE_URL_ENV
        from sendplan.routing.planning.cluster import run_worker

        # The worker process (a child of the nanny) inherits the URL from the environment.
        os.environ[DATABASE_URL_ENV] = absolute_url(_database_url())
        run_worker(scheduler, nthreads=nthreads, preload=("sendplan.api.service.runner",))

    fail_cleanly(run)
