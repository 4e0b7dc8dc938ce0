"""Who is calling, for which local authority, and what their role lets them do.

Credentials: an API key in ``X-API-Key`` (stored only as its SHA-256: the secret is 32 random
bytes, so a plain hash cannot be reversed or guessed), or ``Authorization: Bearer <token>`` where
the token comes from ``POST /token`` in exchange for a key. Tokens are compact JWTs signed with
HMAC-SHA256 and ``settings.secret_key``, carrying the key's id, tenant and role and expiring after
``settings.token_ttl_s``; a token of a revoked key is refused.

:data:`PERMISSIONS` is the role matrix, in one place; routes ask for an action with
:func:`require` (403 when the role lacks it). The tenant is the key's local authority: every query
filters on it, so another authority's object is 404, never 403.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sendplan.api.service.problems import Problem
from sendplan.api.service.schemas import ROUTED_KINDS
from sendplan.api.service.settings import Settings
from sendplan.api.service.tables import ApiKeyRow

ROLES = ("panel", "transport", "planner", "admin")
ALL_ROLES = frozenset(ROLES)
SECRET_PREFIX = "sp_"

# action -> roles allowed. Job actions are per kind ("job.placement" starts, reads, cancels and
# lists placement jobs); "results.*" narrows a job's files by what they show.
PERMISSIONS: dict[str, frozenset[str]] = {
    "scenario.create": ALL_ROLES,
    "scenario.read": ALL_ROLES,
    # Deleting cascades to every team's jobs and results: planners (who own scenarios) and admins.
    "scenario.delete": frozenset({"planner", "admin"}),
    "job.placement": frozenset({"panel", "admin"}),
    "job.transport": frozenset({"transport", "admin"}),
    "job.both": frozenset({"panel", "transport", "admin"}),
    "job.forecast": frozenset({"planner", "admin"}),
    "job.expansion": frozenset({"planner", "admin"}),
    "job.sweep": frozenset({"planner", "admin"}),
    # Mid-year changes re-plan a routed job's routes: the transport team's.
    "job.changes": frozenset({"transport", "admin"}),
    "results.placements": frozenset({"panel", "planner", "admin"}),
    "results.routes": frozenset({"transport", "admin"}),
    "results.summary": ALL_ROLES,
    "compare": frozenset({"planner", "admin"}),
    "audit.read": frozenset({"admin"}),
    "keys.manage": frozenset({"admin"}),
}


# Which "results.*" action reading a result file needs, by the file's name (stem before the dot).
# changes.json lists the children each change moved, with their routes and times.
ROUTE_FILES = ("routes", "route_sheets", "transport_review", "evaluation", "changes")
PLACEMENT_FILES = ("placements", "explanations")


def file_action(name: str, *, kind: str) -> str:
    """The permission reading result file ``name`` of a ``kind`` job needs (auth.PERMISSIONS)."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    # A GeoPackage holds the homes layer (children's home points): only the roles that plan
    # pickups at homes, as for the routes' stops.
    if stem in ROUTE_FILES or name.lower().endswith(".gpkg"):
        return "results.routes"
    if stem == "report":
        # The report of a routed job lists every route's stops and draws the routes: the
        # transport team's; a placement job's report (homes as dots, no ids) is the panel's.
        return "results.routes" if kind in ROUTED_KINDS else "results.placements"
    if stem in PLACEMENT_FILES:
        return "results.placements"
    return "results.summary"


@dataclass(frozen=True)
class Principal:
    """The caller: the API key's id (the actor in the audit), tenant and role."""

    key_id: str
    tenant: str
    role: str


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may perform ``action`` (unknown actions: nobody)."""
    return role in PERMISSIONS.get(action, frozenset())


def check(principal: Principal, action: str) -> None:
    """403 problem unless the principal's role allows ``action``."""
    if not allowed(principal.role, action):
        raise Problem(403, "forbidden", "Forbidden",
                      f"role {principal.role} may not do {action}")  # fmt: skip


# --- secrets and tokens ----------------------------------------------------------------------


