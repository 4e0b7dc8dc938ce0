"""What routes receive from the app's state: a database session (a dependency, or
:func:`in_session` for the busiest routes), the settings and the write lock."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
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

T = TypeVar("T")

# Threads doing in_session's database work at once (the rest wait, asleep, for a slot): more
# than a few only contend for the GIL, and on SQLite for its one writer, so each request's
# share of the work stretches while it holds a lock (the write lock below, a pool connection).
# Fewer than the engine's pool (db.POOL_SIZE), so no connection is opened and closed per
# request.
DB_THREADS = 8
_db_slots = threading.BoundedSemaphore(DB_THREADS)


async def in_session(request: Request, work: Callable[[Session], T], *, limited: bool = True) -> T:
    """``work(session)`` in the thread pool with a fresh session (closed after).

    For the busiest routes (job submission and polling): an ``async`` route that hands all its
    database work to one thread costs one hop through the thread pool, where a sync route with
    :data:`SessionDep` costs two (its body, then its response's validation) plus the
    dependency's set-up; on a small machine under load those hops were much of the web
    process's time. ``limited``: wait for one of :data:`DB_THREADS` slots first; False for work
    that mostly waits, asleep and holding no connection (a submission queued for the write
    lock: service/group_commit.py)."""
    sessions: sessionmaker[Session] = request.app.state.sessions

    def run() -> T:
        with _db_slots if limited else nullcontext(), sessions() as session:
            return work(session)  # the session's close rolls back what work did not commit

    return await run_in_threadpool(run)


def make_write_lock(backend: str) -> AbstractContextManager[object]:
    """What the app holds around each write transaction: on SQLite a process-wide lock.

    SQLite has one writer at a time, and a connection that finds the database locked polls for
    it in sleeps of up to 100 ms; queueing this process's writers on a lock hands over at once,
    so concurrent job submissions do not pile up in those sleeps (and the submissions queued
    on it are committed together: service/group_commit.py). PostgreSQL needs none."""
    return threading.Lock() if backend == "sqlite" else nullcontext()


def write_lock_of(request: Request) -> AbstractContextManager[object]:
    """The app's write lock (see :func:`make_write_lock`)."""
    lock: AbstractContextManager[object] = request.app.state.write_lock
    return lock
