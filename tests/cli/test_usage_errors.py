"""Usage errors from the console script: one line naming the option, exit 2, no panel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sendplan.api.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("demo", "--seed", "-1"), "'--seed'"),
        (("routes",), "'SCENARIO'"),
        (("nosuch",), "'nosuch'"),
        (("routes", "x", "--iterations", "0"), "'--iterations'"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_option(args: tuple[str, ...], names: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and names in lines[0]
    assert "Traceback" not in done.stderr and "╭" not in done.stderr


def test_out_folder_of_other_files_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    done = _run("demo", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "'--out'" in done.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_help_and_version_still_exit_0() -> None:
    assert _run("--version").returncode == 0
    helped = _run("demo", "--help")
    assert helped.returncode == 0 and "--out" in helped.stdout
