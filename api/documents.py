"""Typed answers of the read routes: ledger proofs and checkpoints, verification, the audit
timeline, the s.62 log, retention, metrics, operations and the pages' lists.

Client generators read these (`/openapi.json`); each field is what the route really returns.
A field typed `dict[str, Any]` is one whose content is an event's or an aggregate's own data
(its keys differ by event), never a whole answer.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas import EntryOut

# -- the ledger -------------------------------------------------------------------------------


class SignatureOut(BaseModel):
    signer: str = Field(description="the signer's name (the log's origin)")
    key_id: str = Field(description="the key's id, hex")
    signature: str = Field(description="the signature, base64")


class CosignatureOut(BaseModel):
    witness: str
    key_id: str
    timestamp: int = Field(description="when the witness co-signed, POSIX seconds")


class CheckpointOut(BaseModel):
    """A signed checkpoint: the C2SP signed note and its fields for people to read."""

    origin: str
    tree_size: int
    root_hash: str = Field(description="the Merkle tree hash, hex")
    body: str = Field(description="the checkpoint text the signatures cover")
    note: str | None = Field(description="the whole signed note (body, blank line, signatures)")
    signatures: list[SignatureOut]
    witnessed_by: list[CosignatureOut] = []
    witness_keys: list[str] = []


class CheckpointsOut(BaseModel):
    rows: list[CheckpointOut] = Field(description="every signed checkpoint, oldest first")


class StoredEventOut(BaseModel):
    """A stored event exactly as its events table holds it: the leaf of the ledger."""

    log: str
    notification_id: int
    originator_id: str
    originator_version: int
    topic: str
    state: str = Field(description="the stored bytes, hex")


class InclusionPathOut(BaseModel):
    index: int = Field(description="the entry's position in the tree, from 0")
    tree_size: int
    path: list[str] = Field(description="the audit path, hex hashes from the leaf up")


class ConsistencyPathOut(BaseModel):
    old_size: int
    new_size: int
    path: list[str] = Field(description="RFC 9162 consistency proof, hex hashes")


class EventProofOut(BaseModel):
    """The inclusion proof of one event; the checkpoint is given beside it."""

    notification_id: int
    event: StoredEventOut
    proof: InclusionPathOut


class InclusionProofOut(EventProofOut):
    """The inclusion-proof document (`lfr ledger prove SEQ --json` prints the same)."""

    checkpoint: CheckpointOut


class ConsistencyProofOut(BaseModel):
    """The consistency-proof document (`lfr ledger consistency OLD NEW --json` prints it)."""

    proof: ConsistencyPathOut
    old_checkpoint: CheckpointOut
    new_checkpoint: CheckpointOut


class EntryProblemOut(BaseModel):
    index: int | None
    notification_id: int | None
    log: str | None
    reason: str
    first: int | None = None
    last: int | None = None


class CheckpointCheckOut(BaseModel):
    tree_size: int
    ok: bool
    reason: str
    seq: int | None = None
    published: bool = False
    witnessed_by: list[str] = []


class VerificationOut(BaseModel):
    """What recomputing the whole ledger found (`lfr ledger verify --json` prints it)."""

    ok: bool
    summary: str
    size: int
    root_hash: str
    first_bad: EntryProblemOut | None = None
    problems: int = 0
    checkpoints: list[CheckpointCheckOut] = []
    errors: list[str] = []


# -- audit and the s.62 log ---------------------------------------------------------------------


class TimelineEventOut(BaseModel):
    notification_id: int
    deployment_id: str | None = None
    aggregate_id: str
    aggregate_type: str
    version: int
    event: str = Field(description="the event's name, e.g. AuthorityGranted")
    actor_id: str | None = None
    actor_role: str | None = None
    at: str | None = Field(None, description="when, ISO 8601 with offset")
    justification: str | None = None
    s62_operation: str | None = None
    detail: dict[str, Any] = Field(
        default_factory=dict, description="the event's own non-personal fields"
    )


class TimelineOut(BaseModel):
    rows: list[TimelineEventOut]


class AggregateStateOut(BaseModel):
    aggregate_id: str
    type: str
    version: int
    state: dict[str, Any] = Field(description="the aggregate's fields at that version")


class ConsultationOut(BaseModel):
    """One read of personal data (DPA 2018 s.62)."""

    notification_id: int
    at: str
    actor_id: str
    actor_role: str
    justification: str
    operation: str
    data_class: str
    item_id: str
    deployment_id: str | None = None


class ConsultationsOut(BaseModel):
    rows: list[ConsultationOut]


class AlertQueueRowOut(BaseModel):
    """An alert as the queue shows it: no images, no names."""

    alert_id: str
    deployment_id: str
    notification_id: int | None = None
    entry_id: str | None = None
    camera_id: str | None = None
    track_id: str | None = None
    observed_at: str | None = None
    raised_at: str | None = None
    score: float | None = None
    threshold: float | None = None
    model: dict[str, Any] | None = Field(None, description="the model that matched")
    watchlist_version: str | None = None
    state: str
    decision: str | None = None
    adjudicated_at: str | None = None
    adjudicated_by: str | None = None
    adjudicated_role: str | None = None
    adjudication_delay_s: float | None = None
    engagement_outcome: str | None = None
    engagement_duration_s: float | None = None
    disposal: str | None = None
    legal_hold: int | None = None
    erased: int | None = None
    entry_category: str | None = None
    entry_erased: bool | None = None


class AlertQueueOut(BaseModel):
    rows: list[AlertQueueRowOut]


# -- retention ----------------------------------------------------------------------------------


class RetentionItemOut(BaseModel):
    kind: str = Field(description="alert or watchlist_entry")
    item_id: str
    deployment_id: str
    data: list[str] = Field(description="the kinds of personal data held")
    collected_at: str | None = None
    rule: str
    deadline: str | None = None
    due_at: str | None = None
    status: str = Field(description="live, due, overdue, held or erased")
    hold: dict[str, Any] = Field(default_factory=dict, description="the legal hold, if any")
    hold_lifted_at: str | None = None
    erasure: dict[str, Any] = Field(default_factory=dict, description="the erasure, once done")


class RetentionRulesOut(BaseModel):
    alert: str
    watchlist: str
    margin_s: float


class RetentionIntegrityOut(BaseModel):
    verified: bool | None = None
    reason: str | None = None
    rebuilt_from_events: bool | None = None


class NonMatchingFacesOut(BaseModel):
    faces_seen: int
    stored: int
    alerts_stored_encrypted: int


class RetentionOut(BaseModel):
    as_of: str
    rules: RetentionRulesOut
    counts: dict[str, int] = Field(description="items by status")
    integrity: RetentionIntegrityOut
    non_matching_faces: NonMatchingFacesOut
    items: list[RetentionItemOut]


class ErasureProofOut(BaseModel):
    """The inclusion proof of an erasure event, checked, or why there is none."""

    notification_id: int | None = None
    event: StoredEventOut | None = None
    proof: InclusionPathOut | None = None
    checkpoint: CheckpointOut | None = None
    verified: bool = False
    error: str | None = None


class ErasureRecordOut(RetentionItemOut):
    key_destroyed: bool
    erasure_proof: ErasureProofOut | None = None


# -- the public register and its figures --------------------------------------------------------


class FiguresOut(BaseModel):
    """The figures a register row and a metrics row both give (faces, alerts, outcomes)."""

    faces_seen: int | None = None
    alerts: int | None = None
    true_alerts_confirmed: int | None = None
    true_alerts_unconfirmed: int | None = None
    false_alerts_confirmed: int | None = None
    false_alerts_unconfirmed: int | None = None
    engagements: int | None = None
    arrests: int | None = None
    other_disposals: int | None = None
    unadjudicated: int | None = None
    true_alerts: int | None = None
    false_alerts: int | None = None
    false_alert_rate_per_faces: float | None = None
    false_alert_rate_per_alerts: float | None = None


class _RegisterPlace(BaseModel):
    """What a register row says of its deployment before the figures."""

    deployment_id: str
    date: str | None = None
    location: str | None = None
    borough: str | None = None
    use_case: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_minutes: float | None = None
    watchlist_size: int | None = None
    threshold: float | None = None
    thresholds: str | None = None
    status: str
    ending: str | None = None


# The bases' fields come in reverse order of the bases: the place, then the figures.
class RegisterRowOut(FiguresOut, _RegisterPlace):
    """One public register row: exactly its deployment's latest public event, with proofs."""

    notification_ids: list[int] = []
    proofs: list[EventProofOut] = []


