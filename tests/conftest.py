"""Suite-wide fixtures, and the rule that CI runs every test that reads ``../shared``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from run_once import once_per_run

import sendplan
from sendplan.routing.result import Result

SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_configure(config: pytest.Config) -> None:
    # CI has ../shared beside the clone: a test skipped there for want of it would hide a gap.
    if os.environ.get("CI") and not SHARED.is_dir():
        raise pytest.UsageError(
            f"CI is set but {SHARED} is missing: the shared-data tests must run"
        )


def pytest_report_header(config: pytest.Config) -> str:
    found = "present" if SHARED.is_dir() else "absent: tests that read it are skipped (see -rs)"
    return f"../shared: {found}"


@pytest.fixture(autouse=True)
def _private_matrix_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep road-network matrix caches out of the user's home during tests."""
    monkeypatch.setenv("SENDPLAN_CACHE_DIR", str(tmp_path / "cache"))


RESULTS_ITERATIONS = 50


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Results the report tests render (and the boarders tests read), solved once per test run
    (``run_once``): the embedded Leicester default (placement and both sessions, as ``sendplan
    demo``), a routes-only run (children kept at their current schools, as ``sendplan routes``)
    and a place-only run (as ``sendplan place``)."""

    def make() -> dict[str, Result]:
        full = sendplan.leicester_scenario()
        small = sendplan.leicester_scenario(n_children=60)
        stop = sendplan.MaxIterations(RESULTS_ITERATIONS)
        return {
            "demo": sendplan.solve(full, stop=stop, seed=1),
            "routes": sendplan.solve(small, stop=stop, seed=1, placement="current"),
            "place": sendplan.solve(small, sessions=(), seed=1),
        }

    return once_per_run(tmp_path_factory, "report-results", make)
