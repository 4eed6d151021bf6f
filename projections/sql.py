"""The one SQL view of SQLite and PostgreSQL (`SqlView`, with the database's `Dialect`):
table and index DDL, reads, and a batch's writes prepared as `Statement`s (every value
encoded) before a connection is taken."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Literal, NamedTuple, Protocol

from eventsourcing.persistence import IntegrityError, Tracking

from projections.tables import Changes, Key, Row, Table, Values

SQLITE_TYPES = {"text": "TEXT", "int": "INTEGER", "real": "REAL", "json": "TEXT"}
POSTGRES_TYPES = {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION", "json": "TEXT"}


def index_names(table: Table) -> list[tuple[str, tuple[str, ...]]]:
    """(index name, its columns) for each secondary index of the table."""
    return [(f"{table.name}_{'_'.join(index)}_idx", index) for index in table.indexes]


def index_ddl(table: Table, qualified: str) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {qualified} ({', '.join(index)})"
        for name, index in index_names(table)
    ]


def table_ddl(table: Table, qualified: str, types: Mapping[str, str]) -> list[str]:
    columns = ", ".join(f"{c} {types[t]}" for c, t in table.columns.items())
    return [
        f"CREATE TABLE IF NOT EXISTS {qualified} ({columns}, PRIMARY KEY ({', '.join(table.key)}))",
        *index_ddl(table, qualified),
    ]


class RowRefused(ValueError):
    """The table refused a row (a new row whose key it already has): a defect of the
    projection, never taken for another projector's having gone first."""


class Statement(NamedTuple):
    """One SQL statement of a prepared write. `how`: "many" runs it once per item of
    `params`, "once" with `params[0]`, "copy" (a COPY ... FROM STDIN) sends each item
    of `params` as a row."""

    sql: str
    params: list[Any]
    how: Literal["many", "once", "copy"] = "many"


def run(cursor: Any, statements: list[Statement]) -> None:
    """Runs prepared statements on an open transaction's cursor, in order."""
    for statement in statements:
        if statement.how == "many":
            cursor.executemany(statement.sql, statement.params)
        elif statement.how == "once":
            cursor.execute(statement.sql, statement.params[0])
        else:
            with cursor.copy(statement.sql) as copy:
                for row in statement.params:
                    copy.write_row(row)


class Tracker(Protocol):
    """The part of the library's tracking recorder a view uses."""

    def create_table(self) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


class Dialect(ABC):
    """What a database does its own way for `SqlView`; by default, plain SQL."""

    mark = "?"  # the driver's parameter mark
    types: Mapping[str, str] = SQLITE_TYPES
    tracking_table = "tracking"
    overlaps_writes = False
    refusals: tuple[type[Exception], ...] = ()  # the driver's errors for a refused row

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    @abstractmethod
    def tracking_recorder(self) -> Tracker:
        """The library's tracking recorder on this datastore."""

    @abstractmethod
    def writing(self, bulk: bool) -> AbstractContextManager[Any]:
        """A cursor in a transaction that commits at the end of the block; `bulk`: a
        rebuild's, whose commits need not wait for the disk."""

    def qualified(self, name: str) -> str:
        """A table's or index's name as this database addresses it."""
        return name

    def schema_changes(self) -> AbstractContextManager[None]:
        """Held while tables are made: one process at a time where the database needs it."""
        return nullcontext()

    def fetch_values(self, cursor: Any) -> list[Any]:
        """The rows a query fetched, each a sequence of column values."""
        return list(cursor.fetchall())

    def put_statement(self, table: Table, rows: Iterable[Row | Values]) -> Statement:
        """Rows written whether or not their key is there (an upsert)."""
        names = ", ".join(table.columns)
        marks = ", ".join([self.mark] * len(table.columns))
        updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c not in table.key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        sql = (
            f"INSERT INTO {self.qualified(table.name)} ({names}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(table.key)}) {action}"
        )
        return Statement(sql, [table.encode(r) for r in rows])

    def new_statement(self, table: Table, rows: list[Row | Values]) -> Statement:
        """New rows: a key already there is refused (`Batch.insert`)."""
        marks = ", ".join([self.mark] * len(table.columns))
        names = ", ".join(table.columns)
        sql = f"INSERT INTO {self.qualified(table.name)} ({names}) VALUES ({marks})"
        return Statement(sql, [table.encode(r) for r in rows])


