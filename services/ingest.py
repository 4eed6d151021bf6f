"""The ingest: the worker's messages become domain commands, each offset stored with them.

    ingest = open_ingest(settings, services)         # an IngestService (an LfrService)
    report = ingest_batch(ingest, messages)          # messages: Sequence[Message]
    report = drain_broker(ingest, broker)            # the embedded default's InProcessBroker

What each message becomes is services/ingest_messages.py: a command, or a `MessageRejected`
event with its reason (the ingest goes on). The events of a run of messages from one
topic-partition and a tracking record `Tracking("kafka:<topic>:<partition>", last offset)`
are stored in ONE transaction of the library's process recorder (ledgered like every other
write), with the data keys of the run's new alerts where the key store is in the events'
database, so a crash at any point loses nothing and duplicates nothing: on restart the
ingest resumes after the stored offset. A run is split into transactions of at most
`MAX_RUN_MESSAGES` messages and about `MAX_RUN_BYTES` bytes: one very large INSERT stalls
psycopg's pipeline mode. A run that conflicts is stored again one message at a time.

After the broker's log changed (domain/broker_log.py) a topic's offsets are tracked under
a new epoch: `kafka:<topic>:<partition>:<epoch>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.ingest_messages import handle
from services.ingest_service import (
    DecidedRun,
    IngestReport,
    IngestService,
    Message,
    tracking_name,
)

__all__ = [
    "MAX_RUN_BYTES",
    "MAX_RUN_MESSAGES",
    "DecidedRun",
    "IngestReport",
    "IngestService",
    "Message",
    "bounded_runs",
    "drain_broker",
    "ingest_batch",
    "tracking_name",
]

# A transaction's bounds: psycopg's pipeline mode deadlocks on one INSERT of a few MB.
MAX_RUN_MESSAGES = 500
MAX_RUN_BYTES = 1_000_000


def decide(
    ingest: IngestService, messages: Sequence[Message], optimistic: bool = True
) -> DecidedRun:
    """What the run's messages become, encoded for one transaction; nothing is stored."""
    run = DecidedRun(messages)
    with ingest.deciding(run, optimistic):
        for message in messages:
            handle(ingest, message, run.report)
    return run


def ingest_batch(ingest: IngestService, messages: Iterable[Message]) -> IngestReport:
    """Stores what the messages say, exactly once per offset; returns what it stored.

    Messages already stored (offset at or below the stored one) are skipped. Each run is
    stored in transactions bounded by count and bytes. When a transaction conflicts
    (another ingest stored the same messages, or an alert at once), its messages are
    stored again one per transaction, and what is already stored is skipped."""
    report = IngestReport()
    ordered = sorted(messages, key=lambda m: (m.topic, m.partition, m.offset))
    for (topic, partition), group in groupby(ordered, key=lambda m: (m.topic, m.partition)):
        stored = ingest.offset(topic, partition)
        pending = [m for m in group if stored is None or m.offset > stored]
        for messages_of_run in bounded_runs(pending):
            run = decide(ingest, messages_of_run)
            try:
                ingest.store(run)
            except IntegrityError:
                for message in messages_of_run:
                    report.add(_store_one(ingest, message))
            else:
                ingest.cache(run)
                report.add(run.report)
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
    run = decide(ingest, [message], optimistic=False)
    try:
        ingest.store(run)
    except IntegrityError:
        return IngestReport(already_stored=1)  # stored meanwhile by another ingest
    ingest.cache(run)
    return run.report


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
