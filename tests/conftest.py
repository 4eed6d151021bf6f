"""Shared fixtures: the three event stores, and a PostgreSQL schema per test.

PostgreSQL is at LFR_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
Locally a missing server skips its tests; on CI (CI=true) it fails them instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("LFR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _postgres_connect():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required on CI and is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")


def _server_clock() -> object | None:
    """The PostgreSQL server's clock, or None when it cannot be reached (nothing to reap)."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            return row[0] if row else None
    except psycopg.OperationalError:
        return None


@pytest.fixture(autouse=True)
def _reap_postgres_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the connections a PostgreSQL test left open, once it is over.

    Services a test opens keep pools; tests run one at a time, so a connection to the test
    database opened during the test and still there afterwards is that test's leftover. Left
    alone, they add up to the server's connection limit over the suite.
    """
    if request.node.get_closest_marker("keeps_postgres_connections"):
        yield  # a module-scoped service owns its pool and closes it itself
        return
    started = _server_clock()
    yield
    if started is None:
        return
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_start >= %s",
                (started,),
            )
    except psycopg.OperationalError:
        pass


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `postgres` every test that reaches PostgreSQL through a fixture (`postgres_url`,
    or a fixture parametrized with "postgres"), at collection, so that `-m "not postgres"`
    deselects it: a mark applied inside a fixture comes too late for that."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgres" in callspec.params.values()
        if on_postgres or "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema in the test database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _postgres_connect() as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with _postgres_connect() as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each application-level test runs once per store: in-memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def shared_dir() -> Path:
    """The project's shared data beside the checkout (real faces, models)."""
    if not SHARED.exists():
        pytest.skip("shared data folder not present")
    return SHARED


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """`host:port` of a real Kafka-protocol broker (Tansu, in memory) on loopback.

    Locally a broker that cannot start skips its tests; on CI (CI=true) it fails them.
    Topics `lfr.matches` and `lfr.faces-seen` exist; consumers should assign partitions.
    """
    from tests.support.broker import Broker, BrokerError

    try:
        broker = Broker().start()
        broker.create_topics("lfr.matches", "lfr.faces-seen")
    except (BrokerError, ImportError, OSError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"the Kafka-protocol broker is required on CI: {error}")
        pytest.skip(f"Kafka-protocol broker not available: {error}")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
