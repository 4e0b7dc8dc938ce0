"""The front door: `sendplan.solve` is what every entry point runs, with one Summary shape."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sendplan
import sendplan.api.outputs as outputs
import sendplan.routing.solve as front
from sendplan.api.cli import app
from sendplan.api.defaults import leicester_scenario
from sendplan.api.writer import write_scenario
from sendplan.errors import PlanRejected
from sendplan.logs import get_logger
from sendplan.routing.placement.check import check_placement
from sendplan.routing.transport.check import TransportCheck
from sendplan.routing.travel import straight_line_model

README = Path(__file__).resolve().parents[2] / "README.md"
RUNNER = CliRunner()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("front") / "scenario"
    write_scenario(leicester_scenario(seed=3, n_children=120), folder)
    return folder


@pytest.fixture(scope="module")
def result(scenario_dir: Path) -> sendplan.Result:
    scenario = sendplan.load_scenario(scenario_dir)
    return sendplan.solve(scenario, stop=sendplan.MaxIterations(60), seed=2)


def test_readme_python_example_runs(scenario_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "Python API" block, run as written from the folder holding `scenario/`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "README has no python block under 'Python API'"
    monkeypatch.chdir(scenario_dir.parent)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    made = namespace["result"]
    assert isinstance(made, sendplan.Result)
    assert (scenario_dir.parent / "out" / "summary.json").is_file()


def test_result_holds_checked_plans_for_every_child(result: sendplan.Result) -> None:
    scenario = result.scenario
    assert result.placement is not None
    assert check_placement(scenario, straight_line_model(scenario), result.placement).ok
    assert [p.session for p in result.transport] == ["am", "pm"]
    assert all(c.ok for c in result.checks) and result.summary.transport_checker_ok is True
    frame = result.placements
    assert sorted(frame["child_id"]) == sorted(c.child_id for c in scenario.children)
    assert frame["child_id"].is_unique
    assert (frame["status"] == "placed").sum() == result.summary.placed
    placed_gdf = result.placements_gdf()
    assert len(placed_gdf) == len(frame) and placed_gdf.crs == "EPSG:4326"
    assert placed_gdf.geometry.notna().sum() == result.summary.placed
    routes = result.routes_gdf()
    assert len(routes) == result.summary.routes == sum(len(p.routes) for p in result.transport)
    assert set(routes.geometry.geom_type) == {"LineString"}


def test_same_seed_and_work_limit_give_the_same_result(
    scenario_dir: Path, result: sendplan.Result
) -> None:
    again = sendplan.solve(
        sendplan.load_scenario(scenario_dir), stop=sendplan.MaxIterations(60), seed=2
    )
    assert again.transport == result.transport and again.summary == result.summary


def test_summary_records_seed_work_limit_and_input_hashes(
    result: sendplan.Result, scenario_dir: Path
) -> None:
    s = result.summary
    assert s.seed == 2 and s.work_limit == "MaxIterations(count=60)"
    assert s.travel_model == "straight-line" and s.notes == ()
    assert s.sessions == ("am", "pm") and s.transport_cost_basis == "am+pm"
    for name in ("children.csv", "schools.csv", "fleet.csv", "policy.toml"):
        digest = hashlib.sha256((scenario_dir / name).read_bytes()).hexdigest()
        assert s.inputs[name] == digest


def test_placement_only_says_transport_is_not_planned(scenario_dir: Path) -> None:
    s = sendplan.solve(sendplan.load_scenario(scenario_dir), sessions=()).summary
    assert s.transported is None and s.routes is None and s.work_limit is None
    assert s.notes == ("transport not planned: transport figures are null",)
    assert s.placed is not None and s.placed > 0


def test_every_entry_point_writes_one_summary_shape(
    scenario_dir: Path, result: sendplan.Result, tmp_path: Path
) -> None:
    runs = {
        "place": ["place", str(scenario_dir), "--out", str(tmp_path / "place")],
        "routes": ["routes", str(scenario_dir), "--out", str(tmp_path / "routes"),
                   "--iterations", "30", "--session", "both"],
        "demo": ["demo", "--out", str(tmp_path / "demo"), "--no-routes"],
    }  # fmt: skip
    keys = set(result.summary.to_dict())
    for name, argv in runs.items():
        outcome = RUNNER.invoke(app, argv)
        assert outcome.exit_code == 0, (name, outcome.output)
        summary = json.loads((tmp_path / name / "summary.json").read_text(encoding="utf-8"))
        assert set(summary) == keys, name
        assert summary["seed"] is not None, name
    routes = json.loads((tmp_path / "routes" / "summary.json").read_text(encoding="utf-8"))
    assert routes["notes"] == [] and routes["transport_checker_ok"] is True
    assert routes["work_limit"] == "MaxIterations(count=30)"


def test_library_write_equals_the_cli_files(scenario_dir: Path, tmp_path: Path) -> None:
    argv = ["routes", str(scenario_dir), "--out", str(tmp_path / "cli"), "--iterations", "30"]
    assert RUNNER.invoke(app, argv).exit_code == 0
    scenario = sendplan.load_scenario(scenario_dir)
    # `routes` keeps children at their current schools when every child has one ("auto").
    made = sendplan.solve(
        scenario, sessions=("am",), stop=sendplan.MaxIterations(30), seed=1, placement="auto"
    )
    made.write(tmp_path / "lib")
    cli_files = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert cli_files == sorted(p.name for p in (tmp_path / "lib").iterdir())
    for name in cli_files:
        if name == "manifest.json":  # records the command line, which differs by design
            continue
        cli, lib = (tmp_path / "cli" / name), (tmp_path / "lib" / name)
        assert cli.read_bytes() == lib.read_bytes(), name


def test_bad_arguments_are_value_errors(scenario_dir: Path) -> None:
    scenario = sendplan.load_scenario(scenario_dir)
    with pytest.raises(ValueError, match="unknown session"):
        sendplan.solve(scenario, sessions=("noon",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown mode"):
        sendplan.solve(scenario, mode="fastest")


def test_version_and_verbosity_options(scenario_dir: Path, tmp_path: Path) -> None:
    version = RUNNER.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"sendplan {sendplan.__version__}"
    argv = ["place", str(scenario_dir), "--out", str(tmp_path / "v")]
    quiet = RUNNER.invoke(app, argv)
    loud = RUNNER.invoke(app, [*argv, "-v"])
    assert "INFO sendplan.routing.solve: placed" not in quiet.stderr
    assert "INFO sendplan.routing.solve: placed" in loud.stderr
    assert RUNNER.invoke(app, ["-q", *argv]).stderr == ""


def test_log_records_never_carry_coordinates_or_postcodes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = get_logger("sendplan.tests")
    with caplog.at_level(logging.INFO, logger="sendplan"):
        log.warning("child C00017 home %s, %s postcode %s", -1.133517, 52.636301, "LE1 7RH")
        log.info("grid %s", "458123, 304567")
    text = caplog.text
    for secret in ("1.133517", "52.636301", "LE1 7RH", "458123"):
        assert secret not in text
    assert "C00017" in text and "[coordinates]" in text and "[postcode]" in text


@pytest.mark.parametrize(("value", "shown"), [("0", False), ("", False), ("1", True)])
def test_sendplan_debug_zero_means_off(
    value: str, shown: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An internal error shows its traceback only when SENDPLAN_DEBUG is really on."""
    monkeypatch.setenv("SENDPLAN_DEBUG", value)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    # demo imports it when it runs (not at start-up), so it is patched at its source.
    monkeypatch.setattr("sendplan.api.defaults.leicester_scenario", broken)
    outcome = RUNNER.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    if shown:
        assert isinstance(outcome.exception, RuntimeError)
    else:
        assert outcome.exit_code == 1 and "internal error: RuntimeError" in outcome.stderr


