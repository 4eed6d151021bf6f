"""Which broker log the ingest's stored offsets belong to, and every time that log changed.

Kafka offsets mean something only in one topic of one cluster. The ingest binds each topic
it reads to the log it found (cluster id, topic id), and when it meets another log (a
reset broker, a recreated topic, a log shorter than the stored offsets) it records the
change, what it found and how it resumed, instead of skipping the new log's messages.
Each binding has an epoch: offsets of epoch n are tracked apart from those of epoch n-1,
so the new log's offsets start afresh without colliding with the old ones.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.values import Audit


class BrokerLog(Aggregate):
    """The log one topic's offsets come from (one per topic name)."""

    @staticmethod
    def create_id(topic: str, **_: Any) -> UUID:
        return uuid5(NAMESPACE_URL, f"lfr:broker-log:{topic}")

    @event("BrokerLogBound")
    def __init__(self, audit: Audit, topic: str, cluster_id: str, topic_id: str) -> None:
        self.topic = topic
        self.cluster_id = cluster_id
        self.topic_id = topic_id
        self.epoch = 0
        self.resume_offsets: dict[str, int] = {}

    @event("BrokerLogChanged")
    def changed(
        self,
        audit: Audit,
        cluster_id: str,
        topic_id: str,
        finding: str,
        policy: str,
        epoch: int,
        resume_offsets: dict[str, int],
    ) -> None:
        """Another log was found (`finding` says how); offsets restart at `epoch`, each
        partition (by its number as text) at `resume_offsets`."""
        self.cluster_id = cluster_id
        self.topic_id = topic_id
        self.epoch = epoch
        self.resume_offsets = dict(resume_offsets)

    @event("BrokerLogChangeRefused")
    def refused(self, audit: Audit, cluster_id: str, topic_id: str, finding: str) -> None:
        """Another log was found and the policy said stop: nothing was read from it."""
