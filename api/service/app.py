"""The FastAPI app: :func:`create_app` wires settings, the database, security and the routers.

The web process only stores and reads: jobs are queued in the database and run by worker
processes (``sendplan serve --workers N`` or ``sendplan worker``), never here.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from sendplan.api.service.auth import KeyCache
from sendplan.api.service.db import make_engine, session_factory
from sendplan.api.service.deps import make_write_lock
from sendplan.api.service.docs import ASSETS_URL, DOCS_URL, OAUTH2_REDIRECT_URL, install_docs
from sendplan.api.service.group_commit import JobWriter
from sendplan.api.service.problems import document_problems, install_problem_handlers
from sendplan.api.service.query_check import refuse_unknown_query_of_caller
from sendplan.api.service.routers import audit, health, jobs, keys, me, results, scenarios, ui
from sendplan.api.service.routers import what_if as what_if_routes
from sendplan.api.service.security import install_security
from sendplan.api.service.settings import Settings

DESCRIPTION = """Placement and transport planning for children with SEND.

Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <token>` (from `POST /token`).
Responses carry pseudonymous child ids only. Errors are RFC 9457 problem details."""

# Routes anyone may call: the rest need credentials (a test walks app.routes to check).
PUBLIC_PATHS = frozenset({"/health", DOCS_URL, OAUTH2_REDIRECT_URL, ASSETS_URL, "/openapi.json"})
# The web UI's page and files hold no data: every call they make for data needs a key.
PUBLIC_PATHS = PUBLIC_PATHS | {ui.INDEX_URL, ui.UI_URL, ui.FAVICON_URL}


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The app for ``settings`` (its database must be migrated: ``sendplan serve`` does it).

    In production mode /docs and /openapi.json do not exist (404)."""
    docs = not settings.production
    app = FastAPI(
        title="sendplan",
        version=metadata.version("sendplan"),
        description=DESCRIPTION,
        docs_url=None,  # our own, offline: see install_docs
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    if docs:
        install_docs(app, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.write_lock = make_write_lock(app.state.engine.dialect.name)
    app.state.job_writer = JobWriter(
        app.state.write_lock, group_commit=app.state.engine.dialect.name == "sqlite"
    )
    app.state.key_cache = KeyCache()
    install_problem_handlers(app)
    install_security(app, max_request_bytes=settings.max_request_bytes,
                     cors_origins=list(settings.cors_origins))  # fmt: skip
    app.include_router(health.router)
    app.include_router(keys.router)  # its public POST /token checks its query itself
    for module in (scenarios, jobs, results, audit, me, ui, what_if_routes):
        app.include_router(module.router, dependencies=[Depends(refuse_unknown_query_of_caller)])
    ui.install_ui(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
