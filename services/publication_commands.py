"""Publishing a deployment's results to the public register, and amending them later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.deployment import Deployment
from domain.errors import NotFound
from domain.publication import PublicRecord
from domain.rules import require_role
from domain.values import Actor, Role
from services.base import ServiceBase


class PublicationCommands(ServiceBase):
    """The register entry (DOMAIN.md §a row 17) and its amendments, as public events."""

    def publish_register_entry(
        self,
        actor: Actor,
        deployment_id: UUID,
        counts: Mapping[str, Any],
        periods: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Publishes the deployment's results: `counts` holds its figures (`COUNTS`) and
        `periods` the alerts raised at each threshold in force; the rest of the public row
        comes from the deployment itself."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        record = self.public_record(deployment)
        record.publish_results(deployment, counts, periods)
        deployment.publish_register_entry(self._for(actor, authority), record.row)
        self.commit(deployment, record)

    def amend_register_entry(
        self,
        actor: Actor,
        deployment_id: UUID,
        counts: Mapping[str, Any],
        periods: Sequence[Mapping[str, Any]] | None = None,
    ) -> bool:
        """Records a public amendment if the published figures changed (an arrest recorded
        after publication); False if they did not. Never changes a published row in place."""
        require_role(
            self.audit(actor), Role.SYSTEM, Role.GOLD, doing="amend a published register entry"
        )
        deployment = self.load(Deployment, deployment_id)
        record = self.public_record(deployment)
        if not record.amend(deployment, counts, periods):
            return False
        with self._replay_is_no_op():  # two projectors amending at once: one wins, the same row
            self.commit(record)
        return True

    def public_row(self, deployment_id: UUID) -> dict[str, Any] | None:
        """The deployment's public row as last published, or None before its public notice."""
        try:
            return dict(self.load(PublicRecord, PublicRecord.id_for(deployment_id)).row)
        except NotFound:
            return None

    def public_record(self, deployment: Deployment) -> PublicRecord:
        """The deployment's public record; announced now if it never was (a deployment
        recorded before public notices were published as events)."""
        try:
            return self.load(PublicRecord, PublicRecord.id_for(deployment.id))
        except NotFound:
            return PublicRecord.announce(deployment)
