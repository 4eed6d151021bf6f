"""Materialised views: the library's tracking recorders, extended with read-model tables.

Each view is an `eventsourcing` tracking recorder (SQLite, PostgreSQL or in-memory) that
also owns the tables of one projection. `write(changes, tracking)` puts the rows and the
tracking record in ONE transaction, and the library's single-row tracking refuses a
position that does not advance: a batch is applied exactly once, and a projection
restarted after a crash resumes from its last committed position.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import orjson
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from projections.tables import Changes, Key, Row, Table

SQLITE_TYPES = {"text": "TEXT", "int": "INTEGER", "real": "REAL", "json": "TEXT"}
POSTGRES_TYPES = {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION", "json": "TEXT"}
SQLITE_CACHE_KIB = -65_536  # negative: KiB, so 64 MiB per connection at most
# One tracking table for every projection on PostgreSQL (SQLite's is always `tracking`).
POSTGRES_TRACKING_TABLE = "lfr_projection_tracking"


class View(Protocol):
    """What a projection and its queries need from a materialised view."""

    tables: dict[str, Table]

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None: ...

    def ensure_position(self, application_name: str) -> None: ...

    def get(self, table: Table, key: Key) -> Row | None: ...

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...

    def reset(self, application_name: str) -> None: ...

    def bulk_load(self) -> AbstractContextManager[None]: ...


def _index_names(table: Table) -> list[tuple[str, tuple[str, ...]]]:
    return [(f"{table.name}_{'_'.join(index)}_idx", index) for index in table.indexes]


def _index_ddl(table: Table, qualified: str) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {qualified} ({', '.join(index)})"
        for name, index in _index_names(table)
    ]


def _ddl(table: Table, qualified: str, types: Mapping[str, str]) -> list[str]:
    columns = ", ".join(f"{c} {types[t]}" for c, t in table.columns.items())
    return [
        f"CREATE TABLE IF NOT EXISTS {qualified} ({columns}, PRIMARY KEY ({', '.join(table.key)}))",
        *_index_ddl(table, qualified),
    ]


class _SqlTables:
    """SQL shared by the SQLite and PostgreSQL views; `mark` is the parameter placeholder."""

    mark = "?"
    tables: dict[str, Table]

    def qualified(self, table: Table) -> str:
        return table.name

    def _upsert(self, table: Table) -> str:
        names = ", ".join(table.columns)
        marks = ", ".join([self.mark] * len(table.columns))
        updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c not in table.key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (
            f"INSERT INTO {self.qualified(table)} ({names}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(table.key)}) {action}"
        )

    def _where(self, columns: Sequence[str]) -> str:
        if not columns:
            return ""
        return " WHERE " + " AND ".join(f"{c} = {self.mark}" for c in columns)

    def _select_sql(self, table: Table, where: Sequence[str], order_by: Sequence[str]) -> str:
        order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
        names = ", ".join(table.columns)
        return f"SELECT {names} FROM {self.qualified(table)}{self._where(where)}{order}"

    tracking_table = "tracking"

    def _advance(self, cursor: Any, tracking: Tracking, after: int) -> None:
        """Moves the position from `after` to the tracking's id, or refuses: compare and set.

        An UPDATE first takes the row's write lock, so two projectors of one projection
        cannot both apply the same events: the second finds the position moved and fails."""
        cursor.execute(
            f"UPDATE {self.tracking_table} SET notification_id = {self.mark} "
            f"WHERE application_name = {self.mark} AND notification_id = {self.mark} "
            "RETURNING notification_id",
            (tracking.notification_id, tracking.application_name, after),
        )
        if cursor.fetchone() is None:
            raise IntegrityError(f"{tracking.application_name} is no longer at {after}")

    def _start_sql(self) -> str:
        return (
            f"INSERT INTO {self.tracking_table} (application_name, notification_id) "
            f"VALUES ({self.mark}, 0) ON CONFLICT (application_name) DO NOTHING"
        )

    def _write_rows(self, cursor: Any, changes: Changes) -> None:
        for name, keys in changes.deletes.items():
            if keys:
                table = self.tables[name]
                sql = f"DELETE FROM {self.qualified(table)}{self._where(table.key)}"
                cursor.executemany(sql, [tuple(k) for k in keys])
        for name, rows in changes.puts.items():
            if rows:
                table = self.tables[name]
                cursor.executemany(self._upsert(table), [table.encode(r) for r in rows.values()])


class SQLiteView(_SqlTables, SQLiteTrackingRecorder):
    """A projection's tables in the SQLite event store, with the library's tracking table."""

    def __init__(self, datastore: SQLiteDatastore, tables: Sequence[Table]) -> None:
        self.tables = {t.name: t for t in tables}
        self._bulk = False
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        for table in self.tables.values():
            statements += _ddl(table, table.name, SQLITE_TYPES)
        return statements

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        with self.datastore.get_connection(commit=True) as conn:
            with conn.cursor() as c:  # SQLite refuses to change it inside a transaction
                c.execute(f"PRAGMA synchronous = {'NORMAL' if self._bulk else 'FULL'}")
            with conn.transaction(commit=True) as c:
                # SQLite's default page cache (2 MB) makes inserts into read-model indexes of
                # a few tens of thousands of rows go to the file for every page: keep them in
                # memory.
                c.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
                self._advance(c, tracking, after)
                self._write_rows(c, changes)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Fills tables just emptied by `reset` faster, for a rebuild: the secondary indexes
        are dropped and made again at the end (also when loading fails), and commits do not
        wait for the disk (WAL with `synchronous = NORMAL`: a power cut may lose the last
        commits, rows and position together, never corrupt the file; the rebuild simply
        goes on from the position that survived). Not `synchronous = OFF`: the events share
        the file, and that could corrupt it. A process killed mid-rebuild leaves the
        indexes missing until the view is opened again (`create_table` makes them)."""
        with self.datastore.transaction(commit=True) as c:
            for table in self.tables.values():
                for name, _ in _index_names(table):
                    c.execute(f"DROP INDEX IF EXISTS {name}")
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            with self.datastore.transaction(commit=True) as c:
                for table in self.tables.values():
                    for statement in _index_ddl(table, table.name):
                        c.execute(statement)

    def ensure_position(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._start_sql(), (application_name,))

    def get(self, table: Table, key: Key) -> Row | None:
        rows = self._query(self._select_sql(table, table.key, ()), key)
        return table.decode(rows[0]) if rows else None

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]:
        where = where or {}
        sql = self._select_sql(table, list(where), order_by)
        return [table.decode(r) for r in self._query(sql, tuple(where.values()))]

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, tuple(params))
            return [tuple(r) for r in c.fetchall()]

    def reset(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._drop(c)
            for statement in self.construct_create_table_statements():
                c.execute(statement)
            c.execute(
                "UPDATE tracking SET notification_id = 0 WHERE application_name = ?",
                (application_name,),
            )

    def _drop(self, c: SQLiteCursor) -> None:
        for table in self.tables.values():
            c.execute(f"DROP TABLE IF EXISTS {table.name}")


class PostgresView(_SqlTables, PostgresTrackingRecorder):
    """A projection's tables in the PostgreSQL event store (its schema), with tracking."""

    mark = "%s"

    def __init__(self, datastore: PostgresDatastore, tables: Sequence[Table]) -> None:
        self.tables = {t.name: t for t in tables}
        self._bulk = False
        super().__init__(datastore, tracking_table_name=POSTGRES_TRACKING_TABLE)
        self.tracking_table = f'"{datastore.schema}".{POSTGRES_TRACKING_TABLE}'
        self._table_ddl = [
            s for t in self.tables.values() for s in _ddl(t, self.qualified(t), POSTGRES_TYPES)
        ]

    def qualified(self, table: Table) -> str:
        return f'"{self.datastore.schema}".{table.name}'

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            for statement in self._table_ddl:
                curs.execute(statement)  # type: ignore[call-overload]

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if self._bulk:
                curs.execute("SET LOCAL synchronous_commit = off")
            self._advance(curs, tracking, after)
            self._write_rows(curs, changes)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Fills tables just emptied by `reset` faster, for a rebuild: the secondary indexes
        are dropped and made again at the end (also when loading fails), and commits do not
        wait for the WAL flush (`synchronous_commit = off`: a crash may lose the last
        commits, rows and position together, never corrupt anything; the rebuild goes on
        from the position that survived). A process killed mid-rebuild leaves the indexes
        missing until the view is opened again (`create_table` makes them)."""
        schema = self.datastore.schema
        with self.datastore.transaction(commit=True) as curs:
            for table in self.tables.values():
                for name, _ in _index_names(table):
                    curs.execute(f'DROP INDEX IF EXISTS "{schema}".{name}')  # type: ignore[call-overload]
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            with self.datastore.transaction(commit=True) as curs:
                for table in self.tables.values():
                    for statement in _index_ddl(table, self.qualified(table)):
                        curs.execute(statement)  # type: ignore[call-overload]

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

    def _write_rows(self, cursor: Any, changes: Changes) -> None:
        for name, keys in changes.deletes.items():
            if keys:
                table = self.tables[name]
                sql = f"DELETE FROM {self.qualified(table)}{self._where(table.key)}"
                cursor.executemany(sql, [tuple(k) for k in keys])
        for name, rows in changes.puts.items():
            if rows:
                table = self.tables[name]
                document = orjson.dumps([table.encode(r) for r in rows.values()])
                cursor.execute(self._upsert(table), (document.decode(),))

    def ensure_position(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._start_sql(), (application_name,))  # type: ignore[call-overload]

    def get(self, table: Table, key: Key) -> Row | None:
        rows = self._query(self._select_sql(table, table.key, ()), key)
        return table.decode(rows[0]) if rows else None

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]:
        where = where or {}
        sql = self._select_sql(table, list(where), order_by)
        return [table.decode(r) for r in self._query(sql, tuple(where.values()))]

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, tuple(params))  # type: ignore[call-overload]
            return [tuple(r.values()) for r in curs.fetchall()]

    def reset(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for table in self.tables.values():
                curs.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")  # type: ignore[call-overload]
            for statement in self._table_ddl:
                curs.execute(statement)  # type: ignore[call-overload]
            curs.execute(  # type: ignore[call-overload]
                f"UPDATE {self.tracking_table} SET notification_id = 0 WHERE application_name = %s",
                (application_name,),
            )


class MemoryView(POPOTrackingRecorder):
    """The same view in memory, for unit tests and the `memory:` store."""

    def __init__(self, tables: Sequence[Table]) -> None:
        super().__init__()
        self.tables = {t.name: t for t in tables}
        self._rows: dict[str, dict[Key, Row]] = {t.name: {} for t in tables}

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        with self._database_lock:
            if (self._max_tracking_ids[tracking.application_name] or 0) != after:
                raise IntegrityError(f"{tracking.application_name} is no longer at {after}")
            for name, keys in changes.deletes.items():
                for key in keys:
                    self._rows[name].pop(key, None)
            for name, rows in changes.puts.items():
                table = self.tables[name]
                # Round-trip through the encoding so memory behaves like the databases.
                self._rows[name].update((k, table.decode(table.encode(r))) for k, r in rows.items())
            self._insert_tracking(tracking)

    def get(self, table: Table, key: Key) -> Row | None:
        with self._database_lock:
            row = self._rows[table.name].get(tuple(key))
            return dict(row) if row is not None else None

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]:
        with self._database_lock:
            rows = [
                dict(r)
                for r in self._rows[table.name].values()
                if all(r.get(c) == v for c, v in (where or {}).items())
            ]
        for column in reversed(order_by):
            rows.sort(key=lambda r, c=column: (r[c] is not None, r[c]))  # type: ignore[misc]
        return rows

    def reset(self, application_name: str) -> None:
        with self._database_lock:
            for rows in self._rows.values():
                rows.clear()
            self._max_tracking_ids.pop(application_name, None)

    def ensure_position(self, application_name: str) -> None:
        """In memory, no position is the start."""

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """In memory there is nothing to defer."""
        yield


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
