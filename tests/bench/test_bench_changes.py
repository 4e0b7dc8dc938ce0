"""`sendplan bench changes`: random mid-year changes applied one at a time, each re-planned with
continuity; one row per change (seconds, children moved, cost against from scratch, checker) and
medians computed from those rows. Run on a small synthetic scenario (the command runs the
Leicester default)."""

from __future__ import annotations

import json
import statistics

from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.bench.changes import run_changes_bench

SC = scenario(
    random_children(16, 2, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2, -1)]
)


def test_rows_and_medians() -> None:
    got = run_changes_bench(SC, changes=4, seed=3, iterations=30)
    rows = got["rows"]
    assert [r["change"] for r in rows] == [1, 2, 3, 4]
    assert all(r["checker_ok"] for r in rows) and got["checker_ok"]
    assert got["median_seconds"] == statistics.median(r["seconds"] for r in rows)
    assert got["median_children_moved"] == statistics.median(r["children_moved"] for r in rows)
    assert got["final_gap_pct"] == rows[-1]["gap_pct"]
    for r in rows:
        fresh = r["from_scratch_cost_gbp"]
        assert abs(r["gap_pct"] - round(100 * (r["cost_gbp"] - fresh) / fresh, 3)) < 0.01
        assert r["chosen"] != "from_scratch_after_checker"
    assert json.loads(json.dumps(got)) == got


def test_same_seed_same_rows_but_seconds() -> None:
    def strip(figures: dict[str, object]) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = figures["rows"]  # type: ignore[assignment]
        return [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]

    a = run_changes_bench(SC, changes=3, seed=5, iterations=30)
    b = run_changes_bench(SC, changes=3, seed=5, iterations=30)
    assert strip(a) == strip(b)


def test_the_command_is_registered() -> None:
    got = CliRunner().invoke(app, ["bench", "changes", "--help"])
    assert got.exit_code == 0
    assert "--changes" in got.output
