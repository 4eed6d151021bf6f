"""PostgreSQL recorders that write ledger leaves in the transaction that stores the events.

The library's insert runs in one pipelined transaction: lock the events table, insert,
fetch the new notification ids, commit. We add the ledger table to the lock (so that
applications with different events tables still get one gap-free ledger order) and one
INSERT of the leaf hashes after the ids are known; both travel in the same round trips,
and the leaf rows commit or roll back with the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import eventsourcing.postgres as es_pg
from eventsourcing.persistence import ProgrammingError, StoredEvent
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from ledger.leaf import StoredRow, row_leaf_hash, text_id
from ledger.pgstore import PostgresLedgerStore


class _LedgerMixin:
    """Adds the ledger to a PostgreSQL application or process recorder."""

    datastore: es_pg.PostgresDatastore
    events_table_name: str
    sql_create_statements: list[Any]
    lock_table_statements: list[Any]

    def _init_ledger(self) -> None:
        if self.datastore.enable_db_functions:
            raise ProgrammingError("the ledger needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        self.ledger_store = PostgresLedgerStore(self.datastore)
        self.sql_create_statements.extend(SQL(s) for s in self.ledger_store.ddl())  # type: ignore[arg-type]
        leaves = self.ledger_store.table("ledger_leaves")
        # Events tables are always locked before the ledger table, so no deadlock.
        self.lock_table_statements.append(SQL(f"LOCK TABLE {leaves} IN EXCLUSIVE MODE"))  # type: ignore[arg-type]
        # Dense ledger indexes continue from the last one; the lock makes max() safe.
        self._insert_leaves = SQL(  # type: ignore[arg-type]
            f"INSERT INTO {leaves} (idx, log_id, notification_id, leaf_hash) "
            "SELECT m.base + u.n - 1, %s, u.nid, u.h "
            f"FROM (SELECT coalesce(max(idx) + 1, 0) AS base FROM {leaves}) AS m, "
            "unnest(%s::bigint[], %s::bytea[]) WITH ORDINALITY AS u(nid, h, n)"
        )

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        self.ledger_store.log_id(self.events_table_name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        # Registering the log needs its own transaction, so it happens first (once).
        self.ledger_store.log_id(self.events_table_name)
        return super().insert_events(stored_events, **kwargs)  # type: ignore[misc]

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)  # type: ignore[misc]
        if ids:
            log = self.events_table_name
            pairs = sorted(zip(ids, stored_events, strict=True), key=lambda pair: pair[0])
            hashes = [
                row_leaf_hash(
                    StoredRow(
                        log, nid, text_id(e.originator_id), e.originator_version, e.topic, e.state
                    )
                )
                for nid, e in pairs
            ]
            params = (self.ledger_store.log_id(log), [nid for nid, _ in pairs], hashes)
            curs.execute(self._insert_leaves, params, prepare=True)
        return ids


class LedgeredPostgresApplicationRecorder(_LedgerMixin, es_pg.PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, keeping the ledger."""

    def __init__(self, datastore: es_pg.PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._init_ledger()


class LedgeredPostgresProcessRecorder(_LedgerMixin, es_pg.PostgresProcessRecorder):
    """The library's PostgreSQL process recorder (events + tracking), keeping the ledger."""

    def __init__(self, datastore: es_pg.PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._init_ledger()


class LedgeredPostgresFactory(es_pg.PostgresFactory):
    """The library's PostgreSQL factory with ledgered recorders."""

    application_recorder_class = LedgeredPostgresApplicationRecorder
    process_recorder_class = LedgeredPostgresProcessRecorder


Factory = LedgeredPostgresFactory
