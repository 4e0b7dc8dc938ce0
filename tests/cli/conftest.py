"""The demo through the CLI, run once for the whole test run (it is the suite's costliest call)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from run_once import once_per_run, shared_folder
from typer.testing import CliRunner

import sendplan.routing.solve as front
from sendplan.api.cli import app
from sendplan.routing.result import Result
from sendplan.routing.solve import solve

DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, str]:
    """`sendplan demo --seed 7`: its output folder, the Result its solve returned, its stdout."""

    def run() -> tuple[Path, Result, str]:
        out = shared_folder(tmp_path_factory, "demo") / "out"
        solved: list[Result] = []

        def keep(*args: Any, **kwargs: Any) -> Result:
            solved.append(solve(*args, **kwargs))
            return solved[-1]

        with pytest.MonkeyPatch.context() as patch:
            # The command imports solve when it runs (not at start-up): patch it at its source.
            patch.setattr(front, "solve", keep)
            result = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", str(DEMO_SEED)])
        assert result.exit_code == 0, result.output
        assert len(solved) == 1
        return out, solved[0], result.stdout

    return once_per_run(tmp_path_factory, "demo", run)
