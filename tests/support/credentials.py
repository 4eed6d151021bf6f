"""Worker credentials for tests: a worker token issued with a store's token secret."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from api.auth import issue_token
from recognition.credential import WorkerCredential
from runtime.settings import Settings

# For tests whose messages no ingest checks (the worker and the transport alone).
UNCHECKED_SECRET = secrets.token_bytes(32)


def worker_token(
    secret: bytes,
    deployment_id: object,
    cameras: Sequence[str] = ("camera-1",),
    hours: float = 8.0,
    worker_id: str = "worker-1",
    now: datetime | None = None,
) -> str:
    return issue_token(
        secret,
        worker_id,
        ["worker"],
        hours,
        now=now,
        deployment_id=str(deployment_id),
        cameras=cameras,
    )


def worker_credential(
    settings: Settings | None,
    deployment_id: object,
    cameras: Sequence[str] = ("camera-1",),
    now: datetime | None = None,
) -> WorkerCredential:
    """A credential the ingest of `settings` accepts for this deployment and these cameras,
    issued at `now` (with `settings` None: signed with a secret no ingest holds)."""
    secret = settings.secret("token_secret") if settings is not None else UNCHECKED_SECRET
    return WorkerCredential(worker_token(secret, deployment_id, cameras, now=now))


def unchecked_credential() -> WorkerCredential:
    """For messages no ingest reads (the worker and the transport alone)."""
    return worker_credential(None, uuid.uuid4())
