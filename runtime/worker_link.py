"""The recognition worker's view of the deployment process, implemented over the domain."""

from __future__ import annotations

from uuid import UUID

import numpy as np

from domain.service import LfrService
from recognition.index import Template


class DomainWatchlistProvider:
    """Hands the worker the authorised templates, status and threshold of one deployment."""

    def __init__(self, lfr: LfrService) -> None:
        self.lfr = lfr

    def templates(self, deployment_id: str) -> list[Template]:
        return [
            Template(t.entry_id, t.model_id, np.frombuffer(t.vector, dtype=np.float32))
            for t in self.lfr.watchlist_templates(UUID(deployment_id))
        ]

    def status(self, deployment_id: str) -> str:
        status = self.lfr.deployment_status(UUID(deployment_id))
        # After the end the report and register follow; for the worker it is all "ended".
        return "ended" if status in {"reported", "published"} else status

    def threshold(self, deployment_id: str) -> float:
        return float(self.lfr.repository.get(UUID(deployment_id)).threshold)
