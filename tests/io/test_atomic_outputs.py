"""Outputs appear whole or not at all, with a manifest (DESIGN.md promise 10).

A run writes into a hidden folder beside --out and swaps it in only on success: a failed,
interrupted (Ctrl-C, SIGTERM) or killed (SIGKILL) run leaves the previous results whole, and a
re-used --out never keeps a stale file. manifest.json names every file with its hash.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest
from transport_cases import TRAVEL, random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api import outputs
from sendplan.api.atomic import OUTPUT_NAMES, atomic_output, check_out_folder
from sendplan.api.cli import app
from sendplan.api.manifest import manifest_problems
from sendplan.api.outputs import write_outputs, write_result
from sendplan.api.writer import write_scenario
from sendplan.errors import InputError
from sendplan.routing.result import Result
from sendplan.routing.solve import solve
from sendplan.routing.vrp.stop import MaxIterations

RUNNER = CliRunner()
KIDS = random_children(12, 5, schools=("S1", "S2"))
SC = scenario(KIDS, schools=[school("S1"), school("S2", 2, -1)])


@pytest.fixture(scope="module")
def routed() -> Result:
    return solve(
        SC, sessions=("am",), placement="current", travel=TRAVEL, stop=MaxIterations(40),
        seed=1, workers=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def placed() -> Result:
    return solve(SC, sessions=(), travel=TRAVEL)


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("in") / "scenario"
    write_scenario(SC, folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path) -> list[str]:
    """Hidden temporary folders a run left beside ``out``."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


# --- manifest.json ------------------------------------------------------------------------------


def test_manifest_names_every_file_with_its_hash_and_the_run(
    tmp_path: Path, routed: Result
) -> None:
    out = tmp_path / "out"
    write_outputs(
        routed, out, command=["sendplan", "routes", "s", "--iterations", "40"],
        extra=lambda folder: write_scenario(SC, folder / "scenario"),
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {p for p in snapshot(out) if p != "manifest.json"}
    assert {e["path"] for e in manifest["files"]} == files
    assert "scenario/children.csv" in files and "routes.json" in files
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    assert manifest_problems(out) == []
    assert manifest["generator"] == "sendplan"
    assert manifest["sendplan_version"] == metadata.version("sendplan")
    assert manifest["command"] == ["sendplan", "routes", "s", "--iterations", "40"]
    assert manifest["seed"] == 1 and manifest["work_limit"] == routed.summary.work_limit
    assert manifest["travel_model"] == "straight-line"
    assert manifest["inputs"] == routed.summary.inputs


def test_cli_manifest_records_the_command_and_the_input_hashes(
    tmp_path: Path, scenario_dir: Path
) -> None:
    out = tmp_path / "out"
    argv = ["place", str(scenario_dir), "--out", str(out), "--mode", "weighted"]
    result = RUNNER.invoke(app, argv)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == [
        "sendplan", "place", str(scenario_dir), "--out", str(out), "--mode", "weighted",
    ]  # fmt: skip
    for name in ("children.csv", "schools.csv", "fleet.csv", "policy.toml"):
        digest = hashlib.sha256((scenario_dir / name).read_bytes()).hexdigest()
        assert manifest["inputs"][name] == digest
    assert manifest_problems(out) == []


def test_library_write_is_atomic_with_a_manifest(tmp_path: Path, placed: Result) -> None:
    placed.write(tmp_path / "lib")
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] is None  # a library call, not a command line
    assert manifest_problems(tmp_path / "lib") == []
    assert leftovers(tmp_path / "lib") == []


def test_a_changed_file_no_longer_matches_its_manifest(tmp_path: Path, placed: Result) -> None:
    write_result(placed, tmp_path / "o")
    (tmp_path / "o" / "placements.csv").write_text("child_id\n", encoding="utf-8")
    (tmp_path / "o" / "stray.txt").write_text("x", encoding="utf-8")
    assert manifest_problems(tmp_path / "o") == [
        "not in the manifest: stray.txt", "changed: placements.csv",
    ]  # fmt: skip


