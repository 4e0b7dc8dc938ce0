"""A `sendplan routes` folder in `sendplan compare` and `sendplan.read_result`: a run on current
schools writes no placements.csv, so its schools (the status quo) are read from results.gpkg and
the comparison says that side has no placement of its own; a run where a child has no current
school places first and writes placements.csv. Both sides of each limit; README and --help say
which schools `routes` routes to. Synthetic children only."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from transport_cases import random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.result_reader import has_own_placement, read_result
from sendplan.api.writer import write_scenario
from sendplan.routing.model import Scenario

RUNNER = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"
SC = scenario(
    random_children(12, 5, schools=("S1", "S2")), schools=[school("S1"), school("S2", 3, -2)]
)
NOTE = "no placement of its own"


def cli(*argv: str | Path) -> tuple[int, str]:
    outcome = RUNNER.invoke(app, [str(a) for a in argv])
    assert "Traceback" not in outcome.output
    return outcome.exit_code, outcome.output


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def routes_folder(sc: Scenario, folder: Path) -> Path:
    write_scenario(sc, folder / "s")
    code, output = cli("routes", folder / "s", "--out", folder / "routes", "--iterations", "20")
    assert code == 0, output
    return folder / "routes"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SC routed on its current schools (``routes``) and placed (``place``, placements.csv)."""
    folder = tmp_path_factory.mktemp("runs")
    routes_folder(SC, folder)
    code, output = cli("place", folder / "s", "--out", folder / "placed")
    assert code == 0, output
    return folder


def test_routes_on_current_schools_reads_back_the_status_quo(runs: Path) -> None:
    out = runs / "routes"
    assert not (out / "placements.csv").exists() and not has_own_placement(out)
    view = read_result(out)
    assert view.schools == {c.child_id: c.current_school for c in SC.children}
    assert view.capacities == {"S1": 500, "S2": 500}
    assert view.school_names == {"S1": "School S1", "S2": "School S2"}
    summary = load(out / "summary.json")
    assert summary["movers_rule"] is None and summary["placed"] is None
    assert has_own_placement(runs / "placed")


@pytest.mark.parametrize("order", ["routes first", "routes second"])
def test_routes_folder_compares_against_a_placement(runs: Path, tmp_path: Path, order: str) -> None:
    inputs = [runs / "placed", runs / "routes"]
    if order == "routes first":
        inputs.reverse()
    code, output = cli("compare", *inputs, "--out", tmp_path / "cmp")
    assert code == 0, output
    document = load(tmp_path / "cmp" / "comparison.json")
    notes = [n for n in document["notes"] if NOTE in n]
    assert len(notes) == 1 and notes[0].startswith("routes: ") and "current schools" in notes[0]
    assert f"note: routes: {NOTE}" in " ".join(output.split())
    assert NOTE in (tmp_path / "cmp" / "comparison.html").read_text(encoding="utf-8")
    # Each child listed as changing is one whose placement differs from their current school.
    placed = read_result(runs / "placed").schools
    current = {c.child_id: c.current_school for c in SC.children}
    moved = {c for c in current if placed[c] != current[c]}
    assert {c["child_id"] for c in document["changed_children"]} == moved
    # The transport side is compared as it is: the routes run's figures, not nulls.
    routes_name = "routes"
    kpis = {k["key"]: k["values"] for k in document["kpis"]}
    assert (
        kpis["transport_cost_gbp_per_year"][routes_name]
        == load(runs / "routes" / "summary.json")["transport_cost_gbp_per_year"]
    )
    fill = {(s["school_id"]): s["capacity"][routes_name] for s in document["school_fill"]}
    assert fill == {"S1": 500, "S2": 500}


def test_two_placements_have_no_such_note(runs: Path, tmp_path: Path) -> None:
    code, output = cli("compare", runs / "placed", runs / "placed", "--out", tmp_path / "cmp")
    assert code == 0, output
    assert not any(NOTE in n for n in load(tmp_path / "cmp" / "comparison.json")["notes"])


def test_one_child_without_a_current_school_routes_a_placement(tmp_path: Path) -> None:
    first = replace(SC.children[0], current_school=None)
    out = routes_folder(replace(SC, children=(first, *SC.children[1:])), tmp_path)
    assert has_own_placement(out)
    summary = load(out / "summary.json")
    assert summary["movers_rule"] == "phase_transfer" and summary["placed"] == len(SC.children)
    assert "status quo not compared: 1 children have no current school" in summary["notes"]
    view = read_result(out)
    assert view.schools[first.child_id] is not None  # placed, though they had no school
    code, output = cli("compare", out, out, "--out", tmp_path / "cmp")
    assert code == 0, output
    assert not any(NOTE in n for n in load(tmp_path / "cmp" / "comparison.json")["notes"])


def copy_of(folder: Path, to: Path, *, without: tuple[str, ...] = ()) -> Path:
    to.mkdir()
    for path in folder.iterdir():
        if path.is_file() and path.name not in without:
            (to / path.name).write_bytes(path.read_bytes())
    return to


def refused(inputs: list[Path], tmp_path: Path, *words: str) -> None:
    code, output = cli("compare", *inputs, "--out", tmp_path / "cmp")
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1, output
    line = " ".join(output.split())
    assert all(w in line for w in words), line
    assert not (tmp_path / "cmp").exists()


def test_a_folder_that_is_not_a_result_is_still_refused(runs: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    refused([runs / "routes", tmp_path / "empty"], tmp_path, "neither a result folder")
    # A run that placed children still needs its placements.csv: results.gpkg does not do.
    placed = copy_of(runs / "placed", tmp_path / "placed", without=("placements.csv",))
    refused([runs / "routes", placed], tmp_path, "placed/placements.csv", "missing")


def test_a_routes_folder_without_its_gpkg_or_with_a_bad_one_exits_2(
    runs: Path, tmp_path: Path
) -> None:
    bare = copy_of(runs / "routes", tmp_path / "bare", without=("results.gpkg",))
    refused([runs / "placed", bare], tmp_path, "bare/results.gpkg", "missing")
    (bare / "results.gpkg").write_bytes(b"not a database at all" * 100)
    refused([runs / "placed", bare], tmp_path, "bare/results.gpkg", "not a sendplan GeoPackage")
    (bare / "results.gpkg").unlink()
    with closing(sqlite3.connect(bare / "results.gpkg")) as db:
        db.execute("CREATE TABLE homes (fid INTEGER PRIMARY KEY, child_id TEXT, school_id TEXT)")
        db.commit()
    refused([runs / "placed", bare], tmp_path, "bare/results.gpkg", "schools")
    # The gpkg of another run: its children do not add up to this summary's.
    copy = copy_of(runs / "routes", tmp_path / "other")
    summary = load(copy / "summary.json")
    (copy / "summary.json").write_text(json.dumps({**summary, "children": 11}), encoding="utf-8")
    refused([runs / "placed", copy], tmp_path, "other/results.gpkg", "lists 12 children", "11")


def test_readme_and_help_say_which_schools_routes_go_to() -> None:
    code, output = cli("routes", "--help")
    assert code == 0
    text = " ".join(output.replace("│", " ").split())
    assert "every child has a current_school" in text and "movers_rule says which" in text
    assert "with continuity (with or without --changes" in text
    assert "else from scratch" not in text
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "no `placements.csv`" in readme and "no placement of its own" in readme
    assert "phase-transfer movers" in readme
    assert "giving `--evaluate` as well is exit 2 naming `--baseline`" in readme
