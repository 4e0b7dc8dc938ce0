"""One authority never sees another's data (404 on get, list, delete, results, export, compare,
cancel, keys); Idempotency-Key; an audit row for every create, delete, key and job change."""

from __future__ import annotations

from api_support import OTHER_TENANT, Api, finish_job
from sqlalchemy import select

from sendplan.api.service.tables import AuditRow, JobRow, ResultFileRow, ScenarioRow


def test_another_authority_gets_404_everywhere(api: Api) -> None:
    scenario = api.upload()
    placement = api.job(scenario, kind="placement")
    transport = api.job(scenario, kind="transport")
    finish_job(api, placement)
    finish_job(api, transport)
    mine = api.job(api.upload(), kind="placement")
    finish_job(api, mine)
    own_key_id, _ = api.key("panel")
    other = api.headers("admin", OTHER_TENANT)
    client = api.client
    for method, url in [
        ("GET", f"/scenarios/{scenario}"),
        ("DELETE", f"/scenarios/{scenario}"),
        ("POST", f"/scenarios/{scenario}/jobs"),
        ("GET", f"/jobs/{placement}"),
        ("POST", f"/jobs/{placement}/cancel"),
        ("GET", f"/jobs/{placement}/summary"),
        ("GET", f"/jobs/{placement}/placements"),
        ("GET", f"/jobs/{placement}/files/summary.json"),
        ("GET", f"/jobs/{transport}/routes.geojson"),
        ("GET", f"/jobs/{transport}/route_sheets.xlsx"),
        ("GET", f"/compare?jobs={placement},{mine}"),
        ("DELETE", f"/keys/{own_key_id}"),
    ]:
        kwargs = {"json": {"kind": "placement"}} if method == "POST" and "jobs" in url else {}
        response = client.request(method, url, headers=other, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json()["type"].endswith("not-found")
    for url in ("/scenarios", "/jobs"):
        assert client.get(url, headers=other).json()["items"] == [], url
    # Their trail holds only the creation of their own key.
    trail = client.get("/audit", headers=other).json()["items"]
    assert [row["action"] for row in trail] == ["key.create"]
    assert trail[0]["scenario_id"] is None and trail[0]["job_id"] is None
    keys = client.get("/keys", headers=other).json()["items"]
    assert {k["tenant"] for k in keys} == {OTHER_TENANT}
    # Nothing was deleted or cancelled by the other authority.
    assert client.get(f"/scenarios/{scenario}", headers=api.headers()).status_code == 200
    assert client.get(f"/jobs/{placement}", headers=api.headers()).json()["status"] == "succeeded"
    assert client.get("/scenarios", headers=api.headers("planner")).json()["items"]


def test_idempotency_key_same_body_same_job_other_body_422(api: Api) -> None:
    scenario = api.upload()
    url, headers = f"/scenarios/{scenario}/jobs", {**api.headers(), "Idempotency-Key": "k-1"}
    first = api.client.post(url, json={"kind": "placement", "seed": 7}, headers=headers)
    assert first.status_code == 202
    job_id = first.json()["id"]
    assert first.headers["location"] == f"/jobs/{job_id}"
    # The same request (defaults written out or not, keys in another order): the same job.
    again = api.client.post(url, json={"seed": 7, "kind": "placement", "mode": "weighted"},
                            headers=headers)  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == job_id
    assert again.headers["location"] == f"/jobs/{job_id}"
    other = api.client.post(url, json={"kind": "placement", "seed": 8}, headers=headers)
    assert other.status_code == 422
    body = other.json()
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert body["type"].endswith("idempotency-conflict")
    # Same key on another scenario is another request too.
    elsewhere = api.client.post(f"/scenarios/{api.upload()}/jobs",
                                json={"kind": "placement", "seed": 7}, headers=headers)  # fmt: skip
    assert elsewhere.status_code == 422
    # Another authority may use the same key for its own job.
    theirs = api.upload(tenant=OTHER_TENANT)
    other_tenant = {**api.headers("admin", OTHER_TENANT), "Idempotency-Key": "k-1"}
    response = api.client.post(f"/scenarios/{theirs}/jobs", json={"kind": "placement"},
                               headers=other_tenant)  # fmt: skip
    assert response.status_code == 202 and response.json()["id"] != job_id
    with api.session() as session:
        assert session.scalar(select(JobRow).where(JobRow.id == job_id)) is not None
        assert len(session.scalars(select(JobRow)).all()) == 2


def test_audit_rows_for_every_state_change(api: Api) -> None:
    admin = api.headers()
    key_id, _ = api.key("admin")
    scenario = api.upload()
    job = api.job(scenario)
    cancel = api.client.post(f"/jobs/{job}/cancel", headers=admin)
    assert cancel.status_code == 202 and cancel.json()["status"] == "cancelled"
    created = api.client.post("/keys", json={"role": "transport", "label": "depot"}, headers=admin)
    new_key = created.json()["id"]
    assert created.status_code == 201 and created.json()["secret"].startswith("sp_")
    assert api.client.delete(f"/keys/{new_key}", headers=admin).status_code == 204
    assert api.client.delete(f"/scenarios/{scenario}", headers=admin).status_code == 204
    trail = api.client.get("/audit", headers=admin).json()["items"]
    seen = {(row["action"], row["scenario_id"], row["job_id"]) for row in trail}
    assert ("scenario.create", scenario, None) in seen
    assert ("job.create", scenario, job) in seen
    assert ("job.cancel_requested", scenario, job) in seen
    assert ("job.cancelled", scenario, job) in seen
    assert ("scenario.delete", scenario, None) in seen
    actions = [row["action"] for row in trail]
    assert "key.create" in actions and "key.revoke" in actions
    assert {row["actor"] for row in trail if row["action"] != "key.create"} == {key_id}
    filtered = api.client.get(f"/audit?job_id={job}", headers=admin).json()["items"]
    assert {row["job_id"] for row in filtered} == {job} and len(filtered) >= 3


def test_delete_cascades_to_jobs_and_results(api: Api) -> None:
    scenario = api.upload()
    job = api.job(scenario)
    finish_job(api, job)
    assert api.client.delete(f"/scenarios/{scenario}", headers=api.headers()).status_code == 204
    with api.session() as session:
        assert session.get(ScenarioRow, scenario) is None
        assert session.get(JobRow, job) is None
        assert session.scalars(select(ResultFileRow)).all() == []
        assert session.scalars(select(AuditRow).where(AuditRow.action == "scenario.delete")).all()
    assert api.client.get(f"/jobs/{job}", headers=api.headers()).status_code == 404
    assert api.client.delete(f"/scenarios/{scenario}", headers=api.headers()).status_code == 404
