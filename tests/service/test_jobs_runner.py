"""run_job in this process against a real database: every output stored, bad input named,
cancel and timeout keeping the best plan, stale and lost attempts storing nothing, and the
service's routes equal to the library's for the same seed and iterations."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from service.conftest import small_scenario_files
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sendplan.api.loader import load_scenario
from sendplan.api.manifest import manifest_problems
from sendplan.api.outputs import write_files
from sendplan.api.service.db import session_factory
from sendplan.api.service.jobs import claim_queued, create_job, reap_expired, request_cancel
from sendplan.api.service.runner import run_job
from sendplan.api.service.tables import AuditRow, JobRow, ResultFileRow, ScenarioRow, utc_now
from sendplan.routing.solve import solve
from sendplan.routing.travel import travel_models
from sendplan.routing.vrp.stop import MaxIterations

Maker = Callable[..., ScenarioRow]
ENDLESS = 100_000  # iterations: the search runs until stopped


def _queued(
    session: Session, maker: Maker, kind: str, params: dict, files: dict[str, bytes] | None = None
) -> tuple[str, int]:
    scenario = maker(session, files=small_scenario_files() if files is None else files)
    job, _ = create_job(
        session, tenant="856", scenario_id=scenario.id, kind=kind, params=params, actor="k",
        idempotency_key=None, request_sha256="",
    )  # fmt: skip
    (claim,) = claim_queued(session, limit=1, lease_s=30, actor="d")
    return job.id, claim.attempt


def _job(session: Session, job_id: str) -> JobRow:
    session.expire_all()
    return session.get_one(JobRow, job_id)


def _files(session: Session, job_id: str) -> dict[str, bytes]:
    rows = session.scalars(select(ResultFileRow).where(ResultFileRow.job_id == job_id))
    return {r.name: r.content for r in rows}


def _manifest_problems(files: dict[str, bytes], folder: Path) -> list[str]:
    """What differs between the stored files and their stored manifest.json (as the CLI's
    folders are checked)."""
    folder = folder / "stored"  # beside the test's SQLite database, not with it
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return manifest_problems(folder)


def _wait(check: Callable[[], bool], *, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within_s} s")
        time.sleep(0.1)


def test_a_solve_job_stores_every_output_file(
    db_url: str, db_session: Session, scenario_maker: Maker, tmp_path: Path
):
    params = {"iterations": 20, "sessions": ["am"], "seed": 3}
    job_id, attempt = _queued(db_session, scenario_maker, "both", params)
    assert run_job(db_url, job_id, attempt, 30, 600) == "succeeded"
    job = _job(db_session, job_id)
    assert (job.status, job.reason, job.lease_expires_at) == ("succeeded", None, None)
    progress = json.loads(job.progress)
    assert progress["stage"] == "succeeded" and progress["best_cost_gbp"] > 0
    files = _files(db_session, job_id)
    assert {"summary.json", "placements.csv", "routes.geojson", "route_sheets.xlsx"} <= set(files)
    assert json.loads(files["summary.json"])["seed"] == 3
    manifest = json.loads(files["manifest.json"])
    assert (manifest["job_kind"], manifest["params"]["seed"], manifest["command"]) == (
        "both",
        3,
        None,
    )
    assert _manifest_problems(files, tmp_path) == []
    audit = db_session.scalars(select(AuditRow).where(AuditRow.job_id == job_id)).all()
    worker = [a for a in audit if a.action in ("job.running", "job.succeeded")]
    assert len(worker) == 2 and all(a.actor == f"worker:{job.lease_owner}" for a in worker)


@pytest.mark.parametrize("mixed", [False, True])
def test_service_routes_equal_the_librarys(
    sqlite_url: str, scenario_maker: Maker, tmp_path: Path, mixed: bool
):
    from sendplan.api.service.db import make_engine, migrate

    files = dict(small_scenario_files())
    if mixed:  # the merge stage has its own iteration limit: JobStop must apply it too
        policy = (
            files["policy.toml"]
            .decode()
            .replace("mixed_school_routes = false", "mixed_school_routes = true")
        )
        assert "mixed_school_routes = true" in policy
        files["policy.toml"] = policy.encode()
    migrate(sqlite_url)
    with session_factory(make_engine(sqlite_url))() as session:
        params = {"iterations": 40, "sessions": ["am", "pm"], "seed": 2}
        job_id, attempt = _queued(session, scenario_maker, "both", params, files)
        assert run_job(sqlite_url, job_id, attempt, 30, 600) == "succeeded"
        stored = _files(session, job_id)
    folder = tmp_path / "scenario"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    scenario = load_scenario(folder)
    result = solve(
        scenario, sessions=("am", "pm"), stop=MaxIterations(40), seed=2,
        travel=travel_models(scenario),  # the CLI's default searches, as the service's
    )  # fmt: skip
    write_files(result, tmp_path / "out")
    for name in ("routes.json", "placements.csv"):
        assert stored[name] == (tmp_path / "out" / name).read_bytes(), name
    assert json.loads(stored["summary.json"])["work_limit"] == repr(MaxIterations(40))


def test_bad_input_fails_naming_file_row_and_field_without_child_data(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    files = dict(small_scenario_files())
    lines = files["children.csv"].decode().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("age")] = "eleventy"
    lines[3] = ",".join(cells)
    files["children.csv"] = ("\n".join(lines) + "\n").encode()
    job_id, attempt = _queued(db_session, scenario_maker, "placement", {}, files)
    assert run_job(db_url, job_id, attempt, 30, 600) == "failed"
    job = _job(db_session, job_id)
    assert (job.status, job.reason) == ("failed", "bad_input")
    assert job.detail is not None
    assert "children.csv row 4" in job.detail and "age" in job.detail
    for private in ("lon", "lat"):  # the child's location never reaches the database
        value = cells[header.index(private)]
        assert value not in job.detail
    assert _files(db_session, job_id) == {}


def test_bad_params_fail_as_bad_input(db_url: str, db_session: Session, scenario_maker: Maker):
    job_id, attempt = _queued(db_session, scenario_maker, "both", {"mode": "fastest"})
    run_job(db_url, job_id, attempt, 30, 600)
    job = _job(db_session, job_id)
    assert (job.status, job.reason) == ("failed", "bad_input")
    assert job.detail is not None and "mode" in job.detail


def _run_in_thread(
    url: str, job_id: str, attempt: int, timeout_s: float
) -> tuple[threading.Thread, list[str]]:
    """run_job with a 3 s lease in a thread; the list receives its outcome."""
    outcome: list[str] = []
    thread = threading.Thread(
        target=lambda: outcome.append(run_job(url, job_id, attempt, 3, timeout_s)), daemon=True
    )
    thread.start()
    return thread, outcome


def _routing_started(session: Session, job_id: str) -> Callable[[], bool]:
    return lambda: json.loads(_job(session, job_id).progress).get("best_cost_gbp") is not None


def test_cancel_mid_run_keeps_the_best_plan(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    params = {"iterations": ENDLESS, "sessions": ["am"]}
    job_id, attempt = _queued(db_session, scenario_maker, "both", params)
    thread, outcome = _run_in_thread(db_url, job_id, attempt, 600)
    _wait(_routing_started(db_session, job_id), within_s=60)
    request_cancel(db_session, _job(db_session, job_id), actor="k")
    thread.join(timeout=60)
    assert outcome == ["cancelled"]
    job = _job(db_session, job_id)
    assert (job.status, job.reason) == ("cancelled", "cancelled")
    files = _files(db_session, job_id)
    assert json.loads(files["routes.json"])  # the best routes found before the cancel
    assert "placements.csv" in files
    # The summary says the plan was cut short (a finished job's says nothing of the kind).
    notes = json.loads(files["summary.json"])["notes"]
    assert notes[-1].startswith("cancelled: the search was stopped early; this is the best plan")


def test_timeout_fails_the_job_and_keeps_the_best_plan(
    db_url: str, db_session: Session, scenario_maker: Maker, tmp_path: Path
):
    params = {"iterations": ENDLESS, "sessions": ["am"]}
    job_id, attempt = _queued(db_session, scenario_maker, "both", params)
    thread, outcome = _run_in_thread(db_url, job_id, attempt, 4)
    thread.join(timeout=60)
    assert outcome == ["failed"]
    job = _job(db_session, job_id)
    assert (job.status, job.reason) == ("failed", "timeout")
    files = _files(db_session, job_id)
    assert "routes.json" in files
    assert json.loads(files["summary.json"])["notes"][-1].startswith(
        "timeout: the search was stopped after 4 s; this is the best plan found by then"
    )
    # The noted summary's manifest entry was made to match it.
    assert _manifest_problems(files, tmp_path) == []


def test_two_identical_jobs_store_identical_files(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    """Every file, the report included (it once carried the job's temporary folder's name)."""
    params = {"iterations": 20, "sessions": ["am"], "seed": 4}
    stored = []
    for _ in range(2):
        job_id, attempt = _queued(db_session, scenario_maker, "both", params)
        assert run_job(db_url, job_id, attempt, 30, 600) == "succeeded"
        stored.append(_files(db_session, job_id))
    first, second = stored
    assert set(first) == set(second) and "report.html" in first
    assert {n for n in first if first[n] != second[n]} == set()
    assert not any("cancelled" in n or "timeout" in n
                   for n in json.loads(first["summary.json"])["notes"])  # fmt: skip


def test_a_stale_attempt_does_nothing(db_url: str, db_session: Session, scenario_maker: Maker):
    job_id, attempt = _queued(db_session, scenario_maker, "placement", {})
    assert run_job(db_url, job_id, attempt + 1, 30, 600) == "stale"
    job = _job(db_session, job_id)
    assert (job.status, job.lease_owner) == ("submitted", None)


def test_a_worker_that_lost_its_lease_stores_nothing(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    params = {"iterations": ENDLESS, "sessions": ["am"]}
    job_id, attempt = _queued(db_session, scenario_maker, "both", params)
    thread, outcome = _run_in_thread(db_url, job_id, attempt, 600)
    _wait(_routing_started(db_session, job_id), within_s=60)
    # As if the worker had stalled past its lease: the reaper re-queues the job.
    past = utc_now().replace(year=2000)
    db_session.execute(update(JobRow).where(JobRow.id == job_id).values(lease_expires_at=past))
    db_session.commit()
    assert reap_expired(db_session, max_attempts=3) == [job_id]
    thread.join(timeout=60)
    assert outcome == ["stale"]
    assert _job(db_session, job_id).status == "queued"
    assert _files(db_session, job_id) == {}


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("forecast", {"years": "2026-2027"}, {"forecast.csv", "forecast.json", "forecast.html"}),
        ("expansion", {"years": "2026-2027"}, {"expansion.json", "expansion.csv"}),
        ("sweep", {"grid": {"growth": [1.0, 1.05]}}, {"sweep.json", "sweep.html"}),
    ],
)
def test_planning_jobs_store_their_files_and_a_summary(
    sqlite_url: str, scenario_maker: Maker, kind: str, params: dict, expected: set[str],
    tmp_path: Path,
):  # fmt: skip
    from sendplan.api.service.db import make_engine, migrate

    migrate(sqlite_url)
    with session_factory(make_engine(sqlite_url))() as session:
        job_id, attempt = _queued(session, scenario_maker, kind, params)
        assert run_job(sqlite_url, job_id, attempt, 30, 600) == "succeeded"
        files = _files(session, job_id)
    assert expected | {"summary.json", "manifest.json"} <= set(files)
    assert json.loads(files["summary.json"])["kind"] == kind
    assert _manifest_problems(files, tmp_path) == []


def test_planning_job_with_bad_years_is_bad_input(sqlite_url: str, scenario_maker: Maker):
    from sendplan.api.service.db import make_engine, migrate

    migrate(sqlite_url)
    with session_factory(make_engine(sqlite_url))() as session:
        job_id, attempt = _queued(session, scenario_maker, "forecast", {"years": "2031-2026"})
        assert run_job(sqlite_url, job_id, attempt, 30, 600) == "failed"
        job = _job(session, job_id)
    assert job.reason == "bad_input" and job.detail is not None and "years" in job.detail


def _run_changes(
    db_url: str, session: Session, base_id: str, params: dict, csv_text: str | None, **texts: str
) -> str:
    """A changes job on ``base_id``'s routes (with ``csv_text`` as changes_csv, and the other
    ``texts``, e.g. contracts_csv), queued and run by ``run_job``; its id."""
    given = {"changes_csv": csv_text, **texts}
    job, _ = create_job(
        session, tenant="856", scenario_id=_job(session, base_id).scenario_id, kind="changes",
        params={**params, "base_job": base_id,
                **{k: v for k, v in given.items() if v is not None}},
        actor="k", idempotency_key=None, request_sha256="",
    )  # fmt: skip
    (claim,) = claim_queued(session, limit=1, lease_s=30, actor="d")
    run_job(db_url, job.id, claim.attempt, 30, 600)
    return job.id


def _library_inputs(tmp_path: Path, base_routes: bytes, texts: dict[str, str]) -> tuple[Path, Path]:
    """The small scenario's folder, and a folder of the base routes.json and the ``texts``
    (by file name), for the library's own re-plan of what a job ran."""
    folder, inputs = tmp_path / "scenario", tmp_path / "inputs"
    folder.mkdir()
    inputs.mkdir()
    for name, content in small_scenario_files().items():
        (folder / name).write_bytes(content)
    (inputs / "routes.json").write_bytes(base_routes)
    for name, text in texts.items():
        (inputs / name).write_text(text, encoding="utf-8")
    return folder, inputs


