"""Changes jobs through the API: a transport job's routes re-planned after mid-year changes
with continuity (as `sendplan routes --baseline --changes`), what submission refuses (each
with the field named), and who may run and read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_support import OTHER_TENANT, Api, finish_job, scenario_files, scenario_folder

from sendplan.api.service.job_kinds import read_outputs, run
from sendplan.api.service.runner import JobControl, JobStop
from sendplan.api.service.schemas import MAX_CHANGES_CSV_CHARS
from sendplan.errors import InputError

PROBLEM = "application/problem+json"
MOVE_C001 = "change,child_id,route_id,lon,lat\nchange_address,C001,,-1.1000,52.6450\n"
REMOVE_C001 = "change,child_id\nremove_child,C001\n"


def _folder(tmp_path: Path) -> Path:
    return scenario_folder(tmp_path, scenario_files())


def _run(api: Api, folder: Path, scenario: str, **params: Any) -> str:
    """A job submitted through the API and run here as a worker would: its stored params, and
    for a changes job its base job's stored routes.json."""
    job = api.job(scenario, role="transport", **params)
    stored = api.client.get(f"/jobs/{job}", headers=api.headers()).json()["params"]
    base_routes = None
    if stored["kind"] == "changes":
        base = api.client.get(f"/jobs/{stored['base_job']}/files/routes.json",
                              headers=api.headers())  # fmt: skip
        base_routes = base.content
    out = folder / job
    out.mkdir()
    run(stored["kind"], stored, folder / "scenario", out, control=JobControl(timeout_s=600),
        stop=lambda n, control: JobStop(n, control), base_routes=base_routes)  # fmt: skip
    finish_job(
        api, job, files={name: (media, content) for name, media, content in read_outputs(out)}
    )
    return job


def _post(api: Api, scenario: str, *, role: str = "transport", **params: Any) -> Any:
    return api.client.post(f"/scenarios/{scenario}/jobs", json={"kind": "changes", **params},
                           headers=api.headers(role))  # fmt: skip


def _field(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["errors"][0]["field"])


def _json(api: Api, job: str, name: str) -> Any:
    response = api.client.get(f"/jobs/{job}/files/{name}", headers=api.headers())
    assert response.status_code == 200, response.text
    return json.loads(response.content)


def _riders(routes: dict[str, Any]) -> dict[str, str]:
    """Child id -> route id over the morning's pick-ups in routes.json."""
    return {
        step["child_id"]: route["route_id"]
        for route in routes["sessions"]["am"]["routes"]
        for step in route["steps"]
        if step["type"] == "pickup"
    }


