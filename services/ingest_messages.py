"""What each message from the worker becomes: a domain command, or a rejection with its reason.

A `MatchEvent` becomes `raise_alert` (actor: the worker its token names, match id = the
message's event id, so a replay finds its alert and is a no-op); a `FacesSeenCount` becomes
`count_faces`. A message that does not parse, is of a schema version the ingest does not
know, carries no valid proof of a worker token covering its deployment and camera
(recognition/credential.py), carries a probe not sealed to this ingest's key, or that the
domain refuses (deployment not live, unknown entry, score below threshold...), becomes a
`MessageRejected` event with its reason, stored with the others (services/ingest.py).
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.access import BoundWorker, worker
from domain.errors import DomainError
from domain.records import MessageRejected
from domain.values import Actor, Role
from recognition.credential import CredentialRefused, WorkerBinding
from recognition.events import (
    FACES_SEEN_TOPIC,
    MATCHES_TOPIC,
    FacesSeenCount,
    MatchEvent,
    UnsupportedSchema,
)
from recognition.sealing import SealError
from services.ingest_service import IngestReport, IngestService, Message
from services.lfr import Match

INGEST_ACTOR = Actor("ingest", Role.SYSTEM)
MALFORMED = (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError)


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


def handle(ingest: IngestService, message: Message, report: IngestReport) -> None:
    """Decides one message into the run being decided (`IngestService.deciding`): its
    command's events, or its rejection with the reason; counts it in `report`."""
    command = COMMANDS.get(message.topic)
    before = ingest.events_decided
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
        if ingest.events_decided == before:
            report.already_stored += 1
        elif message.topic == MATCHES_TOPIC:
            report.alerts += 1
        else:
            report.tallies += 1
        return
    _reject(ingest, message, reason)
    report.rejected.append((message.topic, message.partition, message.offset, reason))
