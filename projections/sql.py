"""The SQL the SQLite and PostgreSQL views share: table and index DDL, and a batch's
writes prepared as `Statement`s (every value encoded) before a connection is taken."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

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


class SqlTables(ABC):
    """What the SQLite and PostgreSQL views share: their SQL, written once with the dialect's
    parameter `mark`, and their reads and resets over the library's `datastore`. A dialect
    says how its tables are made (`_tables_ddl`) and how a fetched row reads (`_values`)."""

    mark = "?"
    tables: dict[str, Table]
    datastore: Any
    _bulk = False

    @abstractmethod
    def _tables_ddl(self) -> list[str]:
        """The dialect's CREATE statements for `tables`."""

    @abstractmethod
    def _values(self, row: Any) -> tuple[Any, ...]:
        """A fetched row as a tuple of column values, in the dialect's row type."""

    def _qualified_index(self, name: str) -> str:
        return name

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Fills tables just emptied by `reset` faster, for a rebuild: the secondary indexes
        are dropped and made again at the end (also when loading fails), and commits do not
        wait for the disk (each dialect says how, beside its `write_prepared`). A process
        killed mid-rebuild leaves the indexes missing until the view is opened again
        (`create_table` makes them)."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in self.tables.values():
                for name, _ in index_names(table):
                    cursor.execute(f"DROP INDEX IF EXISTS {self._qualified_index(name)}")
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

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, tuple(params))
            return [self._values(r) for r in cursor.fetchall()]

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
                statements.append(self._put_statement(self.tables[name], rows.values()))
        for name in changes.new.keys() | changes.added.keys():
            fresh = [*changes.new.get(name, {}).values(), *changes.added.get(name, ())]
            if fresh:
                statements.append(self._new_statement(self.tables[name], fresh))
        return statements

    def _new_statement(self, table: Table, rows: list[Row | Values]) -> Statement:
        """New rows are inserted: a key already there is refused (`Batch.insert`)."""
        marks = ", ".join([self.mark] * len(table.columns))
        sql = f"INSERT INTO {self.qualified(table)} ({', '.join(table.columns)}) VALUES ({marks})"
        return Statement(sql, [table.encode(r) for r in rows])

    def _put_statement(self, table: Table, rows: Iterable[Row | Values]) -> Statement:
        return Statement(self._upsert(table), [table.encode(r) for r in rows])

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        self.write_prepared(self.prepare(changes), tracking, after)

    @abstractmethod
    def write_prepared(self, prepared: list[Statement], tracking: Tracking, after: int) -> None:
        """Writes prepared rows and moves the position from `after`, in one transaction: each
        store's view does it its own way (SQLite in line, PostgreSQL with COPY)."""
