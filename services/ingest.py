"""The ingest: the worker's messages become domain commands, each offset stored with them.

    ingest = open_ingest(settings, services)         # an IngestService (an LfrService)
    report = ingest_batch(ingest, messages)          # messages: Sequence[Message]
    report = drain_broker(ingest, broker)            # the embedded default's InProcessBroker

A `MatchEvent` becomes `raise_alert` (actor: the worker its token names, match id = the message's
event id, so a replay finds its alert and is a no-op); a `FacesSeenCount` becomes
`count_faces`. The events of a run of messages from one topic-partition and a tracking
record `Tracking("kafka:<topic>:<partition>", last offset)` are stored in ONE transaction
of the library's process recorder (ledgered like every other write), so a crash at any
point loses nothing and duplicates nothing: on restart the ingest resumes after the
stored offset. A run is split into transactions of at most `MAX_RUN_MESSAGES` messages
and about `MAX_RUN_BYTES` bytes: one very large INSERT stalls psycopg's pipeline mode.
A message that does not parse, is of a schema version the ingest does not know, carries no
valid proof of a worker token covering its deployment and camera (recognition/credential.py),
carries a probe not sealed to this ingest's key, or that the domain refuses (deployment not live,
unknown entry, score below threshold...), is recorded as a `MessageRejected` event with
its reason in that same transaction, and the ingest goes on.

After the broker's log changed (domain/broker_log.py) a topic's offsets are tracked under
a new epoch: `kafka:<topic>:<partition>:<epoch>`.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking

from domain.access import BoundWorker, worker
from domain.deployment import Deployment
from domain.errors import DomainError
from domain.records import MessageRejected
from domain.values import Actor, Role
from recognition.credential import CredentialRefused, CredentialVerifier, WorkerBinding
from recognition.events import (
    FACES_SEEN_TOPIC,
    MATCHES_TOPIC,
    FacesSeenCount,
    MatchEvent,
    UnsupportedSchema,
)
from recognition.sealing import ProbeKeyPair, SealError
from services.base import Collected
from services.keybatch import BatchKeys
from services.lfr import LfrService, Match

A = TypeVar("A", bound=Aggregate)
INGEST_ACTOR = Actor("ingest", Role.SYSTEM)
MALFORMED = (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError)
# A transaction's bounds: psycopg's pipeline mode deadlocks on one INSERT of a few MB.
MAX_RUN_MESSAGES = 500
MAX_RUN_BYTES = 1_000_000


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


class IngestService(LfrService):
    """The domain service on a process recorder, collecting a batch's events to store at once.

    Inside `batch(tracking)`, commands collect their events instead of saving them; the
    events and the tracking record are then stored in one transaction."""

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
        self._batch: ProcessingEvent[UUID] | None = None
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

    @contextmanager
    def batch(self, tracking: Tracking, optimistic: bool = True) -> Iterator[None]:
        """Collects the commands' events; stores them with `tracking` at the end.

        Optimistic: no per-message existence or key reads; a duplicate then fails the
        whole transaction (IntegrityError) and the caller retries one message at a time."""
        self._batch = Collected(tracking=tracking)
        self._optimistic = optimistic and self.keys is not None
        if self._optimistic and self.keys is not None:
            self.keys.open_batch()
        try:
            yield
            if self._optimistic and self.keys is not None:
                self.keys.flush()
            self._store(self._batch)
            if not isinstance(self.recorder, ProcessRecorder):
                self._memory_offsets[tracking.application_name] = tracking.notification_id
        finally:
            if self.keys is not None:
                self.keys.close_batch()
            self._optimistic = False
            self._batch = None
            self._batch_ids.clear()
            self._deployments.clear()

    def _store(self, batch: ProcessingEvent[UUID]) -> None:
        """The library's `_record` without the recordings it returns (a frozen notification and
        recording per event, which nothing here reads): the events, the tracking record and
        what the commands gave to store with them, in one transaction."""
        to_stored = self.mapper.to_stored_event
        self.recorder.insert_events(
            [to_stored(event) for event in batch.events],
            tracking=batch.tracking,
            **batch.saved_kwargs,
        )
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in batch.aggregates.items():
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


def _sender(ingest: IngestService, value: bytes) -> tuple[WorkerBinding, dict[str, Any]]:
    """The worker that sent a message, as its token binds it (recognition/credential.py),
    and the message's fields (read once): refused unless the message carries a valid
    credential and proof, sent within the token's life. The domain then refuses a deployment
    or camera the token does not cover, a forged watchlist version or model, and a probe
    that is not a JPEG."""
    return ingest.credentials.verify(value)


def _worker(binding: WorkerBinding, moment: str | datetime) -> BoundWorker:
    """The worker as its token binds it, once the message's time is within the token's life."""
    binding.require_covers(
        moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    )
    return worker(binding.worker_id, binding.deployment_id, binding.cameras)


def _uuid(text: str) -> UUID:
    """An id from a message: text, or the message is malformed (TypeError, ValueError)."""
    if not isinstance(text, str):
        raise TypeError(f"an id must be text, not {type(text).__name__}")
    return _parsed_uuid(text)


@lru_cache(maxsize=4096)
def _parsed_uuid(text: str) -> UUID:
    # A batch names a few deployments and watchlist entries thousands of times: each is
    # parsed once (a UUID is immutable, so one object serves them all).
    return UUID(text)


def _match_command(ingest: IngestService, value: bytes) -> None:
    sender, fields = _sender(ingest, value)  # before anything else: a stranger's probe stays shut
    event = MatchEvent.from_json(fields, ingest.probe_keys)
    observed_at = datetime.fromisoformat(event.observed_at)
    ingest.raise_alert(
        _worker(sender, observed_at),
        Match(
            match_id=event.event_id,
            deployment_id=_uuid(event.deployment_id),
            entry_id=_uuid(event.entry_id),
            camera_id=event.camera_id,
            observed_at=observed_at,
            score=float(event.score),
            model={"id": event.model_id, "version": event.model_version},
            watchlist_version=event.watchlist_version,
            track_id=event.track_id,
            probe_jpeg=event.probe_bytes(),
        ),
    )


def _faces_command(ingest: IngestService, value: bytes) -> None:
    sender, fields = _sender(ingest, value)
    count = FacesSeenCount.from_json(fields)
    ingest.count_faces(
        _worker(sender, count.interval_end),
        _uuid(count.deployment_id),
        count.camera_id,
        datetime.fromisoformat(count.interval_start),
        datetime.fromisoformat(count.interval_end),
        int(count.faces_seen),
        int(count.faces_passed_quality),
    )


COMMANDS: dict[str, Callable[[IngestService, bytes], None]] = {
    MATCHES_TOPIC: _match_command,
    FACES_SEEN_TOPIC: _faces_command,
}


def _reject(ingest: IngestService, message: Message, reason: str) -> None:
    try:
        payload = json.loads(message.value)
        ids = payload if isinstance(payload, dict) else {}
    except MALFORMED:
        ids = {}
    audit = ingest.audit(INGEST_ACTOR, deployment_id=str(ids.get("deployment_id", ""))[:64])
    rejected = MessageRejected(
        audit=audit,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        message_id=str(ids.get("event_id", ""))[:64],
        reason=reason,
    )
    ingest.commit(rejected)


def _handle(ingest: IngestService, message: Message, report: IngestReport) -> None:
    command = COMMANDS.get(message.topic)
    before = len(ingest._batch.events) if ingest._batch else 0
    try:
        if command is None:
            raise ValueError(f"no command for topic {message.topic!r}")
        command(ingest, message.value)
    except DomainError as error:
        reason = f"refused: {error}"
    except UnsupportedSchema as error:
        reason = f"unsupported schema: {error}"
    except SealError as error:
        reason = f"sealed probe refused: {error}"
    except CredentialRefused as error:
        reason = f"worker credential refused: {error}"
    except MALFORMED as error:
        reason = f"malformed {message.topic} message: {type(error).__name__}: {error}"
    else:
        stored = (len(ingest._batch.events) if ingest._batch else 0) > before
        if not stored:
            report.already_stored += 1
        elif message.topic == MATCHES_TOPIC:
            report.alerts += 1
        else:
            report.tallies += 1
        return
    _reject(ingest, message, reason)
    report.rejected.append((message.topic, message.partition, message.offset, reason))


def _store_run(
    ingest: IngestService, run: Sequence[Message], optimistic: bool = True
) -> IngestReport:
    """One transaction: the run's events and its last offset."""
    report = IngestReport()
    last = run[-1]
    tracking = Tracking(ingest.tracking_name(last.topic, last.partition), last.offset)
    with ingest.batch(tracking, optimistic):
        for message in run:
            _handle(ingest, message, report)
    return report


