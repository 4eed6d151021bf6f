"""The ingest's application service: the domain service deciding a run of the worker's
messages and storing it, events, offset and new data keys, in one transaction.

The flow that feeds it is services/ingest.py; what each message becomes,
services/ingest_messages.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ProcessRecorder, StoredEvent, Tracking

from domain.deployment import Deployment
from recognition.credential import CredentialVerifier
from recognition.sealing import ProbeKeyPair
from services.base import Collected
from services.keybatch import BatchKeys
from services.lfr import LfrService

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Message:
    """One message as read from the broker: where it came from, and its bytes."""

    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None


@dataclass
class IngestReport:
    """What a call stored: alerts, faces-seen tallies, rejections (offset, reason), skips."""

    alerts: int = 0
    tallies: int = 0
    rejected: list[tuple[str, int, int, str]] = field(default_factory=list)
    already_stored: int = 0

    def add(self, other: IngestReport) -> None:
        self.alerts += other.alerts
        self.tallies += other.tallies
        self.rejected += other.rejected
        self.already_stored += other.already_stored

    @property
    def messages(self) -> int:
        return self.alerts + self.tallies + len(self.rejected)


def tracking_name(topic: str, partition: int, epoch: int = 0) -> str:
    """Where a topic-partition's offsets are tracked; epoch 0 keeps the original name."""
    return f"kafka:{topic}:{partition}" + (f":{epoch}" if epoch else "")


@dataclass
class DecidedRun:
    """A run of messages decided: what one transaction stores (`IngestService.store`)."""

    messages: Sequence[Message]
    report: IngestReport = field(default_factory=IngestReport)
    events: list[StoredEvent] = field(default_factory=list)
    tracking: Tracking | None = None
    new_keys: dict[str, bytes] = field(default_factory=dict)
    aggregates: Mapping[UUID, Any] = field(default_factory=dict)


class IngestService(LfrService):
    """The domain service on a process recorder, collecting a run's events to store at once.

    Inside `deciding(run)`, commands collect their events instead of saving them; `store(run)`
    then stores them, the tracking record and the new data keys in one transaction."""

    name = LfrService.name  # the same events tables as the domain service

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        shared_recorder: Any = None,
        probe_keys: ProbeKeyPair,
        credentials: CredentialVerifier,
        keys: BatchKeys | None = None,
        **kwargs: Any,
    ) -> None:
        self._shared_recorder = shared_recorder
        super().__init__(env, **kwargs)
        self.keys = keys
        # Opens the probe crops workers sealed to this ingest's public key.
        self.probe_keys = probe_keys
        # Checks each message's proof of the sending worker's token.
        self.credentials = credentials
        # The broker-log epoch of each topic (domain/broker_log.py); 0 until a log change.
        self.epochs: dict[str, int] = {}
        self._optimistic = False
        self._batch: Collected | None = None
        self._batch_ids: set[UUID] = set()
        self._deployments: dict[UUID, Deployment] = {}
        # Only an in-memory store shared with another service lacks a process recorder.
        self._memory_offsets: dict[str, int] = {}

    def construct_recorder(self) -> Any:
        if self._shared_recorder is not None:
            return self._shared_recorder
        return self.factory.process_recorder()

    def offset(self, topic: str, partition: int) -> int | None:
        """The last offset stored for a topic-partition, or None before the first."""
        name = self.tracking_name(topic, partition)
        if isinstance(self.recorder, ProcessRecorder):
            return self.recorder.max_tracking_id(name)
        return self._memory_offsets.get(name)

    def tracking_name(self, topic: str, partition: int) -> str:
        return tracking_name(topic, partition, self.epochs.get(topic, 0))

    @property
    def events_decided(self) -> int:
        """How many events the run being decided holds so far."""
        return len(self._batch.events) if self._batch is not None else 0

    @contextmanager
    def deciding(self, run: DecidedRun, optimistic: bool = True) -> Iterator[None]:
        """Commands in the block collect their events instead of saving them; at its end the
        run holds them encoded, its tracking record (its last offset) and its new data keys.

        Optimistic: no per-message existence or key reads; a duplicate then fails the
        whole transaction (IntegrityError) and the caller retries one message at a time."""
        last = run.messages[-1]
        name = self.tracking_name(last.topic, last.partition)
        self._batch = batch = Collected(tracking=Tracking(name, last.offset))
        self._optimistic = optimistic and self.keys is not None
        if self._optimistic and self.keys is not None:
            self.keys.open_batch()
        try:
            yield
            to_stored = self.mapper.to_stored_event
            run.events = [to_stored(event) for event in batch.events]
            run.tracking, run.aggregates = batch.tracking, batch.aggregates
        finally:
            if self.keys is not None:
                run.new_keys = self.keys.close_batch()
            self._optimistic = False
            self._batch = None
            self._batch_ids.clear()
            self._deployments.clear()

    def store(self, run: DecidedRun) -> None:
        """One transaction: the run's events, its tracking record, and its new data keys
        where the key store can write them in the events' transaction (else in one of their
        own just before: a crash between the two leaves keys no event uses, never an event
        without its key). The library's `_record` without the recordings it returns (a
        frozen notification and recording per event, which nothing here reads)."""
        assert run.tracking is not None, "a run is stored once decided"
        with_events: dict[str, Any] = {}
        if run.new_keys and self.keys is not None:
            written = None
            if getattr(self.recorder, "writes_with_events", False):
                written = self.keys.written_with_events(run.new_keys)
            if written is None:
                self.keys.store(run.new_keys)
            else:
                with_events["with_events"] = (written,)
        self.recorder.insert_events(run.events, tracking=run.tracking, **with_events)
        if not isinstance(self.recorder, ProcessRecorder):
            self._memory_offsets[run.tracking.application_name] = run.tracking.notification_id

    def cache(self, run: DecidedRun) -> None:
        """Once the run is stored: its aggregates, as stored, in the aggregate cache."""
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in run.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)

    def commit(self, *aggregates: Aggregate | Aggregate.Event, **with_events: Any) -> None:
        if self._batch is None:
            super().commit(*aggregates, **with_events)
            return
        self._batch.collect_events(*aggregates)
        self._batch_ids.update(
            a.id if isinstance(a, Aggregate) else a.originator_id for a in aggregates
        )

    def exists(self, aggregate_id: UUID) -> bool:
        if aggregate_id in self._batch_ids:
            return True
        return False if self._optimistic else super().exists(aggregate_id)

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        # A batch reads each deployment once; alerts and tallies never change it.
        if self._batch is None or cls is not Deployment:
            return super().load(cls, aggregate_id)
        if aggregate_id not in self._deployments:
            self._deployments[aggregate_id] = super().load(Deployment, aggregate_id)
        return self._deployments[aggregate_id]  # type: ignore[return-value]
