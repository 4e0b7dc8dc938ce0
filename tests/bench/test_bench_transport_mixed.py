"""`sendplan bench transport --mixed-schools`: the merge phase's own figures beside the saving."""

from __future__ import annotations

import pytest

from sendplan.api.defaults import leicester_scenario
from sendplan.bench.transport import run_transport_bench

CHILDREN = 120
ITERATIONS = 40


@pytest.mark.parametrize("mixed", [True, False])
def test_mixed_phase_figures_are_printed_only_with_mixed_runs(mixed: bool) -> None:
    scenario = leicester_scenario(seed=2, n_children=CHILDREN)
    figures = run_transport_bench(
        scenario, iterations=ITERATIONS, seed=2, session="am", mixed_schools=mixed
    )
    assert figures["checker_ok"]
    if not mixed:
        assert "mixed_phase" not in figures
        return
    phase = figures["mixed_phase"]
    assert set(phase) >= {"groups", "groups_improved", "mixed_runs", "saving_gbp"}
    assert 0 <= phase["groups_improved"] <= phase["groups"]
    assert phase["mixed_runs"] == figures["mixed_school_routes"]
    # The merge only keeps cheaper runs: what it saved is what the plan cost less than its own
    # single-school runs, never negative.
    assert phase["saving_gbp"] >= 0
    assert (phase["groups_improved"] == 0) == (phase["saving_gbp"] == 0)
