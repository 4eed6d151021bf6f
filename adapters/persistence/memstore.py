"""The ledger of an in-memory recorder: the same interface as the SQL stores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.leaf import StoredRow, text_id
from ledger.source import LeafRecord, StoredCheckpoint


class MemoryLedgerStore:
    """Leaf records, node cache and checkpoints in lists beside the recorder's events."""

    def __init__(self, events: list[StoredEvent], lock: Any, log: str) -> None:
        self.events = events
        self.lock = lock
        self.log = log
        self.leaves: list[LeafRecord] = []
        self.node_cache: dict[tuple[int, int], bytes] = {}
        self.checkpoints: list[StoredCheckpoint] = []

    def create_tables(self) -> None:
        """Nothing to create in memory."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Hold the recorder's lock, so nothing is appended while reading."""
        with self.lock:
            yield

    def log_names(self) -> list[str]:
        return [self.log]

    def leaf_records(self) -> Iterator[LeafRecord]:
        yield from list(self.leaves)

    def stored_events(
        self, log: str, after: int = 0, limit: int | None = None
    ) -> Iterator[StoredRow]:
        stop = len(self.events) if limit is None else min(len(self.events), after + limit)
        for position in range(after, stop):
            e = self.events[position]
            yield StoredRow(
                log, position + 1, text_id(e.originator_id), e.originator_version, e.topic, e.state
            )

    def stored_checkpoints(self) -> list[StoredCheckpoint]:
        return list(self.checkpoints)

    def size(self) -> int:
        return len(self.leaves)

    def entries_for(self, notification_id: int) -> list[LeafRecord]:
        return [leaf for leaf in self.leaves if leaf.notification_id == notification_id]

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]:
        return {i: self.leaves[i].leaf_hash for i in indexes if 0 <= i < len(self.leaves)}

    def leaf_hash_range(self, start: int, end: int) -> list[bytes]:
        return [leaf.leaf_hash for leaf in self.leaves[start:end]]

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {key: self.node_cache[key] for key in keys if key in self.node_cache}

    def built_size(self) -> int:
        return max((c.tree_size for c in self.checkpoints), default=0)

    def add_checkpoint(
        self, tree_size: int, body: str, signatures: str, nodes: Sequence[tuple[int, int, bytes]]
    ) -> int:
        self.node_cache.update(((level, idx), digest) for level, idx, digest in nodes)
        seq = len(self.checkpoints) + 1
        self.checkpoints.append(StoredCheckpoint(seq, tree_size, body, signatures))
        return seq

    def set_signatures(self, seq: int, signatures: str) -> None:
        old = self.checkpoints[seq - 1]
        self.checkpoints[seq - 1] = old._replace(signatures=signatures)

    def latest_stored_checkpoint(self, tree_size: int | None = None) -> StoredCheckpoint | None:
        found = [c for c in self.checkpoints if tree_size is None or c.tree_size == tree_size]
        return found[-1] if found else None

    def replace_checkpoint(self, seq: int, body: str, signatures: str) -> None:
        self.checkpoints[seq - 1] = self.checkpoints[seq - 1]._replace(
            body=body, signatures=signatures
        )

    def replace_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        self.node_cache = {(level, idx): digest for level, idx, digest in nodes}

    def leaf_records_between(self, start: int, end: int) -> list[LeafRecord]:
        return list(self.leaves[start:end])
