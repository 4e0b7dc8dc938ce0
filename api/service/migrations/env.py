"""Alembic's environment: migrate on the connection :func:`sendplan.api.service.db.migrate`
passes in (online), or print the SQL for the configured URL (offline, ``--sql``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from sendplan.api.service.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite alters a table by copying it, which Alembic's batch mode does.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        from sendplan.api.service.db import make_engine

        engine = make_engine(str(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as own:
            _run(own)
        engine.dispose()
    else:
        _run(connection)
