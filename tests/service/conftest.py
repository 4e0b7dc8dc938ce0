"""Database fixtures for the service tests: a fresh SQLite file or a fresh PostgreSQL database
per test. PostgreSQL comes from ``SENDPLAN_TEST_PG_URL`` (default: the local test server, whose
role may CREATEDB); tests needing it skip when it is unreachable, and fail when env CI is set
or the URL was given (``.ci/run`` starts a server and gives it).

``db_url`` is parametrised over both backends and already migrated; ``sqlite_url`` and
``pg_url`` give one backend each (fresh, not migrated).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sendplan.api.service.db import make_engine, migrate, normalise_url, session_factory
from sendplan.api.service.tables import ScenarioFileRow, ScenarioRow, utc_now

DEFAULT_PG_URL = "postgresql+psycopg://sendplan:sendplan-test@127.0.0.1:5432/sendplan_test"
BACKENDS = ("sqlite", "postgresql")


def pg_server_url() -> str:
    return normalise_url(os.environ.get("SENDPLAN_TEST_PG_URL", DEFAULT_PG_URL))


def require_pg() -> str:
    """The PostgreSQL server's URL; skips the test (fails it under CI) when unreachable."""
    url = pg_server_url()
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as err:  # any failure to connect means: no usable server here
        reason = f"PostgreSQL unreachable at {make_url(url)!r}: {type(err).__name__}"
        if os.environ.get("CI") or os.environ.get("SENDPLAN_TEST_PG_URL"):
            pytest.fail(f"CI or SENDPLAN_TEST_PG_URL is set: {reason}")
        pytest.skip(reason)
    return url


@contextmanager
def fresh_pg_database(server_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server (dropped on leaving): its URL."""
    name = f"sendplan_t_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            drop_pg_database(admin, name)
    finally:
        admin.dispose()


def drop_pg_database(admin: Engine, name: str, *, attempts: int = 40) -> None:
    """Drop ``name``, forcing its sessions off; retried while the server refuses to end one.

    FORCE may not end an autovacuum worker (a superuser's process) that started on the new
    database: the drop then fails with InsufficientPrivilege until the worker is done."""
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def sqlite_file_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'service.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file's URL (not migrated)."""
    return sqlite_file_url(tmp_path)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database's URL (not migrated)."""
    with fresh_pg_database(require_pg()) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        url = sqlite_file_url(tmp_path)
        migrate(url)
        yield url
        return
    with fresh_pg_database(require_pg()) as url:
        migrate(url)
        yield url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    with session_factory(db_engine)() as session:
        yield session


def add_scenario(
    session: Session,
    *,
    tenant: str = "856",
    files: dict[str, bytes] | None = None,
    created_at: dt.datetime | None = None,
) -> ScenarioRow:
    """A scenario row (with ``files`` as its scenario files), committed."""
    files = files or {}
    row = ScenarioRow(
        tenant=tenant, name="test scenario", created_by="test", children=0, schools=0,
        vehicles=0, content_sha256=hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest(),
        created_at=created_at or utc_now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add_all(
        ScenarioFileRow(scenario_id=row.id, name=name, content=content)
        for name, content in files.items()
    )
    session.commit()
    return row


@pytest.fixture
def scenario_maker() -> Callable[..., ScenarioRow]:
    """``add_scenario(session, tenant=..., files=..., created_at=...)``."""
    return add_scenario


# --- S2's HTTP fixtures (tests/service/test_api_*.py) ------------------------------------------


@pytest.fixture
def api(db_url: str) -> Iterator[object]:
    """An in-process app on a fresh migrated database (each backend), with a TestClient."""
    from api_support import make_api

    harness = make_api(db_url)
    yield harness
    harness.client.close()
    harness.sessions.kw["bind"].dispose()


@functools.cache
def small_scenario_files(children: int = 120) -> dict[str, bytes]:
    """The embedded Leicester default (synthetic children) cut to ``children`` children, as the
    loader's folder files: a second or two to place and route with few iterations."""
    from sendplan.api.defaults import leicester_scenario
    from sendplan.api.writer import write_scenario

    scenario = leicester_scenario(seed=1)
    scenario = dataclasses.replace(scenario, children=scenario.children[:children])
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "scenario"
        write_scenario(scenario, folder)
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per browser-test module (``ui_browser_support``)."""
    from ui_browser_support import chromium_browser

    with chromium_browser() as launched:
        yield launched
