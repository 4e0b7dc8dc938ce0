"""Issue 13, `sendplan compare` on the command line: scenario and result folders, the five
files, clean errors, and outputs that are safe to open."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from compare_cases import solve_folder, two_school_scenario
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.comparison_files import FILES
from sendplan.api.outputs import write_outputs
from sendplan.api.result_reader import read_result
from sendplan.api.writer import write_scenario
from sendplan.routing.planning.compare import compare

RUNNER = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"


def run(*argv: str | Path) -> tuple[int, str]:
    outcome = RUNNER.invoke(app, ["compare", *(str(a) for a in argv)])
    assert "Traceback" not in outcome.output
    return outcome.exit_code, outcome.output


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_scenario_against_itself_writes_zero_deltas(tmp_path: Path) -> None:
    folder = two_school_scenario(tmp_path / "base")
    code, output = run(folder, folder, "--out", tmp_path / "cmp")
    assert code == 0, output
    out = tmp_path / "cmp"
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "manifest.json"])
    rows = read_rows(out / "comparison.csv")
    assert rows and {"placed", "mean_travel_min"} <= {r["key"] for r in rows}
    assert all(r["base (2) delta"] == "0" or float(r["base (2) delta"]) == 0 for r in rows)
    assert read_rows(out / "changed_children.csv") == []
    document = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert document["names"] == ["base", "base (2)"] and document["changed_counts"]["base (2)"] == 0
    assert "placement_cost_gbp_per_year" in output and "0 children change school" in output
    # The folder is ours (manifest.json): a second run may replace it.
    assert run(folder, folder, "--out", out)[0] == 0


def test_capacity_drop_lists_the_child_moved_and_the_fill(tmp_path: Path) -> None:
    base = two_school_scenario(tmp_path / "base")
    tight = two_school_scenario(tmp_path / "tight", near_capacity=2)
    code, output = run(base, tight, "--out", tmp_path / "cmp")
    assert code == 0, output
    changed = read_rows(tmp_path / "cmp" / "changed_children.csv")
    assert changed == [{"input": "tight", "child_id": "C3", "baseline_school_id": "NEAR",
                        "school_id": "FAR", "change": "moved"}]  # fmt: skip
    fill = {
        (r["school_id"], r["input"]): r for r in read_rows(tmp_path / "cmp" / "school_fill.csv")
    }
    assert fill["NEAR", "tight"]["placed"] == "2" and fill["NEAR", "tight"]["capacity"] == "2"
    assert fill["NEAR", "tight"]["placed_delta"] == "-1"
    assert fill["FAR", "tight"]["fill"] == "0.3333" and fill["FAR", "base"]["placed"] == "0"
    assert "1 children change school" in output


def test_result_folder_reads_back_as_the_scenario_it_solved(tmp_path: Path) -> None:
    scenario_dir = two_school_scenario(tmp_path / "scenarios" / "base")
    variant = two_school_scenario(tmp_path / "variant", near_capacity=2)
    result = solve_folder(scenario_dir)
    results_dir = tmp_path / "results" / "base"  # same name, so the outputs match byte for byte
    write_outputs(result, results_dir,
                  extra=lambda f: write_scenario(result.scenario, f / "scenario"))  # fmt: skip
    assert read_result(results_dir).schools == {"C1": "NEAR", "C2": "NEAR", "C3": "NEAR"}
    assert run(scenario_dir, variant, "--out", tmp_path / "from_scenario")[0] == 0
    assert run(results_dir, variant, "--out", tmp_path / "from_result")[0] == 0
    for name in FILES:
        solved = (tmp_path / "from_scenario" / name).read_bytes()
        assert solved == (tmp_path / "from_result" / name).read_bytes(), name
    # The library agrees with the command.
    library = compare([read_result(results_dir), solve_folder(variant)], names=("base", "variant"))
    document = json.loads((tmp_path / "from_result" / "comparison.json").read_text("utf-8"))
    assert document["kpis"] == library.to_dict()["kpis"]


def test_result_folder_without_its_scenario_has_no_fill_shares(tmp_path: Path) -> None:
    folder = two_school_scenario(tmp_path / "base")
    outcome = RUNNER.invoke(app, ["place", str(folder), "--out", str(tmp_path / "placed")])
    assert outcome.exit_code == 0, outcome.output
    code, output = run(tmp_path / "placed", folder, "--out", tmp_path / "cmp")
    assert code == 0, output
    assert "capacities unknown" in output
    rows = read_rows(tmp_path / "cmp" / "comparison.csv")
    assert all(float(r["base delta"]) == 0 for r in rows if r["base delta"])
    fill = {
        (r["school_id"], r["input"]): r for r in read_rows(tmp_path / "cmp" / "school_fill.csv")
    }
    assert fill["NEAR", "placed"]["capacity"] == "" and fill["NEAR", "base"]["capacity"] == "3"


def test_corrupt_result_files_exit_2_naming_file_and_field(tmp_path: Path) -> None:
    folder = two_school_scenario(tmp_path / "base")
    placed = tmp_path / "placed"
    assert RUNNER.invoke(app, ["place", str(folder), "--out", str(placed)]).exit_code == 0
    summary = placed / "summary.json"
    good = summary.read_text(encoding="utf-8")
    summary.write_text(good[: len(good) // 2], encoding="utf-8")
    code, output = run(placed, folder, "--out", tmp_path / "cmp")
    assert code == 2 and "placed/summary.json" in output and "not valid JSON" in output
    summary.write_text(good.replace('"placed": 3', '"placed": "three"'), encoding="utf-8")
    code, output = run(placed, folder, "--out", tmp_path / "cmp")
    assert code == 2 and "summary.json, field placed" in output
    summary.write_text(good, encoding="utf-8")
    rows = (placed / "placements.csv").read_text(encoding="utf-8").splitlines()
    (placed / "placements.csv").write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")
    code, output = run(placed, folder, "--out", tmp_path / "cmp")
    assert code == 2 and "placed/placements.csv" in output and "lists 2 children" in output
    (placed / "placements.csv").unlink()
    code, output = run(placed, folder, "--out", tmp_path / "cmp")
    assert code == 2 and "placements.csv" in output and "missing" in output
    assert not (tmp_path / "cmp").exists()


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    folder = two_school_scenario(tmp_path / "base")
    code, output = run(folder, "--out", tmp_path / "cmp")
    assert code == 2 and "at least two" in output
    (tmp_path / "empty").mkdir()
    code, output = run(folder, tmp_path / "empty", "--out", tmp_path / "cmp")
    assert code == 2 and "neither a result folder" in output
    placed = tmp_path / "placed"
    assert RUNNER.invoke(app, ["place", str(folder), "--out", str(placed)]).exit_code == 0
    code, output = run(placed, folder, "--out", placed)  # would replace its own input
    assert code == 2 and "--out" in output and (placed / "summary.json").is_file()


def test_hostile_names_are_escaped_and_neutralised(tmp_path: Path) -> None:
    hostile = "=HYPERLINK(x)<script>alert(1)</script>"
    base = two_school_scenario(tmp_path / "<b>base", near_name=hostile)
    formula = two_school_scenario(tmp_path / "=1+2", near_name="renamed")
    code, output = run(base, formula, "--out", tmp_path / "cmp")
    assert code == 0, output
    html = (tmp_path / "cmp" / "comparison.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<b>base" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;base" in html
    assert "http" not in html.split("<body>", 1)[0]  # nothing loaded from the web
    cells = [
        cell
        for name in ("comparison.csv", "school_fill.csv")
        for row in csv.reader((tmp_path / "cmp" / name).open(encoding="utf-8"))
        for cell in row
    ]
    assert "'=1+2" in cells and f"'{hostile}" in cells and "renamed" not in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_readme_documents_compare() -> None:
    text = README.read_text(encoding="utf-8")
    assert "sendplan compare" in text and "changed_children.csv" in text


def test_input_names_escape_control_characters(tmp_path: Path) -> None:
    from sendplan.api.cli_compare import input_names

    odd = tmp_path / "e\x1b[31mvil\nx"
    odd.mkdir()
    (name,) = input_names([odd])
    assert "\x1b" not in name and "\n" not in name and "vil" in name
