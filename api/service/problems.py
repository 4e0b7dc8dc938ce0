"""Errors as RFC 9457 problem details: ``application/problem+json`` with type, title, status,
detail and, for bad input, ``errors: [{file, row, field, message}]`` naming each field.

Every error the app can answer with goes through here: a :class:`Problem` raised by a route, a
scenario file's :class:`~sendplan.errors.InputError`, FastAPI's own validation errors, an HTTP
error from routing (404, 405) and, last, any other exception: a 500 whose body holds no traceback
and no data, logged server-side with the request's id only.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from sendplan.errors import InputError, printable
from sendplan.logs import get_logger

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:sendplan:problem:"

log = get_logger(__name__)


class FieldProblem(BaseModel):
    """One bad field: where it is and what is wrong (no personal data)."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    message: str


class ProblemOut(BaseModel):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None
    error: str | None = None  # POST /token only: the OAuth 2 error code (RFC 6749, 5.2)


class Problem(Exception):
    """An error answer: raise it from a route; ``kind`` becomes the type URN."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
        oauth_error: str | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.oauth_error = oauth_error


def problem_response(problem: Problem, *, instance: str | None = None) -> JSONResponse:
    """The JSON response of ``problem``."""
    body = ProblemOut(
        type=TYPE_PREFIX + problem.kind,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=instance,
        errors=problem.errors,
        error=problem.oauth_error,
    )
    # Top-level absent members are left out; each error keeps file, row, field (null if none).
    content = {k: v for k, v in body.model_dump().items() if v is not None}
    return JSONResponse(
        content,
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def bad_input(err: InputError) -> Problem:
    """A scenario file's InputError as a 422 naming file, row and field."""
    where = err.file if err.sheet is None else f"{err.file} sheet {err.sheet}"
    field = FieldProblem(file=where, row=err.row, field=err.field, message=err.message)
    return Problem(422, "bad-input", "Invalid input", str(err), errors=[field])


def field_problem(
    field: str, message: str, *, status: int = 422, kind: str = "bad-input"
) -> Problem:
    """A request field (a query parameter, a body key) that is wrong."""
    return Problem(
        status, kind, "Invalid input", f"{field}: {message}",
        errors=[FieldProblem(field=field, message=message)],
    )  # fmt: skip


def not_found(what: str) -> Problem:
    # Another tenant's object is "not found" too: its existence is not revealed.
    return Problem(404, "not-found", "Not found", f"no such {what}")


def _location(loc: Sequence[int | str]) -> str:
    # ("body", "grid", "seeds", 0) -> "grid.seeds.0"; ("query", "status") -> "status"
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_message(error: Mapping[str, Any]) -> str:
    # The message only: pydantic's "input" may echo what the caller sent (possibly personal).
    return printable(str(error.get("msg", "invalid value")).removeprefix("Value error, "))


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, instance=request.url.path)


async def _on_input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return problem_response(bad_input(exc), instance=request.url.path)


def _invalid_json(error: Mapping[str, Any], document: object) -> FieldProblem:
    """A body that is not JSON: field ``body``, where it breaks (line and column, from the
    character position FastAPI puts in ``loc``) and why (the parser's words, never the text)."""
    loc = error.get("loc", ())
    position = loc[-1] if loc and isinstance(loc[-1], int) else None
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    where = ""
    if position is not None and isinstance(document, str):
        line = document.count("\n", 0, position) + 1
        column = position - document.rfind("\n", 0, position)
        where = f" (line {line}, column {column})"
    why = printable(str((error.get("ctx") or {}).get("error", "")))[:80]
    return FieldProblem(
        field="body", message=f"not valid JSON{where}" + (f": {why}" if why else "")
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        _invalid_json(e, exc.body)
        if e.get("type") == "json_invalid"
        else FieldProblem(field=_location(e.get("loc", ())), message=_validation_message(e))
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    problem = Problem(422, "bad-input", "Invalid input", detail, errors=errors)
    return problem_response(problem, instance=request.url.path)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    problem = Problem(exc.status_code, "http", title, detail, headers=exc.headers)
    return problem_response(problem, instance=request.url.path)


async def _on_unknown(request: Request, exc: Exception) -> JSONResponse:
    # Ids only in the log: the exception's text may quote a value from the caller's data.
    log.error("internal error %s on %s", where_raised(exc), request.method)
    problem = Problem(500, "internal", "Internal error", "the service failed; the error is logged")
    return problem_response(problem)


def where_raised(err: BaseException) -> str:
    """The exception's type and the code line that raised it: enough to find the bug, and no
    data (the message and the variables may quote a caller's values)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return type(err).__name__
    last = frames[-1]
    return f"{type(err).__name__} at {Path(last.filename).name}:{last.lineno} in {last.name}"


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem details."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(InputError, _on_input_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unknown)


ERROR_STATUSES = (401, 403, 404, 413, 422, 500)
# Documented on every authenticated route (as problem+json, see document_problems).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut, "description": description}
    for status, description in (
        (401, "No valid credentials"), (403, "The role may not do this"),
        (404, "Not found (or another authority's)"), (413, "Request too large"),
        (422, "Invalid input, naming the field"), (500, "Internal error"),
    )
}  # fmt: skip


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``schema`` with every error response given as problem+json of ProblemOut."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in (
        ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        .pop("$defs", {})
        .items()
    ):
        components[name] = definition
    own = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    own.pop("$defs", None)
    components["ProblemOut"] = own
    ref = {"$ref": "#/components/schemas/ProblemOut"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {MEDIA_TYPE: {"schema": ref}}
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
