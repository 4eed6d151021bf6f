"""Is the broker's log the one the stored offsets came from? Decided per topic at start.

The ingest compares what the broker shows now (`LogView`: cluster id, topic id, each
partition's first and next offset) with the `BrokerLog` it bound the topic to. A different
cluster or topic id, a stored offset beyond the log's end (a reset log), or a log that
starts after the stored offset (messages deleted before they were ingested) is a change:
the ingest logs it, records it, and resumes by `LFR_KAFKA_RESET_POLICY`:

- `earliest`: read the new log from its first message (a replayed match is a no-op);
- `latest`: start at the new log's end (what is on it now is recorded as skipped);
- `stop`: record the refusal and stop; an operator chooses a policy and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from domain.broker_log import BrokerLog
from domain.values import Actor, Role
from services.ingest import IngestService

log = logging.getLogger(__name__)
INGEST_ACTOR = Actor("ingest", Role.SYSTEM)


class ResetPolicy(StrEnum):
    EARLIEST = "earliest"
    LATEST = "latest"
    STOP = "stop"


class BrokerLogChangedError(RuntimeError):
    """The log changed and the policy is `stop`: the ingest refuses to go on."""


@dataclass(frozen=True)
class LogView:
    """One topic as the broker shows it now."""

    topic: str
    cluster_id: str
    topic_id: str
    beginning: dict[int, int]
    end: dict[int, int]


def find_change(bound: BrokerLog | None, view: LogView, expected: dict[int, int | None]) -> str:
    """Why the stored positions (`expected`: the next offset to read per partition, None
    when nothing is known) do not belong to `view`; empty when they do."""
    if bound is not None:
        if bound.cluster_id and view.cluster_id and bound.cluster_id != view.cluster_id:
            return f"cluster id {bound.cluster_id} is now {view.cluster_id}"
        if bound.topic_id and view.topic_id and bound.topic_id != view.topic_id:
            return f"topic id {bound.topic_id} is now {view.topic_id} (the topic was recreated)"
    for partition, next_offset in sorted(expected.items()):
        if next_offset is None:
            continue
        first, end = view.beginning.get(partition, 0), view.end.get(partition, 0)
        if next_offset > end:
            return f"partition {partition} ends at offset {end}, before the stored {next_offset}"
        if next_offset < first:
            return (
                f"partition {partition}: offsets {next_offset} to {first - 1} were deleted "
                "by the broker before they were ingested"
            )
    return ""


def next_offsets(
    ingest: IngestService,
    bound: BrokerLog | None,
    view: LogView,
    partitions: Collection[int] | None = None,
) -> dict[int, int | None]:
    """Per partition read (all by default), the next offset the stored state says to read
    (None: not known)."""
    resume = bound.resume_offsets if bound is not None else {}
    expected: dict[int, int | None] = {}
    for partition in view.end if partitions is None else sorted(set(partitions) & set(view.end)):
        stored = ingest.offset(view.topic, partition)
        expected[partition] = stored + 1 if stored is not None else resume.get(str(partition))
    return expected


def _load(ingest: IngestService, topic: str) -> BrokerLog | None:
    log_id = BrokerLog.create_id(topic)
    return ingest.repository.get(log_id) if ingest.exists(log_id) else None


def bind(
    ingest: IngestService,
    view: LogView,
    policy: ResetPolicy,
    partitions: Collection[int] | None = None,
) -> dict[int, int]:
    """Checks and records which log `view.topic`'s offsets belong to, sets the ingest's
    epoch for the topic, and returns where to start reading each partition.

    `partitions`: the ones this ingest reads (all by default). Only their positions are
    checked: another ingest process stores the others' while this one looks."""
    bound = _load(ingest, view.topic)
    ingest.epochs[view.topic] = bound.epoch if bound is not None else 0
    expected = next_offsets(ingest, bound, view, partitions)
    finding = find_change(bound, view, expected)
    audit = ingest.audit(INGEST_ACTOR)
    if not finding:
        if bound is None:
            ingest.commit(BrokerLog(audit, view.topic, view.cluster_id, view.topic_id))
        return {p: view.beginning[p] if o is None else o for p, o in expected.items()}
    log.warning("Kafka topic %s is not the log its offsets came from: %s", view.topic, finding)
    if bound is None:  # offsets stored before logs were bound: bind, then record the change
        bound = BrokerLog(audit, view.topic, view.cluster_id, view.topic_id)
    if policy is ResetPolicy.STOP:
        bound.refused(audit, view.cluster_id, view.topic_id, finding)
        ingest.commit(bound)
        raise BrokerLogChangedError(
            f"Kafka topic {view.topic}: {finding}; LFR_KAFKA_RESET_POLICY=stop, so the ingest "
            "stops (set it to earliest or latest to resume)"
        )
    resume = view.beginning if policy is ResetPolicy.EARLIEST else view.end
    bound.changed(
        audit,
        view.cluster_id,
        view.topic_id,
        finding,
        policy.value,
        bound.epoch + 1,
        {str(p): o for p, o in resume.items()},
    )
    ingest.commit(bound)
    ingest.epochs[view.topic] = bound.epoch
    log.warning("Kafka topic %s: resuming at its %s offsets %s", view.topic, policy, resume)
    return dict(resume)
