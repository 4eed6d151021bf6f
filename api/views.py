"""Aggregates as response bodies: only what the role may see, never sealed bytes."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api import schemas
from domain.alert import Alert
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.watchlist import WatchlistEntry
from services.personal_data_commands import ConsultedEntry


def jsonable(value: Any) -> Any:
    """Plain JSON of aggregate state: ids and times as text, bytes as base64."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def application(a: DeploymentApplication) -> schemas.ApplicationOut:
    return schemas.ApplicationOut(
        id=str(a.id),
        version=a.version,
        status=a.status,
        applicant_id=a.applicant_id,
        objective=a.objective,
        use_case=a.use_case,
        intelligence_case=a.intelligence_case,
        sections=a.sections,
        proposal=a.proposal,
        decisions=a.decisions,
        document_versions=a.document_versions,
        sensitive_rationale=a.sensitive_rationale,
        gold_id=a.gold_id,
        ao_id=a.ao_id,
        urgent_deadline=a.urgent_deadline,
        threshold=a.threshold,
        watchlist_max_size=a.watchlist_max_size,
        amendment_notes=a.amendment_notes,
    )


def deployment(d: Deployment) -> schemas.DeploymentOut:
    return schemas.DeploymentOut(
        id=str(d.id),
        version=d.version,
        authority_id=str(d.authority_id),
        status=d.status,
        location=d.location,
        use_case=d.use_case,
        starts_at=d.starts_at,
        ends_at=d.ends_at,
        cameras=d.cameras,
        command=d.command,
        checks=d.checks,
        watchlist_state=d.watchlist_state,
        watchlist_size=len(d.watchlist.get("entry_ids", [])),
        watchlist_version=str(d.watchlist.get("version", "")),
        watchlist_model_id=str(d.watchlist.get("model_id", "")),
        threshold=d.threshold,
        started_at=d.started_at,
        ended_at=d.ended_at,
        report=jsonable(d.report),
        register_entry=jsonable(d.register_entry),
    )


def entry(e: WatchlistEntry, consulted: ConsultedEntry | None = None) -> schemas.EntryOut:
    """The entry's details; its reference and AO rationale only from an s.62 consultation."""
    return schemas.EntryOut(
        id=str(e.id),
        deployment_id=str(e.deployment_id),
        reference=consulted.reference if consulted else None,
        category=e.category,
        source=consulted.source if consulted else None,
        legal_basis=consulted.legal_basis if consulted else None,
        image_date=e.image_date,
        sensitive_flags=list(e.sensitive_flags),
        # The AO's rationale is about the person: sealed, read only under an s.62 record.
        ao_rationale=consulted.ao_rationale if consulted else None,
        ao_rationale_recorded=e.ao_rationale_recorded,
        model_id=e.model_id,
        erased=e.erased,
    )


def alert(a: Alert) -> schemas.AlertOut:
    return schemas.AlertOut(
        id=str(a.id),
        version=a.version,
        deployment_id=str(a.deployment_id),
        entry_id=str(a.entry_id),
        camera_id=a.camera_id,
        observed_at=a.observed_at,
        score=a.score,
        threshold=a.threshold,
        model=a.model,
        watchlist_version=a.watchlist_version,
        adjudication=jsonable(a.adjudication),
        engagement=jsonable(a.engagement),
        outcome=jsonable(a.outcome),
        legal_hold=a.legal_hold,
        erased=a.erased,
    )
