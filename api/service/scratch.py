"""Scratch folders that a killed process does not leave behind for good.

A job's scenario (pseudonymous ids and home points) sits in a scratch folder while the job runs,
as do uploads while they are checked. ``TemporaryDirectory`` removes its folder on every exit
Python sees, but not after SIGKILL, an out-of-memory kill or a power cut. So each folder's name
carries its host and process (``sendplan-<kind>-<host>-<pid>-<random>``), and
:func:`sweep_orphans`, run as a job worker or the service starts, removes the folders of this
host whose process is gone. A folder whose process id has since been reused stays until that
process ends too: a sweep never removes a live process's folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sendplan.logs import get_logger

log = get_logger(__name__)

KINDS = ("job", "upload", "store", "compare", "ui", "whatif", "changes")
_NAME = re.compile(rf"^sendplan-(?:{'|'.join(KINDS)})-(?P<host>[A-Za-z0-9._-]+)-(?P<pid>\d+)-\w+$")


def _host() -> str:
    """This host's name as it may appear in a folder name (letters, digits, dots, dashes; any
    other character as an underscore)."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "host"


@contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A new private folder in the system's temporary folder, removed on leaving; its name
    tells :func:`sweep_orphans` which process made it."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}")
    prefix = f"sendplan-{kind}-{_host()}-{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError):  # gone, or beyond any process id
        return False
    return True


def sweep_orphans(*, root: Path | None = None) -> list[Path]:
    """Remove the scratch folders in ``root`` (the system's temporary folder) that a process of
    this host made and left behind when it died; returns them. Only our own folders go: a name
    of this host, a process that no longer runs, a real folder (not a link) owned by us."""
    root = Path(tempfile.gettempdir()) if root is None else root
    host, removed = _host(), []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or match["host"] != host or _alive(int(match["pid"])):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        # Another process sweeping at the same moment may remove it first.
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    if removed:
        log.info("removed %d scratch folders left by processes that died", len(removed))
    return removed