def _pickups(routes_json: bytes) -> list[str]:
    routes = json.loads(routes_json)["sessions"]["am"]["routes"]
    return [s["child_id"] for r in routes for s in r["steps"] if s["type"] == "pickup"]


def test_a_changes_job_replans_its_base_jobs_stored_routes(
    db_url: str, db_session: Session, scenario_maker: Maker
):
    params = {"iterations": 20, "sessions": ["am"]}
    base_id, attempt = _queued(db_session, scenario_maker, "transport", params)
    assert run_job(db_url, base_id, attempt, 30, 600) == "succeeded"
    riders = _pickups(_files(db_session, base_id)["routes.json"])
    child = riders[0]

    def changes_job(csv_text: str) -> str:
        return _run_changes(db_url, db_session, base_id, params, csv_text)

    done = changes_job(f"change,child_id\nremove_child,{child}\n")
    assert _job(db_session, done).status == "succeeded"
    files = _files(db_session, done)
    assert json.loads(files["changes.json"])["children_removed"] == [child]
    assert sorted(_pickups(files["routes.json"])) == sorted(set(riders) - {child})
    assert json.loads(files["manifest.json"])["job_kind"] == "changes"
    # A child the scenario lacks: failed as bad input naming the row and field.
    failed = _job(db_session, changes_job("change,child_id\nremove_child,NOBODY\n"))
    assert (failed.status, failed.reason) == ("failed", "bad_input")
    assert failed.detail is not None and "changes.csv row 2, field child_id" in failed.detail


