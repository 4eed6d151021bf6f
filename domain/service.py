"""The LFR application service: each command loads, calls the aggregate, saves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.alert import Alert
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.errors import ConcurrentChange, NotFound
from domain.records import Consultation, FacesSeenTally
from domain.rules import require
from domain.sealing import Sealer
from domain.transcodings import TRANSCODINGS
from domain.values import (
    Actor,
    Adjudication,
    Audit,
    Disposal,
    EngagementOutcome,
    PreDeploymentCheck,
    Proposal,
    S62Operation,
)
from domain.watchlist import EntryDetails, WatchlistEntry

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Policy:
    """The authorised limits that settings may tighten (DOMAIN.md §b.9, §c)."""

    threshold_floor: float = 0.6
    urgent_confirmation: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class Match:
    """A match the recognition worker reported, as the ingest hands it to the domain."""

    match_id: str
    deployment_id: UUID
    entry_id: UUID
    camera_id: str
    observed_at: datetime
    score: float
    model: dict[str, str]
    watchlist_version: str
    track_id: str
    probe_jpeg: bytes


@dataclass(frozen=True)
class Template:
    entry_id: str
    model_id: str
    vector: bytes


class LfrService(Application):
    """Every command of the MPS stand-alone LFR process (DOMAIN.md §a)."""

    name = "lfr"

    def __init__(self, env: Mapping[str, str] | None = None, *, sealer: Sealer,
                 policy: Policy | None = None, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(env)
        self.sealer = sealer
        self.policy = policy or Policy()
        self.clock = clock or (lambda: datetime.now(UTC))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding)

    # -- plumbing ----------------------------------------------------------------------------

    def audit(self, actor: Actor, justification: str = "", s62: S62Operation | None = None,
              deployment_id: object = "", authority_id: object = "") -> Audit:
        return Audit(actor.id, actor.role.value, self.clock(), justification,
                     s62.value if s62 else "", str(deployment_id), str(authority_id))

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{aggregate_id} is not a {cls.__name__}")
        return aggregate

    def commit(self, *aggregates: Aggregate) -> None:
        """Saves atomically; someone else's change first is a conflict, never a lost update."""
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentChange(
                "someone else changed this record at the same time; reload and try again") from None

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # -- stages 1 to 3: need, intelligence, application, authority ----------------------------

    def identify_need(self, actor: Actor, objective: str, use_case: str) -> UUID:
        application = DeploymentApplication.identify_need(self.audit(actor), objective, use_case)
        self.commit(application)
        return application.id

    def submit_intelligence_case(self, actor: Actor, application_id: UUID, reference: str,
                                 summary: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.submit_intelligence_case(self._for(actor, application), reference, summary)
        self.commit(application)

    def submit_application(self, actor: Actor, application_id: UUID, sections: dict[str, str],
                           proposal: Proposal) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.submit(self._for(actor, application), sections, proposal)
        self.commit(application)

    def request_amendments(self, actor: Actor, application_id: UUID, notes: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.request_amendments(self._for(actor, application), notes)
        self.commit(application)

    def reject_application(self, actor: Actor, application_id: UUID, reasons: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.reject(self._for(actor, application), reasons)
        self.commit(application)

    def grant_authority(self, actor: Actor, application_id: UUID, decisions: dict[str, str],
                        document_versions: dict[str, str], gold_id: str,
                        sensitive_rationale: dict[str, str] | None = None) -> UUID:
        """Grants the Written Authority and plans its deployment; returns the deployment id."""
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.grant(audit, decisions, document_versions, gold_id, sensitive_rationale or {},
                          self.policy.threshold_floor)
        deployment = Deployment.plan(audit, application)
        self.commit(application, deployment)
        return deployment.id

    def grant_urgent_authority(self, actor: Actor, application_id: UUID, urgency: str,
                               decisions: dict[str, str], document_versions: dict[str, str],
                               gold_id: str, sensitive_rationale: dict[str, str] | None = None) -> UUID:
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.grant_urgent(audit, urgency, decisions, document_versions, gold_id,
                                 sensitive_rationale or {}, self.policy.threshold_floor,
                                 self.policy.urgent_confirmation)
        deployment = Deployment.plan(audit, application)
        self.commit(application, deployment)
        return deployment.id

    def confirm_urgent_authority(self, actor: Actor, application_id: UUID, rationale: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.confirm_urgent(self._for(actor, application), rationale)
        self.commit(application)

    def authorise_threshold_change(self, actor: Actor, deployment_id: UUID, threshold: float,
                                   rationale: str) -> None:
        """A threshold change is its own authorised decision, then applied to the deployment."""
        deployment = self.load(Deployment, deployment_id)
        authority = self.load(DeploymentApplication, deployment.authority_id)
        audit = self._for(actor, authority)
        authority.change_threshold(audit, threshold, rationale, self.policy.threshold_floor)
        if deployment.watchlist_state == "imported":
            deployment.apply_threshold(audit, authority)
        self.commit(authority, deployment)

    def authorise_watchlist_size(self, actor: Actor, deployment_id: UUID, max_size: int,
                                 rationale: str) -> None:
        authority = self.load(DeploymentApplication, self.load(Deployment, deployment_id).authority_id)
        authority.change_watchlist_size(self._for(actor, authority), max_size, rationale)
        self.commit(authority)

    # -- stage 3-4: command and pre-deployment ------------------------------------------------

    def appoint_command(self, actor: Actor, deployment_id: UUID, members: dict[str, list[str]]) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.appoint_command(self._for(actor, authority), authority, members)
        self.commit(deployment)

    def record_pre_deployment(self, actor: Actor, deployment_id: UUID, check: PreDeploymentCheck,
                              detail: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.record_pre_deployment(self._for(actor, authority), check, detail)
        self.commit(deployment)

    # -- the watchlist -----------------------------------------------------------------------

    def add_watchlist_entry(self, actor: Actor, deployment_id: UUID, details: EntryDetails,
                            image: bytes, template: bytes, model_id: str) -> UUID:
        deployment, authority = self._deployment_and_authority(deployment_id)
        require(deployment.watchlist_state == "none",
                "entries are added before the watchlist is compiled")
        entry_id = WatchlistEntry.create_id(deployment_id=deployment.id, reference=details.reference)
        subject = str(entry_id)
        entry = WatchlistEntry.add(
            self._for(actor, authority, S62Operation.COLLECTION), authority, deployment.id, details,
            model_id, self.sealer.seal(subject, image), self.sealer.seal(subject, template))
        self.commit(entry)
        return entry.id

    def compile_watchlist(self, actor: Actor, deployment_id: UUID, entry_ids: list[UUID]) -> str:
        deployment, authority = self._deployment_and_authority(deployment_id)
        entries = [self.load(WatchlistEntry, entry_id) for entry_id in entry_ids]
        for entry in entries:
            require(entry.deployment_id == deployment.id and not entry.erased,
                    f"entry {entry.id} does not belong to this deployment's watchlist")
        version = watchlist_version(entries)
        deployment.compile_watchlist(self._for(actor, authority, S62Operation.COMBINATION),
                                     [str(e.id) for e in entries], version, authority)
        self.commit(deployment)
        return version

    def review_watchlist(self, actor: Actor, deployment_id: UUID, notes: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.review_watchlist(self._for(actor, authority), notes)
        self.commit(deployment)

    def import_watchlist(self, actor: Actor, deployment_id: UUID, medium: str) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        model_ids = {self.load(WatchlistEntry, UUID(e)).model_id
                     for e in deployment.watchlist["entry_ids"]}
        require(len(model_ids) == 1, f"the watchlist mixes templates of several models: {model_ids}")
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

    def raise_alert(self, actor: Actor, match: Match) -> UUID:
        """Raises the alert for a match; a match already raised is a no-op (replay)."""
        alert_id = Alert.create_id(match_id=match.match_id)
        if self.exists(alert_id):
            return alert_id
        deployment = self.load(Deployment, match.deployment_id)
        sealed = self.sealer.seal(str(alert_id), match.probe_jpeg)
        alert = Alert.raise_alert(
            self.audit(actor, s62=S62Operation.COLLECTION), deployment, match.match_id,
            match.entry_id, match.camera_id, match.observed_at, match.score, match.model,
            match.watchlist_version, match.track_id, sealed)
        with self._replay_is_no_op():
            self.commit(alert)
        return alert.id

    def count_faces(self, actor: Actor, deployment_id: UUID, camera_id: str, interval_start: datetime,
                    interval_end: datetime, faces_seen: int, faces_passed_quality: int) -> UUID:
        tally_id = FacesSeenTally.create_id(deployment_id, camera_id, interval_start)
        if self.exists(tally_id):
            return tally_id
        deployment = self.load(Deployment, deployment_id)
        tally = FacesSeenTally.count(self.audit(actor), deployment, camera_id, interval_start,
                                     interval_end, faces_seen, faces_passed_quality)
        with self._replay_is_no_op():
            self.commit(tally)
        return tally.id

    def adjudicate_alert(self, actor: Actor, alert_id: UUID, decision: Adjudication,
                         notes: str = "") -> None:
        alert = self.load(Alert, alert_id)
        deployment = self.load(Deployment, alert.deployment_id)
        alert.adjudicate(self._for_alert(actor, alert), deployment, decision, notes)
        self.commit(alert)

    def record_engagement(self, actor: Actor, alert_id: UUID, outcome: EngagementOutcome,
                          duration_s: float, notes: str = "") -> None:
        alert = self.load(Alert, alert_id)
        alert.record_engagement(self._for_alert(actor, alert), outcome, duration_s, notes)
        self.commit(alert)

    def record_outcome(self, actor: Actor, alert_id: UUID, disposal: Disposal, reason: str) -> None:
        alert = self.load(Alert, alert_id)
        alert.record_outcome(self._for_alert(actor, alert), disposal, reason)
        self.commit(alert)

    # -- stage 6: post-deployment ------------------------------------------------------------

    def submit_cancellation_report(self, actor: Actor, deployment_id: UUID,
                                   report: dict[str, Any]) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.submit_cancellation_report(self._for(actor, authority), report)
        self.commit(deployment)

    def publish_register_entry(self, actor: Actor, deployment_id: UUID, entry: dict[str, Any]) -> None:
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.publish_register_entry(self._for(actor, authority), entry)
        self.commit(deployment)

    # -- personal data: s.62 consultation, holds and erasure ----------------------------------

    def consult_watchlist_image(self, actor: Actor, entry_id: UUID, justification: str) -> bytes:
        entry = self.load(WatchlistEntry, entry_id)
        return self._consult(actor, justification, "watchlist_image", entry.id, entry.sealed_image,
                             entry.deployment_id, entry.authority_id, entry.erased)

    def consult_probe_image(self, actor: Actor, alert_id: UUID, justification: str) -> bytes:
        alert = self.load(Alert, alert_id)
        return self._consult(actor, justification, "probe_image", alert.id, alert.sealed_probe,
                             alert.deployment_id, alert.authority_id, alert.erased)

    def _consult(self, actor: Actor, justification: str, data_class: str, subject: UUID,
                 sealed: bytes, deployment_id: UUID, authority_id: UUID, erased: bool) -> bytes:
        from domain.errors import DataErased

        if erased:
            raise DataErased(f"the {data_class.replace('_', ' ')} of {subject} has been erased")
        audit = self.audit(actor, justification, S62Operation.CONSULTATION, deployment_id, authority_id)
        self.commit(Consultation.log(audit, data_class, str(subject)))
        return self.sealer.open(str(subject), sealed)

    def place_legal_hold(self, actor: Actor, alert_id: UUID, reason: str, approver: str,
                         review_on: date) -> None:
        alert = self.load(Alert, alert_id)
        alert.place_legal_hold(self._for_alert(actor, alert), reason, approver, review_on)
        self.commit(alert)

    def lift_legal_hold(self, actor: Actor, alert_id: UUID, reason: str) -> None:
        alert = self.load(Alert, alert_id)
        alert.lift_legal_hold(self._for_alert(actor, alert), reason)
        self.commit(alert)

    def erase_alert_data(self, actor: Actor, alert_id: UUID, rule: str) -> None:
        """Records the erasure, then destroys the key: the record can never claim less."""
        alert = self.load(Alert, alert_id)
        alert.erase(self._for_alert(actor, alert, S62Operation.ERASURE), rule)
        self.commit(alert)
        self.sealer.destroy(str(alert.id))

    def erase_watchlist_entry(self, actor: Actor, entry_id: UUID, rule: str) -> None:
        entry = self.load(WatchlistEntry, entry_id)
        entry.erase(self.audit(actor, s62=S62Operation.ERASURE, deployment_id=entry.deployment_id,
                               authority_id=entry.authority_id), rule)
        self.commit(entry)
        self.sealer.destroy(str(entry.id))

    def erase_alerts_data_batch(self, actor: Actor, alert_ids: list[UUID], rule: str) -> list[UUID]:
        """The sweeper's batch: records many erasures in one transaction, then destroys the keys.

        Alerts already erased or under a legal hold are skipped; if another process changed one
        of them meanwhile, nothing is recorded and ConcurrentChange is raised (retry one by one)."""
        loaded = [self.load(Alert, alert_id) for alert_id in alert_ids]
        alerts = [a for a in loaded if not a.erased and not a.legal_hold]
        for alert in alerts:
            alert.erase(self._for_alert(actor, alert, S62Operation.ERASURE), rule)
        self.commit(*alerts)
        for alert in alerts:
            self.sealer.destroy(str(alert.id))
        return [alert.id for alert in alerts]

    def erase_watchlist_entries_batch(self, actor: Actor, entry_ids: list[UUID],
                                      rule: str) -> list[UUID]:
        """As `erase_alerts_data_batch`, for watchlist entries (already erased ones skipped)."""
        entries = [e for e in (self.load(WatchlistEntry, i) for i in entry_ids) if not e.erased]
        for entry in entries:
            entry.erase(self.audit(actor, s62=S62Operation.ERASURE,
                                   deployment_id=entry.deployment_id,
                                   authority_id=entry.authority_id), rule)
        self.commit(*entries)
        for entry in entries:
            self.sealer.destroy(str(entry.id))
        return [entry.id for entry in entries]

    def erase_watchlist(self, actor: Actor, deployment_id: UUID, rule: str) -> list[UUID]:
        """Erases every entry of an ended deployment's watchlist, then records the whole."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        erased = []
        for entry_id in map(UUID, deployment.watchlist.get("entry_ids", [])):
            if not self.load(WatchlistEntry, entry_id).erased:
                self.erase_watchlist_entry(actor, entry_id, rule)
                erased.append(entry_id)
        deployment.erase_watchlist(self._for(actor, authority, S62Operation.ERASURE), rule)
        self.commit(deployment)
        return erased

    # -- helpers -----------------------------------------------------------------------------

    def _deployment_and_authority(self, deployment_id: UUID) -> tuple[Deployment, DeploymentApplication]:
        deployment = self.load(Deployment, deployment_id)
        return deployment, self.load(DeploymentApplication, deployment.authority_id)

    def _for(self, actor: Actor, application: DeploymentApplication,
             s62: S62Operation | None = None) -> Audit:
        return self.audit(actor, s62=s62, deployment_id=Deployment.create_id(application.id),
                          authority_id=application.id)

    def _for_alert(self, actor: Actor, alert: Alert, s62: S62Operation | None = None) -> Audit:
        return self.audit(actor, s62=s62, deployment_id=alert.deployment_id,
                          authority_id=alert.authority_id)

    @contextmanager
    def _replay_is_no_op(self) -> Iterator[None]:
        # Two deliveries of one message can race: the loser's insert conflicts, and that is fine.
        try:
            yield
        except ConcurrentChange:
            pass


def watchlist_version(entries: list[WatchlistEntry]) -> str:
    """A content hash of the watchlist: entry ids and their sealed templates, in id order."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: str(e.id)):
        digest.update(str(entry.id).encode())
        digest.update(hashlib.sha256(entry.sealed_template).digest())
    return digest.hexdigest()
