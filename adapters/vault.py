"""The vault: each data subject's personal data sealed with AES-GCM under its own data key.

Data keys are wrapped (RFC 3394) by the key-encryption key (KEK) from the settings and kept in
their own table, `lfr_data_keys`, apart from the events. Destroying a key makes every sealed copy
unreadable, while the ciphertext stays in the events so the ledger still verifies.

What "destroyed" means on disk:

- The row stays as a tombstone (wrapped key NULL, `destroyed_at` set), so a destroyed subject can
  never be given a fresh key and `open` can say "erased" rather than "unknown".
- SQLite: the key store's connection runs with `PRAGMA secure_delete`, which zeroes the freed
  bytes of the old row, and `purge` checkpoints and truncates the write-ahead log, so no page
  image with the old key survives in the database files.
- PostgreSQL: an UPDATE leaves the old row version (with the wrapped key) in the table file until
  VACUUM, and plain VACUUM only marks the space free. `purge` therefore runs `VACUUM FULL` on the
  key table (a rewrite into new files; the table is small: 100,000 keys are a few megabytes),
  then records which destructions it covered (`purged_at`). A snapshot older than a destruction
  can keep the old version alive through VACUUM, so only rows destroyed before the oldest open
  snapshot (less a settling time) are marked; the rest wait for the next sweep.
- Beyond the database: WAL archives and backups may still hold wrapped keys. They are useless
  without the KEK, which never enters the database; rotating the KEK (re-wrapping the live keys)
  retires those copies. That rotation is not implemented here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from domain.errors import DataErased
from services.errors import ConfigurationError

MAGIC = b"LFRv1"
NONCE = 12
BATCH = 10_000


class Database(Protocol):
    """Where the keys live (`runtime.settings.StoreLocation`): "sqlite" or "postgres", and
    the parts of its URL."""

    @property
    def kind(self) -> str: ...
    @property
    def parts(self) -> dict[str, str]: ...


class KeyStore(Protocol):
    """Where the wrapped data keys live, one row per data subject."""

    def get(self, subject_id: str) -> bytes | None: ...
    def put_new(self, subject_id: str, wrapped: bytes) -> bytes: ...
    def put_many(self, keys: Mapping[str, bytes]) -> dict[str, bytes | None]: ...
    def destroy(self, subject_ids: Iterable[str]) -> int: ...
    def is_destroyed(self, subject_id: str) -> bool: ...
    def live_among(self, subject_ids: Sequence[str]) -> list[str]: ...
    def purge(self) -> int: ...


class HeldKeys:
    """New data keys made while sealing, stored by the events' own transaction (`write`,
    called by the event store's recorder with its cursor): an event and its subject's key
    commit or fail together, in one commit instead of two."""

    def __init__(self, store: SqlKeyStore) -> None:
        self.store = store
        self.keys: dict[str, bytes] = {}

    def write(self, cursor: Any) -> None:
        if self.keys:
            self.store.insert_new(cursor, self.keys)


class Vault:
    """Implements `domain.sealing.Sealer`, plus the batch destruction the sweeper needs."""

    def __init__(self, keys: KeyStore, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) not in (16, 24, 32):
            raise ConfigurationError("LFR_KEY_ENCRYPTION_KEY must be 16, 24 or 32 bytes (base64)")
        self.keys = keys
        self.kek = key_encryption_key
        self._deferred = threading.local()
        self._held = threading.local()

    @contextmanager
    def holding_new_keys(self) -> Iterator[HeldKeys | None]:
        """Within the block (this thread), a subject sealed for the first time gets a data key
        that is held, not stored: pass the `HeldKeys` to the save of the events (the
        recorders' `with_events`), which stores them in its own transaction. A subject that
        already had a key (or was erased) then makes that save fail: call this only for
        subjects being created. None (and keys stored at once) where the key store is not
        in the event store's database."""
        if not isinstance(self.keys, SqlKeyStore):
            yield None
            return
        held = self._held.keys = HeldKeys(self.keys)
        try:
            yield held
        finally:
            self._held.keys = None

    def seal(self, subject_id: str, plaintext: bytes) -> bytes:
        data_key = self._data_key(subject_id, create=True)
        nonce = os.urandom(NONCE)
        return MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, subject_id.encode())

    def open(self, subject_id: str, sealed: bytes) -> bytes:
        if not sealed.startswith(MAGIC):
            raise ValueError(f"the data of {subject_id} is not sealed by this vault")
        data_key = self._data_key(subject_id, create=False)
        nonce = sealed[len(MAGIC) : len(MAGIC) + NONCE]
        try:
            return AESGCM(data_key).decrypt(
                nonce, sealed[len(MAGIC) + NONCE :], subject_id.encode()
            )
        except InvalidTag:
            raise ValueError(f"the sealed data of {subject_id} is damaged or not its own") from None

    def derived_key(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (e.g. sealing the retention projection), derived from
        the key-encryption key, so it is never stored in the database either."""
        return hmac.new(self.kek, b"lfr:derived-key:" + purpose.encode(), hashlib.sha256).digest()

    def destroy(self, subject_id: str) -> None:
        pending = getattr(self._deferred, "subjects", None)
        if pending is not None:
            pending.append(subject_id)
        else:
            self.keys.destroy([subject_id])

    def destroy_many(self, subject_ids: Sequence[str]) -> int:
        """Destroys many keys in a few statements; returns how many were still live."""
        return self.keys.destroy(subject_ids)

    def is_destroyed(self, subject_id: str) -> bool:
        return self.keys.is_destroyed(subject_id)

    def live_among(self, subject_ids: Sequence[str]) -> list[str]:
        """Those of `subject_ids` whose key still exists."""
        return self.keys.live_among(subject_ids)

    def purge(self) -> int:
        """Removes what the database still keeps of destroyed keys (see the module docstring)."""
        return self.keys.purge()

    @contextmanager
    def deferred_destruction(self) -> Iterator[list[str]]:
        """Within the block (this thread only), `destroy` collects subjects; at the end they are
        destroyed in one batch, also when the block fails, since their erasure events are stored
        before `destroy` is called."""
        pending: list[str] = []
        self._deferred.subjects = pending
        try:
            yield pending
        finally:
            self._deferred.subjects = None
            if pending:
                self.destroy_many(pending)

    def _data_key(self, subject_id: str, create: bool) -> bytes:
        held: HeldKeys | None = getattr(self._held, "keys", None)
        if create and held is not None:
            wrapped = held.keys.setdefault(
                subject_id, aes_key_wrap(self.kek, AESGCM.generate_key(256))
            )
        elif create:  # one round trip for a new subject: insert-if-absent returns the stored key
            wrapped = self.keys.put_new(
                subject_id, aes_key_wrap(self.kek, AESGCM.generate_key(256))
            )
        else:
            stored = self.keys.get(subject_id)
            if stored is None:
                raise DataErased(f"the personal data of {subject_id} has been erased")
            wrapped = stored
        try:
            return aes_key_unwrap(self.kek, wrapped)
        except InvalidUnwrap:
            raise ConfigurationError(
                "LFR_KEY_ENCRYPTION_KEY does not unwrap the stored data keys: wrong key"
            ) from None


class MemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def get(self, subject_id: str) -> bytes | None:
        return self._keys.get(subject_id)

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        with self._lock:
            stored = self._keys.setdefault(subject_id, wrapped)
        if stored is None:
            raise DataErased(f"the personal data of {subject_id} has been erased")
        return stored

    def put_many(self, keys: Mapping[str, bytes]) -> dict[str, bytes | None]:
        """Stores the keys of subjects that have none, at once; returns each subject's stored
        key (its earlier one if it had a key, None if destroyed)."""
        with self._lock:
            return {s: self._keys.setdefault(s, wrapped) for s, wrapped in keys.items()}

    def destroy(self, subject_ids: Iterable[str]) -> int:
        count = 0
        with self._lock:
            for subject in subject_ids:
                count += self._keys.get(subject) is not None
                self._keys[subject] = None
        return count

    def is_destroyed(self, subject_id: str) -> bool:
        return subject_id in self._keys and self._keys[subject_id] is None

    def live_among(self, subject_ids: Sequence[str]) -> list[str]:
        return [s for s in subject_ids if self._keys.get(s) is not None]

    def purge(self) -> int:
        return 0


SQLITE_DDL = """CREATE TABLE IF NOT EXISTS {t} (subject_id TEXT PRIMARY KEY, wrapped_key BLOB,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, destroyed_at TEXT, purged_at TEXT)"""
POSTGRES_DDL = """CREATE TABLE IF NOT EXISTS {t} (subject_id TEXT PRIMARY KEY, wrapped_key BYTEA,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(), destroyed_at TIMESTAMPTZ,
    purged_at TIMESTAMPTZ)"""
# The oldest snapshot another session holds: an old row version may be kept for it.
OLDEST_SNAPSHOT = """SELECT LEAST(now(), MIN(xact_start)) - make_interval(secs => ?)
    FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()
    AND datname = current_database()"""


class SqlKeyStore:
    """Keys in table `lfr_data_keys` of the same database, never in the events.

    `settle_s`: on PostgreSQL, a destruction counts as purged only if it is this much older
    than the oldest snapshot open elsewhere (a destroy is stamped when its statement starts,
    and commits a little later)."""

    def __init__(self, location: Database, settle_s: float = 60.0) -> None:
        self.location = location
        self.settle_s = settle_s
        self.is_sqlite = location.kind == "sqlite"
        self._local = threading.local()
        self._opened: list[Any] = []  # every thread's connection, for `close`
        schema = location.parts.get("schema")
        self.table = f"{schema}.lfr_data_keys" if schema else "lfr_data_keys"
        self._run((SQLITE_DDL if self.is_sqlite else POSTGRES_DDL).format(t=self.table), ())

    def _connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not self.is_sqlite and (conn.closed or conn.broken):
            # The server went away (a restart, a dropped connection): connect afresh, so
            # the services recover by themselves once the database is back.
            self._forget(conn)
            conn = None
        if conn is None:
            if self.is_sqlite:
                conn = sqlite3.connect(
                    self.location.parts["path"], timeout=10, isolation_level=None
                )
                conn.execute("PRAGMA secure_delete = ON")  # freed bytes are zeroed, not left
            else:
                import psycopg

                p = self.location.parts
                conn = psycopg.connect(
                    host=p["host"],
                    port=p["port"],
                    user=p["user"],
                    password=p["password"] or None,
                    dbname=p["dbname"],
                    autocommit=True,
                )
            self._local.conn = conn
            self._opened.append(conn)
        return conn

    def _forget(self, conn: Any) -> None:
        with contextlib.suppress(Exception):
            conn.close()
        with contextlib.suppress(ValueError):
            self._opened.remove(conn)
        self._local.conn = None

    def close(self) -> None:
        """Closes every thread's connection (a thread that uses the store again reopens)."""
        opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def _run(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        statement = sql if self.is_sqlite else sql.replace("?", "%s")
        kept = getattr(self._local, "conn", None)
        try:
            cursor = self._connect().execute(statement, params)
        except Exception as error:
            # A kept connection the server dropped since its last use (a restart) fails at
            # its next statement, which therefore never ran: once more on a new connection.
            if kept is None or self.is_sqlite or not _connection_lost(error):
                raise
            self._forget(kept)
            cursor = self._connect().execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []

    def insert_new(self, cursor: Any, keys: Mapping[str, bytes]) -> None:
        """Inserts new subjects' keys with another transaction's cursor on this database (the
        events'); a subject that already has a key or a tombstone fails that transaction."""
        insert = f"INSERT INTO {self.table} (subject_id, wrapped_key) VALUES (?, ?)"
        cursor.executemany(insert if self.is_sqlite else insert.replace("?", "%s"), keys.items())

    def get(self, subject_id: str) -> bytes | None:
        rows = self._run(
            f"SELECT wrapped_key FROM {self.table} WHERE subject_id = ?", (subject_id,)
        )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        inserted = self._run(
            f"INSERT INTO {self.table} (subject_id, wrapped_key) VALUES (?, ?) "
            "ON CONFLICT (subject_id) DO NOTHING RETURNING wrapped_key",
            (subject_id, wrapped),
        )
        stored = bytes(inserted[0][0]) if inserted else self.get(subject_id)
        if stored is None:  # destroyed before, or by someone else just now
            raise DataErased(f"the personal data of {subject_id} has been erased")
        return stored

    def put_many(self, keys: Mapping[str, bytes]) -> dict[str, bytes | None]:
        """Stores the keys of subjects that have none, in one transaction; returns each
        subject's stored key (its earlier one if it had a key, None if destroyed)."""
        if not keys:
            return {}
        items = list(keys.items())
        insert = (
            f"INSERT INTO {self.table} (subject_id, wrapped_key) VALUES (?, ?) "
            "ON CONFLICT (subject_id) DO NOTHING"
        )
        conn = self._connect()
        if self.is_sqlite:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(insert, items)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        else:  # one statement for the batch, the keys in binary (not one INSERT per key)
            conn.execute(
                f"INSERT INTO {self.table} (subject_id, wrapped_key) "
                "SELECT * FROM unnest(%s::text[], %b::bytea[]) "
                "ON CONFLICT (subject_id) DO NOTHING",
                ([s for s, _ in items], [w for _, w in items]),
            )
        return self._stored(list(keys))

    def _stored(self, subjects: list[str]) -> dict[str, bytes | None]:
        stored: dict[str, bytes | None] = {}
        for start in range(0, len(subjects), 500):
            chunk = subjects[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._run(
                f"SELECT subject_id, wrapped_key FROM {self.table} WHERE subject_id IN ({marks})",
                chunk,
            )
            stored |= {s: bytes(w) if w is not None else None for s, w in rows}
        return stored

    def destroy(self, subject_ids: Iterable[str]) -> int:
        subjects = list(dict.fromkeys(subject_ids))
        total = 0
        for start in range(0, len(subjects), BATCH):
            chunk = subjects[start : start + BATCH]
            total += (
                self._destroy_sqlite(chunk) if self.is_sqlite else self._destroy_postgres(chunk)
            )
        return total

    def _destroy_sqlite(self, subjects: list[str]) -> int:
        conn = self._connect()
        before = conn.total_changes
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                f"UPDATE {self.table} SET wrapped_key = NULL, destroyed_at = CURRENT_TIMESTAMP "
                "WHERE subject_id = ? AND wrapped_key IS NOT NULL",
                [(s,) for s in subjects],
            )
            destroyed = conn.total_changes - before
            # A subject never sealed still gets its tombstone, so no key can be made for it later.
            conn.executemany(
                f"INSERT OR IGNORE INTO {self.table} (subject_id, destroyed_at) "
                "VALUES (?, CURRENT_TIMESTAMP)",
                [(s,) for s in subjects],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(destroyed)

    def _destroy_postgres(self, subjects: list[str]) -> int:
        rows = self._run(
            f"INSERT INTO {self.table} (subject_id, wrapped_key, destroyed_at) "
            "SELECT unnest(?::text[]), NULL, now() ON CONFLICT (subject_id) DO UPDATE "
            "SET wrapped_key = NULL, destroyed_at = now() "
            f"WHERE {self.table}.wrapped_key IS NOT NULL RETURNING xmax::text <> '0'",
            (subjects,),
        )
        return sum(1 for (updated,) in rows if updated)

    def is_destroyed(self, subject_id: str) -> bool:
        rows = self._run(
            f"SELECT destroyed_at FROM {self.table} WHERE subject_id = ?", (subject_id,)
        )
        return bool(rows and rows[0][0])

    def live_among(self, subject_ids: Sequence[str]) -> list[str]:
        live: list[str] = []
        for start in range(0, len(subject_ids), 500):
            chunk = list(subject_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            live += [
                row[0]
                for row in self._run(
                    f"SELECT subject_id FROM {self.table} WHERE wrapped_key IS NOT NULL "
                    f"AND subject_id IN ({marks})",
                    chunk,
                )
            ]
        return live

    def purge(self) -> int:
        """Removes old copies of destroyed keys from the database files; returns how many
        destructions it covered (PostgreSQL) or 0 (SQLite, where each destroy zeroes in place)."""
        if self.is_sqlite:
            self._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return 0
        pending = f"FROM {self.table} WHERE destroyed_at IS NOT NULL AND purged_at IS NULL"
        if not self._run(f"SELECT 1 {pending} LIMIT 1", ()):
            return 0
        horizon = self._run(OLDEST_SNAPSHOT, (self.settle_s,))[0][0]
        self._run(f"VACUUM FULL {self.table}", ())
        return len(
            self._run(
                f"UPDATE {self.table} SET purged_at = now() WHERE subject_id IN "
                f"(SELECT subject_id {pending} AND destroyed_at < ?) RETURNING 1",
                (horizon,),
            )
        )


def _connection_lost(error: Exception) -> bool:
    import psycopg

    return isinstance(error, psycopg.OperationalError)
