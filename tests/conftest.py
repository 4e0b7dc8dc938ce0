"""Suite-wide fixtures, and the rule that CI runs every test that reads ``../shared``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