# --- re-used --out: nothing stale ---------------------------------------------------------------


def test_reused_out_keeps_no_stale_file(tmp_path: Path, routed: Result, placed: Result) -> None:
    out = tmp_path / "out"
    write_result(routed, out)
    assert (out / "routes.json").exists() and (out / "route_sheets.xlsx").exists()
    write_result(placed, out)
    assert not (out / "routes.json").exists() and not (out / "route_sheets.xlsx").exists()
    assert manifest_problems(out) == []
    assert leftovers(out) == []


def test_reused_out_drops_an_old_evaluation(tmp_path: Path, routed: Result) -> None:
    out = tmp_path / "out"
    evaluated = replace(routed, evaluation={"am": {"saving": {"saving_gbp_per_session": 1.0}}})
    write_result(evaluated, out)
    assert (out / "evaluation.json").exists()
    write_result(routed, out)
    assert not (out / "evaluation.json").exists()
    listed = [e["path"] for e in json.loads((out / "manifest.json").read_text())["files"]]
    assert sorted(snapshot(out)) == sorted([*listed, "manifest.json"])


# --- failures and interrupts leave the previous results whole --------------------------------


def test_a_failed_write_leaves_the_previous_results_untouched(
    tmp_path: Path, routed: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_result(routed, out)
    before = snapshot(out)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_route_sheets", broken)
    with pytest.raises(OSError, match="No space"):
        write_result(routed, out)
    assert snapshot(out) == before
    assert manifest_problems(out) == []
    assert leftovers(out) == []


def test_ctrl_c_while_writing_leaves_the_previous_results_untouched(
    tmp_path: Path, routed: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_result(routed, out)
    before = snapshot(out)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "write_routes_geojson", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_result(routed, out)
    assert snapshot(out) == before and leftovers(out) == []


def test_a_failed_command_leaves_the_previous_results_untouched(
    tmp_path: Path, scenario_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(out)]).exit_code == 0
    before = snapshot(out)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a bug found while writing")

    monkeypatch.setattr(outputs, "write_report", broken)
    result = RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(out)])
    assert result.exit_code == 1 and "internal error" in result.output
    assert snapshot(out) == before and leftovers(out) == []


def test_a_new_out_does_not_appear_when_the_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "fresh"
    with pytest.raises(RuntimeError), atomic_output(out) as folder:
        (folder / "summary.json").write_text("{}", encoding="utf-8")
        raise RuntimeError("late bad input")
    assert not out.exists() and leftovers(out) == []


_PATCHED_PLACE = """
import os, signal, sys
from sendplan.api import outputs
real = outputs.write_report
def write_then_terminated(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` would, half-way through the files
outputs.write_report = write_then_terminated"""

_PATCHED_PLACE_NOHUP = """
import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as `nohup` starts it
from sendplan.api import outputs
real = outputs.write_report
def write_then_hung_up(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGHUP)  # the terminal closes half-way through the files
outputs.write_report = write_then_hung_up"""

_RUN_PLACE = """
from sendplan.api.cli import main
sys.argv = ["sendplan", "place", sys.argv[1], "--out", sys.argv[2]]
main()
"""


