"""Request and response bodies of the API (Pydantic v2): the contract client generators read.

Field names follow the domain (DOMAIN.md); enums are the domain's own, so a bad value is
refused at the edge with the field named, before any command runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.values import (
    Adjudication,
    ApplicationSection,
    DecisionArea,
    Disposal,
    EngagementOutcome,
    PreDeploymentCheck,
    SensitiveFlag,
    UseCase,
    WatchlistCategory,
    WrittenAuthority,
)

Text = Field(min_length=1, max_length=10_000)


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is named, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("must include a time zone offset, e.g. 2026-05-01T09:00:00+00:00")
    return moment


# -- errors and plain answers -------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(description="where the problem is, e.g. body.proposal.threshold")
    problem: str


class ErrorOut(BaseModel):
    """Every refusal: a message, and for bad input each field with its problem."""

    detail: str
    errors: list[FieldProblem] = []


class Done(BaseModel):
    """A command was recorded."""

    ok: bool = True
    id: str = Field(description="the aggregate the command changed")


class Created(BaseModel):
    id: str


# -- stages 1 to 3: the application and the authority -------------------------------------------


class NeedIn(Body):
    objective: str = Text
    use_case: UseCase


class IntelligenceCaseIn(Body):
    reference: str = Text
    summary: str = Text


class LocationIn(Body):
    name: str = Field(min_length=1, max_length=200)
    borough: str = Field(min_length=1, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class ProposalIn(Body):
    location: LocationIn
    starts_at: datetime
    ends_at: datetime
    use_case: UseCase
    watchlist_categories: list[WatchlistCategory] = Field(min_length=1)
    watchlist_max_size: int = Field(gt=0, le=1_000_000)
    threshold: float = Field(gt=0, lt=1)
    sensitive_inclusions: list[SensitiveFlag] = []
    elevated_privacy: bool = False
    cameras: list[str] = Field(default=["camera-1"], min_length=1)

    _aware_times = field_validator("starts_at", "ends_at")(_aware)


class SubmissionIn(Body):
    sections: dict[ApplicationSection, str] = Field(
        description="all 8 sections of Form 1 Part 1, each with its text"
    )
    proposal: ProposalIn


class NotesIn(Body):
    notes: str = Text


class ReasonsIn(Body):
    reasons: str = Text


class AuthorityIn(Body):
    decisions: dict[DecisionArea, str] = Field(description="the AO's 7 decisions with rationale")
    document_versions: dict[str, str] = Field(
        description="versions of the MPS LFR documents the authority is granted under"
    )
    gold_id: str = Field(min_length=1, max_length=200)
    sensitive_rationale: dict[SensitiveFlag, str] = {}

    def written_authority(self) -> WrittenAuthority:
        return WrittenAuthority(
            decisions={k.value: v for k, v in self.decisions.items()},
            document_versions=self.document_versions,
            gold_id=self.gold_id,
            sensitive_rationale={k.value: v for k, v in self.sensitive_rationale.items()},
        )


class UrgentAuthorityIn(AuthorityIn):
    urgency: str = Text


class RationaleIn(Body):
    rationale: str = Text


class ThresholdIn(Body):
    threshold: float = Field(gt=0, lt=1)
    rationale: str = Text


class WatchlistSizeIn(Body):
    max_size: int = Field(gt=0, le=1_000_000)
    rationale: str = Text


class DeploymentCreated(BaseModel):
    application_id: str
    deployment_id: str


class ApplicationOut(BaseModel):
    id: str
    version: int
    status: str
    applicant_id: str
    objective: str
    use_case: str
    intelligence_case: dict[str, str]
    sections: dict[str, str]
    proposal: dict[str, Any]
    decisions: dict[str, dict[str, str]]
    document_versions: dict[str, str]
    sensitive_rationale: dict[str, str]
    gold_id: str
    ao_id: str
    urgent_deadline: datetime | None
    threshold: float
    watchlist_max_size: int
    amendment_notes: list[str]


# -- stage 4 and 5: command, checks, the live deployment ----------------------------------------


class CommandIn(Body):
    members: dict[str, list[str]] = Field(
        description="the command structure Gold appoints: role name to officer ids"
    )


class CheckIn(Body):
    check: PreDeploymentCheck
    detail: str = Text


class StartIn(Body):
    location_name: str = Field(min_length=1, max_length=200)


class ReasonIn(Body):
    reason: str = Text


class CancellationReportIn(Body):
    evaluation: str = Text
    learning: str = Text
    algorithm_assurance: str = ""
    notes: str = ""


class DeploymentOut(BaseModel):
    id: str
    version: int
    authority_id: str
    status: str
    location: dict[str, Any]
    use_case: str
    starts_at: datetime
    ends_at: datetime
    cameras: list[str]
    command: dict[str, list[str]]
    checks: dict[str, str]
    watchlist_state: str
    watchlist_size: int
    watchlist_version: str
    threshold: float
    started_at: datetime | None
    ended_at: datetime | None
    report: dict[str, Any]
    register_entry: dict[str, Any]


# -- the watchlist --------------------------------------------------------------------------------


class EntryIn(Body):
    reference: str = Field(min_length=1, max_length=200)
    category: WatchlistCategory
    source: str = Text
    legal_basis: str = Text
    image_date: date
    sensitive_flags: list[SensitiveFlag] = []
    ao_rationale: str = ""
    image_base64: str = Field(min_length=1, description="the face image (JPEG or PNG), base64")


class CompileIn(Body):
    entry_ids: list[UUID] = Field(min_length=1)


class CompiledOut(BaseModel):
    deployment_id: str
    version: str = Field(description="content hash of the compiled watchlist")


class MediumIn(Body):
    medium: str = Field(min_length=1, max_length=500, description="e.g. encrypted USB 77")


class RefusedEntry(BaseModel):
    folder: str
    reason: str


class UploadOut(BaseModel):
    """A watchlist upload: its progress, and entry by entry what was added or refused."""

    job_id: str
    deployment_id: str
    state: str = Field(description="queued, running, done or failed")
    total: int
    done: int
    added: dict[str, str] = Field(description="folder -> watchlist entry id")
    refused: list[RefusedEntry]
    error: str = ""


class EntryOut(BaseModel):
    id: str
    deployment_id: str
    reference: str
    category: str
    source: str
    legal_basis: str
    image_date: str
    sensitive_flags: list[str]
    ao_rationale: str
    model_id: str
    erased: bool


class JustificationIn(Body):
    justification: str = Field(
        min_length=1, max_length=2_000, description="why the personal data is read (DPA 2018 s.62)"
    )


class EntryConsultedOut(BaseModel):
    entry: EntryOut
    image_base64: str


# -- alerts ---------------------------------------------------------------------------------------


class MatchIn(Body):
    """A match the recognition worker reports (the `lfr.matches` message over HTTP)."""

    event_id: str = Field(min_length=1, max_length=200)
    deployment_id: UUID
    camera_id: str = Field(min_length=1, max_length=200)
    observed_at: datetime
    entry_id: UUID
    score: float = Field(ge=0, le=1)
    model_id: str = Field(min_length=1, max_length=200)
    model_version: str = Field(min_length=1, max_length=200)
    watchlist_version: str = Field(min_length=1, max_length=200)
    track_id: str = Field(min_length=1, max_length=200)
    probe_jpeg_base64: str = Field(min_length=1)

    _aware_time = field_validator("observed_at")(_aware)


class FacesSeenIn(Body):
    camera_id: str = Field(min_length=1, max_length=200)
    interval_start: datetime
    interval_end: datetime
    faces_seen: int = Field(ge=0)
    faces_passed_quality: int = Field(ge=0)

    _aware_times = field_validator("interval_start", "interval_end")(_aware)


class AlertOut(BaseModel):
    id: str
    version: int
    deployment_id: str
    entry_id: str
    camera_id: str
    observed_at: datetime
    score: float
    threshold: float
    model: dict[str, str]
    watchlist_version: str
    adjudication: dict[str, Any]
    engagement: dict[str, Any]
    outcome: dict[str, Any]
    legal_hold: dict[str, str]
    erased: bool


class AlertImagesOut(BaseModel):
    """The probe and the watchlist image side by side, for the operator's judgement."""

    alert: AlertOut
    probe_image_base64: str
    watchlist_image_base64: str
    watchlist_entry: EntryOut


