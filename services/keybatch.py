"""Data keys for a whole ingest run, written together instead of one per alert.

A key store wrapper for `adapters.vault.Vault`: while a batch is open, new keys are held
here; `close_batch` hands them over, and the ingest stores them with the run's events:
in the events' own transaction (`written_with_events`) where the key store is in their
database, else by `store` (the key store's `put_many`, one transaction) just before. Either
fails (`IntegrityError`) if any subject already had another key (a key left by an earlier
attempt, or destroyed): the ingest then retries those messages one at a time with the
plain key store, which reuses the stored key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eventsourcing.persistence import IntegrityError


class BatchKeys:
    """Implements the vault's `KeyStore` over another one (see the module docstring)."""

    def __init__(self, keys: Any) -> None:
        self.keys = keys
        self.pending: dict[str, bytes] | None = None

    def __getattr__(self, name: str) -> Any:  # everything else: the real key store
        return getattr(self.keys, name)

    def open_batch(self) -> None:
        self.pending = {}

    def close_batch(self) -> dict[str, bytes]:
        """Ends the batch; returns the new keys it made."""
        made, self.pending = self.pending or {}, None
        return made

    def get(self, subject_id: str) -> bytes | None:
        if self.pending is None:
            return self.keys.get(subject_id)
        return self.pending.get(subject_id)  # new subjects only; flush checks the store

    def is_destroyed(self, subject_id: str) -> bool:
        return False if self.pending is not None else bool(self.keys.is_destroyed(subject_id))

    def put_new(self, subject_id: str, wrapped: bytes) -> bytes:
        if self.pending is None:
            return self.keys.put_new(subject_id, wrapped)
        return self.pending.setdefault(subject_id, wrapped)

    def destroy(self, subject_ids: Iterable[str]) -> int:
        return int(self.keys.destroy(subject_ids))

    def store(self, keys: Mapping[str, bytes]) -> None:
        """Writes new keys in one transaction; refuses if any subject had a key."""
        stored = self.keys.put_many(keys)
        if any(stored.get(s) != w for s, w in keys.items()):
            raise IntegrityError("a data key already existed for a subject of this batch")

    def written_with_events(self, keys: Mapping[str, bytes]) -> NewKeys | None:
        """New keys as a write for the events' own transaction (the recorders'
        `with_events`), or None where the key store is not in the events' database."""
        insert_new = getattr(self.keys, "insert_new", None)
        return NewKeys(insert_new, keys) if insert_new is not None else None


class NewKeys:
    """New subjects' keys inserted by the events' transaction (`write`, called by the event
    store's recorder with its cursor); a subject that had a key fails that transaction."""

    def __init__(self, insert_new: Callable[[Any, Mapping[str, bytes]], None], keys: Any) -> None:
        self.insert_new = insert_new
        self.keys = keys

    def write(self, cursor: Any) -> None:
        self.insert_new(cursor, self.keys)
