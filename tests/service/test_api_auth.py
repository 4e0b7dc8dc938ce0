"""Credentials on every route (a walk over app.routes), bearer tokens, the role matrix, and the
settings' refusal of placeholder secrets. SQLite and PostgreSQL (the ``api`` fixture)."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from api_support import OTHER_TENANT, ROLES, TEST_SECRET, Api, finish_job, multipart, scenario_files
from fastapi.routing import APIRoute
from starlette.routing import Route

from sendplan.api.service.app import PUBLIC_PATHS
from sendplan.api.service.auth import PERMISSIONS, Principal, TokenError, sign_token, verify_token
from sendplan.api.service.settings import SettingsError, load_settings

DUMMY = {"scenario_id": "0" * 32, "job_id": "0" * 32, "key_id": "0" * 32, "name": "summary.json"}


def _flat(routes: list[Any]) -> list[Any]:
    # FastAPI >= 0.160 keeps an included router as one entry pointing at its own routes.
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += _flat(list(inner.routes)) if inner is not None else [route]
    return found


def _routes(api: Api) -> list[tuple[str, str]]:
    found = []
    for route in _flat(list(api.client.app.routes)):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, route.path))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: DUMMY[m.group(1)], path)


def test_every_route_but_health_and_docs_needs_credentials(api: Api) -> None:
    routes = _routes(api)
    paths = api.client.get("/openapi.json").json()["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    walked = {(m, p.replace(":path}", "}")) for m, p in routes}
    assert documented <= walked and len(documented) >= 20  # the walk covers the whole app
    for method, path in routes:
        response = api.client.request(method, _concrete(path))
        if path in PUBLIC_PATHS:
            assert response.status_code == 200, (method, path)
            continue
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
        assert "Bearer" in response.headers["www-authenticate"]


def test_wrong_or_revoked_credentials_are_401(api: Api) -> None:
    assert api.client.get("/scenarios", headers={"X-API-Key": "sp_nope"}).status_code == 401
    bad_bearer = {"Authorization": "Bearer abc.def.ghi"}
    assert api.client.get("/scenarios", headers=bad_bearer).status_code == 401
    key_id, secret = api.key("panel")
    token = api.client.post("/token", headers={"X-API-Key": secret}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/scenarios", headers=bearer).status_code == 200
    revoked = api.client.delete(f"/keys/{key_id}", headers=api.headers("admin"))
    assert revoked.status_code == 204
    assert api.client.get("/scenarios", headers={"X-API-Key": secret}).status_code == 401
    assert api.client.get("/scenarios", headers=bearer).status_code == 401  # its token too
    assert api.client.post("/token", headers={"X-API-Key": secret}).status_code == 401


def test_token_by_client_credentials_form(api: Api) -> None:
    _, secret = api.key("planner")
    form = {"grant_type": "client_credentials", "client_secret": secret}
    response = api.client.post("/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == api.settings.token_ttl_s
    claims = verify_token(body["access_token"], secret_key=TEST_SECRET)
    assert claims["role"] == "planner" and claims["tenant"] == "856"
    refused = api.client.post("/token", data={**form, "client_secret": "sp_x"})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("grant", ["password", "authorization_code", "client_credentials "])
def test_token_refuses_other_grants_as_rfc_6749_says(api: Api, grant: str) -> None:
    _, secret = api.key("planner")
    response = api.client.post("/token", data={"grant_type": grant, "client_secret": secret})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert "grant_type" in response.json()["detail"]


def test_tokens_expire_and_resist_tampering() -> None:
    me = Principal("a" * 32, "856", "panel")
    token = sign_token(me, secret_key=TEST_SECRET, ttl_s=60, now_s=1_000_000)
    assert verify_token(token, secret_key=TEST_SECRET, now_s=1_000_059)["sub"] == me.key_id
    with pytest.raises(TokenError, match="expired"):
        verify_token(token, secret_key=TEST_SECRET, now_s=1_000_060)
    with pytest.raises(TokenError, match="signature"):
        verify_token(token, secret_key=TEST_SECRET + "x", now_s=1_000_000)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).decode()
    with pytest.raises(TokenError):
        verify_token(f"{header}.{forged.rstrip('=')}.{signature}", secret_key=TEST_SECRET,
                     now_s=1_000_000)  # fmt: skip
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    with pytest.raises(TokenError):
        verify_token(f"{none_header}.{payload}.", secret_key=TEST_SECRET, now_s=1_000_000)


def test_expired_bearer_is_401(api: Api) -> None:
    key_id, _ = api.key("admin")
    old = sign_token(Principal(key_id, "856", "admin"), secret_key=TEST_SECRET, ttl_s=60,
                     now_s=time.time() - 120)  # fmt: skip
    response = api.client.get("/scenarios", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


# --- the role matrix ------------------------------------------------------------------------

ALL = set(ROLES)
PANEL = {"panel", "admin"}
TRANSPORT = {"transport", "admin"}
PLANNER = {"planner", "admin"}
ADMIN = {"admin"}
# endpoint -> roles allowed: the matrix documented in auth.PERMISSIONS, written out by hand.
EXPECTED = {
    "POST /scenarios": ALL,
    "GET /scenarios": ALL,
    "GET /scenarios/{s}": ALL,
    "DELETE /scenarios/{fresh}": PLANNER,
    "POST placement job": PANEL,
    "POST transport job": TRANSPORT,
    "POST both job": {"panel", "transport", "admin"},
    "POST forecast job": PLANNER,
    "POST expansion job": PLANNER,
    "POST sweep job": PLANNER,
    "GET /jobs": ALL,
    "GET placement job": PANEL,
    "GET transport job": TRANSPORT,
    "GET forecast job": PLANNER,
    "cancel placement job": PANEL,
    "cancel transport job": TRANSPORT,
    "placement summary": PANEL,
    "placement placements": PANEL,
    "placement report file": PANEL,
    "transport report file": TRANSPORT,
    "both report file": TRANSPORT,  # it lists every route's stops
    "transport summary": TRANSPORT,
    "transport routes.geojson": TRANSPORT,
    "transport route_sheets.xlsx": TRANSPORT,
    "both summary": {"panel", "transport", "admin"},
    "both placements": PANEL,
    "both routes.geojson": TRANSPORT,
    "forecast summary": PLANNER,
    "compare": PLANNER,
    "GET /audit": ADMIN,
    "POST /keys": ADMIN,
    "GET /keys": ADMIN,
    "DELETE /keys/{k}": ADMIN,
}
JOB_BODIES = {
    "placement": {"kind": "placement"},
    "transport": {"kind": "transport", "sessions": ["am"]},
    "both": {"kind": "both"},
    "forecast": {"kind": "forecast", "years": "2026-2028"},
    "expansion": {"kind": "expansion", "years": "2026-2028", "budget_gbp": 1e6},
    "sweep": {"kind": "sweep", "grid": {"seeds": [1, 2]}},
}


def _call(api: Api, endpoint: str, role: str, ids: dict[str, str]) -> int:
    client, headers = api.client, api.headers(role)
    kind = endpoint.split()[1] if endpoint.startswith(("POST ", "GET ", "cancel ")) else ""
    if endpoint == "POST /scenarios":
        return client.post(
            "/scenarios", files=multipart(scenario_files()), headers=headers
        ).status_code
    if endpoint == "GET /scenarios":
        return client.get("/scenarios", headers=headers).status_code
    if endpoint == "GET /scenarios/{s}":
        return client.get(f"/scenarios/{ids['scenario']}", headers=headers).status_code
    if endpoint == "DELETE /scenarios/{fresh}":
        fresh = api.upload()
        return client.delete(f"/scenarios/{fresh}", headers=headers).status_code
    if endpoint.startswith("POST ") and endpoint.endswith(" job"):
        url = f"/scenarios/{ids['scenario']}/jobs"
        return client.post(url, json=JOB_BODIES[kind], headers=headers).status_code
    if endpoint == "GET /jobs":
        return client.get("/jobs", headers=headers).status_code
    if endpoint.startswith("GET ") and endpoint.endswith(" job"):
        return client.get(f"/jobs/{ids[kind]}", headers=headers).status_code
    if endpoint.startswith("cancel "):
        queued = api.job(ids["scenario"], kind=kind, **{k: v for k, v in JOB_BODIES[kind].items()
                                                         if k != "kind"})  # fmt: skip
        return client.post(f"/jobs/{queued}/cancel", headers=headers).status_code
    if endpoint == "compare":
        url = f"/compare?jobs={ids['placement']},{ids['placement2']}"
        return client.get(url, headers=headers).status_code
    if endpoint == "GET /audit":
        return client.get("/audit", headers=headers).status_code
    if endpoint == "POST /keys":
        return client.post("/keys", json={"role": "panel"}, headers=headers).status_code
    if endpoint == "GET /keys":
        return client.get("/keys", headers=headers).status_code
    if endpoint == "DELETE /keys/{k}":
        key_id = client.post("/keys", json={"role": "panel"}, headers=api.headers()).json()["id"]
        return client.delete(f"/keys/{key_id}", headers=headers).status_code
    job_kind, what = endpoint.split(" ", 1)
    job = ids[job_kind]
    url = {"summary": f"/jobs/{job}/summary", "placements": f"/jobs/{job}/placements",
           "routes.geojson": f"/jobs/{job}/routes.geojson",
           "route_sheets.xlsx": f"/jobs/{job}/route_sheets.xlsx",
           "report file": f"/jobs/{job}/files/report.html"}[what]  # fmt: skip
    return client.get(url, headers=headers).status_code


def test_role_matrix(api: Api) -> None:
    scenario = api.upload()
    ids = {"scenario": scenario}
    for kind, body in JOB_BODIES.items():
        ids[kind] = api.job(scenario, **body)
        finish_job(api, ids[kind])
    ids["placement2"] = api.job(scenario, kind="placement", seed=2)
    finish_job(api, ids["placement2"])
    assert set(EXPECTED) >= {f"POST {k} job" for k in JOB_BODIES}
    for endpoint, allowed_roles in EXPECTED.items():
        for role in ROLES:
            status = _call(api, endpoint, role, ids)
            if role in allowed_roles:
                assert 200 <= status < 300, (endpoint, role, status)
            else:
                assert status == 403, (endpoint, role, status)


def test_matrix_covers_every_permission() -> None:
    # Every action of the matrix names only known roles, and admin may do everything.
    for action, roles in PERMISSIONS.items():
        assert roles <= ALL, action
        assert "admin" in roles, action


def test_job_list_shows_only_kinds_the_role_may_see(api: Api) -> None:
    scenario = api.upload()
    placement = api.job(scenario, kind="placement")
    transport = api.job(scenario, kind="transport")
    listed = {r: {j["id"] for j in api.client.get("/jobs", headers=api.headers(r)).json()["items"]}
              for r in ROLES}  # fmt: skip
    assert listed["panel"] == {placement}
    assert listed["transport"] == {transport}
    assert listed["planner"] == set()
    assert listed["admin"] == {placement, transport}
    other = api.client.get("/jobs", headers=api.headers("admin", OTHER_TENANT)).json()
    assert other["items"] == []


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [None, "", "short-but-random-1X", "changeme-changeme-changeme-changeme",
     "my-SECRET-key-for-the-service-0123456789", "placeholder_placeholder_placeholder_1",
     "example.example.example.example.example", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
)  # fmt: skip
def test_settings_refuse_placeholder_secrets(secret: str | None, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("SENDPLAN_SECRET_KEY", raising=False)
    overrides = {} if secret is None else {"secret_key": secret}
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert message.startswith("setting SENDPLAN_SECRET_KEY: ")
    assert "\n" not in message
    if secret:
        assert secret not in message  # never echo the secret


def test_settings_from_env_and_production_turns_docs_off(monkeypatch, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from sendplan.api.service.app import create_app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SENDPLAN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("SENDPLAN_PRODUCTION", "true")
    monkeypatch.setenv(
        "SENDPLAN_CORS_ORIGINS", "https://a.example.gov.uk, https://b.example.gov.uk"
    )
    monkeypatch.setenv("SENDPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    settings = load_settings()
    assert settings.production and settings.cors_origins == [
        "https://a.example.gov.uk", "https://b.example.gov.uk"]  # fmt: skip
    client = TestClient(create_app(settings))
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404
    assert client.get("/health").status_code == 200
    with pytest.raises(SettingsError, match="SENDPLAN_CORS_ORIGINS"):
        load_settings(cors_origins="*")


def test_key_cache_expires_and_forgets_revoked_keys() -> None:
    from sendplan.api.service.auth import KeyCache

    now = [100.0]
    cache = KeyCache(ttl_s=2.0, clock=lambda: now[0])
    me, other = Principal("a" * 32, "856", "panel"), Principal("b" * 32, "856", "admin")
    cache.put("secret:x", me)
    cache.put("id:" + me.key_id, me)
    cache.put("secret:y", other)
    now[0] = 101.9
    assert cache.get("secret:x") == me
    cache.forget(me.key_id)
    assert cache.get("secret:x") is None and cache.get("id:" + me.key_id) is None
    assert cache.get("secret:y") == other
    now[0] = 102.0  # ttl over: look the key up again
    assert cache.get("secret:y") is None


def test_revocation_in_another_process_is_seen_after_the_cache_time(api: Api) -> None:
    from sendplan.api.service.tables import ApiKeyRow, utc_now

    key_id, secret = api.key("panel")
    assert api.client.get("/scenarios", headers={"X-API-Key": secret}).status_code == 200
    with api.session() as session:  # as `sendplan` on another machine would revoke it
        session.get(ApiKeyRow, key_id).revoked_at = utc_now()  # type: ignore[union-attr]
        session.commit()
    api.client.app.state.key_cache = type(api.client.app.state.key_cache)(ttl_s=0.0)  # type: ignore[attr-defined]
    assert api.client.get("/scenarios", headers={"X-API-Key": secret}).status_code == 401
