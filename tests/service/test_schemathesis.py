"""Schemathesis over the app's own OpenAPI schema: generated requests (25 per operation,
derandomised) with a valid admin key; no 5xx, and every documented response matches its schema.

The app is built at import (schemathesis parametrises from it at collection); its SQLite database
is migrated and seeded by a module fixture before the first request.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_support import Api, make_api
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sendplan.api.service.db import migrate

_FOLDER = Path(tempfile.mkdtemp(prefix="sendplan-fuzz-"))
# Removed at exit too: a process that collects this module without running it (a pytest-xdist
# worker given other tests, --collect-only) never reaches the fixture's clean-up.
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
_URL = f"sqlite:///{_FOLDER / 'fuzz.db'}"
_API = make_api(_URL)
schema = schemathesis.openapi.from_asgi("/openapi.json", _API.client.app)


@pytest.fixture(scope="module")
def fuzzed_api() -> Iterator[Api]:
    migrate(_URL)
    scenario = _API.upload()  # something real among the generated ids
    _API.job(scenario)
    yield _API
    _API.client.close()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=25, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)  # fmt: skip
def test_api_conforms_to_its_schema(case: schemathesis.Case, fuzzed_api: Api) -> None:
    case.call_and_validate(
        headers=fuzzed_api.headers("admin"),
        checks=[not_a_server_error, response_schema_conformance],
    )
