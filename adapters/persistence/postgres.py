"""PostgreSQL recorders that write ledger leaves in the transaction that stores the events.

The library's insert runs in one pipelined transaction: lock the events table, notify,
insert, fetch the new notification ids, commit. We add the ledger table to the lock
statement (so that applications with different events tables still get one gap-free ledger
order) and make the events' INSERT also compute and insert their leaves and send the
notification (one statement, no extra statement or round trip); the leaf rows commit or
roll back with the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import eventsourcing.postgres as es_pg
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.utils import Environment
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL

from adapters.persistence.ledgered import LedgeredSql
from adapters.persistence.liveness import check_pooled_connections_locally
from adapters.persistence.pgstore import PostgresLedgerStore, quote
from projections.views import schema_changes_one_at_a_time

# PostgreSQL's largest toast_tuple_target: a row of up to this many bytes is stored as it is.
STATES_IN_LINE_UP_TO = 8160


class _LedgerMixin(LedgeredSql):
    """Adds the ledger to a PostgreSQL application or process recorder."""

    datastore: es_pg.PostgresDatastore
    events_table_name: str
    stored_event_type_name: str
    sql_create_statements: list[Any]
    lock_table_statements: list[Any]
    channel_name: str

    def _init_ledger(self) -> None:
        if self.datastore.enable_db_functions:
            raise ProgrammingError("the ledger needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        self.ledger_store = PostgresLedgerStore(self.datastore)
        # The library makes its insert function even when it is not used (it is not, here):
        # not making it spares each process start replacing it, which PostgreSQL refuses to
        # do in two sessions at once.
        self.sql_create_statements = [
            s
            for s in self.sql_create_statements
            if "CREATE OR REPLACE FUNCTION" not in s.as_string(None)
        ]
        self.sql_create_statements.extend(SQL(s) for s in self.ledger_store.ddl())
        self.sql_create_statements.append(SQL(self._states_kept_in_line()))
        # One statement takes both locks, one table after the other in the order written:
        # every ledgered recorder locks its events table before the ledger's, so writers
        # of different events tables sharing the ledger cannot deadlock.
        lock_timeout, lock_events = self.lock_table_statements
        assert "LOCK TABLE" in lock_events.as_string(None), lock_events
        self.lock_table_statements = [
            lock_timeout,
            SQL(f"LOCK TABLE {self._events()}, {self.ledger_store.table('ledger_leaves')} "
                "IN EXCLUSIVE MODE"),
        ]  # fmt: skip
        self.insert_events_statement = self._insert_with_leaves(single=False)
        self.insert_event_statement = self._insert_with_leaves(single=True)
        self.insert_shared_events_statement = self._insert_with_leaves(single=False, shared=True)

    def create_table(self) -> None:
        with schema_changes_one_at_a_time(self.datastore):
            super().create_table()

    def _states_kept_in_line(self) -> str:
        """Events of up to a page (an alert with its sealed crop is about 4.5 kB) keep their
        state in the row: by default PostgreSQL tries to compress any row over 2 kB (sealed
        bytes never compress) and then moves the state to the TOAST table, in chunks each
        with its index entry, which cost about as much again as the row. Set once; a table
        that has it is not touched (altering it would wait for the writers' locks)."""
        table = self._events()
        target = f"toast_tuple_target={STATES_IN_LINE_UP_TO}"
        return (
            "DO $$ BEGIN IF NOT coalesce((SELECT reloptions @> ARRAY['" + target + "'] "
            f"FROM pg_class WHERE oid = '{table}'::regclass), false) THEN "
            f"ALTER TABLE {table} SET ({target}); END IF; END $$"
        )

    def _events(self) -> str:
        return f"{quote(self.datastore.schema)}.{quote(self.events_table_name)}"

    def _insert_with_leaves(self, *, single: bool, shared: bool = False) -> Any:
        """The library's INSERT of the events, with the leaves computed and inserted by the
        same statement, and the library's NOTIFY (`pg_notify`): one statement, no extra
        round trip in the transaction.

        The leaf bytes are built in SQL exactly as `ledger.leaf.leaf_bytes` builds them
        (big-endian header, then the fields), and hashed with PostgreSQL's sha256(); the
        RETURNING gives the id and topic as text bytes once, for the leaf's lengths and body.
        Dense ledger indexes continue from the last one; the table lock makes max() safe.
        The log's id is a parameter and its name a constant (it never changes once
        registered). With `single`, for one event, the index needs no numbering. With
        `shared`, the events' one topic and state are sent once (a batch of erasures shares
        them), not once per event.
        """
        leaves = self.ledger_store.table("ledger_leaves")
        log = self.events_table_name.encode()
        name = f"'\\x{log.hex()}'::bytea"
        leaf = (
            f"'\\x004c465231'::bytea || int8send(n.notification_id) "
            f"|| int8send(n.originator_version) || int2send({len(log)}::int2) "
            "|| int2send(octet_length(n.id_text)::int2) || int4send(octet_length(n.topic_text)) "
            f"|| int8send(octet_length(n.state)::int8) || {name} || n.id_text || n.topic_text "
            "|| n.state"
        )
        numbered = "m.base + row_number() OVER (ORDER BY n.notification_id) - 1"
        index = "m.base" if single else numbered
        channel = self.channel_name.replace("'", "''")
        rows = (
            "SELECT originator_id, originator_version, %b::text, %b::bytea "
            "FROM unnest(%b::uuid[], %b::int8[]) AS s (originator_id, originator_version)"
            if shared
            else "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::bytea[]) "
            "AS s (originator_id, originator_version, topic, state)"
        )
        return SQL(
            f"WITH new AS (INSERT INTO {self._events()} AS t "
            f"(originator_id, originator_version, topic, state) {rows} "
            "RETURNING notification_id, originator_version, state, "
            "convert_to(originator_id::text, 'UTF8') AS id_text, "
            "convert_to(topic, 'UTF8') AS topic_text), "
            f"added AS (INSERT INTO {leaves} (idx, log_id, notification_id, leaf_hash) "
            f"SELECT {index}, %b::int4, n.notification_id, sha256({leaf}) "
            f"FROM new AS n, (SELECT coalesce(max(idx) + 1, 0) AS base FROM {leaves}) AS m) "
            f"SELECT notification_id FROM new, (SELECT pg_notify('{channel}', '')) AS notified"
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """The library's locks, then the events as four columns in binary (the INSERT also
        notifies): the library's array of composite values is dumped as text, escaping
        every byte of the states (sealed crops of 3-40 kB) with a regular expression,
        which cost more than the rest of the insert."""
        self._lock_table(curs)  # type: ignore[attr-defined]
        log_id = self.ledger_store.log_id(self.events_table_name)
        ids = [e.originator_id for e in stored_events]
        versions = [e.originator_version for e in stored_events]
        first = stored_events[0]
        params: tuple[Any, ...]
        if len(stored_events) > 1 and _shared(stored_events):
            statement = self.insert_shared_events_statement
            params = (first.topic, first.state, ids, versions, log_id)
        else:
            single = len(stored_events) == 1
            statement = self.insert_event_statement if single else self.insert_events_statement
            topics, states = [e.topic for e in stored_events], [e.state for e in stored_events]
            params = (ids, versions, topics, states, log_id)
        curs.row_factory = tuple_row  # type: ignore[assignment]  # the ids as tuples: no dict per row
        curs.execute(statement, params, prepare=True)

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
        # The library checks for an INSERT status; ours is the SELECT of the ids (as tuples).
        rows: list[Any] = curs.fetchall()
        return [row[0] for row in rows]


def _shared(events: Sequence[StoredEvent]) -> bool:
    """Whether the events share one topic and one state (the same bytes object, as
    `services.base` stores events alike)."""
    first = events[0]
    return all(e.state is first.state and e.topic == first.topic for e in events)


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
    """The library's PostgreSQL factory with ledgered recorders, whose pool checks each
    connection before use without a round trip (`adapters.persistence.liveness`)."""

    application_recorder_class = LedgeredPostgresApplicationRecorder
    process_recorder_class = LedgeredPostgresProcessRecorder

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        check_pooled_connections_locally(self.datastore)


Factory = LedgeredPostgresFactory
