"""Options given without the option they need, and an --out folder that is not ours, are one
line on stderr naming the option, exit 2, before any work (issue 18 review)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sendplan.api.cli import app


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (["routes", "S", "--out", "O", "--contracts", "c.csv"], "--contracts", "--evaluate"),
        (["routes", "S", "--out", "O", "--columns", "c.toml"], "--columns", "--evaluate"),
        (["routes", "S", "--out", "O", "--changes", "c.csv"], "--changes", "needs --baseline"),
        (["routes", "S", "--out", "O", "--baseline", "r.json"], "--baseline", "needs --changes"),
        (["routes", "S", "--out", "O", "--baseline", "r.json", "--changes", "c.csv",
          "--evaluate", "e.csv"], "--baseline", "give one"),
    ],
)  # fmt: skip
def test_options_that_need_another_are_one_line(
    tmp_path: Path, args: list[str], option: str, words: str
) -> None:
    args = [str(tmp_path / a) if a in ("S", "O") else a for a in args]
    got = CliRunner().invoke(app, args)
    lines = got.stderr.strip().splitlines()
    assert got.exit_code == 2 and len(lines) == 1, got.stderr
    assert lines[0].startswith(f"error: {option}") and words in lines[0], lines
    assert not (tmp_path / "O").exists()


def test_tender_out_not_ours_is_one_line(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    got = CliRunner().invoke(app, ["tender", str(tmp_path), "--out", str(theirs)])
    lines = got.stderr.strip().splitlines()
    assert got.exit_code == 2 and len(lines) == 1, got.stderr
    assert "--out" in lines[0] and "did not write" in lines[0]
    assert (theirs / "notes.txt").read_text() == "keep me"
