"""What a client gets wrong is answered at once and by name: job parameters checked per kind at
submission (not in the worker), bodies that are not JSON, JSON uploads in JSON's words; and
deleting a scenario ends its jobs in the audit trail; lists page with ``offset`` and ``next``."""

from __future__ import annotations

import pytest
from api_support import Api, finish_job, json_scenario, scenario_files
from sqlalchemy import select, update

from sendplan.api.service.schemas import APPLIES, REQUIRED, JobParamsIn
from sendplan.api.service.tables import AuditRow, JobRow, utc_now

PROBLEM = "application/problem+json"
# A valid value for every key, for the kinds it applies to.
VALUES = {
    "seed": 3, "mode": "weighted", "movers": "all", "iterations": 10, "sessions": ["am"],
    "years": "2026-2028", "budget_gbp": 1000.0, "grid": {"seeds": [1, 2]}, "what_if": {},
    "growth": "forecast", "base_job": None,  # a routed job of the scenario: made per test
    "changes_csv": "change,child_id\nremove_child,C001\n",
    "contracts_csv": "route_id,operator,price_gbp,per\nAM-001,Acme Cars,55.5,day\n",
}  # fmt: skip
# Beyond its required keys, a changes job needs a changes file, a contracts file or both.
ONE_OF = {"changes": ("changes_csv",)}
KINDS = ("placement", "transport", "both", "forecast", "expansion", "sweep", "changes")


def _post(api: Api, scenario: str, body: object, **kwargs: object):
    return api.client.post(f"/scenarios/{scenario}/jobs", json=body, headers=api.headers(),
                           **kwargs)  # fmt: skip


def _field(response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["errors"][0]["field"])


def test_every_key_is_checked_against_every_kind(api: Api) -> None:
    """Both sides for each (kind, key): a key that applies is accepted (with the kind's required
    keys), one that does not is 422 naming it; nothing reaches a worker to fail there."""
    assert set(VALUES) == set(APPLIES) == set(JobParamsIn.model_fields) - {"kind"}
    scenario = api.upload()
    base = api.job(scenario, kind="transport")
    finish_job(api, base, files={"routes.json": ("application/json", b"{}")})
    values = {**VALUES, "base_job": base}
    for kind in KINDS:
        needed = {key: values[key] for key in (*REQUIRED.get(kind, ()), *ONE_OF.get(kind, ()))}
        assert _post(api, scenario, {"kind": kind, **needed}).status_code == 202, kind
        for key in sorted(set(values) - set(needed)):
            response = _post(api, scenario, {"kind": kind, **needed, key: values[key]})
            if kind in APPLIES[key]:
                assert response.status_code == 202, (kind, key, response.text)
            else:
                assert _field(response) == key, (kind, key)
                assert kind in response.json()["detail"]
    with api.session() as session:
        done = select(JobRow.id).where(JobRow.status != "queued", JobRow.id != base)
        assert session.scalar(done) is None


@pytest.mark.parametrize("kind", ["forecast", "expansion", "sweep", "changes"])
def test_a_missing_required_key_is_422_at_submission(api: Api, kind: str) -> None:
    response = _post(api, api.upload(), {"kind": kind})
    key = REQUIRED[kind][0]
    assert _field(response) == key
    assert f"needs {key}" in response.json()["detail"] or key in response.json()["detail"]


def test_stored_params_hold_only_the_kinds_keys(api: Api) -> None:
    scenario = api.upload()
    forecast = _post(api, scenario, {"kind": "forecast", "years": "2026-2027"}).json()
    assert forecast["params"] == {"kind": "forecast", "years": "2026-2027"}
    placement = _post(api, scenario, {"kind": "placement"}).json()
    assert set(placement["params"]) == {"kind", "seed", "mode", "movers", "iterations"}
    transport = _post(api, scenario, {"kind": "transport"}).json()
    assert transport["params"]["sessions"] == ["am"] and transport["params"]["iterations"] == 300


