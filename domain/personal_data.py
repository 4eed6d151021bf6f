"""Personal data: s.62 consultation, legal holds and erasure."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.alert import Alert
from domain.errors import DataErased
from domain.records import Consultation
from domain.service_base import ServiceBase
from domain.values import Actor, Audit, S62Operation
from domain.watchlist import WatchlistEntry


class PersonalDataCommands(ServiceBase):
    """Personal data: s.62 consultation, legal holds and erasure."""

    def consult_watchlist_image(self, actor: Actor, entry_id: UUID, justification: str) -> bytes:
        entry = self.load(WatchlistEntry, entry_id)
        return self._consult(
            actor,
            justification,
            "watchlist_image",
            entry.id,
            entry.sealed_image,
            entry.deployment_id,
            entry.authority_id,
            entry.erased,
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

    def place_legal_hold(
        self, actor: Actor, alert_id: UUID, reason: str, approver: str, review_on: date
    ) -> None:
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
        entry.erase(self._for_entry(actor, entry, S62Operation.ERASURE), rule)
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

    def erase_watchlist_entries_batch(
        self, actor: Actor, entry_ids: list[UUID], rule: str
    ) -> list[UUID]:
        """As `erase_alerts_data_batch`, for watchlist entries (already erased ones skipped)."""
        entries = [e for e in (self.load(WatchlistEntry, i) for i in entry_ids) if not e.erased]
        for entry in entries:
            entry.erase(self._for_entry(actor, entry, S62Operation.ERASURE), rule)
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

    def _for_entry(self, actor: Actor, entry: WatchlistEntry, s62: S62Operation) -> Audit:
        return self.audit(
            actor, s62=s62, deployment_id=entry.deployment_id, authority_id=entry.authority_id
        )