def ingest_batch(ingest: IngestService, messages: Iterable[Message]) -> IngestReport:
    """Stores what the messages say, exactly once per offset; returns what it stored.

    Messages already stored (offset at or below the stored one) are skipped. Each run is
    stored in transactions bounded by count and bytes. When a transaction conflicts
    (another ingest stored the same messages, or an alert at once), its messages are
    retried one per transaction, and what is already stored is skipped."""
    report = IngestReport()
    ordered = sorted(messages, key=lambda m: (m.topic, m.partition, m.offset))
    for (topic, partition), group in groupby(ordered, key=lambda m: (m.topic, m.partition)):
        stored = ingest.offset(topic, partition)
        pending = [m for m in group if stored is None or m.offset > stored]
        for run in bounded_runs(pending):
            try:
                report.add(_store_run(ingest, run))
            except IntegrityError:
                for message in run:
                    report.add(_store_one(ingest, message))
    return report


def bounded_runs(
    messages: Sequence[Message],
    max_messages: int = MAX_RUN_MESSAGES,
    max_bytes: int = MAX_RUN_BYTES,
) -> Iterator[list[Message]]:
    """Consecutive runs of at most `max_messages` and `max_bytes` (a larger message alone)."""
    run: list[Message] = []
    size = 0
    for message in messages:
        if run and (len(run) >= max_messages or size + len(message.value) > max_bytes):
            yield run
            run, size = [], 0
        run.append(message)
        size += len(message.value)
    if run:
        yield run


