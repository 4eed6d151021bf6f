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
        self.sql_create_statements.extend(SQL(s) for s in self.ledger_store.ddl())
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
        self.insert_alike_events_statement = self._insert_with_leaves(single=False, alike=True)

    def _events(self) -> str:
        return f"{quote(self.datastore.schema)}.{quote(self.events_table_name)}"

    def _insert_with_leaves(self, *, single: bool, alike: bool = False) -> Any:
        """The library's INSERT of the events, with the leaves computed and inserted by the
        same statement, and the library's NOTIFY (`pg_notify`): one statement, no extra
        round trip in the transaction.

        The leaf bytes are built in SQL exactly as `ledger.leaf.leaf_bytes` builds them
        (big-endian header, then the fields), and hashed with PostgreSQL's sha256().
        Dense ledger indexes continue from the last one; the table lock makes max() safe.
        The log's id is a parameter and its name a constant (it never changes once
        registered). With `single`, for one event, the index needs no numbering. With
        `alike`, the events' topics and states are sent once each (a batch of erasures shares
        one state), not once per event.
        """
        leaves = self.ledger_store.table("ledger_leaves")
        log = self.events_table_name.encode()
        name = f"'\\x{log.hex()}'::bytea"
        oid, topic = "convert_to(n.originator_id::text, 'UTF8')", "convert_to(n.topic, 'UTF8')"
        leaf = (
            f"'\\x004c465231'::bytea || int8send(n.notification_id) "
            f"|| int8send(n.originator_version) || int2send({len(log)}::int2) "
            f"|| int2send(octet_length({oid})::int2) || int4send(octet_length({topic})) "
            f"|| int8send(octet_length(n.state)::int8) || {name} || {oid} || {topic} || n.state"
        )
        numbered = "m.base + row_number() OVER (ORDER BY n.notification_id) - 1"
        index = "m.base" if single else numbered
        channel = self.channel_name.replace("'", "''")
        rows = (
            # Each row names its topic and state by their place in arrays of distinct ones.
            "SELECT s.originator_id, s.originator_version, d.topics[s.t], d.states[s.s] "
            "FROM unnest(%b::uuid[], %b::int8[], %b::int4[], %b::int4[]) "
            "AS s (originator_id, originator_version, t, s), "
            "(SELECT %b::text[] AS topics, %b::bytea[] AS states) AS d"
            if alike
            else "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::bytea[]) "
            "AS s (originator_id, originator_version, topic, state)"
        )
        return SQL(
            f"WITH new AS (INSERT INTO {self._events()} AS t "
            f"(originator_id, originator_version, topic, state) {rows} "
            "RETURNING notification_id, originator_id, originator_version, topic, state), "
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
        alike = _alike(stored_events) if len(stored_events) > 1 else None
        if alike is not None:
            statement, columns = self.insert_alike_events_statement, alike
        else:
            statement = self.insert_events_statement
            if len(stored_events) == 1:
                statement = self.insert_event_statement
            columns = ([e.topic for e in stored_events], [e.state for e in stored_events])
        curs.execute(statement, (ids, versions, *columns, log_id), prepare=True)

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


def _alike(events: Sequence[StoredEvent]) -> tuple[list[Any], ...] | None:
    """The events' topics and states as places in lists of distinct ones (1-based, as SQL
    arrays are), when at most half the states are distinct (they share the same bytes
    objects, as `services.base` stores events alike); None otherwise."""
    places: dict[int, int] = {}
    states: list[bytes] = []
    for event in events:
        if id(event.state) not in places:
            if 2 * len(states) >= len(events):
                return None
            places[id(event.state)] = len(states) + 1
            states.append(event.state)
    topic_places: dict[str, int] = {}
    topics = [topic_places.setdefault(e.topic, len(topic_places) + 1) for e in events]
    return topics, [places[id(e.state)] for e in events], list(topic_places), states


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
