"""Small single-event records: faces-seen counts, s.62 consultation logs, rejected messages."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.deployment import STARTED, Deployment
from domain.rules import require, require_role, require_text
from domain.values import Audit, Role

# A camera's zone of recognition passes at most this many people a second (a dense crowd
# is a few a second); counts above it are not a count of people passing.
MAX_FACES_PER_CAMERA_SECOND = 20
# The worker's clock and the server's may differ a little, and its last interval is
# reported just after the end. (A recorded video is timed from the worker's start, so its
# intervals may run ahead of the wall clock: the authorised end bounds them instead.)
CLOCK_TOLERANCE = timedelta(seconds=30)


def max_faces(interval_start: datetime, interval_end: datetime) -> int:
    seconds = max((interval_end - interval_start).total_seconds(), 1.0)
    return math.ceil(seconds * MAX_FACES_PER_CAMERA_SECOND)


def require_within_live_window(
    deployment: Deployment, interval_start: datetime, interval_end: datetime
) -> None:
    """Faces are counted only between the deployment's start and its end (or, while it
    runs, the authorised end)."""
    started = deployment.started_at
    require(
        started is not None and interval_start >= started - CLOCK_TOLERANCE,
        "faces are counted only from the deployment's start",
    )
    end = deployment.ended_at or deployment.ends_at
    require(
        interval_end <= min(end, deployment.ends_at) + CLOCK_TOLERANCE,
        "faces are counted only up to the deployment's end",
    )


class FacesSeenTally(Aggregate):
    """How many faces one camera saw in one interval: a count only, never a face (§b.7).

    Its id comes from deployment, camera and interval, so a replayed count is a no-op."""

    @staticmethod
    def create_id(deployment_id: UUID, camera_id: str, interval_start: datetime, **_: Any) -> UUID:
        return uuid5(
            NAMESPACE_URL, f"lfr:faces:{deployment_id}:{camera_id}:{interval_start.isoformat()}"
        )

    @event("FacesSeenCounted")
    def __init__(
        self,
        audit: Audit,
        deployment_id: UUID,
        camera_id: str,
        interval_start: datetime,
        interval_end: datetime,
        faces_seen: int,
        faces_passed_quality: int,
    ) -> None:
        self.deployment_id = deployment_id
        self.faces_seen = faces_seen

    @classmethod
    def count(
        cls,
        audit: Audit,
        deployment: Deployment,
        camera_id: str,
        interval_start: datetime,
        interval_end: datetime,
        faces_seen: int,
        faces_passed_quality: int,
    ) -> FacesSeenTally:
        require_role(audit, Role.WORKER, Role.SYSTEM, doing="count faces seen")
        require(
            deployment.status in STARTED and deployment.started_at is not None,
            "faces are counted only for a deployment that has started",
        )
        require(interval_start <= interval_end, "the interval must end after it starts")
        require(0 <= faces_passed_quality <= faces_seen, "counts must be whole and consistent")
        require(
            camera_id in deployment.cameras,
            f"camera {camera_id!r} is not authorised for this deployment",
        )
        require_within_live_window(deployment, interval_start, interval_end)
        most = max_faces(interval_start, interval_end)
        require(
            faces_seen <= most,
            f"{faces_seen} faces in {interval_end - interval_start} is more than one camera "
            f"can see (at most {most})",
        )
        return cls(
            audit=audit.tied_to(deployment.id, deployment.authority_id),
            deployment_id=deployment.id,
            camera_id=camera_id,
            interval_start=interval_start,
            interval_end=interval_end,
            faces_seen=faces_seen,
            faces_passed_quality=faces_passed_quality,
        )


class Consultation(Aggregate):
    """A DPA 2018 s.62 log entry: someone read personal data, with the justification."""

    @event("PersonalDataConsulted")
    def __init__(self, audit: Audit, data_class: str, item_id: str) -> None:
        self.data_class = data_class
        self.item_id = item_id
        self.actor_id = audit.actor_id
        self.justification = audit.justification

    @classmethod
    def log(cls, audit: Audit, data_class: str, item_id: str) -> Consultation:
        require_text(
            audit.justification, "a justification for reading personal data (DPA 2018 s.62)"
        )
        return cls(audit=audit, data_class=data_class, item_id=item_id)


REJECTION_REASON_LIMIT = 500


class MessageRejected(Aggregate):
    """A worker message the ingest could not turn into a domain command, and why.

    Recorded (so it is in the ledger and the audit timeline) in the same transaction as the
    message's offset: the ingest never stops on a bad message and never silently drops one.
    Only the reason and the message's coordinates are kept, never its content (a match
    message carries a face crop). Its id comes from topic, partition and offset, so a
    replayed rejection is a no-op."""

    @staticmethod
    def create_id(topic: str, partition: int, offset: int, **_: Any) -> UUID:
        return uuid5(NAMESPACE_URL, f"lfr:rejected-message:{topic}:{partition}:{offset}")

    @event("MessageRejected")
    def __init__(
        self, audit: Audit, topic: str, partition: int, offset: int, message_id: str, reason: str
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.message_id = message_id
        self.reason = reason[:REJECTION_REASON_LIMIT]
