"""SQLite recorders that write ledger leaves in the transaction that stores the events.

SQLite lets one writer in at a time, so the ledger index taken inside the write
transaction is gap-free and in notification order without any further lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import eventsourcing.sqlite as es_sqlite
from eventsourcing.persistence import StoredEvent

from adapters.persistence.ledgered import LedgeredSql
from adapters.persistence.sqlitestore import SQLiteLedgerStore
from ledger.leaf import StoredRow, hex_id, row_leaf_hash

_INSERT_LEAF = (
    "INSERT INTO ledger_leaves (idx, log_id, notification_id, leaf_hash) "
    "VALUES ((SELECT coalesce(max(idx) + 1, 0) FROM ledger_leaves), ?, ?, ?)"
)


class _LedgerMixin(LedgeredSql):
    """Adds the ledger to an SQLite application or process recorder."""

    datastore: es_sqlite.SQLiteDatastore
    events_table_name: str

    @property
    def ledger_store(self) -> SQLiteLedgerStore:
        store = self.__dict__.get("_ledger_store")
        if store is None:
            store = self.__dict__["_ledger_store"] = SQLiteLedgerStore(self.datastore)
        return store

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()  # type: ignore[misc]
        return statements + self.ledger_store.ddl()

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of many aggregates in one read, each aggregate's in version order
        (a batch command loads its aggregates with one query, not one each)."""
        found: list[StoredEvent] = []
        convert = self.convert_originator_id  # type: ignore[attr-defined]
        as_text = (lambda i: i.hex) if self.datastore.originator_id_type == "uuid" else str
        for start in range(0, len(originator_ids), 500):  # within SQLite's parameter limit
            ids = [as_text(i) for i in originator_ids[start : start + 500]]
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({', '.join('?' * len(ids))}) "
                    "ORDER BY originator_id, originator_version",
                    ids,
                )
                found += [StoredEvent(convert(r[0]), r[1], r[2], r[3]) for r in c.fetchall()]
        return found

    def _insert_events(
        self, c: es_sqlite.SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._write_with_events(c, kwargs)
        ids = super()._insert_events(c, stored_events, **kwargs)  # type: ignore[misc]
        if ids:
            log = self.events_table_name
            log_id = self.ledger_store.log_id(log)
            rows = [
                (log_id, nid, row_leaf_hash(StoredRow(
                    log, nid, hex_id(e.originator_id), e.originator_version, e.topic, e.state
                )))
                for nid, e in sorted(zip(ids, stored_events, strict=True), key=lambda p: p[0])
            ]  # fmt: skip
            c.executemany(_INSERT_LEAF, rows)
        return ids


class LedgeredSQLiteApplicationRecorder(_LedgerMixin, es_sqlite.SQLiteApplicationRecorder):
    """The library's SQLite application recorder, keeping the ledger."""


class LedgeredSQLiteProcessRecorder(_LedgerMixin, es_sqlite.SQLiteProcessRecorder):
    """The library's SQLite process recorder (events + tracking), keeping the ledger."""


class LedgeredSQLiteFactory(es_sqlite.SQLiteFactory):
    """The library's SQLite factory with ledgered recorders."""

    application_recorder_class = LedgeredSQLiteApplicationRecorder
    process_recorder_class = LedgeredSQLiteProcessRecorder


Factory = LedgeredSQLiteFactory
