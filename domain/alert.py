"""Alerts: a prompt for a human decision, never an identification (DOMAIN.md §b.6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.deployment import Deployment
from domain.probe import require_jpeg
from domain.rules import require, require_role, require_text
from domain.values import Adjudication, Audit, Disposal, EngagementOutcome, Role

ADJUDICATORS = (Role.ENGAGEMENT_OFFICER, Role.OPERATOR)


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


def require_match_fits(deployment: Deployment, match: Match) -> None:
    """A match comes from an authorised camera, searched the deployment's current watchlist
    with its model, and carries a JPEG probe: anything else is not this deployment's alert."""
    require(
        match.camera_id in deployment.cameras,
        f"camera {match.camera_id!r} is not authorised for this deployment",
    )
    current = deployment.watchlist.get("version", "")
    require(
        match.watchlist_version == current,
        f"the match was made against watchlist version {match.watchlist_version[:16]!r}, "
        f"not the deployment's current version {current[:16]!r}",
    )
    model = deployment.watchlist.get("model_id", "")
    require(
        match.model.get("id") == model,
        f"the match was made with model {match.model.get('id')!r}, not the imported {model!r}",
    )
    require_jpeg(match.probe_jpeg)


class Alert(Aggregate):
    """One alert. Its id comes from the worker's match event id, so a replay is a no-op."""

    @staticmethod
    def create_id(match_id: str, **_: Any) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"lfr:alert:{match_id}")

    @event("AlertRaised")
    def __init__(
        self,
        audit: Audit,
        match_id: str,
        deployment_id: UUID,
        authority_id: UUID,
        entry_id: UUID,
        camera_id: str,
        observed_at: datetime,
        score: float,
        threshold: float,
        model: dict[str, str],
        watchlist_version: str,
        track_id: str,
        sealed_probe: bytes,
    ) -> None:
        self.match_id = match_id
        self.deployment_id = deployment_id
        self.authority_id = authority_id
        self.entry_id = entry_id
        self.camera_id = camera_id
        self.observed_at = observed_at
        self.score = score
        self.threshold = threshold
        self.model = model
        self.watchlist_version = watchlist_version
        self.track_id = track_id
        self.sealed_probe = sealed_probe
        self.adjudication: dict[str, Any] = {}
        self.engagement: dict[str, Any] = {}
        self.outcome: dict[str, Any] = {}
        self.legal_hold: dict[str, str] = {}
        self.erased = False

    @classmethod
    def raise_alert(
        cls, audit: Audit, deployment: Deployment, match: Match, sealed_probe: bytes
    ) -> Alert:
        require_role(audit, Role.WORKER, Role.SYSTEM, doing="raise an alert")
        require(
            deployment.status == "live",
            f"alerts are raised only while the deployment is live; it is {deployment.status}",
        )
        require(
            deployment.accepts_alert_at(match.observed_at),
            f"no alert is raised outside the authorised window, as at {match.observed_at}",
        )
        require(
            match.camera_id in deployment.live_cameras,
            f"camera {match.camera_id!r} is not one the deployment started under its authority",
        )
        require(
            str(match.entry_id) in deployment.watchlist.get("entry_ids", []),
            "the alert names an entry that is not on this deployment's watchlist",
        )
        require(
            match.score >= deployment.threshold,
            f"score {match.score:.3f} is below the authorised threshold {deployment.threshold}",
        )
        require_match_fits(deployment, match)
        return cls(
            audit=audit.tied_to(deployment.id, deployment.authority_id),
            match_id=match.match_id,
            deployment_id=deployment.id,
            authority_id=deployment.authority_id,
            entry_id=match.entry_id,
            camera_id=match.camera_id,
            observed_at=match.observed_at,
            score=match.score,
            threshold=deployment.threshold,
            model=match.model,
            watchlist_version=match.watchlist_version,
            track_id=match.track_id,
            sealed_probe=sealed_probe,
        )

    def adjudicate(
        self, audit: Audit, deployment: Deployment, decision: Adjudication, notes: str
    ) -> None:
        require_role(audit, *ADJUDICATORS, doing="adjudicate an alert")
        require(not self.adjudication, "the alert has already been adjudicated")
        require(
            deployment.status in {"live", "paused"},
            f"an alert cannot be adjudicated once the deployment is {deployment.status}",
        )
        self._adjudicated(audit=audit, decision=decision.value, notes=notes)

    @event("AlertAdjudicated")
    def _adjudicated(self, audit: Audit, decision: str, notes: str) -> None:
        self.adjudication = {
            "decision": decision,
            "officer": audit.actor_id,
            "role": audit.actor_role,
            "at": audit.at,
            "notes": notes,
        }

    def record_engagement(
        self, audit: Audit, outcome: EngagementOutcome, duration_s: float, notes: str
    ) -> None:
        require_role(audit, Role.ENGAGEMENT_OFFICER, doing="record an engagement")
        require(bool(self.adjudication), "no action may follow an alert before it is adjudicated")
        require(
            self.adjudication["decision"] == Adjudication.ENGAGE.value,
            "the alert was adjudicated as a false alert: no engagement may follow",
        )
        require(not self.engagement, "the engagement has already been recorded")
        require(duration_s >= 0, "the engagement's duration cannot be negative")
        self._engagement_concluded(
            audit=audit, outcome=outcome.value, duration_s=duration_s, notes=notes
        )

    @event("EngagementConcluded")
    def _engagement_concluded(
        self, audit: Audit, outcome: str, duration_s: float, notes: str
    ) -> None:
        self.engagement = {
            "outcome": outcome,
            "officer": audit.actor_id,
            "at": audit.at,
            "duration_s": duration_s,
        }

    def record_outcome(self, audit: Audit, disposal: Disposal, reason: str) -> None:
        require_role(audit, Role.ENGAGEMENT_OFFICER, doing="record an outcome")
        require(bool(self.adjudication), "no action may follow an alert before it is adjudicated")
        require(bool(self.engagement), "an outcome follows an engagement")
        require(not self.outcome, "the outcome has already been recorded")
        if disposal is not Disposal.NO_FURTHER_ACTION:
            require(
                self.engagement["outcome"] == EngagementOutcome.CONFIRMED_TRUE.value,
                f"{disposal.value} needs a confirmed true alert",
            )
        require_text(reason, "the reason for the outcome")
        self._outcome_recorded(audit=audit, disposal=disposal.value, reason=reason)

    @event("OutcomeRecorded")
    def _outcome_recorded(self, audit: Audit, disposal: str, reason: str) -> None:
        self.outcome = {"disposal": disposal, "reason": reason, "at": audit.at}

    # -- retention ---------------------------------------------------------------------------

    def place_legal_hold(self, audit: Audit, reason: str, approver: str, review_on: date) -> None:
        require_role(audit, Role.DPO, doing="place a legal hold")
        require(not self.erased, "erased alert data cannot be held")
        require_text(reason, "the reason for the hold")
        require_text(approver, "the hold's approver")
        require(review_on > audit.at.date(), "the hold's review date must be in the future")
        self._legal_hold_placed(
            audit=audit, reason=reason, approver=approver, review_on=review_on.isoformat()
        )

    @event("LegalHoldPlaced")
    def _legal_hold_placed(self, audit: Audit, reason: str, approver: str, review_on: str) -> None:
        self.legal_hold = {"reason": reason, "approver": approver, "review_on": review_on}

    def lift_legal_hold(self, audit: Audit, reason: str) -> None:
        require_role(audit, Role.DPO, doing="lift a legal hold")
        require(bool(self.legal_hold), "the alert is not held")
        require_text(reason, "the reason for lifting the hold")
        self._legal_hold_lifted(audit=audit, reason=reason)

    @event("LegalHoldLifted")
    def _legal_hold_lifted(self, audit: Audit, reason: str) -> None:
        self.legal_hold = {}

    def erase(self, audit: Audit, rule: str) -> None:
        require_role(audit, Role.SYSTEM, Role.DPO, doing="erase alert data")
        require(not self.erased, "the alert data is already erased")
        require(
            not self.legal_hold, f"the alert is under a legal hold: {self.legal_hold.get('reason')}"
        )
        require_text(rule, "the retention rule applied")
        self._erased(audit=audit, rule=rule)

    @event("AlertDataErased")
    def _erased(self, audit: Audit, rule: str) -> None:
        self.erased = True