class _MetricsGroup(BaseModel):
    group: str
    deployments: int


class MetricsRowOut(FiguresOut, _MetricsGroup):
    """The figures of a group of deployments (a month, a use case, a borough)."""

    adjudicated_alerts: int | None = None
    adjudication_delay_median_s: float | None = None
    adjudication_delay_p95_s: float | None = None
    adjudication_delay_mean_s: float | None = None


class MetricsOut(BaseModel):
    by: str = Field(description="month, use_case or borough")
    rows: list[MetricsRowOut]


# -- operations ---------------------------------------------------------------------------------


class ProjectionFailureOut(BaseModel):
    projection: str
    notification_id: int
    topic: str
    error: str
    failed_at: str | None = None


class ProjectionFailuresOut(BaseModel):
    rows: list[ProjectionFailureOut]


class RetryOut(BaseModel):
    cleared: int
    still_failing: int


# -- the pages' lists ---------------------------------------------------------------------------


class MeOut(BaseModel):
    user_id: str
    roles: list[str]


class ApplicationRowOut(BaseModel):
    id: str
    status: str
    objective: str | None = None
    use_case: str | None = None
    applicant_id: str | None = None
    deployment_id: str


class ApplicationsOut(BaseModel):
    rows: list[ApplicationRowOut]


class DeploymentRowOut(BaseModel):
    id: str
    application_id: str
    location: str
    borough: str
    latitude: float | None = None
    longitude: float | None = None
    use_case: str | None = None
    status: str
    starts_at: str
    ends_at: str
    threshold: float | None = None
    cameras: list[str]


class DeploymentsOut(BaseModel):
    rows: list[DeploymentRowOut]


class WatchlistOut(BaseModel):
    rows: list[EntryOut]


class PublishedRegister(BaseModel):
    """Public register rows with inclusion proofs against one signed checkpoint.

    Each row is exactly the payload of its deployment's latest public event. Its `proofs`
    hold, per public event of the deployment (notice, register entry, amendments): its
    `notification_id`, the `proof` (index, tree_size, path) and the `event` exactly as stored
    (the leaf), all against `checkpoint`. `log_key_fingerprint` is the SHA-256 of the log's
    public key, to compare with the one the police publish (`lfr ledger key`)."""

    checkpoint: CheckpointOut
    log_public_key: str
    log_key_fingerprint: str
    rows: list[RegisterRowOut]


class LatestCheckpointOut(BaseModel):
    checkpoint: CheckpointOut
    log_public_key: str
    log_key_fingerprint: str
