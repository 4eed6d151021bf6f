"""Schemathesis fuzzes every route from the OpenAPI: no input gives a 500, on every store.

The in-memory run is the widest; the SQLite and PostgreSQL runs are bounded (fewer examples per
operation) and catch what only a real database refuses: oversized integers, NUL characters,
text beyond a column's limits.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from api.auth import TOKEN_ROLES, issue_token
from runtime.settings import Settings
from tests.conftest import POSTGRES_URL, _postgres_connect

# The served app keeps its PostgreSQL pool across this module's tests.
pytestmark = pytest.mark.keeps_postgres_connections


def _token(app_settings: Settings) -> str:
    # One user holding every officer's role, so the fuzzer gets past the role checks into the
    # routes (a worker's token holds the worker role alone, bound to one deployment).
    return issue_token(
        app_settings.secret("token_secret"), "fuzzer", sorted(TOKEN_ROLES - {"worker"})
    )


_settings = Settings(database_url="memory:", data_dir=Path(tempfile.mkdtemp(prefix="lfr-fuzz-")))
TOKEN = _token(_settings)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_settings))


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500_to_any_input(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"


def _served_on(url: str) -> tuple[schemathesis.Schema, str]:
    """The API on a real store, its OpenAPI schema and a token for it."""
    data_dir = Path(tempfile.mkdtemp(prefix="lfr-fuzz-db-"))
    app_settings = Settings(
        database_url=url or f"sqlite:///{data_dir / 'events.db'}", data_dir=data_dir
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(app_settings)), _token(
        app_settings
    )


def _postgres_schema_made(name: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return True
    except psycopg.OperationalError:
        return bool(os.environ.get("CI"))  # on CI the app's own connection fails loudly


PG_SCHEMA = f"t_fuzz_{uuid.uuid4().hex[:12]}"
on_sqlite, SQLITE_TOKEN = _served_on("")
on_postgres, POSTGRES_TOKEN = (
    _served_on(f"{POSTGRES_URL}?schema={PG_SCHEMA}")
    if _postgres_schema_made(PG_SCHEMA)
    else (on_sqlite, "")
)


@pytest.fixture(scope="module")
def postgres_schema() -> Iterator[None]:
    """Drops the PostgreSQL app's schema after the module's last request."""
    if not POSTGRES_TOKEN:
        pytest.skip("PostgreSQL not reachable")
    yield
    with _postgres_connect() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        conn.execute(f"DROP SCHEMA {PG_SCHEMA} CASCADE")


def _call(case: schemathesis.Case, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"


@on_sqlite.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500_on_sqlite(case: schemathesis.Case) -> None:
    _call(case, SQLITE_TOKEN)


@pytest.mark.postgres
@on_postgres.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500_on_postgres(case: schemathesis.Case, postgres_schema: None) -> None:
    _call(case, POSTGRES_TOKEN)
