"""`sendplan serve` (the HTTP service with its solve workers) and `sendplan keys create` (the
first API key of a fresh install).

Settings come from the environment (``SENDPLAN_*``) or ``.env``: see
:mod:`sendplan.api.service.settings`. Both commands bring the database to the newest schema first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from sendplan.api.cli_common import fail_cleanly, stderr

if TYPE_CHECKING:
    from sendplan.api.service.settings import Settings

keys_app = typer.Typer(no_args_is_help=True, help="Manage the service's API keys.")
ROLES = ("panel", "transport", "planner", "admin")
_TENANT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _settings(**overrides: object) -> Settings:
    # Imported here: pydantic is not needed by the other commands' start-up.
    from sendplan.api.service.settings import SettingsError, load_settings

    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as err:
        stderr.print(Text.assemble(("error:", "red"), " ", str(err)), soft_wrap=True)
        raise typer.Exit(2) from None


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=0, max=512, help="Local solve worker processes "
                     "(default: SENDPLAN_WORKERS, else 2; ignored with --scheduler)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="An existing Dask scheduler's address (default: "
                     "SENDPLAN_SCHEDULER); its workers, started with `sendplan worker "
                     "--scheduler ADDRESS`, run the jobs, and no local cluster is started."),
    ] = None,
    network: Annotated[
        Path | None,
        typer.Option("--network", metavar="FILE", help="A road network file built by `sendplan "
                     "network build` that planning jobs travel on (default: "
                     "SENDPLAN_ROAD_NETWORK, else straight-line travel); every worker reads "
                     "it at this absolute path."),
    ] = None,
) -> None:  # fmt: skip
    """Run the HTTP service and its solve workers until interrupted."""
    # A refused setting stops here, in one line.
    settings = _settings(workers=workers, scheduler=scheduler, road_network=network)

    from sendplan.api.service.app import create_app
    from sendplan.api.service.db import migrate
    from sendplan.api.service.dispatch import running_workers

    def run() -> None:
        migrate(settings.database_url)
        serve_app(create_app(settings), settings, host=host, port=port, workers=running_workers)

    # A database that cannot be reached: one line naming the error's type, never the URL.
    fail_cleanly(run)


def serve_app(app: Any, settings: Settings, *, host: str, port: int, workers: Any) -> None:
    """Run ``app`` under uvicorn inside ``workers(...)`` (dispatch.running_workers)."""
    import uvicorn

    with workers(
        database_url=settings.database_url, workers=settings.workers,
        scheduler=settings.scheduler, lease_s=settings.lease_s,
        max_attempts=settings.max_attempts, job_timeout_s=settings.job_timeout_s,
        retention_days=settings.retention_days, road_network=settings.road_network,
    ):  # fmt: skip
        docs = "" if settings.production else f"; docs at http://{host}:{port}/docs"
        pool = (f"the workers of {settings.scheduler}" if settings.scheduler
                else f"{settings.workers} workers")  # fmt: skip
        travel = (f"; road network {settings.road_network.name}" if settings.road_network
                  else "")  # fmt: skip
        stderr.print(f"sendplan serving on http://{host}:{port} with {pool}{travel}{docs}",
                     markup=False, highlight=False)  # fmt: skip
        # No proxy headers or server banner; uvicorn's access log shows paths (ids only).
        uvicorn.run(app, host=host, port=port, server_header=False, proxy_headers=False,
                    log_level="warning")  # fmt: skip


@keys_app.command("create")
def create_key_cmd(
    tenant: Annotated[str, typer.Option("--tenant", help="Local authority code, e.g. 856.")],
    role: Annotated[str, typer.Option("--role", help="panel, transport, planner or admin.")],
    label: Annotated[str, typer.Option("--label", help="What the key is for.")] = "",
) -> None:
    """Create an API key and print its secret once (only its hash is stored)."""
    from sendplan.api.service.db import make_engine, migrate, session_factory
    from sendplan.api.service.routers.keys import create_key

    if role not in ROLES:
        stderr.print(f"error: --role {role!r}: use {', '.join(ROLES)}", markup=False)
        raise typer.Exit(2)
    if not _TENANT.fullmatch(tenant):
        stderr.print("error: --tenant: letters, digits, _ and - only (e.g. 856)", markup=False)
        raise typer.Exit(2)
    if len(label) > 200:
        stderr.print("error: --label: at most 200 characters", markup=False)
        raise typer.Exit(2)
    settings = _settings()

    def run() -> tuple[Any, str]:
        migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as session:
                return create_key(session, tenant=tenant, role=role, label=label, actor="cli")
        finally:
            engine.dispose()

    made: list[tuple[Any, str]] = []
    fail_cleanly(lambda: made.append(run()))
    row, secret = made[0]
    stderr.print(f"created key {row.id} ({role}, tenant {tenant}); the secret is shown once:",
                 markup=False)  # fmt: skip
    typer.echo(secret)
