"""The vault: each data subject's personal data sealed with AES-GCM under its own data key.

Data keys are wrapped (RFC 3394) by the key-encryption key from the settings and kept in their
own table, apart from the events. Destroying a key makes every sealed copy unreadable, while the
ciphertext stays in the events so the ledger still verifies.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from domain.errors import DataErased
from runtime.settings import StoreLocation

MAGIC = b"LFRv1"
NONCE = 12


class KeyStore(Protocol):
    def get(self, subject_id: str) -> bytes | None: ...
    def put_new(self, subject_id: str, wrapped: bytes) -> bytes: ...
    def destroy(self, subject_ids: Iterable[str]) -> int: ...
    def is_destroyed(self, subject_id: str) -> bool: ...


class Vault:
    """Implements `domain.sealing.Sealer`."""

    def __init__(self, keys: KeyStore, key_encryption_key: bytes) -> None:
        self.keys = keys
        self.kek = key_encryption_key

    def seal(self, subject_id: str, plaintext: bytes) -> bytes:
        data_key = self._data_key(subject_id, create=True)
        nonce = os.urandom(NONCE)
        return MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, subject_id.encode())

    def open(self, subject_id: str, sealed: bytes) -> bytes:
        data_key = self._data_key(subject_id, create=False)
        nonce = sealed[len(MAGIC): len(MAGIC) + NONCE]
        return AESGCM(data_key).decrypt(nonce, sealed[len(MAGIC) + NONCE:], subject_id.encode())

    def destroy(self, subject_id: str) -> None:
        self.keys.destroy([subject_id])

    def _data_key(self, subject_id: str, create: bool) -> bytes:
        wrapped = self.keys.get(subject_id)
        if wrapped is None:
            if not create or self.keys.is_destroyed(subject_id):
                raise DataErased(f"the personal data of {subject_id} has been erased")
            wrapped = self.keys.put_new(subject_id, aes_key_wrap(self.kek, AESGCM.generate_key(256)))
        return aes_key_unwrap(self.kek, wrapped)


class MemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}

    def get(self, subject_id: str) -> bytes | None:
        return self._keys.get(subject_id)

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        return self._keys.setdefault(subject_id, wrapped) or wrapped

    def destroy(self, subject_ids: Iterable[str]) -> int:
        count = 0
        for subject in subject_ids:
            count += self._keys.get(subject) is not None
            self._keys[subject] = None
        return count

    def is_destroyed(self, subject_id: str) -> bool:
        return subject_id in self._keys and self._keys[subject_id] is None


CREATE = """CREATE TABLE IF NOT EXISTS {t} (
    subject_id TEXT PRIMARY KEY, wrapped_key {blob}, created_at TEXT NOT NULL, destroyed_at TEXT)"""


class SqlKeyStore:
    """Keys in table `lfr_data_keys` of the same database, never in the events."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self._lock = threading.Lock()
        self._local = threading.local()
        schema = location.parts.get("schema")
        self.table = f"{schema}.lfr_data_keys" if schema else "lfr_data_keys"
        blob, self.mark = ("BLOB", "?") if location.kind == "sqlite" else ("BYTEA", "%s")
        self._run(CREATE.format(t=self.table, blob=blob), ())

    def _connect(self):  # type: ignore[no-untyped-def]
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.location.kind == "sqlite":
                conn = sqlite3.connect(self.location.parts["path"], timeout=10, isolation_level=None)
            else:
                import psycopg

                p = self.location.parts
                conn = psycopg.connect(host=p["host"], port=p["port"], user=p["user"],
                                       password=p["password"] or None, dbname=p["dbname"],
                                       autocommit=True)
            self._local.conn = conn
        return conn

    def _run(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        cursor = self._connect().execute(sql.replace("?", self.mark), params)
        return list(cursor.fetchall()) if cursor.description else []

    def get(self, subject_id: str) -> bytes | None:
        rows = self._run(f"SELECT wrapped_key FROM {self.table} WHERE subject_id = ?", (subject_id,))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None  # type: ignore[arg-type]

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        now = datetime.now(UTC).isoformat()
        self._run(f"INSERT INTO {self.table} (subject_id, wrapped_key, created_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (subject_id) DO NOTHING", (subject_id, wrapped, now))
        stored = self.get(subject_id)
        if stored is None:
            raise DataErased(f"the personal data of {subject_id} has been erased")
        return stored

    def destroy(self, subject_ids: Iterable[str]) -> int:
        now = datetime.now(UTC).isoformat()
        total = 0
        for subject in subject_ids:
            rows = self._run(
                f"UPDATE {self.table} SET wrapped_key = NULL, destroyed_at = ? "
                "WHERE subject_id = ? AND wrapped_key IS NOT NULL RETURNING subject_id", (now, subject))
            total += len(rows)
        return total

    def is_destroyed(self, subject_id: str) -> bool:
        rows = self._run(f"SELECT destroyed_at FROM {self.table} WHERE subject_id = ?", (subject_id,))
        return bool(rows and rows[0][0])
