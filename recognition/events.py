"""Messages the recognition worker emits (JSON on Kafka, keyed by
recognition.transport.partition_key).

Only two kinds leave the worker: a `MatchEvent` for a face at or above the authorised
threshold, and a `FacesSeenCount` per interval. Faces that do not match never appear in
any message: not their crops, embeddings, boxes or times. A match's probe crop leaves
the process only sealed to the ingest's public key (recognition/sealing.py).

Every message carries proof of the sending worker's token (recognition/credential.py):
the ingest accepts a message only from a worker whose token binds it to that deployment
and camera.

Every message names its schema and version (`"schema": "lfr.match", "version": "1.0"`).
A reader accepts unknown fields (a newer producer's optional additions) and any minor
version of a major it knows; another major version is refused (`UnsupportedSchema`), and
the ingest records the refusal like any other rejected message.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Self

from recognition.credential import Attester
from recognition.sealing import ProbeKeyPair, ProbeSealer, SealError

MATCHES_TOPIC = "lfr.matches"
FACES_SEEN_TOPIC = "lfr.faces-seen"

# A fixed namespace so the same (deployment, camera, track, entry) always gets the same id.
_EVENT_NAMESPACE = uuid.UUID("5b0b1d0e-3c4f-4c55-9a57-6c66c0a1f4e2")


class UnsupportedSchema(ValueError):
    """A message of another schema, or of a major version this reader does not know."""


def utc_iso(moment: datetime | None = None) -> str:
    """`moment` (default: now) as ISO 8601 in UTC with a `Z`-free `+00:00` offset."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def match_event_id(deployment_id: str, camera_id: str, track_id: str, entry_id: str) -> str:
    """Deterministic id: a replayed message carries the id of the original alert."""
    name = "|".join((deployment_id, camera_id, track_id, entry_id))
    return str(uuid.uuid5(_EVENT_NAMESPACE, name))


def _read_envelope(data: bytes | str | dict[str, Any], schema: str, major: int) -> dict[str, Any]:
    payload = data if isinstance(data, dict) else json.loads(data)
    if not isinstance(payload, dict):
        raise ValueError(f"a {schema} message must be a JSON object")
    named, version = payload.get("schema"), payload.get("version")
    if named != schema:
        raise UnsupportedSchema(f"schema {named!r} where {schema!r} was expected")
    if not isinstance(version, str) or not version.partition(".")[0].isdigit():
        raise ValueError(f"{schema}: version {version!r} is not MAJOR.MINOR")
    if int(version.partition(".")[0]) != major:
        raise UnsupportedSchema(f"{schema} version {version} (this reader knows {major}.x)")
    return payload


@cache
def _field_names(cls: type, given: frozenset[str] = frozenset()) -> frozenset[str]:
    # Once per class: `fields` walks the dataclass's fields each time (the ingest reads
    # thousands of messages a second).
    return frozenset(f.name for f in fields(cls)) - given


def _known(
    cls: type, payload: dict[str, Any], given: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields `cls` knows but those `given` apart; the others are a newer producer's
    optional additions."""
    names = _field_names(cls, given)
    missing = names - payload.keys()
    if missing:
        raise ValueError(f"{cls.__name__}: missing fields {sorted(missing)}")
    return {k: v for k, v in payload.items() if k in names}


@dataclass(frozen=True)
class MatchEvent:
    """One alert: a tracked face that scored at or above the authorised threshold.

    `probe_jpeg` is the crop in the worker's memory; on the wire it is only ever sealed."""

    SCHEMA: ClassVar[str] = "lfr.match"
    VERSION: ClassVar[str] = "1.0"

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
    probe_jpeg: bytes = field(repr=False)

    @classmethod
    def create(cls, *, probe_jpeg: bytes, **values: Any) -> MatchEvent:
        """A new event with its deterministic id."""
        event_id = match_event_id(
            values["deployment_id"], values["camera_id"], values["track_id"], values["entry_id"]
        )
        return cls(event_id=event_id, probe_jpeg=probe_jpeg, **values)

    def probe_bytes(self) -> bytes:
        """The JPEG bytes of the probe crop."""
        return self.probe_jpeg

    def seal_context(self) -> bytes:
        return probe_context(self.event_id, self.deployment_id)

    def to_json(self, sealer: ProbeSealer, credential: Attester) -> bytes:
        """The wire form: every field but the crop, which is sealed to `sealer`'s key,
        attested by the worker's `credential` (recognition/credential.py)."""
        payload = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "probe_jpeg"}
        payload |= {
            "schema": self.SCHEMA,
            "version": self.VERSION,
            "probe_sealed": sealer.seal(self.probe_jpeg, self.seal_context()),
            "probe_key_id": sealer.key_id,
        }
        return credential.attest(payload)

    @classmethod
    def from_json(cls, data: bytes | str | dict[str, Any], keys: ProbeKeyPair) -> Self:
        """Reads a message (or its fields as already read) and opens its crop (`SealError`
        if it is not for `keys`)."""
        payload = _read_envelope(data, cls.SCHEMA, int(cls.VERSION.split(".")[0]))
        sealed, key = payload.get("probe_sealed"), payload.get("probe_key_id")
        if not isinstance(sealed, str):
            raise ValueError(f"{cls.__name__}: missing fields ['probe_sealed']")
        opener = keys.opener_for(str(key))
        if opener is None:
            raise SealError(f"the probe is sealed for key {key!r}, not this ingest's")
        values = _known(cls, payload, _PROBE)
        context = probe_context(str(values["event_id"]), str(values["deployment_id"]))
        return cls(**values, probe_jpeg=opener.open(sealed, context))


_PROBE = frozenset({"probe_jpeg"})  # on the wire only sealed, as `probe_sealed`


def probe_context(event_id: str, deployment_id: str) -> bytes:
    """What a sealed crop is bound to: its schema, its message's id and its deployment."""
    return f"{MatchEvent.SCHEMA}|{event_id}|{deployment_id}".encode()


@dataclass(frozen=True)
class FacesSeenCount:
    """How many faces one camera saw in one interval: counts only, nothing per face."""

    SCHEMA: ClassVar[str] = "lfr.faces-seen"
    VERSION: ClassVar[str] = "1.0"

    deployment_id: str
    camera_id: str
    interval_start: str
    interval_end: str
    faces_seen: int
    faces_passed_quality: int

    def to_json(self, credential: Attester) -> bytes:
        """The wire form, attested by the worker's `credential`."""
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload |= {"schema": self.SCHEMA, "version": self.VERSION}
        return credential.attest(payload)

    @classmethod
    def from_json(cls, data: bytes | str | dict[str, Any]) -> Self:
        payload = _read_envelope(data, cls.SCHEMA, int(cls.VERSION.split(".")[0]))
        return cls(**_known(cls, payload))
