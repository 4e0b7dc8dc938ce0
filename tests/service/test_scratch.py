"""Scratch folders: a SIGKILLed process's folder is swept; nothing else is (a live process's,
another host's, another user's, a link, a file, a name not ours)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sendplan.api.service.scratch import scratch_folder, sweep_orphans

HOLD = """
import sys, time
from sendplan.api.service.scratch import scratch_folder
with scratch_folder("job") as folder:
    (folder / "children.csv").write_text("child_id,lon,lat\\n")
    print(folder, flush=True)
    time.sleep(600)
"""


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as this process's temporary folder (and its children's)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def killed_process_folder(temp: Path) -> Path:
    """The scratch folder of a process killed with SIGKILL while inside ``scratch_folder``."""
    process = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    folder = Path(process.stdout.readline().strip())
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert folder.parent == temp and (folder / "children.csv").is_file()
    return folder


def test_a_killed_process_folder_is_swept_and_a_live_one_kept(temp: Path):
    dead = killed_process_folder(temp)
    with scratch_folder("upload") as live:
        (live / "children.csv").write_text("x")
        assert sweep_orphans() == [dead]
        assert not dead.exists()
        assert (live / "children.csv").is_file()
    assert not live.exists()  # removed on leaving, as TemporaryDirectory does
    assert sweep_orphans() == []


def test_the_name_says_kind_host_and_process(temp: Path, monkeypatch: pytest.MonkeyPatch):
    dead = killed_process_folder(temp)
    pid = dead.name.split("-")[-2]
    monkeypatch.setattr(socket, "gethostname", lambda: "node-7.council/x")
    orphan = temp / f"sendplan-job-node-7.council_x-{pid}-abc123"
    orphan.mkdir()
    with scratch_folder("job") as folder:
        assert folder.name.startswith(f"sendplan-job-node-7.council_x-{os.getpid()}-")
        # This host's (its name has a dash, a dot and an underscore) dead process's folder
        # goes; the live one stays, and so does the real host's, now another host's.
        assert sweep_orphans() == [orphan]
        assert folder.is_dir() and dead.is_dir()


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"), scratch_folder("secrets"):
        pass


def test_only_this_hosts_dead_process_folders_of_ours_go(temp: Path):
    dead = killed_process_folder(temp)
    pid = dead.name.split("-")[-2]
    host = dead.name.removeprefix("sendplan-job-").rsplit("-", 2)[0]
    other_host = temp / f"sendplan-job-elsewhere.example-{pid}-abc123"
    other_name = temp / f"not-sendplan-job-{host}-{pid}-abc123"
    unknown_kind = temp / f"sendplan-cache-{host}-{pid}-abc123"
    a_file = temp / f"sendplan-ui-{host}-{pid}-file1"
    target = temp / "kept"
    for folder in (other_host, other_name, unknown_kind, target):
        folder.mkdir()
        (folder / "keep.txt").write_text("x")
    a_file.write_text("x")
    link = temp / f"sendplan-store-{host}-{pid}-link1"
    link.symlink_to(target, target_is_directory=True)
    beyond = temp / f"sendplan-job-{host}-{2**70}-huge1"  # no process has such an id
    beyond.mkdir()
    assert sorted(sweep_orphans()) == sorted([dead, beyond])
    for kept in (other_host, other_name, unknown_kind, target, link):
        assert (kept / "keep.txt").is_file()
    assert a_file.is_file()


@pytest.mark.skipif(os.getuid() != 0, reason="only root can make a folder owned by another user")
def test_another_users_folder_is_kept(temp: Path):
    dead = killed_process_folder(temp)
    os.chown(dead, 65534, 65534)
    assert sweep_orphans() == []
    assert (dead / "children.csv").is_file()


def test_a_missing_temporary_folder_sweeps_nothing(tmp_path: Path):
    assert sweep_orphans(root=tmp_path / "absent") == []
