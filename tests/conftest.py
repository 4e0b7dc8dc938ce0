"""Suite-wide fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_matrix_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep road-network matrix caches out of the user's home during tests."""
    monkeypatch.setenv("SENDPLAN_CACHE_DIR", str(tmp_path / "cache"))
