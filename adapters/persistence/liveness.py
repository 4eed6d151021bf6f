"""The connection pool's check of a pooled PostgreSQL connection, without a round trip.

With `POSTGRES_PRE_PING` the library's pool sends an empty query on every connection before
handing it out, so that a connection the server has dropped (a restart, an ended session) is
replaced instead of failing the command: one more round trip per use, two for a command
that reads then writes. A server that drops a connection closes its end of the socket
(after a last error message), so the client's socket turns readable; an idle connection has
nothing else to read but asynchronous messages (a notification, a changed parameter). So the
check here reads the socket only when it is readable: a connection whose server has gone
fails the read, and the pool replaces it, as after a failed ping; a live one costs a
`select` of a few microseconds.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg import pq

# An idle connection's readable socket holds a few asynchronous messages at most; after
# that many reads something is wrong with it.
_MAX_READS = 8


def check_without_round_trip(conn: psycopg.Connection[Any]) -> None:
    """Raise `psycopg.OperationalError` when the server has dropped `conn`."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    for _ in range(_MAX_READS):
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
        if not readable:
            return
        # Reads what arrived; fails once the server has closed the connection (the first
        # read may return only the server's last message, the next one finds the end).
        conn.pgconn.consume_input()
        if conn.pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError("the server closed the connection")
    raise psycopg.OperationalError("the connection keeps receiving while idle")


def check_pooled_connections_locally(datastore: PostgresDatastore) -> None:
    """Make a datastore whose pool pings before use check its connections locally instead.

    The pool takes its check only when it is made (inside the library's datastore), so it
    is replaced on the pool, before the pool opens (it opens at first use)."""
    if datastore.pre_ping:
        assert hasattr(datastore.pool, "_check"), "psycopg_pool keeps its check elsewhere now"
        datastore.pool._check = check_without_round_trip  # noqa: SLF001