def new_secret() -> str:
    """A fresh API key secret (shown once, stored only hashed)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex stored for ``secret``."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def sign_token(
    principal: Principal, *, secret_key: str, ttl_s: int, now_s: float | None = None
) -> str:
    """A compact HS256 JWT for ``principal`` valid ``ttl_s`` seconds."""
    issued = int(time.time() if now_s is None else now_s)
    claims = {"sub": principal.key_id, "tenant": principal.tenant, "role": principal.role,
              "iat": issued, "exp": issued + ttl_s}  # fmt: skip
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{_HEADER}.{payload}".encode("ascii")
    signature = hmac.new(secret_key.encode(), signing_input, hashlib.sha256).digest()
    return f"{_HEADER}.{payload}.{_b64(signature)}"


class TokenError(Exception):
    """A token that is malformed, wrongly signed or expired."""


def verify_token(token: str, *, secret_key: str, now_s: float | None = None) -> dict[str, Any]:
    """The claims of a valid token; TokenError otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed")
    header, payload, signature = parts
    if not hmac.compare_digest(header, _HEADER):  # only HS256 as we sign it: no alg confusion
        raise TokenError("unexpected header")
    expected = hmac.new(secret_key.encode(), f"{header}.{payload}".encode("ascii"),
                        hashlib.sha256).digest()  # fmt: skip
    try:
        given = _unb64(signature)
        claims = json.loads(_unb64(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise TokenError("malformed") from None
    if not hmac.compare_digest(expected, given):
        raise TokenError("bad signature")
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise TokenError("malformed")
    if claims["exp"] <= (time.time() if now_s is None else now_s):
        raise TokenError("expired")
    return claims


# --- the dependency routes use -----------------------------------------------------------------

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /token.")


def unauthorised(detail: str) -> Problem:
    return Problem(401, "unauthorised", "Unauthorised", detail,
                   headers={"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'})  # fmt: skip


def key_by_secret(session: Session, secret: str) -> ApiKeyRow | None:
    """The live (not revoked) key whose secret this is."""
    return _live_key(session, hash_secret(secret))


def _live_key(session: Session, key_hash: str) -> ApiKeyRow | None:
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
    return row if row is not None and row.revoked_at is None else None


KEY_CACHE_S = 2.0


class KeyCache:
    """Keys verified in the last ``ttl_s`` seconds, so that a client polling a job costs no
    database look-up (and no thread) for its credentials each time. Revoking a key through this
    process forgets it at once; another process sees a revocation within ``ttl_s``."""

    def __init__(self, ttl_s: float = KEY_CACHE_S, clock: Callable[[], float] = time.monotonic):
        self._ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] <= self._clock():
                self._items.pop(key, None)
                return None
            return item[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._items) > 10_000:  # only live keys get in: a bound, not an eviction policy
                self._items.clear()
            self._items[key] = (self._clock() + self._ttl_s, principal)

    def forget(self, key_id: str) -> None:
        """Drop every entry of API key ``key_id`` (it was revoked)."""
        with self._lock:
            for key in [k for k, (_, p) in self._items.items() if p.key_id == key_id]:
                del self._items[key]


def _principal_by_hash(sessions: sessionmaker[Session], key_hash: str) -> Principal | None:
    with sessions() as session:
        row = _live_key(session, key_hash)
        return Principal(row.id, row.tenant, row.role) if row is not None else None


def _principal_by_id(sessions: sessionmaker[Session], key_id: str) -> Principal | None:
    with sessions() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.tenant, row.role)


async def current_principal(
    request: Request,
    api_key: Annotated[str | None, Security(api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> Principal:
    """The caller, from an API key or a bearer token; a 401 problem without valid ones."""
    if api_key:
        digest = hash_secret(api_key)
        return await _cached_principal(request, f"secret:{digest}", _principal_by_hash, digest,
                                       refusal="unknown or revoked API key")  # fmt: skip
    if bearer is not None:
        # From the app's state rather than a dependency: one dependency fewer to solve on
        # every request.
        settings: Settings = request.app.state.settings
        try:
            claims = verify_token(
                bearer.credentials, secret_key=settings.secret_key.get_secret_value()
            )
        except TokenError as err:
            raise unauthorised(f"invalid bearer token ({err})") from None
        key_id = str(claims.get("sub"))
        return await _cached_principal(request, f"id:{key_id}", _principal_by_id, key_id,
                                       refusal="the token's API key is revoked")  # fmt: skip
    raise unauthorised("credentials required: X-API-Key or Authorization: Bearer")


async def _cached_principal(
    request: Request,
    cache_key: str,
    lookup: Callable[[sessionmaker[Session], str], Principal | None],
    value: str,
    *,
    refusal: str,
) -> Principal:
    """The principal cached under ``cache_key``, else ``lookup(sessions, value)`` (off the event
    loop) and cached; a 401 problem saying ``refusal`` when there is none."""
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(cache_key)
    if principal is None:
        principal = await run_in_threadpool(lookup, request.app.state.sessions, value)
        if principal is None:
            raise unauthorised(refusal)
        cache.put(cache_key, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(action: str) -> Any:
    """A dependency giving the principal, or 403 unless its role allows ``action``."""

    async def dependency(principal: PrincipalDep) -> Principal:  # async: no thread needed
        check(principal, action)
        return principal

    return Depends(dependency)
