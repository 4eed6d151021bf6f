"""Materialised views: the library's tracking recorders, extended with read-model tables.

Each view owns the tables of one projection beside an `eventsourcing` tracking recorder
(SQLite, PostgreSQL or in-memory): one `SqlView` for both databases, with the database's
`Dialect` (below). `write(changes, tracking)` puts the rows and the
tracking record in ONE transaction, and the library's single-row tracking refuses a
position that does not advance: a batch is applied exactly once, and a projection
restarted after a crash resumes from its last committed position. `prepare(changes)`
encodes a batch without a connection and `write_prepared` writes it, so the projector
can write one page while it projects the next; `bulk_load()` is how a rebuild fills the
emptied tables (secondary indexes made at the end). The view is in `projections.sql`, the
in-memory view in `projections.memview`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import orjson
import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.rows import tuple_row

from projections.memview import MemoryView
from projections.sql import POSTGRES_TYPES, Dialect, RowRefused, SqlView, Statement, Tracker
from projections.tables import Changes, Key, Row, Table, Values

__all__ = [
    "MemoryView",
    "PostgresDialect",
    "RowRefused",
    "SQLiteDialect",
    "SqlView",
    "View",
    "sql_view",
    "view_beside",
]

SQLITE_CACHE_KIB = -65_536  # negative: KiB, so 64 MiB per connection at most
# One tracking table for every projection on PostgreSQL (SQLite's is always `tracking`).
POSTGRES_TRACKING_TABLE = "lfr_projection_tracking"


class View(Protocol):
    """What a projection and its queries need from a materialised view."""

    tables: dict[str, Table]

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None: ...

    def prepare(self, changes: Changes) -> Any: ...

    def write_prepared(self, prepared: Any, tracking: Tracking, after: int) -> None: ...

    def ensure_position(self, application_name: str) -> None: ...

    def get(self, table: Table, key: Key) -> Row | None: ...

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]: ...

    def select_after(self, table: Table, column: str, after: Any, limit: int) -> list[Row]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def reset(self, application_name: str) -> None: ...

    def bulk_load(self) -> AbstractContextManager[None]: ...


class SQLiteDialect(Dialect):
    """Views in the SQLite event store's file, with the library's tracking table."""

    datastore: SQLiteDatastore

    def tracking_recorder(self) -> Tracker:
        return SQLiteTrackingRecorder(self.datastore)

    @contextmanager
    def writing(self, bulk: bool) -> Iterator[Any]:
        # A bulk load (`SqlView.bulk_load`) commits without waiting for the disk: WAL with
        # `synchronous = NORMAL`, so a power cut may lose the last commits, rows and position
        # together, never corrupt the file; the rebuild goes on from the position that
        # survived. Not `synchronous = OFF`: the events share the file, that could corrupt it.
        with self.datastore.get_connection(commit=True) as conn:
            with conn.cursor() as c:  # SQLite refuses to change it inside a transaction
                c.execute(f"PRAGMA synchronous = {'NORMAL' if bulk else 'FULL'}")
            with conn.transaction(commit=True) as c:
                # SQLite's default page cache (2 MB) makes inserts into read-model indexes of
                # a few tens of thousands of rows go to the file for every page: keep them in
                # memory.
                c.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
                yield c

    refusals = (sqlite3.IntegrityError,)


@contextmanager
def schema_changes_one_at_a_time(datastore: PostgresDatastore) -> Iterator[None]:
    """Holds the schema's advisory lock in the block: processes starting together (several
    ingest processes, the API beside them) make their tables one after the other, since
    PostgreSQL refuses two at once (CREATE ... IF NOT EXISTS of one table or type races on
    its catalogue row). Used by every PostgreSQL store that makes tables: the recorders,
    the key store and the views."""
    key = f"lfr:schema-changes:{datastore.schema}"
    with datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


class PostgresDialect(Dialect):
    """Views in the PostgreSQL event store's schema; one tracking table for them all."""

    mark = "%s"
    types = POSTGRES_TYPES
    # Writing a batch is mostly waiting for the server.
    overlaps_writes = True
    refusals = (psycopg.IntegrityError,)
    datastore: PostgresDatastore

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore)
        self.tracking_table = self.qualified(POSTGRES_TRACKING_TABLE)

    def tracking_recorder(self) -> Tracker:
        return PostgresTrackingRecorder(self.datastore, tracking_table_name=POSTGRES_TRACKING_TABLE)

    def schema_changes(self) -> AbstractContextManager[None]:
        return schema_changes_one_at_a_time(self.datastore)

    def qualified(self, name: str) -> str:
        return f'"{self.datastore.schema}".{name}'

    @contextmanager
    def writing(self, bulk: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as curs:
            if bulk:  # a crash may lose the last commits, rows and position together,
                # never corrupt anything; the rebuild goes on from the position that survived
                curs.execute("SET LOCAL synchronous_commit = off")
            yield curs

    def fetch_values(self, cursor: Any) -> list[tuple[Any, ...]]:
        # The library's connections make dict rows; tuples are what a view reads.
        cursor.row_factory = tuple_row
        return list(cursor.fetchall())

    def put_statement(self, table: Table, rows: Iterable[Row | Values]) -> Statement:
        """One statement per table and batch: the rows go as one JSON array of arrays, so
        the values are encoded in C (orjson) and taken apart by the server."""
        names = ", ".join(table.columns)
        values = ", ".join(
            f"(r->>{i})::{POSTGRES_TYPES[t]}" for i, t in enumerate(table.columns.values())
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c not in table.key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        sql = (
            f"INSERT INTO {self.qualified(table.name)} ({names}) "
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r "
            f"ON CONFLICT ({', '.join(table.key)}) {action}"
        )
        document = orjson.dumps([table.encode(r) for r in rows]).decode()
        return Statement(sql, [(document,)], "once")

    def new_statement(self, table: Table, rows: list[Row | Values]) -> Statement:
        """New rows are copied in: COPY takes them twice as fast as an INSERT ... SELECT,
        and refuses a key already there (`Batch.insert`)."""
        names = ", ".join(table.columns)
        sql = f"COPY {self.qualified(table.name)} ({names}) FROM STDIN"
        return Statement(sql, [table.encode(r) for r in rows], "copy")


def view_beside(recorder: Any, tables: Sequence[Table]) -> View:
    """A view in the same database as an application's recorder, on its connections.

    SQLite and PostgreSQL recorders carry their datastore; any other (the in-memory store)
    gets a `MemoryView` of its own."""
    datastore = getattr(recorder, "datastore", None)
    if isinstance(datastore, SQLiteDatastore | PostgresDatastore):
        return sql_view(datastore, tables)
    return MemoryView(tables)


def sql_view(datastore: SQLiteDatastore | PostgresDatastore, tables: Sequence[Table]) -> SqlView:
    """The view of `tables` on a datastore, its tables made if missing."""
    dialect: Dialect = (
        SQLiteDialect(datastore)
        if isinstance(datastore, SQLiteDatastore)
        else PostgresDialect(datastore)
    )
    view = SqlView(dialect, tables)
    view.create_table()
    return view