def test_a_changes_job_replans_the_base_jobs_routes(api: Api, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    scenario = api.upload(files=scenario_files())
    base = _run(api, folder, scenario, kind="transport", iterations=30)
    before = _riders(_json(api, base, "routes.json"))
    assert "C001" in before
    job = _run(api, folder, scenario, kind="changes", base_job=base, changes_csv=MOVE_C001,
               iterations=30)  # fmt: skip
    report = _json(api, job, "changes.json")
    assert report["children_relocated"] == ["C001"]
    am = report["sessions"]["am"]
    c001 = next(c for c in am["children"] if c["child_id"] == "C001")
    assert c001["old_route"] == before["C001"] and c001["new_route"] is not None
    assert _riders(_json(api, job, "routes.json"))["C001"] == c001["new_route"]
    summary = _json(api, job, "summary.json")
    assert summary["transport_checker_ok"] is True
    # A removal: the child rides no more, and changes.json says why.
    gone = _run(api, folder, scenario, kind="changes", base_job=job, changes_csv=REMOVE_C001,
                iterations=30)  # fmt: skip
    report = _json(api, gone, "changes.json")
    assert report["children_removed"] == ["C001"]
    assert "C001" not in _riders(_json(api, gone, "routes.json"))
    # The transport team reads changes.json; the panel may not (it lists children's routes).
    path = f"/jobs/{gone}/files/changes.json"
    assert api.client.get(path, headers=api.headers("transport")).status_code == 200
    assert api.client.get(path, headers=api.headers("panel")).status_code == 403


def test_submission_names_what_is_wrong(api: Api, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    scenario = api.upload(files=scenario_files())
    base = _run(api, folder, scenario, kind="transport", iterations=10)
    assert _field(_post(api, scenario, changes_csv=MOVE_C001)) == "base_job"
    assert _field(_post(api, scenario, base_job=base)) == "changes_csv"
    assert _field(_post(api, scenario, base_job="not-a-job", changes_csv=MOVE_C001)) == "base_job"
    # A bad row: 422 naming changes_csv, with the file, row and field in the message.
    bad = _post(api, scenario, base_job=base, changes_csv="change,child_id\nsqueeze,C001\n")
    assert _field(bad) == "changes_csv"
    assert "changes.csv row 2, field change" in bad.json()["detail"]
    # Hostile cells: one 422 naming the row and field, the value shown escaped.
    for cell, shown in (('"=HYPERLINK(""http://x"")"', "=HYPERLINK"), ("C\x01X", "C\\x01X")):
        bad = _post(
            api, scenario, base_job=base, changes_csv=f"change,child_id\nremove_child,{cell}\n"
        )
        assert _field(bad) == "changes_csv"
        detail = bad.json()["detail"]
        assert "changes.csv row 2, field child_id" in detail and shown in detail
        assert "\x01" not in detail
    # Both sides of the size limit (the limit itself reads; one more character is refused).
    padding = MAX_CHANGES_CSV_CHARS - len(REMOVE_C001)
    fits = REMOVE_C001 + "\n" * padding  # blank lines: read as none
    response = _post(api, scenario, base_job=base, changes_csv=fits)
    assert response.status_code == 202, response.text[:300]
    assert _field(_post(api, scenario, base_job=base, changes_csv=fits + "\n")) == "changes_csv"
    # The keys of a changes job belong to it alone.
    response = api.client.post(f"/scenarios/{scenario}/jobs",
                               json={"kind": "transport", "base_job": base},
                               headers=api.headers("transport"))  # fmt: skip
    assert _field(response) == "base_job"


def test_the_base_job_must_have_routes_on_this_scenario(api: Api, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    scenario = api.upload(files=scenario_files())
    # A placement job plans no routes; an unfinished transport job has none yet.
    placement = api.job(scenario, kind="placement")
    finish_job(api, placement)
    # (An admin's: the transport team may not use placement jobs at all, 403.)
    response = _post(api, scenario, role="admin", base_job=placement, changes_csv=MOVE_C001)
    assert _field(response) == "base_job"
    assert _post(api, scenario, base_job=placement, changes_csv=MOVE_C001).status_code == 403
    queued = api.job(scenario, kind="transport", role="transport")
    response = _post(api, scenario, base_job=queued, changes_csv=MOVE_C001)
    assert _field(response) == "base_job" and "queued" in response.json()["detail"]
    # Another scenario's job is named; another authority's is not found.
    base = _run(api, folder, scenario, kind="transport", iterations=10)
    other = api.upload(files=scenario_files())
    assert _field(_post(api, other, base_job=base, changes_csv=MOVE_C001)) == "base_job"
    theirs = api.upload(files=scenario_files(), tenant=OTHER_TENANT)
    their_job = api.job(theirs, kind="transport", role="transport", tenant=OTHER_TENANT)
    finish_job(api, their_job)
    assert _post(api, scenario, base_job=their_job, changes_csv=MOVE_C001).status_code == 404
    # Changes jobs are the transport team's (and admins').
    for role, status in (("panel", 403), ("planner", 403), ("admin", 202)):
        response = _post(api, scenario, role=role, base_job=base, changes_csv=MOVE_C001)
        assert response.status_code == status, (role, response.text)


def test_a_worker_without_the_base_routes_fails_the_job_with_the_field(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    params = {"kind": "changes", "base_job": "0" * 32, "changes_csv": MOVE_C001}
    with pytest.raises(InputError) as caught:
        run("changes", params, folder / "scenario", tmp_path / "out", base_routes=None,
            control=JobControl(timeout_s=60), stop=lambda n, c: JobStop(n, c))  # fmt: skip
    assert caught.value.field == "base_job"


CONTRACT_HEAD = "route_id,operator,price_gbp,per\n"


def test_contracts_csv_is_read_at_submission_naming_its_row_and_field(
    api: Api, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    scenario = api.upload(files=scenario_files())
    base = _run(api, folder, scenario, kind="transport", iterations=10)
    # Contracts alone are a changes job (keep those in force, re-plan the rest); neither is not.
    fine = CONTRACT_HEAD + "AM-001,Acme Cars,55.50,day\n"
    assert _post(api, scenario, base_job=base, contracts_csv=fine).status_code == 202
    response = _post(api, scenario, base_job=base)
    assert _field(response) == "changes_csv" and "contracts_csv" in response.json()["detail"]
    bad = _post(api, scenario, base_job=base, contracts_csv=CONTRACT_HEAD + "R1,Acme,-5,day\n")
    assert _field(bad) == "contracts_csv"
    assert "contracts.csv row 2, field price_gbp" in bad.json()["detail"]
    # A control character: named, and shown escaped.
    bad = _post(api, scenario, base_job=base, contracts_csv=CONTRACT_HEAD + "R\x01X,Acme,5,day\n")
    assert _field(bad) == "contracts_csv"
    detail = bad.json()["detail"]
    assert "contracts.csv row 2, field route_id" in detail and "R\\x01X" in detail
    assert "\x01" not in detail
    # Both sides of the size limit.
    fits = fine + "\n" * (MAX_CHANGES_CSV_CHARS - len(fine))
    response = _post(api, scenario, base_job=base, contracts_csv=fits)
    assert response.status_code == 202, response.text[:300]
    assert _field(_post(api, scenario, base_job=base, contracts_csv=fits + "\n")) == "contracts_csv"
    # Only a changes job takes contracts.
    response = api.client.post(f"/scenarios/{scenario}/jobs",
                               json={"kind": "transport", "contracts_csv": fine},
                               headers=api.headers("transport"))  # fmt: skip
    assert _field(response) == "contracts_csv"


def test_a_worker_given_neither_file_fails_the_job_naming_changes_csv(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    params = {"kind": "changes", "base_job": "0" * 32}
    with pytest.raises(InputError) as caught:
        run("changes", params, folder / "scenario", tmp_path / "out", base_routes=b"{}",
            control=JobControl(timeout_s=60), stop=lambda n, c: JobStop(n, c))  # fmt: skip
    assert caught.value.field == "changes_csv" and "contracts_csv" in caught.value.message
