"""Request and response bodies of the API (Pydantic v2): the contract client generators read.

Field names follow the domain (DOMAIN.md); enums are the domain's own, so a bad value is
refused at the edge with the field named, before any command runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from domain.alert import HoldBasis
from domain.text import MAX_LINE, MAX_TEXT, refuse_control
from domain.values import (
    Adjudication,
    AoDecision,
    ApplicationSection,
    DecisionArea,
    DecisionOutcome,
    Disposal,
    EngagementOutcome,
    PolicyDocument,
    PreDeploymentCheck,
    SensitiveFlag,
    UseCase,
    WatchlistCategory,
    WrittenAuthority,
)

# -- the one rule for text from outside: API bodies, query strings, manifests ------------------

MAX_INT = 2**63 - 1  # the largest integer SQLite and PostgreSQL (bigint) store
MAX_IMAGE_BASE64 = 14_000_000  # a 10 MB image, base64


def _free_text(value: str) -> str:
    return refuse_control(value)


def _one_line(value: str) -> str:
    return refuse_control(value, one_line=True)


def _walk(value: Any) -> None:
    """Applies the free-text rule to every string inside lists and dicts (keys too)."""
    if isinstance(value, str):
        refuse_control(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(key)
            _walk(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _walk(item)


# Field types for text: every string field of a request body uses one of these.
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_free_text)
]
OptionalText = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_free_text)]
Line = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_LINE), AfterValidator(_one_line)
]
LongLine = Annotated[
    str, StringConstraints(min_length=1, max_length=500), AfterValidator(_one_line)
]


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is named, not ignored.

    Every string anywhere in a body (dict keys and list items included) is at most
    `MAX_TEXT` characters unless its field says otherwise, and holds no control character."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, _: ValidationInfo) -> Any:
        _walk(value)
        return value


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
    objective: Text
    use_case: UseCase


class IntelligenceCaseIn(Body):
    reference: Text
    summary: Text


class LocationIn(Body):
    name: Line
    borough: Line
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
    cameras: list[Line] = Field(default=["camera-1"], min_length=1, max_length=100)

    _aware_times = field_validator("starts_at", "ends_at")(_aware)


class SubmissionIn(Body):
    sections: dict[ApplicationSection, Text] = Field(
        description="all 8 sections of Form 1 Part 1, each with its text"
    )
    proposal: ProposalIn
    authorising_officer_id: str = Field(
        min_length=1,
        max_length=200,
        description="the Authorising Officer the application is submitted to: only they decide",
    )


class NotesIn(Body):
    notes: Text


class ReasonsIn(Body):
    reasons: Text


class DecisionIn(Body):
    outcome: DecisionOutcome = Field(description="approve or refuse; any refusal refuses the grant")
    rationale: Text


class AuthorityIn(Body):
    decisions: dict[DecisionArea, DecisionIn] = Field(
        description="the AO's 7 decisions, each approve or refuse with its rationale"
    )
    document_versions: dict[PolicyDocument, Line] = Field(
        max_length=50,
        description="versions of the MPS LFR documents the authority is granted under",
    )
    gold_id: Line
    sensitive_rationale: dict[SensitiveFlag, Text] = {}
    elevated_privacy_rationale: OptionalText = Field(
        default="", description="required for a location of elevated privacy"
    )

    def written_authority(self) -> WrittenAuthority:
        return WrittenAuthority(
            decisions={
                k.value: AoDecision(d.outcome, d.rationale) for k, d in self.decisions.items()
            },
            document_versions={k.value: v for k, v in self.document_versions.items()},
            gold_id=self.gold_id,
            sensitive_rationale={k.value: v for k, v in self.sensitive_rationale.items()},
            elevated_privacy_rationale=self.elevated_privacy_rationale,
        )


class UrgentAuthorityIn(AuthorityIn):
    urgency: Text


class RationaleIn(Body):
    rationale: Text


class ThresholdIn(Body):
    threshold: float = Field(gt=0, lt=1)
    rationale: Text


class WatchlistSizeIn(Body):
    max_size: int = Field(gt=0, le=1_000_000)
    rationale: Text


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
    members: dict[Line, list[Line]] = Field(
        max_length=50, description="the command structure Gold appoints: role name to officer ids"
    )


class CheckIn(Body):
    check: PreDeploymentCheck
    detail: Text


class StartIn(Body):
    cameras: list[Line] | None = Field(
        default=None,
        max_length=100,
        description="the cameras to start, each listed in the authority (default: all of them)",
    )


class ReasonIn(Body):
    reason: Text


class CancellationReportIn(Body):
    evaluation: Text
    learning: Text
    algorithm_assurance: OptionalText = ""
    notes: OptionalText = ""


class CancellationReportAmendmentIn(CancellationReportIn):
    reason: Text


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
    watchlist_model_id: str = Field(
        "", description="the model the imported watchlist's templates are of"
    )
    threshold: float
    started_at: datetime | None
    ended_at: datetime | None
    report: dict[str, Any]
    register_entry: dict[str, Any]


# -- the watchlist --------------------------------------------------------------------------------


class EntryIn(Body):
    reference: Line
    category: WatchlistCategory
    source: Text
    legal_basis: Text
    image_date: date
    sensitive_flags: list[SensitiveFlag] = []
    ao_rationale: OptionalText = ""
    image_base64: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_BASE64,
        description="the face image (JPEG or PNG), base64",
    )


class CompileIn(Body):
    entry_ids: list[UUID] = Field(min_length=1, max_length=1_000_000)


class CompiledOut(BaseModel):
    deployment_id: str
    version: str = Field(description="content hash of the compiled watchlist")


class MediumIn(Body):
    medium: LongLine = Field(description="e.g. encrypted USB 77")


class RefusedEntry(BaseModel):
    row: str = Field(description="the manifest row (1 for the first under the header)")


class UploadRowOut(BaseModel):
    row: str = Field(description="the manifest row (1 for the first under the header)")
    folder: str = Field(description="the person's folder (a name: read under an s.62 record)")
    entry_id: str | None = Field(None, description="the entry it became, when added")
    reason: str = Field("", description="why it was refused, when refused")


class UploadReportOut(BaseModel):
    """An upload's report with its folders and reasons, read under an s.62 record."""

    job_id: str
    rows: list[UploadRowOut]


