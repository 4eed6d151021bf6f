"""The connection pool's check of a pooled PostgreSQL connection, without a round trip.

With `POSTGRES_PRE_PING` the library's pool sends an empty query on every connection before
handing it out, so that a connection the server has dropped (a restart, an ended session) is
replaced instead of failing the command: one more round trip per use, two for a command
that reads then writes. A server that drops a connection first sends it a last error
message, then closes its end of the socket: either way the client's socket turns readable.
An idle connection in the pool otherwise has nothing to read. So the check here asks the
server (the library's ping) only when something arrived while the connection sat idle (the
server's farewell, or now and then an asynchronous message such as a notification); a
connection with nothing to read costs a `poll` of a few microseconds.
"""

from __future__ import annotations

import functools
import select
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg_pool import ConnectionPool


def check_without_round_trip(conn: psycopg.Connection[Any]) -> None:
    """Raise a `psycopg.Error` when the server has dropped `conn` or is dropping it."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    # poll, not select: a busy process's descriptors may be numbered past select's limit.
    socket = select.poll()
    socket.register(conn.fileno(), select.POLLIN)
    if socket.poll(0):
        ConnectionPool.check_connection(conn)


def check_pooled_connections_locally(datastore: PostgresDatastore) -> None:
    """Make a datastore whose pool pings before use check its connections locally instead.

    The pool takes its check only when it is made (inside the library's datastore), so it
    is replaced on the pool, before the pool opens (it opens at first use)."""
    if datastore.pre_ping:
        assert hasattr(datastore.pool, "_check"), "psycopg_pool keeps its check elsewhere now"
        datastore.pool._check = _checking(weakref.ref(datastore.pool))  # noqa: SLF001


def _checking(pool: Callable[[], Any]) -> Callable[[psycopg.Connection[Any]], None]:
    """The check, which on finding a dropped connection also clears the pool's other idle
    ones: one dropped connection most often means the server restarted and dropped them
    all, and the pool, checking them one at a time with a growing pause between, would
    wait out its timeout before the first new connection (the first command after a
    restart failed after 5 s; it now waits about 1 s). A weak reference: the pool holds
    the check."""

    @functools.wraps(check_without_round_trip)
    def check(conn: psycopg.Connection[Any]) -> None:
        try:
            check_without_round_trip(conn)
        except psycopg.OperationalError:
            owner = pool()
            if owner is not None:
                owner.check()  # pings the idle ones, replacing those that fail
            raise

    return check
