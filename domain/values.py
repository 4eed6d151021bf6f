"""Values of the MPS LFR process: roles, sections, decisions, categories, outcomes.

Enum values are what the events store, so they never change once released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    APPLICANT = "applicant"
    AUTHORISING_OFFICER = "authorising_officer"
    GOLD = "gold"
    OPERATOR = "operator"
    ENGAGEMENT_OFFICER = "engagement_officer"
    DPO = "dpo"
    AUDITOR = "auditor"
    WORKER = "worker"
    SYSTEM = "system"


class ApplicationSection(StrEnum):
    """The 8 sections of Form 1 Part 1 (the seed, stage 2)."""

    LOCATION_AND_TIMES = "1_location_and_times"
    LEGAL_BASIS_AND_AIM = "2_legal_basis_and_aim"
    ECHR_AND_SCHEDULE_8 = "3_echr_and_schedule_8"
    NECESSITY = "4_necessity"
    PROPORTIONALITY = "5_proportionality"
    WATCHLIST_COMPOSITION = "6_watchlist_composition"
    SENSITIVE_WATCHLIST = "7_sensitive_watchlist"
    COMPLIANCE_AND_ASSESSMENTS = "8_compliance_and_assessments"


class DecisionArea(StrEnum):
    """The AO's 7 decisions in the Written Authority Document (the seed, stage 3)."""

    DOCUMENT_COMPLIANCE = "i_document_compliance"
    LEGITIMATE_AIM = "ii_legitimate_aim"
    HUMAN_RIGHTS_NECESSITY = "iii_human_rights_necessity"
    DATA_PROTECTION_NECESSITY = "iv_data_protection_necessity"
    PROPORTIONALITY = "v_proportionality"
    WATCHLIST_COMPOSITION = "vi_watchlist_composition"
    LOCATION_AND_TIMES = "vii_location_and_times"


class DecisionOutcome(StrEnum):
    """The AO's finding on one of the 7 decisions: any refusal refuses the authority."""

    APPROVE = "approve"
    REFUSE = "refuse"


class PolicyDocument(StrEnum):
    """The MPS LFR documents an authority is granted under (DOMAIN.md §b.12: pin versions)."""

    POLICY = "policy"
    SOP = "sop"
    LEGAL_MANDATE = "legal_mandate"
    DPIA = "dpia"
    APD = "apd"
    EIA = "eia"
    CIA = "cia"


# Every authority names the version of each of these; the others it may name as well.
REQUIRED_DOCUMENTS = (
    PolicyDocument.POLICY,
    PolicyDocument.SOP,
    PolicyDocument.LEGAL_MANDATE,
    PolicyDocument.DPIA,
)


class ApplicationStatus(StrEnum):
    NEED_IDENTIFIED = "need_identified"
    AMENDMENTS_REQUESTED = "amendments_requested"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    GRANTED = "granted"
    URGENT = "urgent"
    LAPSED = "lapsed"  # an urgent authority not confirmed in time
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # the authorised window passed without the deployment being used


