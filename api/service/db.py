"""The service's database: an engine for a URL, the schema migrated with Alembic, sessions.

SQLite (a file; the default, zero set-up) or PostgreSQL by URL (``postgresql://`` means the
psycopg 3 driver). On SQLite every connection uses write-ahead logging, enforces foreign keys
and waits up to :data:`BUSY_TIMEOUT_S` for a lock, so the web process, the dispatcher and the
worker processes on one machine can share the file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30.0
# Connections an engine keeps open (more may open for a burst, and are closed after it): the
# web process's routes use up to deps.DB_THREADS at once, plus the credential look-ups.
POOL_SIZE = 10
MAX_OVERFLOW = 10


def normalise_url(url: str) -> str:
    """``url`` with PostgreSQL's bare scheme mapped to the psycopg 3 driver (the one installed)."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; on SQLite with WAL, foreign keys on and a busy timeout."""
    url = normalise_url(url)
    pool = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)
    if parsed.database in (None, "", ":memory:") or "memory" in str(parsed.query.get("mode")):
        pool = {}  # an in-memory database: SQLAlchemy's own pool for it, one connection
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **pool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    return engine


@cache
def shared_engine(url: str) -> Engine:
    """One engine per URL per process (worker processes run many jobs against one database)."""
    return make_engine(url)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url``: no alembic.ini, the migrations ship in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # '%' would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite file path made absolute, so that processes started
    elsewhere (the Dask workers) open the same file."""
    parsed = make_url(normalise_url(url))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)
