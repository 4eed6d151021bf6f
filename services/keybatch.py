"""Data keys for a whole ingest batch, written in one transaction instead of one per alert.

A key store wrapper for `adapters.vault.Vault`: while a batch is open, new keys are held
here and written together by `flush()` (the key store's `put_many`, one transaction)
before the batch's events are stored. `flush` raises `IntegrityError` if any subject
already had another key (a key left by an earlier attempt that crashed, or destroyed):
the ingest then retries those messages one at a time with the plain key store, which
reuses the stored key.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def close_batch(self) -> None:
        self.pending = None

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

    def flush(self) -> None:
        """Writes the batch's new keys in one transaction; refuses if any subject had a key."""
        if not self.pending:
            return
        stored = self.keys.put_many(self.pending)
        if any(stored.get(s) != w for s, w in self.pending.items()):
            raise IntegrityError("a data key already existed for a subject of this batch")
