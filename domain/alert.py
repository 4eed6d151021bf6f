"""Alerts: a prompt for a human decision, never an identification (DOMAIN.md §b.6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.deployment import Deployment
from domain.errors import RuleViolation
from domain.probe import require_jpeg
from domain.rules import require, require_role, require_text
from domain.sealing import TextSealer
from domain.values import (
    Adjudication,
    Audit,
    DeploymentStatus,
    Disposal,
    EngagementOutcome,
    Role,
)

ADJUDICATORS = (Role.ENGAGEMENT_OFFICER, Role.OPERATOR)
# Engagements in which the person was stopped and spoken to.
STOPPED = frozenset({EngagementOutcome.CONFIRMED_TRUE, EngagementOutcome.CONFIRMED_FALSE})


@dataclass(frozen=True)
class StopRecord:
    """What the officer did for a person stopped (DOMAIN.md §b.10)."""

    told_why: bool = False
    leaflet_given: bool = False


TOLD_AND_GIVEN_LEAFLET = StopRecord(told_why=True, leaflet_given=True)
# An arrest's hold is reviewed by the DPO before the alert's 31 days would have run out.
ARREST_HOLD_REVIEW = timedelta(days=28)
ARREST_HOLD_REASON = "arrest: evidence for the investigation (placed with the outcome)"


class HoldBasis(StrEnum):
    """Why alert data is kept past its retention period (DOMAIN.md §c)."""

    INVESTIGATION = "investigation"
    PROCEEDINGS = "proceedings"


@dataclass(frozen=True)
class HoldRequest:
    """A legal hold as requested: its basis, the reason (sealed: it is about the person), and
    when it must be reviewed."""

    basis: HoldBasis
    reason: str
    review_on: date


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


def _require_raisable(audit: Audit, deployment: Deployment, match: Match) -> None:
    """The rules of a new alert; each refusal's message is made only when refusing (alerts
    come by the thousand a second)."""
    require_role(audit, Role.WORKER, Role.SYSTEM, doing="raise an alert")
    if deployment.status != DeploymentStatus.LIVE:
        raise RuleViolation(
            f"alerts are raised only while the deployment is live; it is {deployment.status}"
        )
    if not deployment.accepts_alert_at(match.observed_at):
        raise RuleViolation(
            f"no alert is raised outside the authorised window, as at {match.observed_at}"
        )
    if match.camera_id not in deployment.live_cameras:
        raise RuleViolation(
            f"camera {match.camera_id!r} is not one the deployment started under its authority"
        )
    require(
        str(match.entry_id) in deployment.watchlist.get("entry_ids", []),
        "the alert names an entry that is not on this deployment's watchlist",
    )
    if match.score < deployment.threshold:
        raise RuleViolation(
            f"score {match.score:.3f} is below the authorised threshold {deployment.threshold}"
        )
    require_match_fits(deployment, match)


def require_match_fits(deployment: Deployment, match: Match) -> None:
    """A match comes from an authorised camera, searched the deployment's current watchlist
    with its model, and carries a JPEG probe: anything else is not this deployment's alert."""
    if match.camera_id not in deployment.cameras:
        raise RuleViolation(f"camera {match.camera_id!r} is not authorised for this deployment")
    current = deployment.watchlist.get("version", "")
    if match.watchlist_version != current:
        raise RuleViolation(
            f"the match was made against watchlist version {match.watchlist_version[:16]!r}, "
            f"not the deployment's current version {current[:16]!r}"
        )
    model = deployment.watchlist.get("model_id", "")
    if match.model.get("id") != model:
        raise RuleViolation(
            f"the match was made with model {match.model.get('id')!r}, not the imported {model!r}"
        )
    require_jpeg(match.probe_jpeg)