class DeploymentStatus(StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"
    REPORTED = "reported"
    PUBLISHED = "published"


class Ending(StrEnum):
    """Why a deployment ended: each lawful way out, each starting the watchlist's clock."""

    BY_COMMAND = "ended_by_command"  # the Gold team ended it
    WINDOW_ENDED = "window_ended"  # the authorised window closed while it ran
    URGENT_AUTHORITY_LAPSED = "urgent_authority_lapsed"
    AUTHORITY_REVOKED = "authority_revoked"
    WITHDRAWN = "withdrawn"  # the applicant withdrew before the start
    CANCELLED = "cancelled"  # Gold cancelled before the start
    EXPIRED_UNUSED = "expired_unused"  # the window closed before it started


class UseCase(StrEnum):
    """Permitted use cases of the MPS 2024 policy (DOMAIN.md §b.2)."""

    CRIME_HOTSPOT = "Crime Hotspot"
    EVENT_PSO = "Event PSO"
    CNI_PSO = "CNI PSO"
    SOUGHT_PERSONS = "Sought Persons Intelligence"


class WatchlistCategory(StrEnum):
    """Authorised watchlist categories (DOMAIN.md §b.3)."""

    WANTED_BY_COURTS = "wanted_by_courts"
    WANTED_BY_POLICE = "wanted_by_police"
    SUSPECT = "suspect"
    MISSING_OR_VULNERABLE = "missing_or_vulnerable"
    RISK_OF_HARM = "risk_of_harm"
    VICTIM_OR_WITNESS = "victim_or_witness"
    CLOSE_ASSOCIATE = "close_associate"


class SensitiveFlag(StrEnum):
    """Entries that need the AO's heightened scrutiny and rationale (DOMAIN.md §b.5)."""

    UNDER_13 = "under_13"
    UNDER_18 = "under_18"
    DISABILITY = "disability"
    GENDER_TRANSITION = "gender_transition"
    NON_POLICE_IMAGE = "non_police_image"


class PreDeploymentCheck(StrEnum):
    SIGNAGE = "signage"
    PUBLIC_NOTICE = "public_notice"
    TRAINING = "training"
    CAMERAS = "cameras"


class Adjudication(StrEnum):
    """The human decision on an alert: no engagement (a false alert), or engage."""

    FALSE_ALERT = "false_alert"
    ENGAGE = "engage"


class EngagementOutcome(StrEnum):
    CONFIRMED_TRUE = "confirmed_true"
    CONFIRMED_FALSE = "confirmed_false"
    NOT_STOPPED = "not_stopped"


class Disposal(StrEnum):
    ARREST = "arrest"
    OTHER_DISPOSAL = "other_disposal"
    NO_FURTHER_ACTION = "no_further_action"


class S62Operation(StrEnum):
    """DPA 2018 s.62(1)(a)-(f): the logged kinds of processing."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


@dataclass(frozen=True)
class Actor:
    """Who gives a command, in which role."""

    id: str
    role: Role


@dataclass(frozen=True)
class Audit:
    """What every event carries: who, in which role, when, why, and what it belongs to."""

    actor_id: str
    actor_role: str
    at: datetime
    justification: str = ""
    s62_operation: str = ""
    deployment_id: str = ""
    authority_id: str = ""

    def tied_to(self, deployment_id: object, authority_id: object) -> Audit:
        return Audit(
            self.actor_id,
            self.actor_role,
            self.at,
            self.justification,
            self.s62_operation,
            str(deployment_id),
            str(authority_id),
        )


@dataclass(frozen=True)
class Location:
    name: str
    borough: str
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "borough": self.borough,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass(frozen=True)
class Proposal:
    """What the applicant asks the AO to authorise (Form 1 Part 1, section 1, 6 and 7)."""

    location: Location
    starts_at: datetime
    ends_at: datetime
    use_case: UseCase
    watchlist_categories: tuple[WatchlistCategory, ...]
    watchlist_max_size: int
    threshold: float
    sensitive_inclusions: tuple[SensitiveFlag, ...] = ()
    elevated_privacy: bool = False
    cameras: tuple[str, ...] = field(default=("camera-1",))


@dataclass(frozen=True)
class AoDecision:
    """One of the AO's 7 decisions: approve or refuse, and why."""

    outcome: DecisionOutcome
    rationale: str

    def as_dict(self) -> dict[str, str]:
        return {"outcome": self.outcome.value, "rationale": self.rationale}


def approve(rationale: str) -> AoDecision:
    return AoDecision(DecisionOutcome.APPROVE, rationale)


def refuse(rationale: str) -> AoDecision:
    return AoDecision(DecisionOutcome.REFUSE, rationale)


@dataclass(frozen=True)
class WrittenAuthority:
    """What the AO records when granting (Form 1 Part 2): the 7 decisions with rationale, the
    versions of the MPS LFR documents, the Gold, a rationale per sensitive inclusion, and the
    rationale for deploying at a location of elevated privacy."""

    decisions: dict[str, AoDecision]
    document_versions: dict[str, str]
    gold_id: str
    sensitive_rationale: dict[str, str] = field(default_factory=dict)
    elevated_privacy_rationale: str = ""

    def as_event_fields(self) -> dict[str, Any]:
        return {
            "decisions": {area: d.as_dict() for area, d in self.decisions.items()},
            "document_versions": dict(self.document_versions),
            "gold_id": self.gold_id,
            "sensitive_rationale": dict(self.sensitive_rationale),
            "elevated_privacy_rationale": self.elevated_privacy_rationale,
        }
