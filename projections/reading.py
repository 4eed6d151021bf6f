"""Reading stored events for the projections: pages of plain rows, decoded once.

The library's `select_notifications` builds a `uuid.UUID` per event (SQLite stores the
originator id as 32 hex digits, PostgreSQL as `uuid`), which the projections turn back
into text at once: at tens of thousands of events per second that conversion cost as
much as reading the rows. For the library's SQLite and PostgreSQL recorders (the ledger
wraps them but stores events in the same tables), `notification_rows` runs the same
query as `select_notifications` and gives plain tuples with the id already as text; any
other recorder (the in-memory store) is read through `select_notifications`.

    rows = notification_rows(app.recorder, start=1, limit=10_000)
    events = decode(rows)            # [Recorded, ...] in notification order
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from projections.recorded import Recorded, canonical_uuid

# (notification id, topic, originator id as canonical UUID text, version, stored state)
NotificationRow = tuple[int, str, str, int, bytes]


def notification_rows(recorder: Any, start: int, limit: int) -> list[NotificationRow]:
    """The notifications from id `start` on, at most `limit`, in order (module docstring)."""
    datastore = getattr(recorder, "datastore", None)
    table = getattr(recorder, "events_table_name", None)
    if table is not None and isinstance(datastore, SQLiteDatastore):
        if datastore.originator_id_type == "uuid":
            return _sqlite_rows(datastore, table, start, limit)
    elif table is not None and isinstance(datastore, PostgresDatastore):
        return _postgres_rows(datastore, table, start, limit)
    return [
        (n.id, n.topic, str(n.originator_id), n.originator_version, n.state)
        for n in recorder.select_notifications(start=start, limit=limit)
    ]


def _sqlite_rows(
    datastore: SQLiteDatastore, table: str, start: int, limit: int
) -> list[NotificationRow]:
    with datastore.transaction(commit=False) as cursor:
        raw: Any = cursor
        raw.row_factory = None  # plain tuples, not sqlite3.Row
        raw.execute(
            "SELECT rowid, topic, originator_id, originator_version, state "
            f"FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT ?",
            (start, limit),
        )
        return [(n, t, canonical_uuid(o), v, s) for n, t, o, v, s in raw.fetchall()]


def _postgres_rows(
    datastore: PostgresDatastore, table: str, start: int, limit: int
) -> list[NotificationRow]:
    from psycopg.rows import tuple_row

    statement = (
        "SELECT notification_id, topic, originator_id::text, originator_version, state "
        f'FROM "{datastore.schema}"."{table}" '
        "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
    )
    # Binary results: the states (bytea) come as they are, not as hex text to parse, which
    # reads them three times faster.
    with (
        datastore.get_connection() as conn,
        conn.cursor(row_factory=tuple_row, binary=True) as cursor,
    ):
        cursor.execute(statement, (start, limit), prepare=True)
        return cursor.fetchall()  # state comes as bytes; orjson reads it as is


def decode(rows: list[NotificationRow]) -> list[Recorded]:
    """Each row's state parsed once (orjson), as `Recorded` events."""
    loads = orjson.loads
    return [Recorded(n, t, o, v, loads(s)) for n, t, o, v, s in rows]