class UploadOut(BaseModel):
    """A watchlist upload: its progress, and entry by entry what was added or refused."""

    job_id: str
    deployment_id: str
    state: str = Field(
        description="queued, running, interrupted (resume it), cancelling, cancelled, done "
        "or failed"
    )
    total: int
    done: int
    added: dict[str, str] = Field(
        description="manifest row -> watchlist entry id (the folders' names are read "
        "through the report's consultation, under an s.62 record)"
    )
    refused: list[RefusedEntry] = Field(
        description="the rows refused; their reasons are read through the report's consultation"
    )
    error: str = ""


class EntryOut(BaseModel):
    id: str
    deployment_id: str
    reference: str | None = Field(None, description="only when read under an s.62 record")
    category: str
    source: str | None = Field(None, description="only when read under an s.62 record")
    legal_basis: str | None = Field(None, description="only when read under an s.62 record")
    image_date: str
    sensitive_flags: list[str]
    ao_rationale: str | None = Field(None, description="only when read under an s.62 record")
    ao_rationale_recorded: bool = False
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

    event_id: Line
    deployment_id: UUID
    camera_id: Line
    observed_at: datetime
    entry_id: UUID
    score: float = Field(ge=0, le=1)
    model_id: Line
    model_version: Line
    watchlist_version: Line
    track_id: Line
    probe_jpeg_base64: str = Field(min_length=1, max_length=MAX_IMAGE_BASE64)

    _aware_time = field_validator("observed_at")(_aware)


class FacesSeenIn(Body):
    camera_id: Line
    interval_start: datetime
    interval_end: datetime
    faces_seen: int = Field(ge=0, le=MAX_INT)
    faces_passed_quality: int = Field(ge=0, le=MAX_INT)

    _aware_times = field_validator("interval_start", "interval_end")(_aware)


class RejectedMessageOut(BaseModel):
    notification_id: int = Field(description="where the rejection stands in the event store")
    at: str = Field(description="when the ingest refused the message")
    reason: str = Field(
        description="why: no or a forged worker credential, a camera the "
        "worker's token does not cover, an unknown schema version, a malformed message..."
    )


class RejectedMessagesOut(BaseModel):
    """Worker messages the ingest refused for one deployment (none of them became an alert)."""

    rows: list[RejectedMessageOut]


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


class AlertNotesOut(BaseModel):
    """Officers' free text about the person, by what it notes (adjudication, engagement,
    outcome, legal_hold, ...), as one s.62 consultation opened it."""

    alert_id: str
    notes: dict[str, str]


class AlertImagesOut(BaseModel):
    """The probe and the watchlist image side by side, for the operator's judgement."""

    alert: AlertOut
    probe_image_base64: str
    watchlist_image_base64: str
    watchlist_entry: EntryOut


class AdjudicationIn(Body):
    decision: Adjudication
    notes: OptionalText = ""


class AdjudicationCorrectionIn(Body):
    decision: Adjudication
    reason: Text


class EngagementIn(Body):
    outcome: EngagementOutcome
    duration_s: float = Field(ge=0, le=86_400)
    notes: OptionalText = ""
    told_why: bool = Field(default=False, description="a person stopped was told why")
    leaflet_given: bool = Field(default=False, description="a person stopped got the leaflet")


class OutcomeIn(Body):
    disposal: Disposal
    reason: Text


# -- DPO ------------------------------------------------------------------------------------------


class LegalHoldIn(Body):
    basis: HoldBasis = HoldBasis.INVESTIGATION
    reason: Text
    review_on: date


class HoldRenewalIn(Body):
    reason: Text
    review_on: date


class ErasureIn(Body):
    rule: LongLine = Field(description="the retention rule applied")


class ErasedOut(BaseModel):
    erased: list[str]


class Rows(BaseModel):
    """Free-form rows: no route answers with it (each has its own model in `api.documents`)."""

    rows: list[dict[str, Any]]


class Document(BaseModel):
    """A free-form document: no route answers with it (see `api.documents`)."""

    model_config = ConfigDict(extra="allow")