def test_every_command_option_has_help() -> None:
    """Typer reads options from each command's signature; a lost annotation shows as an option
    without help (or an option turned argument), so every option must carry its help text."""
    import typer.main

    def walk(command: object, path: str) -> list[str]:
        missing = []
        for name, sub in getattr(command, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        for param in getattr(command, "params", []):
            if param.param_type_name == "option" and not param.help and param.name != "help":
                missing.append(f"{path}: --{param.name}")
        return missing

    assert walk(typer.main.get_command(app), "sendplan") == []


def test_a_plan_failing_the_checker_is_never_issued(
    scenario_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solver bug shows as exit 1 listing every violation, with no outputs at all."""

    def broken(*args: object, **kwargs: object) -> TransportCheck:
        return TransportCheck(violations=("route AM-X-001: planted breach",), cost_gbp=0.0,
                              distance_m=0.0)  # fmt: skip

    monkeypatch.setattr(front, "check_transport", broken)
    with pytest.raises(PlanRejected, match="planted breach"):
        sendplan.solve(sendplan.load_scenario(scenario_dir), stop=sendplan.MaxIterations(5))
    out = tmp_path / "never"
    outcome = RUNNER.invoke(app, ["routes", str(scenario_dir), "--out", str(out),
                                  "--iterations", "5"])  # fmt: skip
    assert outcome.exit_code == 1
    assert "failed the independent checker" in outcome.stderr
    assert "route AM-X-001: planted breach" in outcome.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "argv",
    [["--time-limit", "nan"], ["--time-limit", "-1"], ["--iterations", "0"], ["--seed", "-7"]],
)
def test_routes_options_are_validated(scenario_dir: Path, tmp_path: Path, argv: list[str]) -> None:
    outcome = RUNNER.invoke(app, ["routes", str(scenario_dir), "--out", str(tmp_path / "o"), *argv])
    assert outcome.exit_code == 2 and argv[0] in outcome.output
    assert not (tmp_path / "o").exists()


def test_routes_without_a_fleet_is_an_input_error(scenario_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nofleet"
    shutil.copytree(scenario_dir, folder)
    (folder / "fleet.csv").unlink()
    outcome = RUNNER.invoke(app, ["routes", str(folder), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 2 and "fleet.csv" in outcome.stderr
    assert not (tmp_path / "o").exists()
    placed = RUNNER.invoke(app, ["place", str(folder), "--out", str(tmp_path / "p")])
    assert placed.exit_code == 0  # placement needs no vehicles


def test_a_failing_disk_is_one_line_not_an_internal_error(
    scenario_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "o" / "summary.json"))

    monkeypatch.setattr(outputs, "write_summary", full)
    outcome = RUNNER.invoke(app, ["place", str(scenario_dir), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 1
    assert "cannot read or write a file" in outcome.stderr
    assert "No space left on device" in outcome.stderr and "internal error" not in outcome.stderr


def test_grid_references_are_scrubbed_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sendplan"):
        get_logger("sendplan.tests").info("home at E 458123 N 304567 (%s children)", 123456)
    assert "458123" not in caplog.text and "304567" not in caplog.text
    assert "123456 children" in caplog.text
