"""In-memory recorders that keep a ledger too, so unit tests exercise the same API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import eventsourcing.popo as es_popo
from eventsourcing.persistence import ApplicationRecorder, ProcessRecorder, StoredEvent

from adapters.persistence.memstore import MemoryLedgerStore
from ledger.leaf import StoredRow, row_leaf_hash, text_id
from ledger.source import LeafRecord

LOG = "stored_events"


class _LedgerMixin:
    """Appends leaf records under the recorder's lock, as the events are appended."""

    _database_lock: Any
    _stored_events: list[StoredEvent]

    def _init_ledger(self) -> None:
        self.ledger_store = MemoryLedgerStore(self._stored_events, self._database_lock, LOG)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of many aggregates, each aggregate's in version order."""
        found: list[StoredEvent] = []
        for originator_id in originator_ids:
            found += self.select_events(originator_id)  # type: ignore[attr-defined]
        return found

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._update_table(stored_events, **kwargs)  # type: ignore[misc]
        leaves = self.ledger_store.leaves
        for nid, e in zip(ids, stored_events, strict=True):
            row = StoredRow(
                LOG, nid, text_id(e.originator_id), e.originator_version, e.topic, e.state
            )
            leaves.append(LeafRecord(len(leaves), LOG, nid, row_leaf_hash(row)))
        return ids


class LedgeredPOPOApplicationRecorder(_LedgerMixin, es_popo.POPOApplicationRecorder):
    """The library's in-memory application recorder, keeping the ledger."""

    def __init__(self) -> None:
        super().__init__()
        self._init_ledger()


class LedgeredPOPOProcessRecorder(_LedgerMixin, es_popo.POPOProcessRecorder):
    """The library's in-memory process recorder, keeping the ledger."""

    def __init__(self) -> None:
        super().__init__()
        self._init_ledger()


class LedgeredPOPOFactory(es_popo.POPOFactory):
    """The library's in-memory factory with ledgered recorders."""

    def application_recorder(self) -> ApplicationRecorder:
        return LedgeredPOPOApplicationRecorder()

    def process_recorder(self) -> ProcessRecorder:
        return LedgeredPOPOProcessRecorder()


Factory = LedgeredPOPOFactory
