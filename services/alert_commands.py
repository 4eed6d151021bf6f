"""Alerts and counts from the worker, and the human decisions that follow an alert."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.access import require_worker
from domain.alert import Alert, Match, StopRecord
from domain.deployment import Deployment
from domain.errors import DomainError
from domain.records import FacesSeenTally
from domain.values import (
    Actor,
    Adjudication,
    Disposal,
    EngagementOutcome,
    S62Operation,
)
from services.subject_sealing import SubjectSealing


class AlertCommands(SubjectSealing):
    """Alerts and counts from the worker, and the human decisions that follow an alert."""

    def raise_alert(self, actor: Actor, match: Match) -> UUID:
        """Raises the alert for a match; a match already raised is a no-op (replay)."""
        require_worker(actor, match.deployment_id, match.camera_id, "raise an alert")
        alert_id = Alert.create_id(match_id=match.match_id)
        with self._new_keys_saved_with_events() as key:  # the alert's key, with its event
            # A held key conflicts on a replay, so the commit tells a replay; else look first.
            if not key and self.exists(alert_id):
                return alert_id
            with self._only_reading():  # the alert reads its deployment, never changes it
                deployment = self.load(Deployment, match.deployment_id)
            sealed = self.sealer.seal(str(alert_id), match.probe_jpeg)
        audit = self.audit(actor, s62=S62Operation.COLLECTION)
        try:
            # Its event only: the alert is built when it is next loaded.
            raised = Alert.raised(audit, deployment, match, sealed)
        except DomainError:
            if key and self.exists(alert_id):
                return alert_id  # raised before, the deployment has moved on since: a replay
            raise
        with self._replay_is_no_op():
            self.commit(raised, **key)
        return alert_id

    def count_faces(
        self,
        actor: Actor,
        deployment_id: UUID,
        camera_id: str,
        interval_start: datetime,
        interval_end: datetime,
        faces_seen: int,
        faces_passed_quality: int,
    ) -> UUID:
        require_worker(actor, deployment_id, camera_id, "count faces")
        tally_id = FacesSeenTally.create_id(deployment_id, camera_id, interval_start)
        if self.exists(tally_id):
            return tally_id
        deployment = self.load(Deployment, deployment_id)
        tally = FacesSeenTally.count(
            self.audit(actor),
            deployment,
            camera_id,
            interval_start,
            interval_end,
            faces_seen,
            faces_passed_quality,
        )
        with self._replay_is_no_op():
            self.commit(tally)
        return tally.id

    def adjudicate_alert(
        self, actor: Actor, alert_id: UUID, decision: Adjudication, notes: str = ""
    ) -> None:
        alert = self.load(Alert, alert_id)
        deployment = self.load(Deployment, alert.deployment_id)
        alert.adjudicate(
            self._for_alert(actor, alert), deployment, decision, notes, self._seals(alert)
        )
        self.commit(alert)

    def record_engagement(
        self,
        actor: Actor,
        alert_id: UUID,
        outcome: EngagementOutcome,
        duration_s: float,
        notes: str = "",
        stop: StopRecord | None = None,
    ) -> None:
        alert = self.load(Alert, alert_id)
        alert.record_engagement(
            self._for_alert(actor, alert), outcome, duration_s, notes, self._seals(alert), stop
        )
        self.commit(alert)

    def record_outcome(self, actor: Actor, alert_id: UUID, disposal: Disposal, reason: str) -> None:
        alert = self.load(Alert, alert_id)
        kept = self.kept_watchlist_image(alert) if disposal is Disposal.ARREST else b""
        alert.record_outcome(
            self._for_alert(actor, alert), disposal, reason, self._seals(alert), kept
        )
        self.commit(alert)

    def correct_adjudication(
        self, actor: Actor, alert_id: UUID, decision: Adjudication, reason: str
    ) -> None:
        alert = self.load(Alert, alert_id)
        alert.correct_adjudication(
            self._for_alert(actor, alert), decision, reason, self._seals(alert)
        )
        self.commit(alert)

    def amend_outcome(self, actor: Actor, alert_id: UUID, disposal: Disposal, reason: str) -> None:
        alert = self.load(Alert, alert_id)
        kept = self.kept_watchlist_image(alert) if disposal is Disposal.ARREST else b""
        alert.amend_outcome(
            self._for_alert(actor, alert), disposal, reason, self._seals(alert), kept
        )
        self.commit(alert)