class SqlView:
    """A projection's tables in the event store's database, with the library's tracking
    table: the one view for SQLite and PostgreSQL. Its SQL is written once with the
    dialect's parameter mark; the `dialect` (`projections.views`) says how the database
    names a table, opens a write, writes rows fast and returns a row."""

    def __init__(self, dialect: Dialect, tables: Sequence[Table]) -> None:
        self.dialect = dialect
        self.datastore = dialect.datastore
        self.mark = dialect.mark
        self.tables = {t.name: t for t in tables}
        self.tracking = dialect.tracking_recorder()
        self.tracking_table = dialect.tracking_table
        # Where writing a batch is mostly waiting for the server, the projector projects
        # the next page meanwhile (`projections.base.Projector`).
        self.overlaps_writes = dialect.overlaps_writes
        self._bulk = False

    def create_table(self) -> None:
        """Makes the tracking table, and this view's tables and indexes if missing."""
        with self.dialect.schema_changes():
            self.tracking.create_table()
            with self.datastore.transaction(commit=True) as cursor:
                for statement in self._tables_ddl():
                    cursor.execute(statement)

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.tracking.max_tracking_id(application_name)

    def _tables_ddl(self) -> list[str]:
        types = self.dialect.types
        return [s for t in self.tables.values() for s in table_ddl(t, self.qualified(t), types)]

    def qualified(self, table: Table) -> str:
        return self.dialect.qualified(table.name)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Fills tables just emptied by `reset` faster, for a rebuild: the secondary indexes
        are dropped and made again at the end (also when loading fails), and commits do not
        wait for the disk (each dialect's `writing` says how). A process
        killed mid-rebuild leaves the indexes missing until the view is opened again
        (`create_table` makes them)."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in self.tables.values():
                for name, _ in index_names(table):
                    cursor.execute(f"DROP INDEX IF EXISTS {self.dialect.qualified(name)}")
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            with self.datastore.transaction(commit=True) as cursor:
                for table in self.tables.values():
                    for statement in index_ddl(table, self.qualified(table)):
                        cursor.execute(statement)

    def ensure_position(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self._start_sql(), (application_name,))

    def get(self, table: Table, key: Key) -> Row | None:
        rows = self._query(self._select_sql(table, table.key, ()), key)
        return table.decode(rows[0]) if rows else None

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]:
        where = where or {}
        sql = self._select_sql(table, list(where), order_by)
        return [table.decode(r) for r in self._query(sql, tuple(where.values()))]

    def select_after(self, table: Table, column: str, after: Any, limit: int) -> list[Row]:
        """Up to `limit` rows whose `column` is above `after`, in its order: a page read
        by an index on `column` (e.g. the key)."""
        sql = (
            f"SELECT {', '.join(table.columns)} FROM {self.qualified(table)} "
            f"WHERE {column} > {self.mark} ORDER BY {column} LIMIT {self.mark}"
        )
        return [table.decode(r) for r in self._query(sql, (after, limit))]

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, tuple(params))
            return self.dialect.fetch_values(cursor)

    def reset(self, application_name: str) -> None:
        """Drops the tables, makes them again empty, and sets the position back to 0."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in self.tables.values():
                cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")
            for statement in self._tables_ddl():
                cursor.execute(statement)
            cursor.execute(
                f"UPDATE {self.tracking_table} SET notification_id = 0 "
                f"WHERE application_name = {self.mark}",
                (application_name,),
            )

    def _where(self, columns: Sequence[str]) -> str:
        if not columns:
            return ""
        return " WHERE " + " AND ".join(f"{c} = {self.mark}" for c in columns)

    def _select_sql(self, table: Table, where: Sequence[str], order_by: Sequence[str]) -> str:
        order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
        names = ", ".join(table.columns)
        return f"SELECT {names} FROM {self.qualified(table)}{self._where(where)}{order}"

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

    def prepare(self, changes: Changes) -> list[Statement]:
        """The statements that write a batch's rows, every value encoded: the part of a
        write that needs no connection, so it can be done while another batch is written
        (`projections.base.Projector`) and the rows can change again after."""
        statements = [
            Statement(
                f"DELETE FROM {self.qualified(self.tables[name])}"
                f"{self._where(self.tables[name].key)}",
                [tuple(k) for k in keys],
            )
            for name, keys in changes.deletes.items()
            if keys
        ]
        for name, rows in changes.puts.items():
            if rows:
                statements.append(self.dialect.put_statement(self.tables[name], rows.values()))
        for name in changes.new.keys() | changes.added.keys():
            fresh = [*changes.new.get(name, {}).values(), *changes.added.get(name, ())]
            if fresh:
                statements.append(self.dialect.new_statement(self.tables[name], fresh))
        return statements

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        self.write_prepared(self.prepare(changes), tracking, after)

    def write_prepared(self, prepared: list[Statement], tracking: Tracking, after: int) -> None:
        """Writes prepared rows and moves the position from `after`, in one transaction."""
        with self.dialect.writing(self._bulk) as cursor:
            self._advance(cursor, tracking, after)
            try:
                run(cursor, prepared)
            except self.dialect.refusals as error:
                raise RowRefused(str(error).splitlines()[0]) from error
