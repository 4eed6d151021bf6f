"""The application to deploy LFR and the AO's Written Authority (seed stages 1 to 3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.authority_rules import (
    DOCUMENT_VERSIONS,
    check_decisions,
    check_documents,
    check_proposal_authorisable,
)
from domain.rules import missing, require, require_role, require_text
from domain.values import (
    ApplicationSection,
    ApplicationStatus,
    Audit,
    Proposal,
    Role,
    SensitiveFlag,
    WrittenAuthority,
)

# An authority may be used (and changed, revoked or expire) while it is in one of these.
IN_FORCE = frozenset({ApplicationStatus.GRANTED, ApplicationStatus.URGENT})
# The applicant may withdraw until the deployment starts (the service checks the start).
WITHDRAWABLE = IN_FORCE | {
    ApplicationStatus.NEED_IDENTIFIED,
    ApplicationStatus.AMENDMENTS_REQUESTED,
    ApplicationStatus.SUBMITTED,
}


def proposal_as_dict(proposal: Proposal) -> dict[str, Any]:
    return {
        "location": proposal.location.as_dict(),
        "starts_at": proposal.starts_at.isoformat(),
        "ends_at": proposal.ends_at.isoformat(),
        "use_case": proposal.use_case.value,
        "watchlist_categories": [c.value for c in proposal.watchlist_categories],
        "watchlist_max_size": proposal.watchlist_max_size,
        "threshold": proposal.threshold,
        "sensitive_inclusions": [f.value for f in proposal.sensitive_inclusions],
        "elevated_privacy": proposal.elevated_privacy,
        "cameras": list(proposal.cameras),
    }


class DeploymentApplication(Aggregate):
    """One application to deploy, from the policing need to the authority and its changes.

    Its id is also the authority's id: the Written Authority is Part 2 of the same form.
    """

    @event("PolicingNeedIdentified")
    def __init__(self, audit: Audit, objective: str, use_case: str) -> None:
        self.applicant_id = audit.actor_id
        self.objective = objective
        self.use_case = use_case
        self.status = ApplicationStatus.NEED_IDENTIFIED
        self.intelligence_case: dict[str, str] = {}
        self.sections: dict[str, str] = {}
        self.proposal: dict[str, Any] = {}
        self.decisions: dict[str, dict[str, str]] = {}
        self.document_versions: dict[str, str] = {}
        self.sensitive_rationale: dict[str, str] = {}
        self.gold_id = ""
        self.ao_id = ""
        self.assigned_ao_id = ""  # the AO the application is submitted to
        self.urgent_deadline: datetime | None = None
        self.threshold = 0.0
        self.watchlist_max_size = 0
        self.amendment_notes: list[str] = []

    # -- stage 1: need and intelligence case -------------------------------------------------

    @classmethod
    def identify_need(cls, audit: Audit, objective: str, use_case: str) -> DeploymentApplication:
        require_role(audit, Role.APPLICANT, doing="identify a policing need")
        require_text(objective, "the policing objective")
        return cls(audit=audit, objective=objective, use_case=use_case)

    def submit_intelligence_case(self, audit: Audit, reference: str, summary: str) -> None:
        require_role(audit, Role.APPLICANT, doing="submit the intelligence case (Form 3)")
        require(
            self.status in {"need_identified", "amendments_requested"},
            f"the intelligence case cannot change once the application is {self.status}",
        )
        require_text(reference, "the intelligence case reference")
        require_text(summary, "the intelligence case summary")
        self._intelligence_case_submitted(audit=audit, reference=reference, summary=summary)

    @event("IntelligenceCaseSubmitted")
    def _intelligence_case_submitted(self, audit: Audit, reference: str, summary: str) -> None:
        self.intelligence_case = {"reference": reference, "summary": summary}

    # -- stage 2: the application ------------------------------------------------------------

    def submit(
        self,
        audit: Audit,
        sections: dict[str, str],
        proposal: Proposal,
        authorising_officer_id: str,
    ) -> None:
        """Submits Form 1 Part 1 to the named Authorising Officer, who alone decides on it."""
        require_role(audit, Role.APPLICANT, doing="submit an application")
        require(
            audit.actor_id == self.applicant_id,
            "only the applicant who identified the need may submit",
        )
        require(
            self.status in {"need_identified", "amendments_requested"},
            f"an application that is {self.status} cannot be submitted",
        )
        require(
            bool(self.intelligence_case), "the intelligence case (Form 3) must be submitted first"
        )
        absent = missing(
            [s.value for s in ApplicationSection], [k for k, v in sections.items() if v.strip()]
        )
        require(
            not absent, f"every section of the application must be completed; missing: {absent}"
        )
        require(proposal.starts_at < proposal.ends_at, "the deployment must end after it starts")
        require(
            proposal.ends_at > audit.at,
            f"the window ended at {proposal.ends_at.isoformat()}: a window wholly in the past "
            "cannot be applied for",
        )
        require(bool(proposal.cameras), "the cameras to be used must be listed")
        require(proposal.watchlist_max_size > 0, "the proposed watchlist size must be positive")
        require(bool(proposal.watchlist_categories), "the watchlist categories must be proposed")
        require(
            0.0 < proposal.threshold < 1.0, "the face-match threshold is a score between 0 and 1"
        )
        require_text(authorising_officer_id, "the Authorising Officer the application is for")
        require(
            authorising_officer_id != self.applicant_id,
            "the Authorising Officer cannot be the applicant",
        )
        self._submitted(
            audit=audit,
            sections=dict(sections),
            proposal=proposal_as_dict(proposal),
            authorising_officer_id=authorising_officer_id,
        )

    @event("ApplicationSubmitted")
    def _submitted(
        self,
        audit: Audit,
        sections: dict[str, str],
        proposal: dict[str, Any],
        authorising_officer_id: str = "",
    ) -> None:
        self.sections = sections
        self.proposal = proposal
        self.assigned_ao_id = authorising_officer_id
        self.status = ApplicationStatus.SUBMITTED

    # -- stage 3: the AO's decision ----------------------------------------------------------

    def _require_ao_may_decide(self, audit: Audit) -> None:
        require_role(audit, Role.AUTHORISING_OFFICER, doing="decide on an application")
        require(
            audit.actor_id != self.applicant_id, "the Authorising Officer cannot be the applicant"
        )
        require(
            self.status == ApplicationStatus.SUBMITTED,
            f"an application that is {self.status} is not awaiting a decision",
        )

    def request_amendments(self, audit: Audit, notes: str) -> None:
        self._require_ao_may_decide(audit)
        require_text(notes, "what must be amended")
        self._amendments_requested(audit=audit, notes=notes)

    @event("AmendmentsRequested")
    def _amendments_requested(self, audit: Audit, notes: str) -> None:
        self.amendment_notes.append(notes)
        self.status = ApplicationStatus.AMENDMENTS_REQUESTED

    def reject(self, audit: Audit, reasons: str) -> None:
        self._require_ao_may_decide(audit)
        require_text(reasons, "the reasons for rejection")
        self._rejected(audit=audit, reasons=reasons)

    @event("ApplicationRejected")
    def _rejected(self, audit: Audit, reasons: str) -> None:
        self.status = ApplicationStatus.REJECTED

    def grant(
        self,
        audit: Audit,
        authority: WrittenAuthority,
        threshold_floor: float,
        documents: Mapping[str, frozenset[str]] = DOCUMENT_VERSIONS,
    ) -> None:
        self._require_authority_content(audit, authority, threshold_floor, documents)
        self._authority_granted(audit=audit, **authority.as_event_fields())

    @event("AuthorityGranted")
    def _authority_granted(
        self,
        audit: Audit,
        decisions: dict[str, dict[str, str]],
        document_versions: dict[str, str],
        gold_id: str,
        sensitive_rationale: dict[str, str],
        elevated_privacy_rationale: str = "",
    ) -> None:
        self._take_authority(audit, decisions, document_versions, gold_id, sensitive_rationale)
        self.status = ApplicationStatus.GRANTED

    def grant_urgent(
        self,
        audit: Audit,
        urgency: str,
        authority: WrittenAuthority,
        threshold_floor: float,
        confirm_within: timedelta,
        documents: Mapping[str, frozenset[str]] = DOCUMENT_VERSIONS,
    ) -> None:
        """The urgent route (Policy s.4): in force at once, lapses unless confirmed in time."""
        require_text(urgency, "the reason this is urgent")
        self._require_authority_content(audit, authority, threshold_floor, documents)
        self._urgent_authority_granted(
            audit=audit,
            urgency=urgency,
            confirm_by=audit.at + confirm_within,
            **authority.as_event_fields(),
        )

    @event("UrgentAuthorityGranted")
    def _urgent_authority_granted(
        self,
        audit: Audit,
        urgency: str,
        decisions: dict[str, dict[str, str]],
        document_versions: dict[str, str],
        gold_id: str,
        sensitive_rationale: dict[str, str],
        confirm_by: datetime,
        elevated_privacy_rationale: str = "",
    ) -> None:
        self._take_authority(audit, decisions, document_versions, gold_id, sensitive_rationale)
        self.urgent_deadline = confirm_by
        self.status = ApplicationStatus.URGENT

    def confirm_urgent(self, audit: Audit, rationale: str) -> None:
        """Confirmation is a second officer's scrutiny: never the AO who granted it."""
        require_role(audit, Role.AUTHORISING_OFFICER, doing="confirm an urgent authority")
        require(
            self.status == ApplicationStatus.URGENT, "only an urgent authority awaits confirmation"
        )
        require(
            audit.actor_id != self.applicant_id, "the Authorising Officer cannot be the applicant"
        )
        require(
            audit.actor_id != self.ao_id,
            f"an urgent authority is confirmed by a different Authorising Officer, not by "
            f"{self.ao_id} who granted it",
        )
        require(
            self.urgent_deadline is not None and audit.at <= self.urgent_deadline,
            "the urgent authority lapsed before it was confirmed",
        )
        require_text(rationale, "the confirmation's rationale")
        self._urgent_confirmed(audit=audit, rationale=rationale)

    @event("UrgentAuthorityConfirmed")
    def _urgent_confirmed(self, audit: Audit, rationale: str) -> None:
        self.status = ApplicationStatus.GRANTED
        self.urgent_deadline = None

    def _require_authority_content(
        self,
        audit: Audit,
        authority: WrittenAuthority,
        floor: float,
        documents: Mapping[str, frozenset[str]],
    ) -> None:
        self._require_ao_may_decide(audit)
        check_decisions(authority)
        check_documents(authority.document_versions, documents)
        check_proposal_authorisable(self.proposal, authority, audit.at, floor)

    def _take_authority(
        self,
        audit: Audit,
        decisions: dict[str, dict[str, str]],
        document_versions: dict[str, str],
        gold_id: str,
        sensitive_rationale: dict[str, str],
    ) -> None:
        self.decisions = {area: dict(d) for area, d in decisions.items()}
        self.document_versions = document_versions
        self.gold_id = gold_id
        self.ao_id = audit.actor_id
        self.sensitive_rationale = sensitive_rationale
        self.threshold = float(self.proposal["threshold"])
        self.watchlist_max_size = int(self.proposal["watchlist_max_size"])

    # -- the lawful ends of an authority -----------------------------------------------------

    def withdraw(self, audit: Audit, reason: str) -> None:
        """The applicant withdraws the application, or the authority before it is used."""
        require_role(audit, Role.APPLICANT, doing="withdraw an application")
        require(
            audit.actor_id == self.applicant_id,
            "only the applicant who made the application may withdraw it",
        )
        require(
            self.status in WITHDRAWABLE,
            f"an application that is {self.status} cannot be withdrawn",
        )
        require_text(reason, "the reason for withdrawing")
        self._withdrawn(audit=audit, reason=reason)

    @event("ApplicationWithdrawn")
    def _withdrawn(self, audit: Audit, reason: str) -> None:
        self.status = ApplicationStatus.WITHDRAWN

    def revoke(self, audit: Audit, reason: str) -> None:
        """An AO revokes an authority in force; its deployment ends at once."""
        require_role(audit, Role.AUTHORISING_OFFICER, doing="revoke an authority")
        require(
            audit.actor_id != self.applicant_id, "the Authorising Officer cannot be the applicant"
        )
        require(self.status in IN_FORCE, f"an authority that is {self.status} cannot be revoked")
        require_text(reason, "the reason for revoking")
        self._revoked(audit=audit, reason=reason)

    @event("AuthorityRevoked")
    def _revoked(self, audit: Audit, reason: str) -> None:
        self.status = ApplicationStatus.REVOKED

    def lapse(self, audit: Audit) -> None:
        """Records that an urgent authority was not confirmed in time (done by the system)."""
        require_role(audit, Role.SYSTEM, doing="record an urgent authority's lapse")
        require(self.lapsed_at(audit.at), "the urgent authority has not lapsed")
        assert self.urgent_deadline is not None
        self._lapsed(audit=audit, deadline=self.urgent_deadline)

    @event("UrgentAuthorityLapsed")
    def _lapsed(self, audit: Audit, deadline: datetime) -> None:
        self.status = ApplicationStatus.LAPSED
        self.urgent_deadline = None

    def expire(self, audit: Audit) -> None:
        """Records that the authorised window closed before the authority was used."""
        require_role(audit, Role.SYSTEM, doing="record an authority's expiry")
        require(self.status in IN_FORCE, f"an authority that is {self.status} cannot expire")
        require(self.window_closed(audit.at), "the authorised window has not closed")
        self._expired(audit=audit)

    @event("AuthorityExpired")
    def _expired(self, audit: Audit) -> None:
        self.status = ApplicationStatus.EXPIRED

    # -- authorised changes ------------------------------------------------------------------

    def change_threshold(
        self, audit: Audit, threshold: float, rationale: str, floor: float
    ) -> None:
        self._require_ao_may_change(audit)
        require(
            floor <= threshold < 1.0,
            f"the threshold {threshold} is below the authorised floor {floor}",
        )
        require_text(rationale, "the rationale for the threshold change")
        self._threshold_changed(audit=audit, threshold=threshold, rationale=rationale)

    @event("ThresholdChangeAuthorised")
    def _threshold_changed(self, audit: Audit, threshold: float, rationale: str) -> None:
        self.threshold = threshold

    def change_watchlist_size(self, audit: Audit, max_size: int, rationale: str) -> None:
        self._require_ao_may_change(audit)
        require(max_size > 0, "the watchlist size must be positive")
        require_text(rationale, "the rationale for the watchlist size change")
        self._watchlist_size_changed(audit=audit, max_size=max_size, rationale=rationale)

    @event("WatchlistSizeChangeAuthorised")
    def _watchlist_size_changed(self, audit: Audit, max_size: int, rationale: str) -> None:
        self.watchlist_max_size = max_size

    def _require_ao_may_change(self, audit: Audit) -> None:
        require_role(audit, Role.AUTHORISING_OFFICER, doing="change an authorised value")
        require(
            audit.actor_id != self.applicant_id, "the Authorising Officer cannot be the applicant"
        )
        require(self.status in IN_FORCE, "only an authority in force can be changed")

    # -- queries -----------------------------------------------------------------------------

    @property
    def authority_id(self) -> UUID:
        return self.id

    def in_force(self, at: datetime) -> bool:
        if self.status == ApplicationStatus.GRANTED:
            return True
        return self.status == ApplicationStatus.URGENT and not self.lapsed_at(at)

    def lapsed_at(self, at: datetime) -> bool:
        """Whether an urgent authority is past its confirmation deadline, unconfirmed."""
        return (
            self.status == ApplicationStatus.URGENT
            and self.urgent_deadline is not None
            and at > self.urgent_deadline
        )

    def window_closed(self, at: datetime) -> bool:
        return at >= datetime.fromisoformat(self.proposal["ends_at"])

    def approves_sensitive(self, flag: SensitiveFlag) -> bool:
        return bool(self.sensitive_rationale.get(flag.value, "").strip())