def test_sigterm_while_writing_leaves_the_previous_results_untouched(
    tmp_path: Path, scenario_dir: Path
) -> None:
    out = tmp_path / "out"
    assert RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(out)]).exit_code == 0
    before = snapshot(out)
    done = subprocess.run(
        [sys.executable, "-c", _PATCHED_PLACE + _RUN_PLACE, str(scenario_dir), str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(out) == before and leftovers(out) == []


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_a_run_started_under_nohup_finishes_through_a_hangup(
    tmp_path: Path, scenario_dir: Path
) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _PATCHED_PLACE_NOHUP + _RUN_PLACE, str(scenario_dir), str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert manifest_problems(out) == [] and leftovers(out) == []


def test_sigkill_mid_run_leaves_the_previous_results_whole(tmp_path: Path) -> None:
    """`sendplan demo` twice into one folder, the second killed with SIGKILL while it writes:
    the folder still holds the first run, complete, and its manifest's hashes match."""
    exe = Path(sys.executable).parent / "sendplan"
    command = [str(exe), "demo", "--no-routes", "--seed", "2", "--out"]
    if not exe.exists():
        command = [sys.executable, "-m", "sendplan.api.cli", "demo", "--no-routes", "--seed",
                   "2", "--out"]  # fmt: skip
    out = tmp_path / "demo"
    first = subprocess.run([*command, str(out)], capture_output=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert manifest_problems(out) == []

    second = subprocess.Popen([*command, str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    caught = False
    try:
        deadline = time.monotonic() + 600  # a guard against a hang, not a timing assertion
        while second.poll() is None and time.monotonic() < deadline:
            temporary = [p for p in tmp_path.iterdir() if p.name.startswith(".demo.tmp-")]
            if temporary and any(temporary[0].iterdir()):  # files are being written
                second.send_signal(signal.SIGKILL)
                caught = True
                break
            time.sleep(0.001)
    finally:
        second.kill()
        second.wait()
    assert caught, "the second run never started writing (or finished first)"
    assert snapshot(out) == before
    assert manifest_problems(out) == []
    # A SIGKILL may leave the hidden temporary folder; never a second output folder.
    assert all(name.startswith(".demo.tmp-") for name in leftovers(out))


# --- what --out may be ------------------------------------------------------------------------


def test_out_that_is_a_file_is_refused_naming_the_option(tmp_path: Path) -> None:
    target = tmp_path / "results"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        check_out_folder(target)
    assert caught.value.file == "--out" and "is a file" in str(caught.value)


def test_a_folder_of_other_files_is_never_replaced(tmp_path: Path, placed: Result) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("years of work", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_result(placed, home)
    assert caught.value.file == "--out" and "thesis.docx" in str(caught.value)
    assert snapshot(home) == {"thesis.docx": b"years of work"}


@pytest.mark.parametrize("added", ["notes.txt", "scenario/mine.csv"])
def test_a_file_added_to_our_folder_is_never_deleted(
    tmp_path: Path, placed: Result, added: str
) -> None:
    out = tmp_path / "out"
    write_result(placed, out)
    (out / "scenario").mkdir(exist_ok=True)
    (out / added).write_text("the panel's notes", encoding="utf-8")
    (out / ".DS_Store").write_text("", encoding="utf-8")  # a file browser's: still ours
    before = snapshot(out)
    with pytest.raises(InputError) as caught:
        write_result(placed, out)
    assert caught.value.file == "--out" and added in str(caught.value)
    assert snapshot(out) == before
    (out / added).unlink()
    (out / "placements.csv").write_text("edited", encoding="utf-8")
    write_result(placed, out)  # an edited file of ours is still ours: replaced
    assert manifest_problems(out) == []


def test_a_folder_from_an_older_sendplan_may_be_replaced(tmp_path: Path, placed: Result) -> None:
    old = tmp_path / "old"
    (old / "scenario").mkdir(parents=True)
    for name in ("summary.json", "placements.csv", "routes.json"):
        (old / name).write_text("old", encoding="utf-8")
    assert {p.name for p in old.iterdir()} <= OUTPUT_NAMES
    write_result(placed, old)
    assert not (old / "routes.json").exists() and manifest_problems(old) == []


def test_an_out_folder_holding_an_input_is_refused(tmp_path: Path) -> None:
    """The README says to edit the demo's scenario/ and re-run: writing over the demo folder
    would replace scenario/ too, so a run whose --out holds any input exits 2 first."""
    runner = CliRunner()
    demo = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(demo), "--no-routes"]).exit_code == 0
    before = sorted(p.name for p in (demo / "scenario").iterdir())
    for argv in (["routes", str(demo / "scenario"), "--out", str(demo), "--iterations", "5"],
                 ["place", str(demo / "scenario"), "--out", str(demo)]):  # fmt: skip
        outcome = runner.invoke(app, argv)
        assert outcome.exit_code == 2 and "holds the scenario" in outcome.stderr
        assert sorted(p.name for p in (demo / "scenario").iterdir()) == before