class Alert(Aggregate):
    """One alert. Its id comes from the worker's match event id, so a replay is a no-op.

    The probe crop and every officer's free text about the person (adjudication and
    engagement notes, the outcome's reason, a hold's reasons) are sealed under this alert's
    own key (`sealed_notes`, by what they note), so they are erased with it."""

    @staticmethod
    def create_id(match_id: str, **_: Any) -> UUID:
        return _alert_id(match_id)

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
        self.sealed_notes: dict[str, bytes] = {}
        self.sealed_watchlist_image = b""  # a hold's copy of the matched image
        self.erased = False
        self.corrections: list[dict[str, str]] = []  # what each correction replaced, and why

    @classmethod
    def raise_alert(
        cls, audit: Audit, deployment: Deployment, match: Match, sealed_probe: bytes
    ) -> Alert:
        """The new alert for a match, decided by the rules of `raised`."""
        raised = cls.raised(audit, deployment, match, sealed_probe)
        alert: Alert = raised.mutate(None)  # type: ignore[assignment]  # a created event makes one
        alert.pending_events.append(raised)
        return alert

    @classmethod
    def raised(
        cls,
        audit: Audit,
        deployment: Deployment,
        match: Match,
        sealed_probe: bytes,
        timestamp: datetime | None = None,
    ) -> Aggregate.Event:
        """The `AlertRaised` event of a new alert for a match, without building the alert
        (the ingest stores thousands a second): raised only while the deployment is live,
        inside its window, from a camera it started, for an entry on its watchlist, at or
        above its threshold, searched with its watchlist's version and model."""
        _require_raisable(audit, deployment, match)
        raised: Any = cls.AlertRaised  # type: ignore[attr-defined]  # made by @event
        return raised(
            originator_topic=f"{cls.__module__}:{cls.__qualname__}",  # the library's topic
            originator_id=cls.create_id(match.match_id),
            originator_version=cls.INITIAL_VERSION,
            timestamp=timestamp or raised.create_timestamp(),
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
        self,
        audit: Audit,
        deployment: Deployment,
        decision: Adjudication,
        notes: str,
        seal: TextSealer,
    ) -> None:
        require_role(audit, *ADJUDICATORS, doing="adjudicate an alert")
        require(not self.adjudication, "the alert has already been adjudicated")
        # An alert pending when the deployment ends is still resolved afterwards, while its
        # data is kept (DOMAIN.md §c): never left to vanish from the figures.
        require(
            not self.erased,
            "the alert's data is erased under its retention rule: it can no longer be adjudicated",
        )
        self._adjudicated(audit=audit, decision=decision.value, sealed_notes=seal(notes))

    def correct_adjudication(
        self, audit: Audit, decision: Adjudication, reason: str, seal: TextSealer
    ) -> None:
        """A correction is a new event with its reason (sealed: it is about the person); the
        first decision stays in history."""
        require_role(audit, *ADJUDICATORS, doing="correct an adjudication")
        require(bool(self.adjudication), "only an adjudicated alert can be re-adjudicated")
        require(
            decision.value != self.adjudication["decision"],
            f"the alert is already adjudicated as {decision.value}",
        )
        require(
            not self.engagement,
            "an engagement followed the adjudication: correct the engagement's outcome instead",
        )
        require(not self.erased, "the alert's data is erased: it can no longer be corrected")
        require_text(reason, "the reason for the correction")
        self._adjudication_corrected(
            audit=audit,
            decision=decision.value,
            previous=self.adjudication["decision"],
            sealed_reason=seal(reason),
        )

    @event("AdjudicationCorrected")
    def _adjudication_corrected(
        self, audit: Audit, decision: str, previous: str, sealed_reason: bytes
    ) -> None:
        self.corrections.append({"kind": "adjudication", "was": previous, "by": audit.actor_id})
        self.sealed_notes[f"correction-{len(self.corrections)}"] = sealed_reason
        self.adjudication = {
            **self.adjudication,
            "decision": decision,
            "officer": audit.actor_id,
            "role": audit.actor_role,
            "at": audit.at,
        }

    @event("AlertAdjudicated")
    def _adjudicated(self, audit: Audit, decision: str, sealed_notes: bytes) -> None:
        self.adjudication = {
            "decision": decision,
            "officer": audit.actor_id,
            "role": audit.actor_role,
            "at": audit.at,
        }
        self.sealed_notes["adjudication"] = sealed_notes

    def record_engagement(
        self,
        audit: Audit,
        outcome: EngagementOutcome,
        duration_s: float,
        notes: str,
        seal: TextSealer,
        stop: StopRecord | None = None,
    ) -> None:
        """A person stopped is told why and given the leaflet (DOMAIN.md §b.10: avoiding the
        cameras is lawful); the engagement records both, or is refused."""
        require_role(audit, Role.ENGAGEMENT_OFFICER, doing="record an engagement")
        stop = stop or StopRecord()
        if outcome in STOPPED:
            require(stop.told_why, "a person stopped must be told why: record that they were")
            require(
                stop.leaflet_given,
                "a person stopped must be given the LFR leaflet: record that they were",
            )
        require(bool(self.adjudication), "no action may follow an alert before it is adjudicated")
        require(
            self.adjudication["decision"] == Adjudication.ENGAGE.value,
            "the alert was adjudicated as a false alert: no engagement may follow",
        )
        require(not self.engagement, "the engagement has already been recorded")
        require(duration_s >= 0, "the engagement's duration cannot be negative")
        self._engagement_concluded(
            audit=audit,
            outcome=outcome.value,
            duration_s=duration_s,
            sealed_notes=seal(notes),
            told_why=stop.told_why,
            leaflet_given=stop.leaflet_given,
        )

    @event("EngagementConcluded")
    def _engagement_concluded(
        self,
        audit: Audit,
        outcome: str,
        duration_s: float,
        sealed_notes: bytes,
        told_why: bool = False,
        leaflet_given: bool = False,
    ) -> None:
        self.engagement = {
            "outcome": outcome,
            "officer": audit.actor_id,
            "at": audit.at,
            "duration_s": duration_s,
            "told_why": told_why,
            "leaflet_given": leaflet_given,
        }
        self.sealed_notes["engagement"] = sealed_notes

    def record_outcome(
        self,
        audit: Audit,
        disposal: Disposal,
        reason: str,
        seal: TextSealer,
        kept_watchlist_image: bytes = b"",
    ) -> None:
        """An arrest places a legal hold for its investigation at once (reviewed within
        `ARREST_HOLD_REVIEW`, before the alert's 31 days run out), keeping the probe and
        `kept_watchlist_image` (the matched image sealed under this alert's key)."""
        require_role(audit, Role.ENGAGEMENT_OFFICER, doing="record an outcome")
        require(bool(self.adjudication), "no action may follow an alert before it is adjudicated")
        require(bool(self.engagement), "an outcome follows an engagement")
        require(not self.outcome, "the outcome has already been recorded")
        self._require_disposal_fits(disposal)
        require_text(reason, "the reason for the outcome")
        self._outcome_recorded(audit=audit, disposal=disposal.value, sealed_reason=seal(reason))
        self._hold_for_an_arrest(audit, disposal, seal, kept_watchlist_image)

    def _require_disposal_fits(self, disposal: Disposal) -> None:
        if disposal is not Disposal.NO_FURTHER_ACTION:
            require(
                self.engagement["outcome"] == EngagementOutcome.CONFIRMED_TRUE.value,
                f"{disposal.value} needs a confirmed true alert",
            )

    def _hold_for_an_arrest(
        self, audit: Audit, disposal: Disposal, seal: TextSealer, kept_watchlist_image: bytes
    ) -> None:
        """An arrest's investigation needs the alert's data: it is held from the arrest on."""
        if disposal is Disposal.ARREST and not self.legal_hold:
            review_on = audit.at.date() + ARREST_HOLD_REVIEW
            request = HoldRequest(HoldBasis.INVESTIGATION, ARREST_HOLD_REASON, review_on)
            self._hold(audit, request, seal, kept_watchlist_image)

    @event("OutcomeRecorded")
    def _outcome_recorded(self, audit: Audit, disposal: str, sealed_reason: bytes) -> None:
        self.outcome = {"disposal": disposal, "at": audit.at}
        self.sealed_notes["outcome"] = sealed_reason

    def amend_outcome(
        self,
        audit: Audit,
        disposal: Disposal,
        reason: str,
        seal: TextSealer,
        kept_watchlist_image: bytes = b"",
    ) -> None:
        """An outcome recorded wrongly is amended by a new event with its reason (sealed); an
        amendment to an arrest places the investigation's hold as an arrest always does."""
        require_role(audit, Role.ENGAGEMENT_OFFICER, doing="amend an outcome")
        require(bool(self.outcome), "only a recorded outcome can be amended")
        require(
            disposal.value != self.outcome["disposal"],
            f"the outcome is already {disposal.value}",
        )
        self._require_disposal_fits(disposal)
        require_text(reason, "the reason for the amendment")
        self._outcome_amended(
            audit=audit,
            disposal=disposal.value,
            previous=self.outcome["disposal"],
            sealed_reason=seal(reason),
        )
        self._hold_for_an_arrest(audit, disposal, seal, kept_watchlist_image)

    @event("OutcomeAmended")
    def _outcome_amended(
        self, audit: Audit, disposal: str, previous: str, sealed_reason: bytes
    ) -> None:
        self.corrections.append({"kind": "outcome", "was": previous, "by": audit.actor_id})
        self.sealed_notes[f"correction-{len(self.corrections)}"] = sealed_reason
        self.outcome = {"disposal": disposal, "at": audit.at}

    # -- retention: legal holds ---------------------------------------------------------------

    def place_legal_hold(
        self,
        audit: Audit,
        hold: HoldRequest,
        seal: TextSealer,
        kept_watchlist_image: bytes = b"",
    ) -> None:
        """A DPO's hold for an investigation or proceedings: in force at once (evidence lost to
        an erasure cannot come back), approved afterwards by someone else."""
        require_role(audit, Role.DPO, doing="place a legal hold")
        require(not self.erased, "erased alert data cannot be held")
        require(not self.legal_hold, "the alert is already held")
        require_text(hold.reason, "the reason for the hold")
        require(hold.review_on > audit.at.date(), "the hold's review date must be in the future")
        self._hold(audit, hold, seal, kept_watchlist_image)

    def _hold(
        self, audit: Audit, hold: HoldRequest, seal: TextSealer, kept_watchlist_image: bytes
    ) -> None:
        self._legal_hold_placed(
            audit=audit,
            basis=hold.basis.value,
            sealed_reason=seal(hold.reason),
            review_on=hold.review_on.isoformat(),
            sealed_watchlist_image=kept_watchlist_image,
        )

    @event("LegalHoldPlaced")
    def _legal_hold_placed(
        self,
        audit: Audit,
        basis: str,
        sealed_reason: bytes,
        review_on: str,
        sealed_watchlist_image: bytes,
    ) -> None:
        self.legal_hold = {
            "basis": basis,
            "requested_by": audit.actor_id,
            "review_on": review_on,
            "approved_by": "",
            "review_due": "",
        }
        self.sealed_notes["legal_hold"] = sealed_reason
        if sealed_watchlist_image:  # the investigation's copy, erased with this alert
            self.sealed_watchlist_image = sealed_watchlist_image

    def approve_legal_hold(self, audit: Audit) -> None:
        require_role(audit, Role.DPO, doing="approve a legal hold")
        require(bool(self.legal_hold), "the alert is not held")
        require(not self.legal_hold["approved_by"], "the hold is already approved")
        require(
            audit.actor_id != self.legal_hold["requested_by"],
            "a hold is approved by someone other than who requested it",
        )
        self._legal_hold_approved(audit=audit)

    @event("LegalHoldApproved")
    def _legal_hold_approved(self, audit: Audit) -> None:
        self.legal_hold = {**self.legal_hold, "approved_by": audit.actor_id}

    def raise_hold_review(self, audit: Audit) -> None:
        """The system's task for the DPO once the review date has come (once per date)."""
        require_role(audit, Role.SYSTEM, doing="raise a hold's review")
        require(bool(self.legal_hold), "the alert is not held")
        require(not self.legal_hold["review_due"], "the hold's review is already due")
        require(
            audit.at.date() >= date.fromisoformat(self.legal_hold["review_on"]),
            f"the hold's review is not due before {self.legal_hold['review_on']}",
        )
        self._legal_hold_review_due(audit=audit, review_on=self.legal_hold["review_on"])

    @event("LegalHoldReviewDue")
    def _legal_hold_review_due(self, audit: Audit, review_on: str) -> None:
        self.legal_hold = {**self.legal_hold, "review_due": review_on}

    def renew_legal_hold(
        self, audit: Audit, reason: str, review_on: date, seal: TextSealer
    ) -> None:
        require_role(audit, Role.DPO, doing="renew a legal hold")
        require(bool(self.legal_hold), "the alert is not held")
        require_text(reason, "the reason for keeping the hold")
        require(review_on > audit.at.date(), "the hold's next review date must be in the future")
        self._legal_hold_renewed(
            audit=audit, sealed_reason=seal(reason), review_on=review_on.isoformat()
        )

    @event("LegalHoldRenewed")
    def _legal_hold_renewed(self, audit: Audit, sealed_reason: bytes, review_on: str) -> None:
        self.legal_hold = {**self.legal_hold, "review_on": review_on, "review_due": ""}
        self.sealed_notes["legal_hold_renewal"] = sealed_reason

    def lift_legal_hold(self, audit: Audit, reason: str, seal: TextSealer) -> None:
        require_role(audit, Role.DPO, doing="lift a legal hold")
        require(bool(self.legal_hold), "the alert is not held")
        require_text(reason, "the reason for lifting the hold")
        self._legal_hold_lifted(audit=audit, sealed_reason=seal(reason))

    @event("LegalHoldLifted")
    def _legal_hold_lifted(self, audit: Audit, sealed_reason: bytes) -> None:
        self.legal_hold = {}
        self.sealed_notes["legal_hold_lift"] = sealed_reason

    def erase(self, audit: Audit, rule: str) -> None:
        _require_erasable(audit, rule, self.erased, self.legal_hold)
        self._erased(audit=audit, rule=rule)

    @classmethod
    def erasure(
        cls,
        audit: Audit,
        rule: str,
        seen: SeenAlert,
        timestamp: datetime | None = None,
    ) -> Aggregate.Event:
        """The erasure event of an alert known only as `seen` (its id, version, hold and
        erasure, as a read model recorded them), decided by the rules of `erase` without
        loading the alert. It is the event at the version after `seen.version`: if the alert
        changed since (a hold placed, erased by someone else), storing it is refused as a
        concurrent change, so a stale record never erases what the alert now keeps."""
        _require_erasable(audit, rule, seen.erased, seen.legal_hold)
        erased: Any = cls.AlertDataErased  # type: ignore[attr-defined]  # made by @event
        return erased(
            originator_id=seen.alert_id,
            originator_version=seen.version + 1,
            timestamp=timestamp or erased.create_timestamp(),
            audit=audit,
            rule=rule,
        )

    @event("AlertDataErased")
    def _erased(self, audit: Audit, rule: str) -> None:
        self.erased = True


@lru_cache(maxsize=256)
def _alert_id(match_id: str) -> UUID:
    # Cached: raising an alert works its id out twice (to seal its probe, then its event).
    return uuid5(NAMESPACE_URL, f"lfr:alert:{match_id}")


@dataclass(frozen=True)
class SeenAlert:
    """What a read model recorded of an alert: enough to decide its erasure (`Alert.erasure`)."""

    alert_id: UUID
    version: int
    legal_hold: Mapping[str, str]
    erased: bool = False


def _require_erasable(audit: Audit, rule: str, erased: bool, legal_hold: Mapping[str, str]) -> None:
    """An alert's data is erased once, by the system or the DPO, under a named rule, and
    never while a legal hold keeps it (DOMAIN.md §c)."""
    require_role(audit, Role.SYSTEM, Role.DPO, doing="erase alert data")
    require(not erased, "the alert data is already erased")
    if legal_hold:  # the message made only when it is needed: erasures come by the thousand
        raise RuleViolation(f"the alert is under a legal hold for {legal_hold.get('basis')}")
    require_text(rule, "the retention rule applied")
