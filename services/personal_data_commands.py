"""Personal data: s.62 consultation, legal holds and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from domain.access import ACROSS_DEPLOYMENTS
from domain.alert import Alert, HoldRequest, SeenAlert
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.errors import DataErased, NotFound
from domain.records import Consultation
from domain.sealing import open_text, watchlist_subject
from domain.values import Actor, Audit, S62Operation
from domain.watchlist import WatchlistEntry
from services.subject_sealing import SubjectSealing


@dataclass(frozen=True)
class ConsultedEntry:
    """A watchlist entry's personal data, as one s.62 consultation opened it."""

    image: bytes
    reference: str
    ao_rationale: str
    source: str = ""
    legal_basis: str = ""


class PersonalDataCommands(SubjectSealing):
    """Personal data: s.62 consultation, legal holds and erasure."""

    def consult_watchlist_image(self, actor: Actor, entry_id: UUID, justification: str) -> bytes:
        return self.consult_watchlist_entry(actor, entry_id, justification).image

    def consult_watchlist_entry(
        self, actor: Actor, entry_id: UUID, justification: str
    ) -> ConsultedEntry:
        """The entry's image, reference (a name) and AO rationale, under one s.62 record."""
        entry = self.load(WatchlistEntry, entry_id)
        image = self._consult(
            actor,
            justification,
            "watchlist_entry",
            entry.id,
            entry.sealed_image,
            entry.deployment_id,
            entry.authority_id,
            entry.erased,
        )
        return ConsultedEntry(
            image,
            open_text(self.sealer, entry.id, entry.sealed_reference),
            open_text(self.sealer, entry.id, entry.sealed_ao_rationale),
            open_text(self.sealer, entry.id, entry.sealed_source),
            open_text(self.sealer, entry.id, entry.sealed_legal_basis),
        )

    def consult_probe_image(self, actor: Actor, alert_id: UUID, justification: str) -> bytes:
        alert = self.load(Alert, alert_id)
        return self._consult(
            actor,
            justification,
            "probe_image",
            alert.id,
            alert.sealed_probe,
            alert.deployment_id,
            alert.authority_id,
            alert.erased,
        )

    def consult_held_watchlist_image(
        self, actor: Actor, alert_id: UUID, justification: str
    ) -> bytes:
        """The matched watchlist image a legal hold kept under the alert's key, for the
        investigation once the watchlist itself is erased."""
        alert = self.load(Alert, alert_id)
        if not alert.sealed_watchlist_image:
            raise NotFound(f"no hold of alert {alert_id} kept its watchlist image")
        return self._consult(
            actor,
            justification,
            "held_watchlist_image",
            alert.id,
            alert.sealed_watchlist_image,
            alert.deployment_id,
            alert.authority_id,
            alert.erased,
        )

    def consult_alert_notes(
        self, actor: Actor, alert_id: UUID, justification: str
    ) -> dict[str, str]:
        """The officers' free text about the person (notes, reasons), by what each notes."""
        alert = self.load(Alert, alert_id)
        self.require_appointed(actor, alert.deployment_id, "read the notes about the person")
        if alert.erased:
            raise DataErased(f"the notes of alert {alert.id} have been erased")
        audit = self.audit(
            actor,
            justification,
            S62Operation.CONSULTATION,
            alert.deployment_id,
            alert.authority_id,
        )
        self.commit(Consultation.log(audit, "alert_notes", str(alert.id)))
        return {
            name: open_text(self.sealer, alert.id, sealed)
            for name, sealed in alert.sealed_notes.items()
        }

    def consult_watchlist_review(
        self, actor: Actor, deployment_id: UUID, justification: str
    ) -> str:
        """The watchlist review's notes (they speak of the people on it), under one s.62
        record; gone with the watchlist."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        sealed = self._watchlist_text(actor, deployment, authority, justification, "review")
        return open_text(self.sealer, watchlist_subject(deployment.id), sealed)

    def consult_watchlist_upload(
        self,
        actor: Actor,
        deployment_id: UUID,
        upload_id: str,
        sealed_rows: dict[str, bytes],
        justification: str,
    ) -> dict[str, str]:
        """An upload's report row by row (folder names are people's names, and the reasons
        may name them), under one s.62 record; gone with the watchlist."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        self._watchlist_text(actor, deployment, authority, justification, f"upload {upload_id}")
        subject = watchlist_subject(deployment.id)
        return {row: open_text(self.sealer, subject, sealed) for row, sealed in sealed_rows.items()}

    def _watchlist_text(
        self,
        actor: Actor,
        deployment: Deployment,
        authority: DeploymentApplication,
        justification: str,
        what: str,
    ) -> bytes:
        """Logs the consultation of the watchlist's text (`what`); the review's sealed notes."""
        self.require_appointed(actor, deployment.id, "read the watchlist's notes")
        if deployment.watchlist_state == "erased":
            raise DataErased(f"the watchlist of deployment {deployment.id} has been erased")
        audit = self.audit(
            actor, justification, S62Operation.CONSULTATION, deployment.id, authority.id
        )
        item = f"{deployment.id}:{what}"
        self.commit(Consultation.log(audit, "watchlist_text", item))
        return bytes(deployment.sealed_review_notes)

    def _consult(
        self,
        actor: Actor,
        justification: str,
        data_class: str,
        subject: UUID,
        sealed: bytes,
        deployment_id: UUID,
        authority_id: UUID,
        erased: bool,
    ) -> bytes:
        self.require_appointed(actor, deployment_id, f"read the {data_class.replace('_', ' ')}")
        if erased:
            raise DataErased(f"the {data_class.replace('_', ' ')} of {subject} has been erased")
        audit = self.audit(
            actor, justification, S62Operation.CONSULTATION, deployment_id, authority_id
        )
        self.commit(Consultation.log(audit, data_class, str(subject)))
        return self.sealer.open(str(subject), sealed)

    # -- legal holds -------------------------------------------------------------------------

    def place_legal_hold(self, actor: Actor, alert_id: UUID, hold: HoldRequest) -> None:
        """Holds the alert, keeping a copy of the matched watchlist image under its key."""
        alert = self.load(Alert, alert_id)
        kept = self.kept_watchlist_image(alert)
        alert.place_legal_hold(self._for_alert(actor, alert), hold, self._seals(alert), kept)
        self.commit(alert)

    def approve_legal_hold(self, actor: Actor, alert_id: UUID) -> None:
        alert = self.load(Alert, alert_id)
        alert.approve_legal_hold(self._for_alert(actor, alert))
        self.commit(alert)

    def raise_hold_review(self, actor: Actor, alert_id: UUID) -> None:
        alert = self.load(Alert, alert_id)
        alert.raise_hold_review(self._for_alert(actor, alert))
        self.commit(alert)

    def renew_legal_hold(self, actor: Actor, alert_id: UUID, reason: str, review_on: date) -> None:
        alert = self.load(Alert, alert_id)
        alert.renew_legal_hold(self._for_alert(actor, alert), reason, review_on, self._seals(alert))
        self.commit(alert)

    def lift_legal_hold(self, actor: Actor, alert_id: UUID, reason: str) -> None:
        alert = self.load(Alert, alert_id)
        alert.lift_legal_hold(self._for_alert(actor, alert), reason, self._seals(alert))
        self.commit(alert)

    def erase_alert_data(self, actor: Actor, alert_id: UUID, rule: str) -> None:
        """Records the erasure and destroys the key together: the record can never claim less."""
        alert = self.load(Alert, alert_id)
        alert.erase(self._for_alert(actor, alert, S62Operation.ERASURE), rule)
        with self._destroying_keys([str(alert.id)]) as destroying:
            self.commit(alert, **destroying)

    def erase_watchlist_entry(self, actor: Actor, entry_id: UUID, rule: str) -> None:
        entry = self.load(WatchlistEntry, entry_id)
        entry.erase(self._for_entry(actor, entry, S62Operation.ERASURE), rule)
        with self._destroying_keys([str(entry.id)]) as destroying:
            self.commit(entry, **destroying)

    def erasure_audit(self, actor: Actor, deployment_id: UUID) -> Audit:
        """The audit of erasing the data of a deployment's alerts, once the actor is found
        allowed to: made once for all the batches of one sweep (`erase_seen_alerts`)."""
        deployment = self.load(Deployment, deployment_id)
        if actor.role not in ACROSS_DEPLOYMENTS:
            self.require_appointed(actor, deployment_id, "act")
        return self.audit(
            actor,
            s62=S62Operation.ERASURE,
            deployment_id=deployment_id,
            authority_id=deployment.authority_id,
        )

    def erase_seen_alerts(self, audit: Audit, seen: Sequence[SeenAlert], rule: str) -> list[str]:
        """The sweeper's batch from the retention view: alerts of the deployment `audit` is
        for (`erasure_audit`), as the view recorded them (version, hold), erased without
        loading them (`Alert.erasure`), in one transaction with their keys' destruction. Alerts
        recorded as held or erased are skipped; if any alert changed since the view saw it,
        nothing is recorded and ConcurrentChange is raised (retry one by one). Returns the
        erased alerts' ids, as their keys name them."""
        timestamp = datetime.now(UTC)  # one for the batch: the events differ only by alert
        erasures = [
            Alert.erasure(audit, rule, alert, timestamp)
            for alert in seen
            if not alert.erased and not alert.legal_hold
        ]
        subjects = [str(erasure.originator_id) for erasure in erasures]
        with self._destroying_keys(subjects) as destroying:
            self.record(erasures, **destroying)
        return subjects

    def erase_watchlist_entries_batch(
        self, actor: Actor, entry_ids: list[UUID], rule: str
    ) -> list[UUID]:
        """The sweeper's batch of watchlist entries: their erasures recorded in one transaction
        (already erased ones skipped) with their keys' destruction; if another process changed
        one of them meanwhile, nothing is recorded and ConcurrentChange is raised."""
        entries = [e for e in self.load_many(WatchlistEntry, entry_ids) if not e.erased]
        for entry in entries:
            entry.erase(self._for_entry(actor, entry, S62Operation.ERASURE), rule)
        with self._destroying_keys([str(entry.id) for entry in entries]) as destroying:
            self.commit(*entries, **destroying)
        return [entry.id for entry in entries]

    def erase_watchlist(self, actor: Actor, deployment_id: UUID, rule: str) -> list[UUID]:
        """Erases every entry of an ended deployment's watchlist and records the whole, in one
        transaction with the keys' destruction. A refusal (the deployment
        still live, the watchlist already erased) changes nothing: no entry, no key."""
        deployment, authority = self._deployment_and_authority(deployment_id)
        deployment.erase_watchlist(self._for(actor, authority, S62Operation.ERASURE), rule)
        entries = [
            entry
            for entry in (
                self.load(WatchlistEntry, UUID(i))
                for i in deployment.watchlist.get("entry_ids", [])
            )
            if not entry.erased
        ]
        for entry in entries:
            entry.erase(self._for_entry(actor, entry, S62Operation.ERASURE), rule)
        # ... and the text about the watchlist as a whole (review notes, upload reports).
        subjects = [*(str(entry.id) for entry in entries), watchlist_subject(deployment.id)]
        with self._destroying_keys(subjects) as destroying:
            self.commit(*entries, deployment, **destroying)
        return [entry.id for entry in entries]

    def _for_entry(self, actor: Actor, entry: WatchlistEntry, s62: S62Operation) -> Audit:
        return self.audit(
            actor, s62=s62, deployment_id=entry.deployment_id, authority_id=entry.authority_id
        )
