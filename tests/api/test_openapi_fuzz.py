"""Schemathesis fuzzes every route from the OpenAPI: no input gives a 500."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from api.auth import TOKEN_ROLES, issue_token
from runtime.settings import Settings

_settings = Settings(database_url="memory:", data_dir=Path(tempfile.mkdtemp(prefix="lfr-fuzz-")))
app = create_app(_settings)
# One user holding every officer's role, so the fuzzer gets past the role checks into the
# routes (a worker's token holds the worker role alone, bound to one deployment).
TOKEN = issue_token(_settings.secret("token_secret"), "fuzzer", sorted(TOKEN_ROLES - {"worker"}))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500_to_any_input(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"
