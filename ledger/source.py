"""What verification reads, wherever the ledger lives (a database or an export).

A source gives the ledger's leaf records (index, log, notification id, leaf hash) in
ledger order, each log's stored events in notification order, and the stored
checkpoints. `aligned` walks the two side by side, pairing each leaf record with its
event, so verification and export see deleted and inserted events the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

from ledger.leaf import StoredRow


class LeafRecord(NamedTuple):
    """The ledger's record of one entry: where it is and the hash it had when appended."""

    position: int
    log: str
    notification_id: int
    leaf_hash: bytes


class StoredCheckpoint(NamedTuple):
    """A checkpoint row as stored: its tree size column, signed body and signatures (JSON)."""

    seq: int
    tree_size: int
    body: str
    signatures: str


class LedgerSource(Protocol):
    """Read access to a ledger and the events it covers."""

    def snapshot(self) -> AbstractContextManager[None]:
        """Read everything below from one consistent state of the store."""
        ...

    def log_names(self) -> list[str]:
        """The events tables (logs) the ledger covers."""
        ...

    def leaf_records(self) -> Iterator[LeafRecord]:
        """Every leaf record, in ledger index order."""
        ...

    def stored_events(self, log: str) -> Iterator[StoredRow]:
        """Every stored event of one log, in notification order."""
        ...

    def stored_checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint, oldest first."""
        ...


Pair = tuple[LeafRecord | None, StoredRow | None]


def aligned(leaves: Iterable[LeafRecord], logs: dict[str, Iterator[StoredRow]]) -> Iterator[Pair]:
    """Pair each leaf record with its stored event, in ledger order.

    `(leaf, None)`: the ledger records an event the store no longer holds;
    `(None, event)`: the store holds an event the ledger never recorded.
    """
    current: dict[str, StoredRow | None] = {log: next(it, None) for log, it in logs.items()}
    for leaf in leaves:
        if leaf.log not in current:
            yield leaf, None
            continue
        stream = logs[leaf.log]
        event = current[leaf.log]
        while event is not None and event.notification_id < leaf.notification_id:
            yield None, event
            event = next(stream, None)
        if event is not None and event.notification_id == leaf.notification_id:
            yield leaf, event
            event = next(stream, None)
        else:
            yield leaf, None
        current[leaf.log] = event
    for log, event in current.items():
        while event is not None:
            yield None, event
            event = next(logs[log], None)
