"""PostgreSQL recorders that write ledger leaves in the transaction that stores the events.

The library's insert runs in one pipelined transaction: lock the events table, insert,
fetch the new notification ids, commit. We add the ledger table to the lock (so that
applications with different events tables still get one gap-free ledger order) and make
the events' INSERT also compute and insert their leaves (one statement, no extra round
trip); the leaf rows commit or roll back with the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import eventsourcing.postgres as es_pg
from eventsourcing.persistence import ProgrammingError, StoredEvent
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL

from adapters.persistence.ledgered import LedgeredSql
from adapters.persistence.pgstore import PostgresLedgerStore, quote


class _LedgerMixin(LedgeredSql):
    """Adds the ledger to a PostgreSQL application or process recorder."""

    datastore: es_pg.PostgresDatastore
    events_table_name: str
    stored_event_type_name: str
    sql_create_statements: list[Any]
    lock_table_statements: list[Any]

    def _init_ledger(self) -> None:
        if self.datastore.enable_db_functions:
            raise ProgrammingError("the ledger needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        self.ledger_store = PostgresLedgerStore(self.datastore)
        self.sql_create_statements.extend(SQL(s) for s in self.ledger_store.ddl())
        leaves = self.ledger_store.table("ledger_leaves")
        # Events tables are always locked before the ledger table, so no deadlock.
        self.lock_table_statements.append(SQL(f"LOCK TABLE {leaves} IN EXCLUSIVE MODE"))
        self.insert_events_statement = self._insert_with_leaves()

    def _insert_with_leaves(self) -> Any:
        """The library's INSERT of the events, with the leaves computed and inserted by the
        same statement: no extra statement or round trip in the transaction.

        The leaf bytes are built in SQL exactly as `ledger.leaf.leaf_bytes` builds them
        (big-endian header, then the fields), and hashed with PostgreSQL's sha256().
        Dense ledger indexes continue from the last one; the table lock makes max() safe.
        """
        schema = self.datastore.schema
        events = f"{quote(schema)}.{quote(self.events_table_name)}"
        leaves, logs = (
            self.ledger_store.table("ledger_leaves"),
            self.ledger_store.table("ledger_logs"),
        )
        log = self.events_table_name.replace("'", "''")
        oid, topic = "convert_to(n.originator_id::text, 'UTF8')", "convert_to(n.topic, 'UTF8')"
        leaf = (
            f"'\\x004c465231'::bytea || int8send(n.notification_id) "
            f"|| int8send(n.originator_version) || int2send(octet_length(l.name)::int2) "
            f"|| int2send(octet_length({oid})::int2) || int4send(octet_length({topic})) "
            f"|| int8send(octet_length(n.state)::int8) || l.name || {oid} || {topic} || n.state"
        )
        return SQL(
            f"WITH new AS (INSERT INTO {events} AS t "
            "(originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::bytea[]) "
            "AS s (originator_id, originator_version, topic, state) "
            "RETURNING notification_id, originator_id, originator_version, topic, state), "
            f"added AS (INSERT INTO {leaves} (idx, log_id, notification_id, leaf_hash) "
            "SELECT m.base + row_number() OVER (ORDER BY n.notification_id) - 1, "
            f"l.log_id, n.notification_id, sha256({leaf}) "
            f"FROM new AS n, (SELECT coalesce(max(idx) + 1, 0) AS base FROM {leaves}) AS m, "
            f"(SELECT log_id, convert_to(name, 'UTF8') AS name FROM {logs} "
            f"WHERE name = '{log}') AS l) "
            "SELECT notification_id FROM new"
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """The library's lock and notify, then the events as four columns in binary: the
        library's array of composite values is dumped as text, escaping every byte of the
        states (sealed crops of 3-40 kB) with a regular expression, which cost more than
        the rest of the insert."""
        self._lock_table(curs)  # type: ignore[attr-defined]
        self._notify_channel(curs)  # type: ignore[attr-defined]
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        curs.execute(self.insert_events_statement, columns)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._write_with_events(curs, kwargs)
        super()._insert_events(curs, stored_events, **kwargs)  # type: ignore[misc]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of many aggregates in one read, each aggregate's in version order
        (a batch command loads its aggregates with one query, not one each)."""
        schema = self.datastore.schema
        statement = (
            "SELECT originator_id, originator_version, topic, state "
            f"FROM {quote(schema)}.{quote(self.events_table_name)} "
            "WHERE originator_id = ANY(%s::uuid[]) ORDER BY originator_id, originator_version"
        )
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as cursor,
        ):
            cursor.execute(statement, ([str(i) for i in originator_ids],), prepare=True)
            return [StoredEvent(o, v, t, bytes(s)) for o, v, t, s in cursor.fetchall()]

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library checks for an INSERT status; ours is the SELECT of the ids.
        return [row["notification_id"] for row in curs.fetchall()]


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
