"""`sendplan sweep` and `sendplan bench sweep` end to end."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sendplan.api.cli_sweep as cli_sweep
import sendplan.api.defaults as defaults
import sendplan.api.sweep_output as sweep_output
import sendplan.bench.sweep as sweep_bench
from sendplan.api.cli import app
from sendplan.api.defaults import leicester_scenario
from sendplan.api.loader import SCENARIO_FILES
from sendplan.api.sweep_output import RowStream
from sendplan.api.writer import write_scenario
from sendplan.routing.planning.sweep import Row

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    scenario = leicester_scenario(seed=3, n_children=80)
    write_scenario(scenario, folder / "scenario")
    school = scenario.schools[0].school_id
    grid = folder / "grid.toml"
    grid.write_text(
        f"growth = [1.0, 1.2]\nseeds = [1, 2]\n[policy]\nout_of_area_gbp = [10000, 40000]\n"
        f'[[variant_capacity]]\noption = "more"\nschool_id = "{school}"\nadd = 6\n',
        encoding="utf-8",
    )
    return folder / "scenario", grid


def run_sweep(inputs: tuple[Path, Path], out: Path, *extra: str) -> object:
    scenario, grid = inputs
    args = ["sweep", str(scenario), "--grid", str(grid), "--out", str(out), "--workers", "1"]
    return RUNNER.invoke(app, [*args, *extra])


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_sweep_writes_the_table_json_and_page(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_sweep(inputs, out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["variants"] == summary["finished"] == 16 and not summary["cancelled"]
    # Every file read is named with its hash, recomputed here from the files themselves.
    scenario, grid = inputs
    read = [grid, *(scenario / n for n in SCENARIO_FILES if (scenario / n).is_file())]
    assert summary["inputs"] == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in read}
    rows = read_rows(out / "sweep_results.csv")
    assert [r["variant"] for r in rows] == [f"v{i:03d}" for i in range(1, 17)]
    front = [r["variant"] for r in rows if r["pareto"] == "True"]
    assert front == summary["pareto"] and front
    assert {r["options"] for r in rows} == {"none", "more"}
    page = (out / "sweep.html").read_text()
    assert (
        page.count("<svg") == 2
        and "<script" not in page
        and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    )
    # Each front variant is ringed on both charts and highlighted in the table.
    assert page.count('class="pt front"') == 2 * len(front)
    assert page.count('<tr class="front">') == len(front)
    assert len((out / "sweep_results.jsonl").read_text().splitlines()) == 16
    assert f"{len(front)} on the Pareto front" in result.output
    # A second run may overwrite a sweep's folder.
    assert run_sweep(inputs, out).exit_code == 0


def test_ctrl_c_keeps_the_finished_rows_and_exits_130(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupted(RowStream):
        def append(self, row: Row) -> None:
            super().append(row)
            if self.count == 5:
                raise KeyboardInterrupt

    # The command imports its library code when it runs: patched at its source.
    monkeypatch.setattr(sweep_output, "RowStream", Interrupted)
    out = tmp_path / "out"
    result = run_sweep(inputs, out)
    assert result.exit_code == 130
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("cancelled: 5 of 16 variants finished")
    assert len(read_rows(out / "sweep_results.csv")) == 5
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["cancelled"] and summary["finished"] == 5
    assert inputs[1].name in summary["inputs"]


def test_a_folder_of_other_files_is_refused(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run_sweep(inputs, out)
    assert result.exit_code == 2 and "--out: the folder" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_bench_sweep_defaults_to_the_benchs_iterations() -> None:
    """--iterations' default is repeated in the CLI (its `--help` imports no solver)."""
    assert cli_sweep.BENCH_ROUTE_ITERATIONS == sweep_bench.BENCH_ROUTE_ITERATIONS


def test_bench_sweep_prints_one_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small cohort: this checks the command's wiring and output, not the timings.
    small = leicester_scenario(seed=1, n_children=60)
    monkeypatch.setattr(defaults, "leicester_scenario", lambda seed: small)
    result = RUNNER.invoke(
        app, ["bench", "sweep", "--variants", "2", "--workers", "2", "--iterations", "2"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["variants"] == 2 and figures["workers"] == 2
    assert figures["seconds"] > 0 and figures["seconds_one_worker"] > 0
    assert figures["speedup"] == pytest.approx(
        figures["seconds_one_worker"] / figures["seconds"], rel=0.01
    )


@pytest.mark.parametrize(
    ("grid_text", "said"),
    [
        ("growth = [1.0,\n", "grid.toml"),  # TOML syntax
        ("optoins = [[]]\n", "unknown key"),
        (
            '[[variant_capacity]]\noption = "x"\nschool_id = "no-such-school"\nadd = 6\n',
            "grid.toml",
        ),
    ],
)
def test_bad_grid_leaves_no_folder_behind(
    inputs: tuple[Path, Path], tmp_path: Path, grid_text: str, said: str
) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(grid_text, encoding="utf-8")
    new = tmp_path / "parent" / "out"
    result = run_sweep((inputs[0], grid), new)
    assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "parent").exists()
    # A folder the user gave (here a finished sweep's) is left exactly as it was.
    given = tmp_path / "given"
    given.mkdir()
    (given / "sweep.json").write_text("{}", encoding="utf-8")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in given.iterdir()}
    folder_mtime_ns = given.stat().st_mtime_ns
    assert run_sweep((inputs[0], grid), given).exit_code == 2
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in given.iterdir()} == before
    assert given.stat().st_mtime_ns == folder_mtime_ns
