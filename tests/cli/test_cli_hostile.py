"""The command line against hostile input (promises 5, 10, 11): options out of range exit 2
naming the option; user text in an error is printed literally, never as markup; a control
character in an id stops `routes` before anything is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.cli_common import (
    SEED_MAX,
    IterationsOption,
    OutOption,
    SeedOption,
    TimeLimitOption,
)
from sendplan.api.writer import write_scenario

RUNNER = CliRunner()
SC = scenario(random_children(8, 2, schools=("S1", "S2")), schools=[school("S1"), school("S2", 2)])


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    write_scenario(SC, tmp_path / "scenario")
    return tmp_path / "scenario"


def probe_app() -> typer.Typer:
    """A command taking the shared validated options, as `routes` and the benchmarks do."""
    probe = typer.Typer()

    @probe.command()
    def run(
        out: OutOption = Path("probe-out"),
        seed: SeedOption = 1,
        time_limit: TimeLimitOption = 60.0,
        iterations: IterationsOption = None,
    ) -> None:
        typer.echo(f"ok {seed} {time_limit} {iterations}")

    return probe


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--seed", "-7"], "--seed"),
        (["--seed", str(SEED_MAX + 1)], "--seed"),
        (["--time-limit", "nan"], "--time-limit"),
        (["--time-limit", "inf"], "--time-limit"),
        (["--time-limit", "-1"], "--time-limit"),
        (["--time-limit", "0"], "--time-limit"),
        (["--iterations", "-5"], "--iterations"),
        (["--iterations", "0"], "--iterations"),
    ],
    ids=["seed-negative", "seed-over-2**32", "time-limit-nan", "time-limit-inf",
         "time-limit-negative", "time-limit-zero", "iterations-negative", "iterations-zero"],
)  # fmt: skip
def test_out_of_range_option_exits_2_naming_it(argv: list[str], option: str) -> None:
    result = RUNNER.invoke(probe_app(), argv)
    assert result.exit_code == 2, result.output
    assert option in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("argv", "printed"),
    [(["--time-limit", "2.5"], "ok 0 2.5 None"), (["--iterations", "3"], "ok 0 60.0 3")],
)
def test_valid_options_pass(tmp_path: Path, argv: list[str], printed: str) -> None:
    result = RUNNER.invoke(probe_app(), ["--seed", "0", *argv, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert printed in result.output


@pytest.mark.parametrize(
    ("argv", "second"),
    [(["--time-limit", "2.5", "--iterations", "3"], "--iterations"),
     (["--iterations", "3", "--time-limit", "2.5"], "--time-limit")],
)  # fmt: skip
def test_a_time_limit_and_iterations_together_exit_2(argv: list[str], second: str) -> None:
    # One work limit: before, the time limit was silently dropped.
    result = RUNNER.invoke(probe_app(), argv)
    assert result.exit_code == 2, result.output
    # The message as read, without the panel's borders and line breaks.
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    assert f"Invalid value for '{second}': give --time-limit or --iterations, not both" in text


def test_demo_refuses_a_negative_seed_before_any_work(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["demo", "--seed", "-7", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "--seed" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "d").exists()


@pytest.mark.parametrize("command", ["place", "demo"])
def test_out_that_is_a_file_exits_2_naming_the_option(
    tmp_path: Path, scenario_dir: Path, command: str
) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me", encoding="utf-8")
    argv = [command, *([str(scenario_dir)] if command == "place" else []), "--out", str(target)]
    result = RUNNER.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "is a file" in result.output
    assert target.read_text(encoding="utf-8") == "keep me"


def test_out_folder_of_other_files_exits_2_and_is_untouched(
    tmp_path: Path, scenario_dir: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    result = RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(home)])
    assert result.exit_code == 2 and "--out" in result.output and "notes.txt" in result.output
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("value", ["[/x]", "[bold red]x[/]", ":smile:", "[link=http://x]y"])
def test_markup_in_a_value_is_printed_literally(scenario_dir: Path, value: str) -> None:
    path = scenario_dir / "children.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("primary_need")] = value
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(scenario_dir / "o")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert repr(value) in result.output  # as typed, quoted: no markup, emoji or link applied
    assert "children.csv row 2, field primary_need" in result.output


def test_a_bel_in_an_id_stops_routes_before_anything_is_written(
    tmp_path: Path, scenario_dir: Path
) -> None:
    out = tmp_path / "out"
    argv = ["routes", str(scenario_dir), "--out", str(out), "--iterations", "20"]
    assert RUNNER.invoke(app, argv).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path = scenario_dir / "children.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("C003", "C0\x0703"), "utf-8")
    result = RUNNER.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "\x07" not in result.output
    assert "'C0\\x0703'" in result.output and "field child_id" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