class AdjudicationIn(Body):
    decision: Adjudication
    notes: str = Field(default="", max_length=10_000)


class EngagementIn(Body):
    outcome: EngagementOutcome
    duration_s: float = Field(ge=0, le=86_400)
    notes: str = Field(default="", max_length=10_000)


class OutcomeIn(Body):
    disposal: Disposal
    reason: str = Text


# -- DPO ------------------------------------------------------------------------------------------


class LegalHoldIn(Body):
    reason: str = Text
    approver: str = Field(min_length=1, max_length=200)
    review_on: date


class ErasureIn(Body):
    rule: str = Field(min_length=1, max_length=500, description="the retention rule applied")


class ErasedOut(BaseModel):
    erased: list[str]


class Rows(BaseModel):
    """A list of read-model rows (JSON objects)."""

    rows: list[dict[str, Any]]


class Document(BaseModel):
    """A read-model document (a JSON object)."""

    model_config = ConfigDict(extra="allow")


class PublishedRegister(BaseModel):
    """Register rows with inclusion proofs against one signed checkpoint.

    Each row's `proofs` holds, per source event: its `notification_id`, the `proof`
    (index, tree_size, path) and the `event` exactly as stored (the leaf)."""

    checkpoint: dict[str, Any]
    log_public_key: str
    rows: list[dict[str, Any]]
