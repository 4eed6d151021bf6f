"""Stages 3 to 6: command, pre-deployment, the watchlist, the live deployment, the report."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.deployment import Deployment
from domain.rules import require
from domain.service_base import ServiceBase
from domain.values import (
    Actor,
    PreDeploymentCheck,
    S62Operation,
)
from domain.watchlist import EntryDetails, WatchlistEntry


@dataclass(frozen=True)
class Template:
    """A watchlist template released to the worker of a live deployment."""

    entry_id: str
    model_id: str
    vector: bytes


class DeploymentCommands(ServiceBase):
    """Stages 3 to 6: command, pre-deployment, the watchlist, the live deployment, the report."""

    # -- stage 3-4: command and pre-deployment ------------------------------------------------

    def appoint_command(
        self, actor: Actor, deployment_id: UUID, members: dict[str, list[str]]
    ) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.appoint_command(self._for(actor, authority), authority, members)
        self.commit(deployment)

    def record_pre_deployment(
        self, actor: Actor, deployment_id: UUID, check: PreDeploymentCheck, detail: str
    ) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.record_pre_deployment(self._for(actor, authority), check, detail)
        self.commit(deployment)

    # -- the watchlist -----------------------------------------------------------------------

    def add_watchlist_entry(
        self,
        actor: Actor,
        deployment_id: UUID,
        details: EntryDetails,
        image: bytes,
        template: bytes,
        model_id: str,
    ) -> UUID:
        deployment, authority = self._deployment_and_authority(deployment_id)
        require(
            deployment.watchlist_state == "none",
            "entries are added before the watchlist is compiled",
        )
        entry_id = WatchlistEntry.create_id(
            deployment_id=deployment.id, reference=details.reference
        )
        subject = str(entry_id)
        entry = WatchlistEntry.add(
            self._for(actor, authority, S62Operation.COLLECTION),
            authority,
            deployment.id,
            details,
            model_id,
            self.sealer.seal(subject, image),
            self.sealer.seal(subject, template),
        )
        self.commit(entry)
        return entry.id

    def compile_watchlist(self, actor: Actor, deployment_id: UUID, entry_ids: list[UUID]) -> str:
        deployment, authority = self._deployment_and_authority(deployment_id)
        entries = [self.load(WatchlistEntry, entry_id) for entry_id in entry_ids]
        for entry in entries:
            require(
                entry.deployment_id == deployment.id and not entry.erased,
                f"entry {entry.id} does not belong to this deployment's watchlist",
            )
        models = {entry.model_id for entry in entries}
        require(len(models) == 1, f"the watchlist mixes templates of several models: {models}")
        templates = {str(e.id): self.sealer.open(str(e.id), e.sealed_template) for e in entries}
        version = watchlist_version(models.pop(), templates)
        deployment.compile_watchlist(
            self._for(actor, authority, S62Operation.COMBINATION),
            [str(e.id) for e in entries],
            version,
            authority,
        )
        self.commit(deployment)
        return version

    def review_watchlist(self, actor: Actor, deployment_id: UUID, notes: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.review_watchlist(self._for(actor, authority), notes)
        self.commit(deployment)

    def import_watchlist(self, actor: Actor, deployment_id: UUID, medium: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        model_ids = {
            self.load(WatchlistEntry, UUID(e)).model_id for e in deployment.watchlist["entry_ids"]
        }
        require(
            len(model_ids) == 1, f"the watchlist mixes templates of several models: {model_ids}"
        )
        deployment.import_watchlist(self._for(actor, authority), authority, medium, model_ids.pop())
        self.commit(deployment)

    def watchlist_templates(self, deployment_id: UUID) -> list[Template]:
        """The authorised templates for the worker: only while the deployment is live."""
        deployment = self.load(Deployment, deployment_id)
        require(deployment.status == "live", "templates are released only to a live deployment")
        templates = []
        for entry_id in deployment.watchlist["entry_ids"]:
            entry = self.load(WatchlistEntry, UUID(entry_id))
            if not entry.erased:
                vector = self.sealer.open(entry_id, entry.sealed_template)
                templates.append(Template(entry_id, entry.model_id, vector))
        return templates

    # -- stage 5: live deployment ------------------------------------------------------------

    def start_deployment(self, actor: Actor, deployment_id: UUID, location_name: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.start(self._for(actor, authority), authority, location_name)
        self.commit(deployment)

    def pause_deployment(self, actor: Actor, deployment_id: UUID, reason: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.pause(self._for(actor, authority), reason)
        self.commit(deployment)

    def resume_deployment(self, actor: Actor, deployment_id: UUID) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.resume(self._for(actor, authority), authority)
        self.commit(deployment)

    def end_deployment(self, actor: Actor, deployment_id: UUID, reason: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.end(self._for(actor, authority), reason)
        self.commit(deployment)

    def deployment_status(self, deployment_id: UUID) -> str:
        return self.load(Deployment, deployment_id).status

    # -- stage 6: post-deployment ------------------------------------------------------------

    def submit_cancellation_report(
        self, actor: Actor, deployment_id: UUID, report: dict[str, Any]
    ) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.submit_cancellation_report(self._for(actor, authority), report)
        self.commit(deployment)

    def publish_register_entry(
        self, actor: Actor, deployment_id: UUID, entry: dict[str, Any]
    ) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.publish_register_entry(self._for(actor, authority), entry)
        self.commit(deployment)


def watchlist_version(model_id: str, templates: dict[str, bytes]) -> str:
    """The watchlist's content hash: SHA-256 over the model id and the sorted (entry id,
    template bytes) pairs. The worker's index reports the same hash of what it searches."""
    digest = hashlib.sha256(model_id.encode())
    for entry_id in sorted(templates):
        digest.update(b"\x00" + entry_id.encode() + b"\x00" + templates[entry_id])
    return digest.hexdigest()
