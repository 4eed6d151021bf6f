"""Alerts: the worker's matches, the operator's queue, the images side by side (logged),
adjudication, engagement and outcome."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException

from api import documents, schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.alert import Alert, StopRecord
from domain.errors import DataErased
from domain.values import Role
from domain.watchlist import WatchlistEntry
from services.lfr import Match

router = APIRouter(tags=["alerts"], responses=REFUSALS)

worker = allow(Role.WORKER)
adjudicators = allow(Role.ENGAGEMENT_OFFICER, Role.OPERATOR)
engager = allow(Role.ENGAGEMENT_OFFICER)
note_readers = allow(Role.ENGAGEMENT_OFFICER, Role.OPERATOR, Role.DPO, Role.AUDITOR)


@router.post(
    "/matches",
    status_code=201,
    response_model=schemas.Created,
    summary="Worker: report a match (raises its alert; a replay is a no-op)",
)
def report_match(
    body: schemas.MatchIn, who: Principal = Depends(worker), api: ApiState = Depends(api_state)
) -> schemas.Created:
    try:
        probe = base64.b64decode(body.probe_jpeg_base64, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "probe_jpeg_base64: not base64") from None
    match = Match(
        match_id=body.event_id,
        deployment_id=body.deployment_id,
        entry_id=body.entry_id,
        camera_id=body.camera_id,
        observed_at=body.observed_at,
        score=body.score,
        model={"id": body.model_id, "version": body.model_version},
        watchlist_version=body.watchlist_version,
        track_id=body.track_id,
        probe_jpeg=probe,
    )
    return schemas.Created(id=str(api.lfr.raise_alert(who.actor, match)))


@router.post(
    "/deployments/{deployment_id}/faces-seen",
    status_code=201,
    response_model=schemas.Created,
    summary="Worker: report how many faces a camera saw in an interval",
)
def count_faces(
    deployment_id: UUID,
    body: schemas.FacesSeenIn,
    who: Principal = Depends(worker),
    api: ApiState = Depends(api_state),
) -> schemas.Created:
    tally = api.lfr.count_faces(
        who.actor,
        deployment_id,
        body.camera_id,
        body.interval_start,
        body.interval_end,
        body.faces_seen,
        body.faces_passed_quality,
    )
    return schemas.Created(id=str(tally))


@router.get(
    "/alerts",
    response_model=documents.AlertQueueOut,
    summary="The alert queue (no images), oldest first",
)
def queue(
    deployment_id: UUID | None = None,
    pending_only: bool = True,
    who: Principal = Depends(adjudicators),
    api: ApiState = Depends(api_state),
) -> Any:
    if deployment_id is not None:
        api.lfr.require_appointed(who.actor, deployment_id)
    rows = [
        _plain(r)
        for r in api.read_models().alert_queue(
            deployment_id=deployment_id, pending_only=pending_only
        )
    ]
    # The queue shows only the deployments the officer is appointed to.
    appointed = {
        d: api.lfr.is_appointed(who.actor, UUID(d)) for d in {str(r["deployment_id"]) for r in rows}
    }
    return {"rows": [views.jsonable(r) for r in rows if appointed[str(r["deployment_id"])]]}


def _plain(row: Any) -> dict[str, Any]:
    if isinstance(row, dict):
        return row
    if hasattr(row, "_asdict"):
        return dict(row._asdict())
    return dict(vars(row))


@router.get(
    "/alerts/{alert_id}", response_model=schemas.AlertOut, summary="One alert's record (no images)"
)
def read_alert(
    alert_id: UUID, who: Principal = Depends(adjudicators), api: ApiState = Depends(api_state)
) -> schemas.AlertOut:
    alert = api.lfr.load(Alert, alert_id)
    api.lfr.require_appointed(who.actor, alert.deployment_id)
    return views.alert(alert)


@router.post(
    "/alerts/{alert_id}/consultation",
    response_model=schemas.AlertImagesOut,
    summary="The probe and watchlist images side by side (logged under s.62)",
)
def consult_alert(
    alert_id: UUID,
    body: schemas.JustificationIn,
    who: Principal = Depends(adjudicators),
    api: ApiState = Depends(api_state),
) -> schemas.AlertImagesOut:
    alert = api.lfr.load(Alert, alert_id)
    api.lfr.require_appointed(who.actor, alert.deployment_id, "read the images")
    entry = api.lfr.load(WatchlistEntry, alert.entry_id)
    held = entry.erased and bool(alert.sealed_watchlist_image)  # kept by a legal hold
    if entry.erased and not held:  # refuse before any read is logged: nothing half done
        raise DataErased(f"the watchlist image of {entry.id} has been erased")
    probe = api.lfr.consult_probe_image(who.actor, alert_id, body.justification)
    if held:
        image = api.lfr.consult_held_watchlist_image(who.actor, alert_id, body.justification)
        shown = views.entry(entry)
    else:
        consulted = api.lfr.consult_watchlist_entry(who.actor, entry.id, body.justification)
        image, shown = consulted.image, views.entry(entry, consulted)
    return schemas.AlertImagesOut(
        alert=views.alert(alert),
        probe_image_base64=base64.b64encode(probe).decode(),
        watchlist_image_base64=base64.b64encode(image).decode(),
        watchlist_entry=shown,
    )


@router.post(
    "/alerts/{alert_id}/notes/consultation",
    response_model=schemas.AlertNotesOut,
    summary="The officers' notes and reasons about the person (logged under s.62)",
)
def consult_notes(
    alert_id: UUID,
    body: schemas.JustificationIn,
    who: Principal = Depends(note_readers),
    api: ApiState = Depends(api_state),
) -> schemas.AlertNotesOut:
    notes = api.lfr.consult_alert_notes(who.actor, alert_id, body.justification)
    return schemas.AlertNotesOut(alert_id=str(alert_id), notes=notes)


@router.post(
    "/alerts/{alert_id}/adjudication",
    response_model=schemas.Done,
    summary="The human decision: false alert, or engage",
)
def adjudicate(
    alert_id: UUID,
    body: schemas.AdjudicationIn,
    who: Principal = Depends(adjudicators),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.adjudicate_alert(who.actor, alert_id, body.decision, body.notes)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/engagement",
    response_model=schemas.Done,
    summary="Engagement Officer: the engagement's outcome and duration",
)
def engagement(
    alert_id: UUID,
    body: schemas.EngagementIn,
    who: Principal = Depends(engager),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    stop = StopRecord(told_why=body.told_why, leaflet_given=body.leaflet_given)
    api.lfr.record_engagement(who.actor, alert_id, body.outcome, body.duration_s, body.notes, stop)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/outcome",
    response_model=schemas.Done,
    summary="Engagement Officer: the disposal (arrest, other, no further action)",
)
def outcome(
    alert_id: UUID,
    body: schemas.OutcomeIn,
    who: Principal = Depends(engager),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.record_outcome(who.actor, alert_id, body.disposal, body.reason)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/adjudication-correction",
    response_model=schemas.Done,
    summary="Correct an adjudication, with the reason (before any engagement)",
)
def correct_adjudication(
    alert_id: UUID,
    body: schemas.AdjudicationCorrectionIn,
    who: Principal = Depends(adjudicators),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.correct_adjudication(who.actor, alert_id, body.decision, body.reason)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/outcome-amendment",
    response_model=schemas.Done,
    summary="Engagement Officer: amend the recorded disposal, with the reason",
)
def amend_outcome(
    alert_id: UUID,
    body: schemas.OutcomeIn,
    who: Principal = Depends(engager),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.amend_outcome(who.actor, alert_id, body.disposal, body.reason)
    return schemas.Done(id=str(alert_id))
