"""What every route receives: a database session and the settings, from the app's state."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from sendplan.api.service.settings import Settings


# Both are async on purpose: they never block (a session connects only when first used), and a
# sync dependency would cost each request a hop through the thread pool.
async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one request; rolled back unless the route committed."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    session = sessions()
    try:
        yield session
    finally:
        session.close()  # returns the connection to the pool: no waiting on the database


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def make_write_lock(backend: str) -> AbstractContextManager[object]:
    """What the app holds around each write transaction: on SQLite a process-wide lock.

    SQLite has one writer at a time, and a connection that finds the database locked polls for
    it in sleeps of up to 100 ms; queueing this process's writers on a lock hands over at once,
    so concurrent job submissions do not pile up in those sleeps. PostgreSQL needs none."""
    return threading.Lock() if backend == "sqlite" else nullcontext()


async def get_write_lock(request: Request) -> AbstractContextManager[object]:
    lock: AbstractContextManager[object] = request.app.state.write_lock
    return lock


WriteLockDep = Annotated[AbstractContextManager[object], Depends(get_write_lock)]
