"""How domain values are written into stored events."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.values import Audit


class AuditAsDict(Transcoding):
    type = Audit
    name = "audit"

    def encode(self, obj: Audit) -> dict[str, Any]:
        return {
            "actor_id": obj.actor_id,
            "actor_role": obj.actor_role,
            "at": obj.at.isoformat(),
            "justification": obj.justification,
            "s62_operation": obj.s62_operation,
            "deployment_id": obj.deployment_id,
            "authority_id": obj.authority_id,
        }

    def decode(self, data: dict[str, Any]) -> Audit:
        return Audit(**{**data, "at": datetime.fromisoformat(data["at"])})


class BytesAsBase64(Transcoding):
    type = bytes
    name = "b64"

    def encode(self, obj: bytes) -> str:
        return base64.b64encode(obj).decode("ascii")

    def decode(self, data: str) -> bytes:
        return base64.b64decode(data)


TRANSCODINGS = (AuditAsDict(), BytesAsBase64())
