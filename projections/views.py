"""Materialised views: the library's tracking recorders, extended with read-model tables.

Each view is an `eventsourcing` tracking recorder (SQLite, PostgreSQL or in-memory) that
also owns the tables of one projection. `write(changes, tracking)` puts the rows and the
tracking record in ONE transaction, and the library's single-row tracking refuses a
position that does not advance: a batch is applied exactly once, and a projection
restarted after a crash resumes from its last committed position. `prepare(changes)`
encodes a batch without a connection and `write_prepared` writes it, so the projector
can write one page while it projects the next; `bulk_load()` is how a rebuild fills the
emptied tables (secondary indexes made at the end). The shared SQL is in
`projections.sql`, the in-memory view in `projections.memview`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import orjson
import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.memview import MemoryView
from projections.sql import (
    POSTGRES_TYPES,
    SQLITE_TYPES,
    RowRefused,
    SqlTables,
    Statement,
    run,
    table_ddl,
)
from projections.tables import Changes, Key, Row, Table, Values

__all__ = ["MemoryView", "PostgresView", "RowRefused", "SQLiteView", "View", "view_beside"]

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

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def reset(self, application_name: str) -> None: ...

    def bulk_load(self) -> AbstractContextManager[None]: ...


class SQLiteView(SqlTables, SQLiteTrackingRecorder):
    """A projection's tables in the SQLite event store, with the library's tracking table."""

    def __init__(self, datastore: SQLiteDatastore, tables: Sequence[Table]) -> None:
        self.tables = {t.name: t for t in tables}
        self._bulk = False
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        for table in self.tables.values():
            statements += table_ddl(table, table.name, SQLITE_TYPES)
        return statements

    def write_prepared(self, prepared: list[Statement], tracking: Tracking, after: int) -> None:
        # A bulk load (`SqlTables.bulk_load`) commits without waiting for the disk: WAL with
        # `synchronous = NORMAL`, so a power cut may lose the last commits, rows and position
        # together, never corrupt the file; the rebuild goes on from the position that
        # survived. Not `synchronous = OFF`: the events share the file, that could corrupt it.
        with self.datastore.get_connection(commit=True) as conn:
            with conn.cursor() as c:  # SQLite refuses to change it inside a transaction
                c.execute(f"PRAGMA synchronous = {'NORMAL' if self._bulk else 'FULL'}")
            with conn.transaction(commit=True) as c:
                # SQLite's default page cache (2 MB) makes inserts into read-model indexes of
                # a few tens of thousands of rows go to the file for every page: keep them in
                # memory.
                c.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
                self._advance(c, tracking, after)
                try:
                    run(c, prepared)
                except sqlite3.IntegrityError as error:
                    raise RowRefused(str(error)) from error

    def _tables_ddl(self) -> list[str]:
        return self.construct_create_table_statements()

    def _values(self, row: Any) -> tuple[Any, ...]:
        return tuple(row)


class PostgresView(SqlTables, PostgresTrackingRecorder):
    """A projection's tables in the PostgreSQL event store (its schema), with tracking."""

    mark = "%s"
    # Writing a batch is mostly waiting for the server: the projector projects the next
    # page meanwhile (`projections.base.Projector`).
    overlaps_writes = True

    def __init__(self, datastore: PostgresDatastore, tables: Sequence[Table]) -> None:
        self.tables = {t.name: t for t in tables}
        self._bulk = False
        super().__init__(datastore, tracking_table_name=POSTGRES_TRACKING_TABLE)
        self.tracking_table = f'"{datastore.schema}".{POSTGRES_TRACKING_TABLE}'
        self._table_ddl = [
            s for t in self.tables.values() for s in table_ddl(t, self.qualified(t), POSTGRES_TYPES)
        ]

    def qualified(self, table: Table) -> str:
        return f'"{self.datastore.schema}".{table.name}'

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for statement in self._table_ddl:
                curs.execute(statement)

    def write_prepared(self, prepared: list[Statement], tracking: Tracking, after: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if self._bulk:  # a crash may lose the last commits, rows and position together,
                # never corrupt anything; the rebuild goes on from the position that survived
                curs.execute("SET LOCAL synchronous_commit = off")
            self._advance(curs, tracking, after)
            try:
                run(curs, prepared)
            except psycopg.IntegrityError as error:
                raise RowRefused(str(error).splitlines()[0]) from error

    def _qualified_index(self, name: str) -> str:
        return f'"{self.datastore.schema}".{name}'

    def _upsert(self, table: Table) -> str:
        """One statement per table and batch: the rows go as one JSON array of arrays, so
        the values are encoded in C (orjson) and taken apart by the server."""
        names = ", ".join(table.columns)
        values = ", ".join(
            f"(r->>{i})::{POSTGRES_TYPES[t]}" for i, t in enumerate(table.columns.values())
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c not in table.key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (
            f"INSERT INTO {self.qualified(table)} ({names}) "
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r "
            f"ON CONFLICT ({', '.join(table.key)}) {action}"
        )

    def _put_statement(self, table: Table, rows: Iterable[Row | Values]) -> Statement:
        document = orjson.dumps([table.encode(r) for r in rows]).decode()
        return Statement(self._upsert(table), [(document,)], "once")

    def _new_statement(self, table: Table, rows: list[Row | Values]) -> Statement:
        """New rows are copied in: COPY takes them twice as fast as an INSERT ... SELECT,
        and refuses a key already there (`Batch.insert`)."""
        names = ", ".join(table.columns)
        sql = f"COPY {self.qualified(table)} ({names}) FROM STDIN"
        return Statement(sql, [table.encode(r) for r in rows], "copy")

    def _tables_ddl(self) -> list[str]:
        return self._table_ddl

    def _values(self, row: Any) -> tuple[Any, ...]:
        return tuple(row.values())  # the library's connections return dict rows


def view_beside(recorder: Any, tables: Sequence[Table]) -> View:
    """A view in the same database as an application's recorder, on its connections.

    SQLite and PostgreSQL recorders carry their datastore; any other (the in-memory store)
    gets a `MemoryView` of its own."""
    datastore = getattr(recorder, "datastore", None)
    view: SQLiteView | PostgresView
    if isinstance(datastore, SQLiteDatastore):
        view = SQLiteView(datastore, tables)
    elif isinstance(datastore, PostgresDatastore):
        view = PostgresView(datastore, tables)
    else:
        return MemoryView(tables)
    view.create_table()
    return view
