"""Safe-by-default HTTP: security headers on every response, a request-size limit, CORS closed
unless origins are configured, and no traceback ever reaching a client.

:class:`GuardMiddleware` is the outermost layer of the app (inside only CORS, when enabled):

- headers: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, a Content-Security-Policy that allows nothing to load or frame
  the response (the API serves data, never pages; the /docs page may run Swagger UI's own files,
  served by us), and ``Cache-Control: no-store`` (responses hold special category
  data; no proxy or browser may keep a copy);
- ``max_request_bytes``: a Content-Length above it, or a streamed body that grows above it, is
  answered 413 before or instead of the route's answer;
- an exception escaping the app becomes a 500 problem without detail, logged with ids only.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from functools import lru_cache

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sendplan.api.service.problems import MEDIA_TYPE, TYPE_PREFIX, where_raised
from sendplan.api.service.settings import tiles_origin
from sendplan.logs import get_logger

log = get_logger(__name__)

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The /docs page: Swagger UI's own files (served by us, see service/docs.py) and FastAPI's
# inline start-up script; nothing from another origin.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
# The web UI (/ and /ui/...): our own scripts and styles only, no inline code, data by fetch
# to this origin; SVG maps are drawn in the page, so images need nothing else (unless basemap
# tiles are configured: see ui_csp).
UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@lru_cache(maxsize=4)
def ui_csp(tiles_url: str) -> str:
    """The UI's CSP; with basemap tiles configured (SENDPLAN_UI_TILES_URL), their host may
    serve images too, and nothing else changes."""
    origin = tiles_origin(tiles_url)
    return UI_CSP.replace("img-src 'self'", f"img-src 'self' {origin}") if origin else UI_CSP


def _ui_csp_of(scope: Scope) -> str:
    # Starlette puts the app in the scope before its middleware runs; its settings say tiles.
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return ui_csp(str(getattr(settings, "ui_tiles_url", "") or ""))


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_OWN = frozenset(name for name, _ in SECURITY_HEADERS) | {b"content-security-policy"}


class _TooLarge(Exception):
    """The streamed body passed the limit."""


def _problem(status: int, kind: str, title: str, detail: str, *, field: str | None = None) -> bytes:
    body: dict[str, object] = {"type": TYPE_PREFIX + kind, "title": title, "status": status,
                               "detail": detail}  # fmt: skip
    if field is not None:
        body["errors"] = [{"file": None, "row": None, "field": field, "message": detail}]
    return json.dumps(body).encode()


class GuardMiddleware:
    """Security headers, the request-size limit and the last-resort 500 (pure ASGI, so a
    streamed response is not buffered)."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") in DOCS_PATHS else API_CSP
        if scope.get("path") == "/" or str(scope.get("path")).startswith("/ui/"):
            csp = _ui_csp_of(scope)
        # Only for matching a response to its log lines: unique enough and no system call (a
        # uuid4 reads the OS's random source, and gives the GIL away while it does).
        request_id = f"{random.getrandbits(64):016x}"
        t0 = time.perf_counter()
        started = False
        too_large = False
        received = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if too_large:
                return  # the 413 below replaces whatever the app answered
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OWN]
                headers += [*SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
                headers.append((b"x-request-id", request_id.encode()))
                # W3C Server-Timing: the app's own time, so a load test on a shared machine can
                # tell the service's latency from its own client's queueing.
                took_ms = (time.perf_counter() - t0) * 1000
                headers.append((b"server-timing", f"app;dur={took_ms:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_request_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def answer(status: int, body: bytes) -> None:
            headers = [(b"content-type", MEDIA_TYPE.encode()),
                       (b"content-length", str(len(body)).encode())]  # fmt: skip
            await send_with_headers(
                {"type": "http.response.start", "status": status, "headers": headers}
            )
            await send_with_headers({"type": "http.response.body", "body": body})

        declared = _content_length(scope.get("headers", ()))
        if declared is not None and declared > self.max_request_bytes:
            await answer(413, self._too_large_body())
            return
        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception as err:
            if not too_large:
                log.error(
                    "internal error %s on %s (request %s)",
                    where_raised(err), scope.get("method"), request_id,
                )  # fmt: skip
                if started:
                    raise
                body = _problem(500, "internal", "Internal error", "the service failed; logged")
                await answer(500, body)
                return
        if too_large:
            too_large = False  # let the 413 through send_with_headers
            await answer(413, self._too_large_body())

    def _too_large_body(self) -> bytes:
        return _problem(
            413, "too-large", "Request too large",
            f"the request body is above max_request_bytes = {self.max_request_bytes:,} bytes",
            field="body",
        )  # fmt: skip


def _content_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def install_security(app: FastAPI, *, max_request_bytes: int, cors_origins: list[str]) -> None:
    """Add the guard and, only when origins are configured, CORS for exactly those origins."""
    app.add_middleware(GuardMiddleware, max_request_bytes=max_request_bytes)
    if cors_origins:
        # Added last, so outermost: a preflight is answered before the guard (it still gets no
        # data). Credentials are headers, not cookies, so allow_credentials stays off.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Idempotency-Key", "Content-Type"],
            expose_headers=["Location"],
            max_age=600,
        )
