"""GRID.toml for `sendplan sweep`: the axes it makes, and errors naming the file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.defaults import leicester_scenario
from sendplan.api.sweep_grid import grid_from, read_grid, sweep_input_error
from sendplan.api.tables import Source
from sendplan.api.writer import write_scenario
from sendplan.errors import InputError
from sendplan.routing.planning.sweep import CapacityOption, SweepError, check_grid

RUNNER = CliRunner()

GOOD = """
growth = [1.0, 1.06]
seeds = [1, 2]
movers = ["phase_transfer", "all"]
modes = "lexicographic"

[policy]
travel_gbp_per_min = [300, 600.5]
arrival_window_min = [5, 25]

[[variant_capacity]]
option = "ash-32"
school_id = "131099"
add = 32

[[variant_capacity]]
option = "ash-32"
school_id = 120414
add = -4

[[variant_capacity]]
option = "unit-8"
school_id = "120414"
add = 8
"""


def grid_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_grid_makes_the_cartesian_product(tmp_path: Path) -> None:
    grid = read_grid(grid_file(tmp_path, GOOD))
    ash = CapacityOption("ash-32", (("131099", 32), ("120414", -4)))
    # No `options` key: the baseline, then each option alone.
    assert grid.options == ((), (ash,), (CapacityOption("unit-8", (("120414", 8),)),))
    assert grid.growth == (1.0, 1.06)
    assert grid.modes == ("lexicographic",)
    # A pair is one value of arrival_window_min; numbers are coerced as in policy.toml.
    assert grid.policy == (
        ("travel_gbp_per_min", (300.0, 600.5)),
        ("arrival_window_min", ((5.0, 25.0),)),
    )
    variants = grid.variants()
    assert len(variants) == grid.size() == 3 * 2 * 2 * 2 * 2
    assert len({v.variant_id for v in variants}) == len(variants)
    # Seeds innermost, options outermost, ids in that order.
    assert [v.seed for v in variants[:4]] == [1, 2, 1, 2]
    assert [v.movers for v in variants[:4]] == ["phase_transfer"] * 2 + ["all"] * 2
    assert variants[0].variant_id == "v001" and variants[-1].options == grid.options[-1]
    row = variants[5].axes()
    assert row["options"] == "none" and row["policy.arrival_window_min"] == [5.0, 25.0]


def test_option_sets_are_chosen_by_id(tmp_path: Path) -> None:
    grid = read_grid(grid_file(tmp_path, 'options = [["unit-8", "ash-32"], []]\n' + GOOD))
    assert [tuple(o.option_id for o in s) for s in grid.options] == [("unit-8", "ash-32"), ()]


BAD = [
    ("growths = [1.0]", "growths", "did you mean growth"),
    ("growth = [1.0, -2]", "growth", "above 0"),
    ("growth = []", "growth", "empty list"),
    ("growth = [1.0, 1.0]", "growth", "twice"),
    ("seeds = [true]", "seeds", "whole number"),
    ('movers = ["some"]', "movers", "unknown rule"),
    ('modes = ["fastest"]', "modes", "unknown mode"),
    ('routes = "yes"', "routes", "true or false"),
    ("route_iterations = 0", "route_iterations", "1.."),
    ("[policy]\ntravel_gbp_per_minute = [1]", "policy.travel_gbp_per_minute", "unknown policy"),
    ("[policy]\ntravel_gbp_per_min = [300, -1]", "policy.travel_gbp_per_min", "-1"),
    ("[policy]\ncircuity_factor = [0.5]", "policy.circuity_factor", "circuity_factor"),
    ('[policy]\nmixed_school_routes = ["maybe"]', "policy.mixed_school_routes", "maybe"),
    ("policy = 3", "policy", "table"),
    ('[[variant_capacity]]\noption = "a"\nschool_id = "1"', "variant_capacity[1].add", "missing"),
    (
        '[[variant_capacity]]\noption = "a"\nschool_id = "1"\nadd = 1.5',
        "variant_capacity[1].add",
        "whole number",
    ),
    (
        '[[variant_capacity]]\noption = "a b"\nschool_id = "1"\nadd = 1',
        "variant_capacity[1].option",
        "id",
    ),
    (
        '[[variant_capacity]]\noption = "a"\nschool = "1"\nadd = 1',
        "variant_capacity[1].school",
        "unknown key",
    ),
    ('options = [["nope"]]', "options", "no [[variant_capacity]]"),
    ("options = [[], []]", "options", "twice"),
    (
        "seeds = ["
        + ", ".join(map(str, range(101)))
        + "]\n[policy]\nout_of_area_gbp = ["
        + ", ".join(map(str, range(101)))
        + "]",
        None,
        "above the limit of 10,000",
    ),
    ("growth = [", None, "not valid TOML"),
]


@pytest.mark.parametrize(("text", "field", "words"), BAD)
def test_grid_errors_name_the_file_and_key(
    tmp_path: Path, text: str, field: str | None, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_grid(grid_file(tmp_path, text))
    assert caught.value.file == "grid.toml"
    assert caught.value.field == field
    assert words in str(caught.value)


def test_an_option_for_a_school_not_in_the_scenario_names_the_option(tmp_path: Path) -> None:
    text = '[[variant_capacity]]\noption = "new-unit"\nschool_id = "999999"\nadd = 8\n'
    grid = read_grid(grid_file(tmp_path, text))
    scenario = leicester_scenario(seed=3, n_children=30)
    with pytest.raises(SweepError) as caught:
        check_grid(scenario, grid)
    error = sweep_input_error(caught.value, "grid.toml")
    assert error.field == "option new-unit"
    assert str(error) == (
        "grid.toml, field option new-unit: school '999999' is not in the scenario"
    )


def test_the_cli_reports_a_bad_grid_in_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    write_scenario(leicester_scenario(seed=3, n_children=30), scenario)
    grid = grid_file(tmp_path, "[policy]\nunplaced_gbp = [1e12]\n")
    result = RUNNER.invoke(
        app, ["sweep", str(scenario), "--grid", str(grid), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "grid.toml, field policy.unplaced_gbp" in lines[0]
    assert not (tmp_path / "out" / "sweep.json").exists()


def test_the_readme_grid_parses_and_fits_the_leicester_default() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Sweep (`sendplan sweep`)", 1)[1]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    grid = grid_from(tomllib.loads(block), Source("README"))
    variants = check_grid(leicester_scenario(seed=1), grid)
    assert len(variants) == 2 * 2 * 2 * 1 * 2 * 2
