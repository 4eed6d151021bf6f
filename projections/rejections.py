"""A worker message the ingest could not turn into a domain command, and why.

Recorded as an event (so it is in the ledger and the audit timeline) in the same
transaction as the message's offset: the ingest never stops on a bad message, and never
silently drops one. Only the reason and the message's coordinates are kept, never its
content (a match message carries a face crop).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.values import Audit

REASON_LIMIT = 500


class MessageRejected(Aggregate):
    """One rejected message; its id comes from topic, partition and offset (replay: no-op)."""

    @staticmethod
    def create_id(topic: str, partition: int, offset: int, **_: Any) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"lfr:rejected-message:{topic}:{partition}:{offset}")

    @event("MessageRejected")
    def __init__(
        self, audit: Audit, topic: str, partition: int, offset: int, message_id: str, reason: str
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.message_id = message_id
        self.reason = reason[:REASON_LIMIT]
