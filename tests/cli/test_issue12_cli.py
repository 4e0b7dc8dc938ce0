"""Issue 12 on the command line: `--movers`, the status-quo comparison of `demo`, and the README
that documents them and `bench fidelity`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.routing.result import Result
from sendplan.routing.status_quo import COMPARISON_KEYS

README = Path(__file__).resolve().parents[2] / "README.md"
RUNNER = CliRunner()


@pytest.fixture(scope="module")
def demo(demo_run: tuple[Path, Result, str]) -> tuple[dict[str, object], str]:
    """The session's `sendplan demo` run (tests/cli/conftest.py): its summary and stdout."""
    out, _result, stdout = demo_run
    return json.loads((out / "summary.json").read_text(encoding="utf-8")), stdout


def test_demo_reports_the_status_quo_beside_the_plan(demo: tuple[dict[str, object], str]) -> None:
    summary, stdout = demo
    assert summary["movers_rule"] == "phase_transfer"
    assert 0 < summary["movers"] < summary["children"]  # type: ignore[operator]
    block = summary["comparison"]
    assert isinstance(block, dict) and set(block) == {"status_quo", "optimised", "difference"}
    for side in block.values():
        assert set(side) == set(COMPARISON_KEYS)  # summary.json sorts keys
    sq, opt = block["status_quo"], block["optimised"]
    assert opt["placed"] == summary["placed"] and opt["routes"] == summary["routes"]
    # The status quo's routes are planned too (same search), so its transport is compared.
    assert sq["transported"] is not None and sq["transport_cost_gbp_per_year"] is not None
    assert sq["children"] == opt["children"] == summary["children"]
    header = next(line for line in stdout.splitlines() if "status quo" in line)
    assert "optimised" in header and "difference" in header
    assert "Placement cost per year" in stdout and "Out-of-area share" in stdout


def test_demo_movers_all_places_everyone(tmp_path: Path) -> None:
    argv = ["demo", "--out", str(tmp_path / "d"), "--no-routes", "--movers", "all"]
    outcome = RUNNER.invoke(app, argv)
    assert outcome.exit_code == 0, outcome.output
    summary = json.loads((tmp_path / "d" / "summary.json").read_text(encoding="utf-8"))
    assert summary["movers_rule"] == "all" and summary["movers"] == summary["children"]
    assert summary["comparison"]["optimised"]["transported"] is None


def test_readme_documents_movers_the_comparison_and_fidelity() -> None:
    text = README.read_text(encoding="utf-8")
    assert "--movers phase_transfer|all" in text and "PHASE_TRANSFER_AGES" in text
    assert "`comparison`" in text and "Status quo and optimised plan" in text
    for key in COMPARISON_KEYS:
        assert f"`{key}`" in text, key
    assert "sendplan bench fidelity [--seeds 1-5] [--n-children N] [--transport]" in text
    assert "all_within" in text
