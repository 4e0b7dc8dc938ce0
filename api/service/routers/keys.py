"""API keys (admins: create, list, revoke; audited) and POST /token (a key for a bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, Security
from sqlalchemy import select
from sqlalchemy.orm import Session

from sendplan.api.service.auth import (
    Principal,
    api_key_header,
    hash_secret,
    key_by_secret,
    new_secret,
    require,
    sign_token,
    unauthorised,
)
from sendplan.api.service.deps import SessionDep, SettingsDep
from sendplan.api.service.jobs import record_audit
from sendplan.api.service.problems import PROBLEM_RESPONSES, Problem, not_found
from sendplan.api.service.query_check import refuse_unknown_query, refuse_unknown_query_of_caller
from sendplan.api.service.routers.common import KeyId
from sendplan.api.service.schemas import KeyCreatedOut, KeyIn, KeyListOut, KeyOut, TokenOut
from sendplan.api.service.tables import ApiKeyRow, utc_now

router = APIRouter(tags=["keys"], responses=PROBLEM_RESPONSES)
# POST /token is public: the key routes check the caller before the query (401 first).
CHECKED = [Depends(refuse_unknown_query_of_caller)]


def create_key(
    session: Session, *, tenant: str, role: str, label: str, actor: str
) -> tuple[ApiKeyRow, str]:
    """A new key (committed, audited) and its secret, which is not stored."""
    secret = new_secret()
    row = ApiKeyRow(tenant=tenant, role=role, label=label, key_hash=hash_secret(secret),
                    created_at=utc_now())  # fmt: skip
    session.add(row)
    session.flush()
    record_audit(session, tenant=tenant, actor=actor, action="key.create",
                 detail=f"key={row.id} role={role}")  # fmt: skip
    session.commit()
    return row, secret


def key_out(row: ApiKeyRow) -> KeyOut:
    return KeyOut(
        id=row.id,
        tenant=row.tenant,
        role=row.role,  # type: ignore[arg-type]
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post("/token", response_model=TokenOut, dependencies=[Depends(refuse_unknown_query)])
def token(
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str | None, Security(api_key_header)] = None,
    grant_type: Annotated[str | None, Form(max_length=100)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenOut:
    """Exchange an API key (X-API-Key, or OAuth2 client credentials with the key as
    client_secret) for a bearer token valid token_ttl_s seconds.

    Errors are problem details that also carry RFC 6749's ``error`` code, so an OAuth 2 client
    library understands them: 400 ``unsupported_grant_type``, 401 ``invalid_client``."""
    if grant_type is not None and grant_type != "client_credentials":
        raise Problem(400, "unsupported-grant-type", "Unsupported grant type",
                      "grant_type must be client_credentials",
                      oauth_error="unsupported_grant_type")  # fmt: skip
    secret = api_key or client_secret
    row = key_by_secret(session, secret) if secret else None
    if row is None:
        problem = unauthorised("an API key is required (X-API-Key or client_secret)")
        problem.oauth_error = "invalid_client"
        raise problem
    signed = sign_token(Principal(row.id, row.tenant, row.role),
                        secret_key=settings.secret_key.get_secret_value(),
                        ttl_s=settings.token_ttl_s)  # fmt: skip
    return TokenOut(access_token=signed, token_type="bearer", expires_in=settings.token_ttl_s)


@router.post("/keys", status_code=201, response_model=KeyCreatedOut, dependencies=CHECKED)
def post_key(
    body: KeyIn, response: Response, session: SessionDep,
    principal: Annotated[Principal, require("keys.manage")],
) -> KeyCreatedOut:  # fmt: skip
    """A new API key for your authority; the secret is shown once."""
    row, secret = create_key(session, tenant=principal.tenant, role=body.role, label=body.label,
                             actor=principal.key_id)  # fmt: skip
    response.headers["Location"] = f"/keys/{row.id}"
    return KeyCreatedOut(**key_out(row).model_dump(), secret=secret)


@router.get("/keys", response_model=KeyListOut, dependencies=CHECKED)
def list_keys(
    session: SessionDep, principal: Annotated[Principal, require("keys.manage")]
) -> KeyListOut:
    """Your authority's keys (never their secrets)."""
    rows = session.scalars(
        select(ApiKeyRow).where(ApiKeyRow.tenant == principal.tenant).order_by(ApiKeyRow.created_at)
    )
    return KeyListOut(items=[key_out(row) for row in rows])


@router.delete("/keys/{key_id}", status_code=204, response_class=Response, dependencies=CHECKED)
def revoke_key(
    key_id: KeyId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("keys.manage")],
) -> Response:
    """Revoke a key: it and its bearer tokens stop working at once (audited)."""
    row = session.get(ApiKeyRow, key_id)
    if row is None or row.tenant != principal.tenant:
        raise not_found("API key")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        record_audit(session, tenant=principal.tenant, actor=principal.key_id,
                     action="key.revoke", detail=f"key={row.id}")  # fmt: skip
        session.commit()
    request.app.state.key_cache.forget(row.id)  # its key and tokens stop working at once
    return Response(status_code=204)
