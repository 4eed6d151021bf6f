"""The ledger's tables in PostgreSQL, through the eventsourcing library's connection pool."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.rows import tuple_row

from adapters.persistence.sqlstore import BATCH, SqlLedgerStore


def quote(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def pooled_cursor(datastore: PostgresDatastore) -> Iterator[Any]:
    """A cursor (tuple rows, autocommit) on a connection lent by the datastore's pool; the
    pool checks a connection before lending it, so after an outage a fresh one is made."""
    with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
        yield curs


@contextmanager
def pooled_transaction(datastore: PostgresDatastore) -> Iterator[Any]:
    """A cursor (tuple rows) in a transaction that commits at the end of the block."""
    with (
        datastore.get_connection() as conn,
        conn.transaction(),
        conn.cursor(row_factory=tuple_row) as curs,
    ):
        yield curs


class PostgresLedgerStore(SqlLedgerStore):
    """The ledger of one PostgreSQL schema (all the events tables in it)."""

    marker = "%s"

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__()
        self.datastore = datastore
        self.schema = datastore.schema
        # Each thread's own snapshot connection: the API reads from many threads at once.
        self._local = threading.local()

    @property
    def _snapshot(self) -> Connection[Any] | None:
        return getattr(self._local, "conn", None)

    def table(self, name: str) -> str:
        return f"{quote(self.schema)}.{quote(name)}"

    def ddl(self) -> list[str]:
        t = self.table
        return [
            f"CREATE TABLE IF NOT EXISTS {t('ledger_logs')} "
            "(log_id serial PRIMARY KEY, name text NOT NULL UNIQUE)",
            f"CREATE TABLE IF NOT EXISTS {t('ledger_leaves')} (idx bigint PRIMARY KEY, "
            "log_id integer NOT NULL, notification_id bigint NOT NULL, leaf_hash bytea NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ledger_leaves_notification_id_idx "
            f"ON {t('ledger_leaves')} (notification_id)",
            f"CREATE TABLE IF NOT EXISTS {t('ledger_nodes')} (level smallint NOT NULL, "
            "idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {t('ledger_checkpoints')} (seq bigint PRIMARY KEY, "
            "tree_size bigint NOT NULL, body text NOT NULL, signatures text NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ledger_checkpoints_tree_size_idx "
            f"ON {t('ledger_checkpoints')} (tree_size)",
        ]

    def register_log_sql(self) -> str:
        return f"INSERT INTO {self.table('ledger_logs')} (name) VALUES (%s) ON CONFLICT DO NOTHING"

    def events_query(self, log: str) -> str:
        # ::text gives the originator id exactly as PostgreSQL writes it, and saves
        # building a UUID object per row.
        return (
            "SELECT %s::text, notification_id, originator_id::text, originator_version, "
            "topic, state "
            f"FROM {self.table(log)} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        )

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ transaction for every read inside the block (this thread's)."""
        if self._snapshot is not None:
            yield  # already inside this thread's snapshot
            return
        with self.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # The library ends a session idle in a transaction after 5 s; a pass over a
            # million events on a busy machine may hash one batch for longer than that.
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = '10min'")
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def reading(self) -> Iterator[Any]:
        if self._snapshot is not None:
            with _cursor(self._snapshot) as curs:
                yield curs
            return
        with pooled_cursor(self.datastore) as curs:
            yield curs

    def writing(self) -> AbstractContextManager[Any]:
        return pooled_transaction(self.datastore)

    def batches(
        self, sql: str, params: Callable[[Any], Sequence[Any]], start: Any, key: int
    ) -> Iterator[list[Any]]:
        """Keyset pagination with the next batch fetched in a thread while this one is used:
        the server and the network work while Python hashes (verification of a million
        events)."""
        conn = self._snapshot
        if conn is None:
            yield from super().batches(sql, params, start, key)
            return
        # The prefetching thread is handed this thread's snapshot connection (psycopg
        # serialises the use of a connection between threads).
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_fetch, conn, sql, params(start))
            while True:
                rows = pending.result()
                if len(rows) == BATCH:
                    pending = pool.submit(_fetch, conn, sql, params(rows[-1][key]))
                yield rows
                if len(rows) < BATCH:
                    return

    def insert_nodes(self, curs: Any, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """COPY the node cache in: a checkpoint over a million entries adds ~65,000 rows."""
        with curs.copy(f"COPY {self.table('ledger_nodes')} (level, idx, hash) FROM STDIN") as copy:
            for node in nodes:
                copy.write_row(node)


def _cursor(conn: Connection[Any]) -> Any:
    return conn.cursor(row_factory=tuple_row, binary=True)


def _fetch(conn: Connection[Any], sql: str, params: Sequence[Any]) -> list[Any]:
    with _cursor(conn) as curs:
        curs.execute(sql, params)
        return curs.fetchall()
