"""A fixture's value computed once per test run, however many pytest-xdist workers ask for it.

The costliest fixtures (whole Leicester solves, 30-60 s each) are session-scoped, but each xdist
worker has its own session: with two workers each solve ran twice. Here the first worker to ask
computes the value and pickles it into the run's shared temporary folder under a file lock; the
others wait on the lock and read it. Without xdist it is simply computed.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every worker of this run sees (a worker's own one without xdist)."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist the base is pytest-N/popen-gwK: its parent belongs to this run alone.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], T]) -> T:
    """``make()``'s value, computed by the first worker of the run that asks for ``name``."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make()
    folder = shared_folder(tmp_path_factory, f"once-{name}")
    done = folder / "value.pickle"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done.exists():
            value: T = pickle.loads(done.read_bytes())
            return value
        value = make()
        partial = folder / "value.partial"
        partial.write_bytes(pickle.dumps(value))
        partial.replace(done)
        return value
