"""Stages 3 to 6: command, pre-deployment, the watchlist, the live deployment, the report."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.authorisation import IN_FORCE, DeploymentApplication
from domain.deployment import Deployment
from domain.publication import PublicRecord
from domain.rules import require
from domain.sealing import text_sealer, watchlist_subject
from domain.values import (
    Actor,
    DeploymentStatus,
    Ending,
    PreDeploymentCheck,
    S62Operation,
)
from domain.watchlist import EntryDetails, WatchlistEntry
from services.base import ServiceBase


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
        # The public notice is published as a public event (DOMAIN.md §a row 6): from then
        # on the deployment is on the public register.
        announced: list[PublicRecord] = []
        if check is PreDeploymentCheck.PUBLIC_NOTICE and not self.exists(
            PublicRecord.id_for(deployment.id)
        ):
            announced.append(PublicRecord.announce(deployment))
        self.commit(deployment, *announced)

    # -- the watchlist -----------------------------------------------------------------------

    def add_watchlist_entry(
        self,
        actor: Actor,
        deployment_id: UUID,
        details: EntryDetails,
        image: bytes,
        template: bytes,
        model_id: str,
        entry_id: UUID | None = None,
    ) -> UUID:
        """Adds one entry; `entry_id` (random or derived from non-identifying data, such as an
        upload job and its row) makes a retried add a conflict rather than a second entry."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        require(
            deployment.watchlist_state == "none",
            "entries are added before the watchlist is compiled",
        )
        entry_id = entry_id or uuid4()  # never derived from the reference (a name)
        subject = str(entry_id)
        entry = WatchlistEntry.add(
            self._for(actor, authority, S62Operation.COLLECTION),
            authority,
            deployment.id,
            entry_id,
            details,
            model_id,
            (
                self.sealer.seal(subject, image),
                self.sealer.seal(subject, template),
                text_sealer(self.sealer, subject),
            ),
        )
        self.commit(entry)
        return entry.id

    def record_entry_rationale(self, actor: Actor, entry_id: UUID, rationale: str) -> None:
        """The AO records the rationale for one sensitive watchlist entry (sealed)."""
        entry = self.load(WatchlistEntry, entry_id)
        authority = self.load(DeploymentApplication, entry.authority_id)
        require(bool(rationale.strip()), "the AO's rationale must be given")
        sealed = self.sealer.seal(str(entry.id), rationale.encode())
        entry.record_ao_rationale(self._for(actor, authority), authority, sealed)
        self.commit(entry)

    def compile_watchlist(self, actor: Actor, deployment_id: UUID, entry_ids: list[UUID]) -> str:
        deployment, authority = self._deployment_and_authority(deployment_id)
        entries = [self.load(WatchlistEntry, entry_id) for entry_id in entry_ids]
        for entry in entries:
            require(
                entry.deployment_id == deployment.id and not entry.erased,
                f"entry {entry.id} does not belong to this deployment's watchlist",
            )
        awaiting = [str(e.id) for e in entries if e.awaits_ao_rationale]  # ids: never names
        require(
            not awaiting,
            f"sensitive entries {awaiting} await the Authorising Officer's rationale",
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
        seal = text_sealer(self.sealer, watchlist_subject(deployment.id))
        deployment.review_watchlist(self._for(actor, authority), notes, seal)
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

    def watchlist_templates(
        self, deployment_id: UUID, camera_id: str | None = None
    ) -> list[Template]:
        """The authorised templates for one camera's worker: only while the deployment is live,
        inside the authorised window, under an authority in force, to a camera it started."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        now = self.clock()
        require(
            deployment.status == DeploymentStatus.LIVE,
            f"templates are released only to a live deployment; it is {deployment.status}",
        )
        require(
            deployment.starts_at <= now < deployment.ends_at and authority.in_force(now),
            "templates are released only inside the authorised window, under an authority in force",
        )
        require(
            camera_id is None or camera_id in deployment.live_cameras,
            f"camera {camera_id!r} is not one the deployment started under its authority "
            f"({deployment.live_cameras})",
        )
        templates = []
        for entry_id in deployment.watchlist["entry_ids"]:
            entry = self.load(WatchlistEntry, UUID(entry_id))
            if not entry.erased:
                vector = self.sealer.open(entry_id, entry.sealed_template)
                templates.append(Template(entry_id, entry.model_id, vector))
        return templates

    # -- stage 5: live deployment ------------------------------------------------------------

    def start_deployment(
        self, actor: Actor, deployment_id: UUID, cameras: list[str] | None = None
    ) -> None:
        """Starts the authorised cameras named (all of them by default) at the authority's
        location."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.start(self._for(actor, authority), authority, cameras)
        self.commit(deployment)

    def cancel_deployment(self, actor: Actor, deployment_id: UUID, reason: str) -> None:
        """Gold cancels before the start; the watchlist's 24-hour clock starts."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.cancel(self._for(actor, authority), authority, reason)
        self.commit(deployment, *self._public_ending(deployment))

    def end_deployment_if_due(self, actor: Actor, deployment_id: UUID) -> Ending | None:
        """Ends the deployment by itself when its window has closed or its urgent authority
        lapsed unconfirmed, recording why (and the authority's lapse or expiry with it).
        Returns the ending, or None when the deployment may go on."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        audit = self._for(actor, authority)
        ending = deployment.due_ending(authority, audit.at)
        if ending is None:
            return None
        changed: list[Aggregate] = [deployment]
        if authority.lapsed_at(audit.at):
            reason = f"the urgent authority was not confirmed by {authority.urgent_deadline}"
            authority.lapse(audit)
            changed.append(authority)
        elif ending is Ending.URGENT_AUTHORITY_LAPSED:
            reason = "the urgent authority lapsed unconfirmed"
        else:
            reason = f"the authorised window closed at {deployment.ends_at.isoformat()}"
            if ending is Ending.EXPIRED_UNUSED and authority.status in IN_FORCE:
                authority.expire(audit)
                changed.append(authority)
        deployment.close(audit, ending, reason)
        self.commit(*changed, *self._public_ending(deployment))
        return ending

    def ending_due(self, deployment_id: UUID, at: datetime) -> Ending | None:
        """Why the deployment would end by itself at `at` (None: it may go on); changes
        nothing (a sweep's dry run)."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        return deployment.due_ending(authority, at)

    def authorised_until(self, deployment_id: UUID) -> datetime:
        """The end of the authorised window, or an urgent authority's confirmation deadline
        if that comes first."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        deadline = authority.urgent_deadline
        return min(deployment.ends_at, deadline) if deadline else deployment.ends_at

    def open_deployments(self) -> list[UUID]:
        """Deployments planned and not yet ended, read from the notification log by topic."""
        planned, ended = (
            _topic(Deployment, "DeploymentPlanned"),
            _topic(Deployment, "DeploymentEnded"),
        )
        seen: dict[UUID, bool] = {}
        start = 1
        while True:
            batch = self.recorder.select_notifications(
                start=start, limit=1000, topics=[planned, ended]
            )
            for notification in batch:
                seen[UUID(str(notification.originator_id))] = notification.topic == planned
            if len(batch) < 1000:
                return [d for d, is_open in seen.items() if is_open]
            start = batch[-1].id + 1

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
        self,
        actor: Actor,
        deployment_id: UUID,
        report: dict[str, Any],
        record: dict[str, Any] | None = None,
    ) -> None:
        """Gold's report with, in `record`, the figures it is submitted with (frozen)."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.submit_cancellation_report(self._for(actor, authority), report, record)
        self.commit(deployment)

    def amend_cancellation_report(
        self,
        actor: Actor,
        deployment_id: UUID,
        report: dict[str, Any],
        reason: str,
        record: dict[str, Any] | None = None,
    ) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.amend_cancellation_report(self._for(actor, authority), report, reason, record)
        self.commit(deployment)

    def cancellation_reports(self, deployment_id: UUID) -> list[dict[str, Any]]:
        """Every version of the deployment's cancellation report, the first submitted first."""
        deployment = self.load(Deployment, deployment_id)
        return [dict(v) for v in deployment.__dict__.get("report_versions", [])]


def _topic(cls: type, event_name: str) -> str:
    return f"{cls.__module__}:{cls.__qualname__}.{event_name}"


def watchlist_version(model_id: str, templates: dict[str, bytes]) -> str:
    """The watchlist's content hash: SHA-256 over the model id and the sorted (entry id,
    template bytes) pairs. The worker's index reports the same hash of what it searches."""
    digest = hashlib.sha256(model_id.encode())
    for entry_id in sorted(templates):
        digest.update(b"\x00" + entry_id.encode() + b"\x00" + templates[entry_id])
    return digest.hexdigest()