def _store_one(ingest: IngestService, message: Message) -> IngestReport:
    stored = ingest.offset(message.topic, message.partition)
    if stored is not None and message.offset <= stored:
        return IngestReport(already_stored=1)
    try:
        return _store_run(ingest, [message], optimistic=False)
    except IntegrityError:
        return IngestReport(already_stored=1)  # stored meanwhile by another ingest


def drain_broker(ingest: IngestService, broker: Any, max_messages: int = 2000) -> IngestReport:
    """Empties an in-process broker (`recognition.transport.InProcessBroker`) into the store.

    The in-process queue has no offsets of its own, so each message gets the next offset
    after the one stored for its topic (partition 0): the embedded default's equivalent of
    Kafka's log, kept in the same transaction as the events."""
    report = IngestReport()
    while True:
        delivered = broker.poll(max_messages=max_messages)
        if not delivered:
            return report
        next_offset: dict[str, int] = {}
        messages = []
        for item in delivered:
            if item.topic not in next_offset:
                stored = ingest.offset(item.topic, 0)
                next_offset[item.topic] = 0 if stored is None else stored + 1
            messages.append(Message(item.topic, 0, next_offset[item.topic], item.value, item.key))
            next_offset[item.topic] += 1
        report.add(ingest_batch(ingest, messages))