def test_malformed_json_names_the_body_with_line_and_column(api: Api) -> None:
    headers = {**api.headers(), "Content-Type": "application/json"}
    url = f"/scenarios/{api.upload()}/jobs"
    response = api.client.post(url, content=b'{"kind":"placement",', headers=headers)
    assert _field(response) == "body"
    message = response.json()["errors"][0]["message"]
    assert message.startswith("not valid JSON (line 1, column 21)"), message
    response = api.client.post(url, content=b'{"kind":\n  "placement" x}', headers=headers)
    assert response.json()["errors"][0]["message"].startswith("not valid JSON (line 2, column 15)")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b'{"kind": "placement"}'),
     ("application/x-www-form-urlencoded", b"kind=placement"),
     ("multipart/form-data; boundary=x", b"--x--\r\n")],
)  # fmt: skip
def test_a_body_that_is_not_json_is_415(api: Api, content_type: str, body: bytes) -> None:
    headers = {**api.headers(), "Content-Type": content_type}
    response = api.client.post(f"/scenarios/{api.upload()}/jobs", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    # The same body as JSON is accepted (both sides).
    headers["Content-Type"] = "application/json"
    response = api.client.post(f"/scenarios/{api.upload()}/jobs", content=b'{"kind": "placement"}',
                               headers=headers)  # fmt: skip
    assert response.status_code == 202


@pytest.mark.parametrize("key", ["schools", "children", "fleet"])
def test_json_upload_errors_name_the_json_key(api: Api, key: str) -> None:
    document = json_scenario(scenario_files())
    document[key] = []
    response = api.client.post("/scenarios", json=document, headers=api.headers())
    assert _field(response) == key
    assert response.json()["detail"].startswith(f"{key}: the list is empty")
    assert ".csv" not in response.json()["detail"]
    if key != "fleet":
        del document[key]
        response = api.client.post("/scenarios", json=document, headers=api.headers())
        assert _field(response) == key and "missing" in response.json()["detail"]
        document[key] = {"not": "a list"}
        response = api.client.post("/scenarios", json=document, headers=api.headers())
        assert _field(response) == key
    else:
        del document[key]  # fleet is optional: left out, the scenario is accepted
        response = api.client.post("/scenarios", json=document, headers=api.headers())
        assert response.status_code == 201, response.text


def test_deleting_a_scenario_ends_its_active_jobs_in_the_audit(api: Api) -> None:
    scenario = api.upload()
    queued, running, done = (api.job(scenario, seed=s) for s in (1, 2, 3))
    with api.session() as session:
        now = utc_now()
        session.execute(update(JobRow).where(JobRow.id == running)
                        .values(status="running", attempts=1, started_at=now))  # fmt: skip
        session.execute(update(JobRow).where(JobRow.id == done)
                        .values(status="succeeded", finished_at=now))  # fmt: skip
        session.commit()
    response = api.client.delete(f"/scenarios/{scenario}", headers=api.headers())
    assert response.status_code == 204
    with api.session() as session:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.scenario_id == scenario).order_by(AuditRow.id)
        ).all()
    ends = {r.job_id: r for r in rows if r.action == "job.cancelled"}
    assert set(ends) == {queued, running}
    assert all(r.detail == "reason=scenario_deleted" for r in ends.values())
    delete_row = next(r for r in rows if r.action == "scenario.delete")
    # Written in the delete's transaction: the end rows come right before it, same actor.
    assert all(r.id < delete_row.id and r.actor == delete_row.actor for r in ends.values())


@pytest.mark.parametrize("path", ["/scenarios", "/jobs", "/audit"])
def test_lists_page_with_offset_and_next(api: Api, path: str) -> None:
    scenario = api.upload()
    for seed in range(5):
        api.job(scenario, seed=seed)
    for _ in range(4):
        api.upload()
    everything = api.client.get(path, params={"limit": 1000}, headers=api.headers()).json()
    assert everything["next"] is None
    total = len(everything["items"])
    assert total >= 5
    seen: list[object] = []
    url: str | None = f"{path}?limit=2"
    while url is not None:
        page = api.client.get(url, headers=api.headers()).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
        if url is not None:
            assert len(page["items"]) == 2
    assert seen == [item["id"] for item in everything["items"]]
    # Exactly one full page: no next (the edge of the limit).
    exact = api.client.get(path, params={"limit": total}, headers=api.headers()).json()
    assert (len(exact["items"]), exact["next"]) == (total, None)
    past = api.client.get(path, params={"offset": total}, headers=api.headers()).json()
    assert (past["items"], past["next"]) == ([], None)
    assert api.client.get(path, params={"offset": -1}, headers=api.headers()).status_code == 422