def test_a_changes_jobs_routes_equal_the_librarys(
    db_url: str, db_session: Session, scenario_maker: Maker, tmp_path: Path
):
    """The same re-plan as `sendplan routes --baseline --changes` makes (replan_from_files),
    for the same seed and iterations: the same routes.json and changes.json bytes."""
    from sendplan.api.changes import replan_from_files
    from sendplan.api.changes_report import changes_report
    from sendplan.api.json_files import write_json

    params = {"iterations": 30, "sessions": ["am"], "seed": 2}
    base_id, attempt = _queued(db_session, scenario_maker, "transport", params)
    assert run_job(db_url, base_id, attempt, 30, 600) == "succeeded"
    base_routes = _files(db_session, base_id)["routes.json"]
    child = _pickups(base_routes)[-1]
    csv_text = f"change,child_id,route_id,lon,lat\nchange_address,{child},,-1.1000,52.6450\n"
    job = _run_changes(db_url, db_session, base_id, params, csv_text)
    assert _job(db_session, job).status == "succeeded"
    stored = _files(db_session, job)
    folder, inputs = _library_inputs(tmp_path, base_routes, {"changes.csv": csv_text})
    stop = MaxIterations(30)
    replanned = replan_from_files(
        load_scenario(folder), inputs / "routes.json", inputs / "changes.csv",
        models=travel_models, sessions=("am",), stop=stop, seed=2,
    )  # fmt: skip
    out = tmp_path / "out"
    write_files(replanned.result, out)
    write_json(changes_report(replanned, seed=2, work_limit=repr(stop)), out / "changes.json")
    assert json.loads(stored["changes.json"])["children_relocated"] == [child]
    for name in ("routes.json", "changes.json"):
        assert stored[name] == (out / name).read_bytes(), name


