"""The recognition worker's view of the deployment process, implemented over the domain."""

from __future__ import annotations

import contextlib
from datetime import datetime
from uuid import UUID

import numpy as np

from domain.errors import ConcurrentChange
from domain.values import Actor, Role
from domain.watchlist import WatchlistEntry
from recognition.index import Template
from services.lfr import LfrService

ERASED_TOPIC = f"{WatchlistEntry.__module__}:WatchlistEntry.WatchlistEntryErased"


class DomainWatchlistProvider:
    """Hands one camera's worker the authorised templates, status and threshold of one
    deployment, and holds the worker to its authority: at each status check it ends the
    deployment (with the recorded reason) once the window has closed or an urgent authority
    has lapsed, so the worker stops even if no other service is running."""

    def __init__(self, lfr: LfrService, camera_id: str = "camera-1") -> None:
        self.lfr = lfr
        self.camera_id = camera_id
        self.actor = Actor(f"worker-link:{camera_id}", Role.SYSTEM)
        self._erasures_seen = 0  # notification id up to which erasures were read

    def templates(self, deployment_id: str) -> list[Template]:
        self._erasures_seen = self.lfr.recorder.max_notification_id() or 0
        return [
            Template(t.entry_id, t.model_id, np.frombuffer(t.vector, dtype=np.float32))
            for t in self.lfr.watchlist_templates(UUID(deployment_id), self.camera_id)
        ]

    def status(self, deployment_id: str) -> str:
        with contextlib.suppress(ConcurrentChange):  # another process ended it first
            self.lfr.end_deployment_if_due(self.actor, UUID(deployment_id))
        status = self.lfr.deployment_status(UUID(deployment_id))
        # After the end the report and register follow; for the worker it is all "ended".
        return "ended" if status in {"reported", "published"} else status

    def authorised_until(self, deployment_id: str) -> datetime:
        """When the authority stops covering the deployment: the worker stops then by itself."""
        return self.lfr.authorised_until(UUID(deployment_id))

    def threshold(self, deployment_id: str) -> float:
        return float(self.lfr.repository.get(UUID(deployment_id)).threshold)

    def erased_entries(self, deployment_id: str) -> set[str]:
        """Entries of this deployment erased since the last call: read incrementally, by topic."""
        notifications = self.lfr.recorder.select_notifications(
            start=self._erasures_seen + 1, limit=10_000, topics=[ERASED_TOPIC]
        )
        if notifications:
            self._erasures_seen = notifications[-1].id
        events = (self.lfr.mapper.to_domain_event(n) for n in notifications)
        return {str(e.originator_id) for e in events if str(e.audit.deployment_id) == deployment_id}  # type: ignore[attr-defined]
