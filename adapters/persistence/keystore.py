"""The vault's key store on the event store's own datastore: one table, `lfr_data_keys`, in
the events' database, reached through the eventsourcing library's connection pool (the
same pool as the recorders, built once by the composition root).

`SqlKeyStore` holds what both databases share; `SQLiteKeyStore` and `PostgresKeyStore` give
the dialect: the table's DDL, how a cursor is had, the batch statements, and what `purge`
does on disk (see `adapters.vault` for what "destroyed" means there).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from adapters.persistence.pgstore import pooled_cursor, quote
from domain.errors import DataErased
from projections.views import schema_changes_one_at_a_time

BATCH = 10_000  # subjects destroyed per statement
CHUNK = 500  # subjects per IN (...) list, within SQLite's parameter limit


class SqlKeyStore(ABC):
    """Implements the vault's `KeyStore`: one row per data subject, its wrapped key, and a
    tombstone (key NULL, `destroyed_at`) once destroyed."""

    marker = "?"  # the driver's DB-API parameter marker (sqlite3: ?, psycopg: %s)

    def __init__(self, datastore: Any, settle_s: float = 60.0) -> None:
        self.datastore = datastore
        self.settle_s = settle_s
        self.table = self.table_name()
        self.make_table()

    def make_table(self) -> None:
        """Makes the key table if it is missing."""
        with self.writing() as curs:
            curs.execute(self.ddl())

    # -- what a dialect provides ---------------------------------------------------------

    @abstractmethod
    def table_name(self) -> str:
        """The key table's name, qualified for this database."""

    @abstractmethod
    def ddl(self) -> str:
        """CREATE TABLE IF NOT EXISTS of the key table."""

    @abstractmethod
    def reading(self) -> AbstractContextManager[Any]:
        """A cursor for reads."""

    @abstractmethod
    def writing(self) -> AbstractContextManager[Any]:
        """A cursor whose writes are stored when the block ends without error (in one
        transaction where the block runs more than one statement)."""

    @abstractmethod
    def insert_if_absent(self, curs: Any, keys: list[tuple[str, bytes]]) -> set[str] | None:
        """Inserts the keys of subjects that have no row, leaving the others as they are;
        returns the subjects it inserted, or None where the dialect cannot tell."""

    @abstractmethod
    def destroy_chunk(self, curs: Any, subjects: list[str]) -> int:
        """Destroys the subjects' keys (a tombstone for one never sealed); how many were live."""

    @abstractmethod
    def purge(self) -> int:
        """Removes what the database files still keep of destroyed keys; how many
        destructions that covered."""

    # -- the key store ---------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[object]) -> list[Any]:
        with self.reading() as curs:
            curs.execute(sql, params)
            return list(curs.fetchall())

    def insert_new(self, cursor: Any, keys: Mapping[str, bytes]) -> None:
        """Inserts new subjects' keys with the events' transaction's cursor (the recorders'
        `with_events`); a subject that already has a key or a tombstone fails it."""
        cursor.executemany(self._insert_key(), list(keys.items()))

    def _insert_key(self) -> str:
        values = f"({self.marker}, {self.marker})"
        return f"INSERT INTO {self.table} (subject_id, wrapped_key) VALUES {values}"

    def destroy_with_events(self, cursor: Any, subjects: list[str]) -> None:
        """Destroys the subjects' keys with the events' transaction's cursor (the recorders'
        `with_events`)."""
        self.destroy_chunk(cursor, subjects)

    def get(self, subject_id: str) -> bytes | None:
        rows = self._rows(
            f"SELECT wrapped_key FROM {self.table} WHERE subject_id = {self.marker}", (subject_id,)
        )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        """Stores a new subject's key in one round trip; returns the key stored for it."""
        with self.writing() as curs:
            curs.execute(
                self._insert_key() + " ON CONFLICT (subject_id) DO NOTHING RETURNING wrapped_key",
                (subject_id, wrapped),
            )
            inserted = curs.fetchall()
        stored = bytes(inserted[0][0]) if inserted else self.get(subject_id)
        if stored is None:  # destroyed before, or by someone else just now
            raise DataErased(f"the personal data of {subject_id} has been erased")
        return stored

    def put_many(self, keys: Mapping[str, bytes]) -> dict[str, bytes | None]:
        """Stores the keys of subjects that have none, in one transaction; returns each
        subject's stored key (its earlier one if it had a key, None if destroyed)."""
        if not keys:
            return {}
        with self.writing() as curs:
            inserted = self.insert_if_absent(curs, list(keys.items()))
        if inserted is None:
            return self._stored(list(keys))
        # Only the subjects that already had a row are read back (usually none: the ingest
        # flushes each batch's new keys here).
        stored: dict[str, bytes | None] = {s: keys[s] for s in inserted}
        rest = [s for s in keys if s not in inserted]
        return stored | self._stored(rest) if rest else stored

    def _stored(self, subjects: list[str]) -> dict[str, bytes | None]:
        stored: dict[str, bytes | None] = {}
        for chunk, marks in self._chunks(subjects):
            rows = self._rows(
                f"SELECT subject_id, wrapped_key FROM {self.table} WHERE subject_id IN ({marks})",
                chunk,
            )
            stored |= {s: bytes(w) if w is not None else None for s, w in rows}
        return stored

    def destroy(self, subject_ids: Iterable[str]) -> int:
        subjects = list(dict.fromkeys(subject_ids))
        total = 0
        for start in range(0, len(subjects), BATCH):
            with self.writing() as curs:
                total += self.destroy_chunk(curs, subjects[start : start + BATCH])
        return total

    def is_destroyed(self, subject_id: str) -> bool:
        rows = self._rows(
            f"SELECT destroyed_at FROM {self.table} WHERE subject_id = {self.marker}", (subject_id,)
        )
        return bool(rows and rows[0][0])

    def live_among(self, subject_ids: Sequence[str]) -> list[str]:
        live: list[str] = []
        for chunk, marks in self._chunks(list(subject_ids)):
            live += [
                row[0]
                for row in self._rows(
                    f"SELECT subject_id FROM {self.table} WHERE wrapped_key IS NOT NULL "
                    f"AND subject_id IN ({marks})",
                    chunk,
                )
            ]
        return live

    def _chunks(self, subjects: list[str]) -> Iterator[tuple[list[str], str]]:
        for start in range(0, len(subjects), CHUNK):
            chunk = subjects[start : start + CHUNK]
            yield chunk, ", ".join([self.marker] * len(chunk))


