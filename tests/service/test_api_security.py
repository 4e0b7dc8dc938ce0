"""Security headers on every answer (success, problem, 404, 413), CORS closed by default and
open only to the configured origins."""

from __future__ import annotations

from api_support import Api, make_api

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _secure(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if not response.request.url.path.startswith(("/docs", "/redoc")):
        assert csp.startswith("default-src 'none'") and "script-src" not in csp
    assert "server" not in response.headers or "uvicorn" not in response.headers["server"]
    timing = response.headers["server-timing"]  # the service's own time, for bench api
    assert timing.startswith("app;dur=") and float(timing.split("dur=")[1]) >= 0


def test_security_headers_on_every_kind_of_answer(api: Api) -> None:
    scenario = api.upload()
    client = api.client
    for response in (
        client.get("/health"),
        client.get("/openapi.json"),
        client.get("/docs"),
        client.get("/scenarios"),  # 401
        client.get("/scenarios", headers=api.headers()),
        client.get(f"/scenarios/{scenario}", headers=api.headers()),
        client.get(f"/scenarios/{'f' * 32}", headers=api.headers()),  # 404
        client.get("/audit", headers=api.headers("panel")),  # 403
        client.get("/nowhere"),
        client.post("/scenarios", content=b"x" * 30_000_000, headers=api.headers()),  # 413
    ):
        _secure(response)


def test_cors_closed_by_default(api: Api) -> None:
    preflight = api.client.options(
        "/scenarios",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "X-API-Key"},
    )  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers
    simple = api.client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_open_only_to_listed_origins(db_url: str) -> None:
    listed = "https://planning.example.gov.uk"
    api = make_api(db_url, cors_origins=[listed])
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-API-Key"}
    ok = api.client.options("/scenarios", headers={"Origin": listed, **ask})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == listed
    assert "access-control-allow-credentials" not in ok.headers
    other = api.client.options("/scenarios", headers={"Origin": "https://evil.example.com", **ask})
    assert other.headers.get("access-control-allow-origin") is None
    got = api.client.get("/health", headers={"Origin": listed})
    assert got.headers["access-control-allow-origin"] == listed
    _secure(got)
