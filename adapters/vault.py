"""The vault: each data subject's personal data sealed with AES-GCM under its own data key.

Data keys are wrapped (RFC 3394) by the key-encryption key (KEK) from the settings and kept in
their own table, `lfr_data_keys`, apart from the events but in their database, through the
event store's own connection pool (`adapters.persistence.keystore`). Destroying a key makes
every sealed copy unreadable, while the ciphertext stays in the events so the ledger still verifies.

What "destroyed" means on disk:

- The row stays as a tombstone (wrapped key NULL, `destroyed_at` set), so a destroyed subject can
  never be given a fresh key and `open` can say "erased" rather than "unknown".
- SQLite: the key store's writes run with `PRAGMA secure_delete`, which zeroes the freed
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

import hashlib
import hmac
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from adapters.persistence.keystore import SqlKeyStore
from domain.errors import DataErased
from services.errors import ConfigurationError

__all__ = [
    "HeldKeys",
    "KeyStore",
    "KeysDestroyedWithEvents",
    "MemoryKeyStore",
    "SqlKeyStore",
    "Vault",
]

MAGIC = b"LFRv1"
NONCE = 12


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


class KeysDestroyedWithEvents:
    """Data keys destroyed by the events' own transaction (`write`, called by the event
    store's recorder with its cursor): erasure events and their subjects' key destructions
    commit or fail together, so no erasure is ever stored with its key still live."""

    def __init__(self, store: SqlKeyStore, subject_ids: Sequence[str]) -> None:
        self.store = store
        self.subject_ids = list(subject_ids)

    def write(self, cursor: Any) -> None:
        if self.subject_ids:
            self.store.destroy_with_events(cursor, self.subject_ids)


class Vault:
    """Implements `domain.sealing.Sealer`, plus the batch destruction the sweeper needs."""

    def __init__(self, keys: KeyStore, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) not in (16, 24, 32):
            raise ConfigurationError("LFR_KEY_ENCRYPTION_KEY must be 16, 24 or 32 bytes (base64)")
        self.keys = keys
        self.kek = key_encryption_key
        self._deferred = threading.local()
        self._held = threading.local()

    def holding_new_keys(self) -> AbstractContextManager[HeldKeys | None]:
        """Within the block (this thread), a subject sealed for the first time gets a data key
        that is held, not stored: pass the `HeldKeys` to the save of the events (the
        recorders' `with_events`), which stores them in its own transaction. A subject that
        already had a key (or was erased) then makes that save fail: call this only for
        subjects being created. None (and keys stored at once) where the key store is not
        in the event store's database."""
        if not isinstance(self.keys, SqlKeyStore):
            return nullcontext()  # entered for every alert the ingest raises: no generator
        return self._holding(self.keys)

    @contextmanager
    def _holding(self, keys: SqlKeyStore) -> Iterator[HeldKeys]:
        held = self._held.keys = HeldKeys(keys)
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

    def destroyed_with_events(self, subject_ids: Sequence[str]) -> KeysDestroyedWithEvents | None:
        """The destruction of the subjects' keys, for the save of their erasure events to
        run in its own transaction (the recorders' `with_events`); None where the key store is
        not in the event store's database (then `destroy` them once the events are stored)."""
        if not isinstance(self.keys, SqlKeyStore):
            return None
        return KeysDestroyedWithEvents(self.keys, subject_ids)

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
        if create:
            made = AESGCM.generate_key(256)
            wrapped_made = aes_key_wrap(self.kek, made)
            if held is not None:
                wrapped = held.keys.setdefault(subject_id, wrapped_made)
            else:  # one round trip for a new subject: insert-if-absent returns the stored key
                wrapped = self.keys.put_new(subject_id, wrapped_made)
            if wrapped == wrapped_made:
                return made  # the key just made is the subject's: no need to unwrap it
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
