"""The event store's pool hands out only connections the server still holds, telling them
without a round trip: one whose session the server ended is replaced, a live one is kept
even when an asynchronous message waits on it."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from adapters.persistence.liveness import check_without_round_trip
from runtime.settings import StoreLocation


@pytest.fixture
def datastore(postgres_url: str) -> Iterator[object]:
    env = {
        **StoreLocation.parse(postgres_url).eventsourcing_env(),
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "0",
    }
    factory = InfrastructureFactory.construct(Environment("pooled", env))
    yield factory.datastore  # type: ignore[attr-defined]
    factory.close()


def _backend_pid(datastore: object) -> int:
    with datastore.get_connection() as conn:  # type: ignore[attr-defined]
        return int(conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"])


def _server(postgres_url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(postgres_url.split("?")[0], autocommit=True)


def test_the_pool_checks_its_connections_without_a_query(datastore: object) -> None:
    check = datastore.pool._check  # type: ignore[attr-defined]
    assert inspect.unwrap(check) is check_without_round_trip


def test_after_the_server_dropped_every_connection_the_next_use_gets_a_new_one_at_once(
    postgres_url: str,
) -> None:
    """As after a restart: the pool's idle connections are all gone, and the first command
    gets a new connection instead of checking them one by one until its timeout."""
    env = {**StoreLocation.parse(postgres_url).eventsourcing_env(), "POSTGRES_POOL_SIZE": "5"}
    factory = InfrastructureFactory.construct(Environment("restarted", env))
    datastore: Any = factory.datastore  # type: ignore[attr-defined]
    try:
        _backend_pid(datastore)  # opens the pool
        deadline = time.monotonic() + 10
        while len(datastore.pool._pool) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        dropped = [conn.info.backend_pid for conn in datastore.pool._pool]
        assert len(dropped) >= 5
        with _server(postgres_url) as server:
            server.execute("SELECT pg_terminate_backend(unnest(%s::int[]))", (dropped,))
        time.sleep(0.2)  # the sessions are gone
        started = time.monotonic()
        assert _backend_pid(datastore) not in dropped
        assert time.monotonic() - started < 2.5  # the pool's own timeout is 5 s
    finally:
        factory.close()


def test_a_connection_whose_session_the_server_ended_is_replaced_before_use(
    datastore: object, postgres_url: str
) -> None:
    first = _backend_pid(datastore)
    with _server(postgres_url) as server:
        server.execute("SELECT pg_terminate_backend(%s)", (first,))
        while server.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone():
            time.sleep(0.01)
    assert _backend_pid(datastore) != first  # no error: a new connection


def test_a_live_connection_with_a_notification_waiting_is_kept(
    datastore: object, postgres_url: str
) -> None:
    with datastore.get_connection() as conn:  # type: ignore[attr-defined]
        conn.execute('LISTEN "somewhere"')
        first = int(conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"])
    with _server(postgres_url) as server:
        server.execute('NOTIFY "somewhere"')
    time.sleep(0.1)
    assert _backend_pid(datastore) == first


def test_a_connection_numbered_past_a_thousand_descriptors_is_checked(postgres_url: str) -> None:
    """A busy server process holds many sockets and files: the check must not depend on
    low descriptor numbers (select() refuses those past 1023)."""
    import os
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip("the process may not open 1,200 files")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        env = {**StoreLocation.parse(postgres_url).eventsourcing_env(), "POSTGRES_POOL_SIZE": "1"}
        factory = InfrastructureFactory.construct(Environment("crowded", env))
        with factory.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            assert conn.fileno() > 1023
        assert _backend_pid(factory.datastore) > 0  # type: ignore[attr-defined]
        factory.close()
    finally:
        for fd in held:
            os.close(fd)