class SQLiteKeyStore(SqlKeyStore):
    """The key table in the events' SQLite file. Each write runs with `PRAGMA secure_delete`
    (the freed bytes of an old row are zeroed, not left); `purge` checkpoints and truncates
    the write-ahead log, so no page image with an old key survives in the files."""

    datastore: SQLiteDatastore

    def table_name(self) -> str:
        return "lfr_data_keys"

    def ddl(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (subject_id TEXT PRIMARY KEY, "
            "wrapped_key BLOB, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, "
            "destroyed_at TEXT, purged_at TEXT)"
        )

    @contextmanager
    def reading(self) -> Iterator[Any]:
        with self.datastore.get_connection(commit=False) as conn:
            yield conn.cursor()

    @contextmanager
    def writing(self) -> Iterator[Any]:
        # IMMEDIATE: the write lock is taken at the start, so two writers never deadlock
        # upgrading their read locks.
        with self.datastore.get_connection(commit=True) as conn:
            curs = conn.cursor()
            curs.execute("PRAGMA secure_delete = ON")
            curs.execute("BEGIN IMMEDIATE")
            try:
                yield curs
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def destroy_with_events(self, cursor: Any, subjects: list[str]) -> None:
        # The events' connection may never have written a key: zero freed bytes here too.
        cursor.execute("PRAGMA secure_delete = ON")
        self.destroy_chunk(cursor, subjects)

    def insert_if_absent(self, curs: Any, keys: list[tuple[str, bytes]]) -> set[str] | None:
        curs.executemany(
            f"INSERT OR IGNORE INTO {self.table} (subject_id, wrapped_key) VALUES (?, ?)", keys
        )
        return None

    def destroy_chunk(self, curs: Any, subjects: list[str]) -> int:
        rows = [(s,) for s in subjects]
        curs.executemany(
            f"UPDATE {self.table} SET wrapped_key = NULL, destroyed_at = CURRENT_TIMESTAMP "
            "WHERE subject_id = ? AND wrapped_key IS NOT NULL",
            rows,
        )
        destroyed = max(curs.sqlite_cursor.rowcount, 0)
        # A subject never sealed still gets its tombstone, so no key can be made for it later.
        curs.executemany(
            f"INSERT OR IGNORE INTO {self.table} (subject_id, destroyed_at) "
            "VALUES (?, CURRENT_TIMESTAMP)",
            rows,
        )
        return int(destroyed)

    def purge(self) -> int:
        """Each destroy zeroes in place; what is left is the write-ahead log's old pages."""
        with self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return 0


# The oldest snapshot another session holds: an old row version may be kept for it.
OLDEST_SNAPSHOT = """SELECT LEAST(now(), MIN(xact_start)) - make_interval(secs => %s)
    FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()
    AND datname = current_database()"""


class PostgresKeyStore(SqlKeyStore):
    """The key table in the events' PostgreSQL schema.

    An UPDATE leaves the old row version (with the wrapped key) in the table file until
    VACUUM, and plain VACUUM only marks the space free: `purge` runs `VACUUM FULL` on the
    key table, then records which destructions it covered (`purged_at`). `settle_s`: a
    destruction counts as purged only if it is this much older than the oldest snapshot
    open elsewhere (a destroy is stamped when its statement starts, and commits a little
    later)."""

    marker = "%s"
    datastore: PostgresDatastore

    def table_name(self) -> str:
        return f"{quote(self.datastore.schema)}.lfr_data_keys"

    def ddl(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (subject_id TEXT PRIMARY KEY, "
            "wrapped_key BYTEA, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
            "destroyed_at TIMESTAMPTZ, purged_at TIMESTAMPTZ) "
            # Half-full pages: destroying a key updates its row in place (a HOT update, no new
            # index entry), at under half the cost; `purge`'s VACUUM FULL keeps the setting.
            "WITH (fillfactor = 50)"
        )

    def make_table(self) -> None:
        with schema_changes_one_at_a_time(self.datastore):
            super().make_table()

    def reading(self) -> AbstractContextManager[Any]:
        return pooled_cursor(self.datastore)

    def writing(self) -> AbstractContextManager[Any]:
        # Every write here is one statement, atomic by itself: on the pool's autocommit
        # connection it costs one round trip, not three with BEGIN and COMMIT.
        return pooled_cursor(self.datastore)

    def insert_if_absent(self, curs: Any, keys: list[tuple[str, bytes]]) -> set[str] | None:
        # One statement for the batch, the keys in binary (not one INSERT per key).
        curs.execute(
            f"INSERT INTO {self.table} (subject_id, wrapped_key) "
            "SELECT * FROM unnest(%s::text[], %b::bytea[]) ON CONFLICT (subject_id) DO NOTHING "
            "RETURNING subject_id",
            ([s for s, _ in keys], [w for _, w in keys]),
        )
        return {subject for (subject,) in curs.fetchall()}

    def insert_new(self, cursor: Any, keys: Mapping[str, bytes]) -> None:
        # One statement for a whole ingest run's keys (not one INSERT each); no ON CONFLICT:
        # a subject that had a key fails the events' transaction.
        cursor.execute(
            f"INSERT INTO {self.table} (subject_id, wrapped_key) "
            "SELECT * FROM unnest(%s::text[], %b::bytea[])",
            (list(keys), list(keys.values())),
        )

    def destroy_chunk(self, curs: Any, subjects: list[str]) -> int:
        # A plain UPDATE of the live keys first: INSERT .. ON CONFLICT DO UPDATE tries an
        # insert of each row before updating it, five times the cost. Only the subjects it did
        # not find (already destroyed, or never sealed) go through the upsert, which leaves a
        # tombstone for one never sealed, and still destroys a key made meanwhile.
        curs.execute(
            f"UPDATE {self.table} SET wrapped_key = NULL, destroyed_at = now() "
            "WHERE subject_id = ANY(%b::text[]) AND wrapped_key IS NOT NULL RETURNING subject_id",
            (subjects,),
        )
        updated = {subject for (subject,) in curs.fetchall()}
        rest = [s for s in subjects if s not in updated]
        if not rest:
            return len(updated)
        curs.execute(
            f"INSERT INTO {self.table} (subject_id, wrapped_key, destroyed_at) "
            "SELECT unnest(%b::text[]), NULL, now() ON CONFLICT (subject_id) DO UPDATE "
            "SET wrapped_key = NULL, destroyed_at = now() "
            f"WHERE {self.table}.wrapped_key IS NOT NULL RETURNING xmax::text <> '0'",
            (rest,),
        )
        return len(updated) + sum(1 for (was_live,) in curs.fetchall() if was_live)

    def destroy_with_events(self, cursor: Any, subjects: list[str]) -> None:
        # The recorders' cursors give dict rows; a cursor of tuples on the same connection
        # is in the same transaction.
        with cursor.connection.cursor(row_factory=tuple_row) as curs:
            self.destroy_chunk(curs, subjects)

    def purge(self) -> int:
        pending = f"FROM {self.table} WHERE destroyed_at IS NOT NULL AND purged_at IS NULL"
        if not self._rows(f"SELECT 1 {pending} LIMIT 1", ()):
            return 0
        horizon = self._rows(OLDEST_SNAPSHOT, (self.settle_s,))[0][0]
        with self.datastore.get_connection() as conn:  # VACUUM runs outside a transaction
            conn.execute(f"VACUUM FULL {self.table}")
        with self.writing() as curs:
            curs.execute(
                f"UPDATE {self.table} SET purged_at = now() WHERE subject_id IN "
                f"(SELECT subject_id {pending} AND destroyed_at < %s) RETURNING 1",
                (horizon,),
            )
            return len(curs.fetchall())


def key_store_on(datastore: Any, settle_s: float = 60.0) -> SqlKeyStore:
    """The key store on an event store's datastore (its factory's `datastore`)."""
    if isinstance(datastore, PostgresDatastore):
        return PostgresKeyStore(datastore, settle_s)
    if isinstance(datastore, SQLiteDatastore):
        return SQLiteKeyStore(datastore, settle_s)
    raise TypeError(f"no key store for a {type(datastore).__name__}")
