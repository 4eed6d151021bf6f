"""The ledger's tables in SQLite, through the eventsourcing library's connection pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

from adapters.persistence.sqlstore import SqlLedgerStore


class SQLiteLedgerStore(SqlLedgerStore):
    """The ledger of one SQLite database file."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__()
        self.datastore = datastore
        # Each thread's own snapshot: an API serves many readers at once, and a cursor of
        # one thread's snapshot used by another crashes the SQLite library.
        self._local = threading.local()

    def table(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS ledger_logs "
            "(log_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
            "CREATE TABLE IF NOT EXISTS ledger_leaves (idx INTEGER PRIMARY KEY, "
            "log_id INTEGER NOT NULL, notification_id INTEGER NOT NULL, leaf_hash BLOB NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ledger_leaves_notification_id_idx "
            "ON ledger_leaves (notification_id)",
            "CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, "
            "idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS ledger_checkpoints (seq INTEGER PRIMARY KEY, "
            "tree_size INTEGER NOT NULL, body TEXT NOT NULL, signatures TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS ledger_checkpoints_tree_size_idx "
            "ON ledger_checkpoints (tree_size)",
        ]

    def register_log_sql(self) -> str:
        return "INSERT OR IGNORE INTO ledger_logs (name) VALUES (?)"

    def events_query(self, log: str) -> str:
        # The library's SQLite recorder uses the rowid as the notification id.
        return (
            "SELECT ?, rowid, originator_id, originator_version, topic, state "
            f"FROM {self.table(log)} WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction for every read inside the block (WAL gives it a snapshot)."""
        if getattr(self._local, "cursor", None) is not None:
            yield  # already inside this thread's snapshot
            return
        with self.datastore.transaction(commit=False) as curs:
            self._local.cursor = curs
            try:
                yield
            finally:
                self._local.cursor = None

    @contextmanager
    def reading(self) -> Iterator[Any]:
        snapshot = getattr(self._local, "cursor", None)
        if snapshot is not None:
            yield snapshot
            return
        with self.datastore.transaction(commit=False) as curs:
            yield curs

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """A write transaction that takes SQLite's write lock first. The library begins a
        deferred one: in WAL mode, one that reads and then writes fails at once ("database
        is locked", no busy wait) when another connection committed in between, as the
        events' writers do while a checkpoint is made. An immediate one waits its turn."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("ROLLBACK")  # the library's deferred BEGIN, nothing done in it yet
            curs.execute("BEGIN IMMEDIATE")
            yield curs
