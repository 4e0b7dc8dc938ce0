"""The placement benchmark at small sizes: the instance is national-shaped and seeded, the run
reports the agreed keys, solves optimally and passes the checker; the need mix matches SEN2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from sendplan.api.cli_bench_placement import bench_placement_cmd
from sendplan.bench.placement import NEED_MIX, bench_placement, generate_instance

SEN2 = Path(__file__).resolve().parents[3] / "shared/data/sen_statistics"
KEYS = {"children", "schools", "arcs", "seconds", "peak_rss_mb", "optimal", "checker_ok",
        "objective", "classes", "placed", "unplaced", "cross_border"}  # fmt: skip


def test_bench_reports_the_agreed_keys_and_passes_the_checker() -> None:
    result = bench_placement(children=3_000, schools=60, candidates=8, seed=2)
    assert result.keys() >= KEYS
    assert result["optimal"] is True and result["checker_ok"] is True
    assert result["placed"] + result["unplaced"] == 3_000
    # Shared home points aggregate children into fewer classes; arcs stay sparse.
    assert result["classes"] < 3_000
    assert result["arcs"] < 3_000 * 60 / 2
    assert result["peak_rss_mb"] > 0 and result["seconds"] > 0
    json.dumps(result)


def test_instance_is_seeded_and_national_shaped() -> None:
    one = generate_instance(children=2_000, schools=40, seed=5)
    assert one == generate_instance(children=2_000, schools=40, seed=5)
    assert one != generate_instance(children=2_000, schools=40, seed=6)
    homes = {(c.lon, c.lat) for c in one.children}
    assert len(homes) < 200  # postcode-like shared centroids
    assert one.policy.max_candidates == 10
    lons = np.array([c.lon for c in one.children])
    assert lons.max() - lons.min() > 2.0  # spread across the country, not one town
    needs = {c.primary_need for c in one.children}
    assert {"ASD", "SLCN", "SEMH", "MLD", "SLD"} <= needs
    # Every need has at least one designated school (realistic coverage).
    covered = set().union(*(s.designations for s in one.schools))
    assert covered >= set(NEED_MIX)


def test_need_mix_follows_the_table() -> None:
    scenario = generate_instance(children=20_000, schools=40, seed=1)
    counts = {k: 0 for k in NEED_MIX}
    for c in scenario.children:
        counts[c.primary_need] += 1
    total = sum(NEED_MIX.values())
    for need, n in NEED_MIX.items():
        assert abs(counts[need] / 20_000 - n / total) < 0.01, need


def test_need_mix_table_matches_sen2_when_present() -> None:
    path = SEN2 / "sen2_2025_sen_needs_all_plans.csv"
    if not path.exists():
        pytest.skip("../shared SEN2 data not present")
    with path.open(encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["geographic_level"] == "National" and r["breakdown"] == "Special - total"
        ]
    assert len(rows) == 1
    for need, n in NEED_MIX.items():
        assert int(rows[0][f"number_{need.lower()}"]) == n, need


def test_cli_prints_one_json_object() -> None:
    app = typer.Typer()
    app.command()(bench_placement_cmd)
    result = CliRunner().invoke(
        app, ["--children", "500", "--schools", "20", "--candidates", "5", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data.keys() >= KEYS and data["children"] == 500 and data["checker_ok"] is True


PRICING_KEYS = {"pricing_rounds", "arcs_priced", "arcs_added", "min_reduced_cost",
                "sample_rounds", "compare_candidates", "compare_objective",
                "compare_seconds"}  # fmt: skip


def test_bench_default_is_exact_over_every_school_and_compares_with_the_nearest() -> None:
    result = bench_placement(children=4_000, schools=120, seed=3)
    assert result["candidates"] == 0
    assert result.keys() >= KEYS | PRICING_KEYS
    assert result["optimal"] is True and result["checker_ok"] is True
    assert result["min_reduced_cost"] is None or result["min_reduced_cost"] >= 0
    assert result["pricing_rounds"] >= 1 and result["arcs_priced"] >= result["arcs_added"]
    # Exact over every admissible school: never dearer than the 10 nearest.
    assert result["compare_candidates"] == 10
    assert result["objective"] <= result["compare_objective"]
    assert result["objective_saving"] == result["compare_objective"] - result["objective"]
    json.dumps(result)


def test_bench_with_nearest_candidates_neither_prices_nor_compares() -> None:
    result = bench_placement(children=1_000, schools=40, candidates=5, seed=2)
    assert not result.keys() & PRICING_KEYS
    none = bench_placement(children=1_000, schools=40, seed=2, compare=0, check=False)
    assert "pricing_rounds" in none and "compare_objective" not in none


def test_cli_defaults_to_every_school_with_a_comparison() -> None:
    app = typer.Typer()
    app.command()(bench_placement_cmd)
    result = CliRunner().invoke(app, ["--children", "600", "--schools", "30", "--seed", "4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["candidates"] == 0 and data["compare_candidates"] == 10
    assert data["objective"] <= data["compare_objective"]
    result = CliRunner().invoke(app, ["--children", "600", "--schools", "30", "--compare", "0"])
    assert result.exit_code == 0 and "compare_objective" not in json.loads(result.output)
