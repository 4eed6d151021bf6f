"""Messages the recognition worker emits (JSON on Kafka, keyed by deployment id).

Only two kinds leave the worker: a `MatchEvent` for a face at or above the
authorised threshold, and a `FacesSeenCount` per interval. Faces that do not match
never appear in any message: not their crops, embeddings, boxes or times.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any, Self

MATCHES_TOPIC = "lfr.matches"
FACES_SEEN_TOPIC = "lfr.faces-seen"

# A fixed namespace so the same (deployment, camera, track, entry) always gets the same id.
_EVENT_NAMESPACE = uuid.UUID("5b0b1d0e-3c4f-4c55-9a57-6c66c0a1f4e2")


def utc_iso(moment: datetime | None = None) -> str:
    """`moment` (default: now) as ISO 8601 in UTC with a `Z`-free `+00:00` offset."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def match_event_id(deployment_id: str, camera_id: str, track_id: str, entry_id: str) -> str:
    """Deterministic id: a replayed message carries the id of the original alert."""
    name = "|".join((deployment_id, camera_id, track_id, entry_id))
    return str(uuid.uuid5(_EVENT_NAMESPACE, name))


class _JsonMessage:
    """to_json/from_json for flat dataclasses; unknown keys are refused."""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        payload: dict[str, Any] = json.loads(data)
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(payload) - names
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
        return cls(**payload)


@dataclass(frozen=True)
class MatchEvent(_JsonMessage):
    """One alert: a tracked face that scored at or above the authorised threshold."""

    event_id: str
    deployment_id: str
    camera_id: str
    observed_at: str
    entry_id: str
    score: float
    threshold: float
    model_id: str
    model_version: str
    watchlist_version: str
    track_id: str
    probe_jpeg: str  # base64 JPEG of the face crop; the ingest encrypts it before storing

    @classmethod
    def create(cls, *, probe_jpeg: bytes, **values: Any) -> MatchEvent:
        """A new event with its deterministic id and the crop base64-encoded."""
        event_id = match_event_id(
            values["deployment_id"], values["camera_id"], values["track_id"], values["entry_id"]
        )
        encoded = base64.b64encode(probe_jpeg).decode()
        return cls(event_id=event_id, probe_jpeg=encoded, **values)

    def probe_bytes(self) -> bytes:
        """The JPEG bytes of the probe crop."""
        return base64.b64decode(self.probe_jpeg)


@dataclass(frozen=True)
class FacesSeenCount(_JsonMessage):
    """How many faces one camera saw in one interval: counts only, nothing per face."""

    deployment_id: str
    camera_id: str
    interval_start: str
    interval_end: str
    faces_seen: int
    faces_passed_quality: int