def test_a_changes_job_keeping_contracts_equals_the_librarys(
    db_url: str, db_session: Session, scenario_maker: Maker, tmp_path: Path
):
    """contracts_csv alone: the routes whose contract is in force kept as they were, the rest
    re-planned, as `sendplan routes --baseline --contracts --keep-contracted` does
    (replan_with_contracts): the same routes.json and changes.json bytes."""
    from sendplan.api.json_files import write_json
    from sendplan.api.keep_contracted import replan_with_contracts

    params = {"iterations": 30, "sessions": ["am"], "seed": 2}
    base_id, attempt = _queued(db_session, scenario_maker, "transport", params)
    assert run_job(db_url, base_id, attempt, 30, 600) == "succeeded"
    base_routes = _files(db_session, base_id)["routes.json"]
    kept = json.loads(base_routes)["sessions"]["am"]["routes"][0]
    contracts = f"route_id,operator,price_gbp,per\n{kept['route_id']},Acme Cars,55.50,day\n"
    job = _run_changes(db_url, db_session, base_id, params, None, contracts_csv=contracts)
    assert _job(db_session, job).status == "succeeded", _job(db_session, job).detail
    stored = _files(db_session, job)
    report = json.loads(stored["changes.json"])
    assert report["kept_contracted"]["routes_kept"] == 1
    (entry,) = report["kept_contracted"]["routes"]
    assert (entry["route_id"], entry["status"], entry["operator"]) == (
        kept["route_id"],
        "kept",
        "Acme Cars",
    )
    now = {r["route_id"]: r for r in json.loads(stored["routes.json"])["sessions"]["am"]["routes"]}
    assert now[kept["route_id"]]["steps"] == kept["steps"]
    folder, inputs = _library_inputs(tmp_path, base_routes, {"contracts.csv": contracts})
    stop = MaxIterations(30)
    replanned, library = replan_with_contracts(
        load_scenario(folder), inputs / "routes.json", None, inputs / "contracts.csv",
        models=travel_models, sessions=("am",), stop=stop, seed=2,
    )  # fmt: skip
    out = tmp_path / "out"
    write_files(replanned.result, out)
    write_json(library, out / "changes.json")
    for name in ("routes.json", "changes.json"):
        assert stored[name] == (out / name).read_bytes(), name
    # A contract the reader refuses fails the job as bad input naming the row and field.
    refused = "route_id,operator,price_gbp,per\nR1,Acme,-5,day\n"
    bad = _run_changes(db_url, db_session, base_id, params, None, contracts_csv=refused)
    failed = _job(db_session, bad)
    assert (failed.status, failed.reason) == ("failed", "bad_input")
    assert failed.detail is not None and "contracts.csv row 2, field price_gbp" in failed.detail
