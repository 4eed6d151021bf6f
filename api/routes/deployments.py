"""Stages 3 to 6 of a deployment: authorised changes, command, checks, live, end, report."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api import schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.deployment import Deployment
from domain.values import Role
from projections.register import counts_of
from services.report import amend_cancellation_report, submit_cancellation_report

router = APIRouter(prefix="/deployments", tags=["deployments"], responses=REFUSALS)

ao = allow(Role.AUTHORISING_OFFICER)
gold = allow(Role.GOLD)
gold_team = allow(Role.GOLD, Role.OPERATOR)
readers = allow(
    Role.GOLD,
    Role.OPERATOR,
    Role.ENGAGEMENT_OFFICER,
    Role.AUTHORISING_OFFICER,
    Role.APPLICANT,
    Role.AUDITOR,
    Role.WORKER,
)
report_readers = allow(Role.GOLD, Role.AUTHORISING_OFFICER, Role.AUDITOR, Role.DPO)


@router.get(
    "/{deployment_id}", response_model=schemas.DeploymentOut, summary="The deployment's state"
)
def read_deployment(
    deployment_id: UUID, who: Principal = Depends(readers), api: ApiState = Depends(api_state)
) -> schemas.DeploymentOut:
    api.lfr.require_appointed(who.actor, deployment_id)
    return views.deployment(api.lfr.load(Deployment, deployment_id))


@router.post(
    "/{deployment_id}/threshold",
    response_model=schemas.Done,
    summary="AO: authorise a new face-match threshold (never below the floor)",
)
def change_threshold(
    deployment_id: UUID,
    body: schemas.ThresholdIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.authorise_threshold_change(who.actor, deployment_id, body.threshold, body.rationale)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/watchlist-size",
    response_model=schemas.Done,
    summary="AO: authorise a new watchlist size",
)
def change_size(
    deployment_id: UUID,
    body: schemas.WatchlistSizeIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.authorise_watchlist_size(who.actor, deployment_id, body.max_size, body.rationale)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/command",
    response_model=schemas.Done,
    summary="Gold: appoint the command structure",
)
def appoint_command(
    deployment_id: UUID,
    body: schemas.CommandIn,
    who: Principal = Depends(gold),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.appoint_command(who.actor, deployment_id, body.members)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/checks",
    response_model=schemas.Done,
    summary="Record a pre-deployment check (signage, notice, training, cameras)",
)
def record_check(
    deployment_id: UUID,
    body: schemas.CheckIn,
    who: Principal = Depends(gold_team),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.record_pre_deployment(who.actor, deployment_id, body.check, body.detail)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/start", response_model=schemas.Done, summary="Start the live deployment"
)
def start(
    deployment_id: UUID,
    body: schemas.StartIn,
    who: Principal = Depends(gold_team),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.start_deployment(who.actor, deployment_id, body.cameras)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/cancellation",
    response_model=schemas.Done,
    summary="Gold named in the authority: cancel the deployment before it starts",
)
def cancel(
    deployment_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(gold),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.cancel_deployment(who.actor, deployment_id, body.reason)
    return schemas.Done(id=str(deployment_id))


@router.post("/{deployment_id}/pause", response_model=schemas.Done, summary="Pause the deployment")
def pause(
    deployment_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(gold_team),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.pause_deployment(who.actor, deployment_id, body.reason)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/resume", response_model=schemas.Done, summary="Resume a paused deployment"
)
def resume(
    deployment_id: UUID, who: Principal = Depends(gold_team), api: ApiState = Depends(api_state)
) -> schemas.Done:
    api.lfr.resume_deployment(who.actor, deployment_id)
    return schemas.Done(id=str(deployment_id))


@router.post("/{deployment_id}/end", response_model=schemas.Done, summary="End the deployment")
def end(
    deployment_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(gold_team),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.end_deployment(who.actor, deployment_id, body.reason)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/cancellation-report",
    response_model=schemas.Done,
    summary="Gold: submit the cancellation report (Form 1 Part 3) with the figures as they stand",
)
def submit_report(
    deployment_id: UUID,
    body: schemas.CancellationReportIn,
    who: Principal = Depends(gold),
    api: ApiState = Depends(api_state),
) -> schemas.Done:

    report: dict[str, Any] = body.model_dump()
    api.lfr.require_appointed(who.actor, deployment_id, "submit the cancellation report")
    submit_cancellation_report(api.read_models(), who.actor, deployment_id, report)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/{deployment_id}/cancellation-report/amendment",
    response_model=schemas.Done,
    summary="Gold: amend the submitted cancellation report, with the reason (a new version)",
)
def amend_report(
    deployment_id: UUID,
    body: schemas.CancellationReportAmendmentIn,
    who: Principal = Depends(gold),
    api: ApiState = Depends(api_state),
) -> schemas.Done:

    report: dict[str, Any] = body.model_dump(exclude={"reason"})
    api.lfr.require_appointed(who.actor, deployment_id, "amend the cancellation report")
    amend_cancellation_report(api.read_models(), who.actor, deployment_id, report, body.reason)
    return schemas.Done(id=str(deployment_id))


@router.get(
    "/{deployment_id}/rejected-messages",
    response_model=schemas.RejectedMessagesOut,
    summary="Worker messages the ingest refused for this deployment (forged or unsigned, "
    "outside the worker's token, malformed), oldest first",
)
def rejected_messages(
    deployment_id: UUID, who: Principal = Depends(gold_team), api: ApiState = Depends(api_state)
) -> schemas.RejectedMessagesOut:
    api.lfr.require_appointed(who.actor, deployment_id)
    rows = [r for r in api.read_models().timeline(deployment_id) if r["event"] == "MessageRejected"]
    return schemas.RejectedMessagesOut(
        rows=[
            schemas.RejectedMessageOut(
                notification_id=int(r["notification_id"]),
                at=str(r["at"]),
                reason=str(_detail(r["detail"]).get("reason", "")),
            )
            for r in rows
        ]
    )


def _detail(detail: Any) -> dict[str, Any]:
    """A timeline row's decision fields (JSON text on some stores, a dict on others)."""
    if isinstance(detail, str):
        loaded = json.loads(detail or "{}")
        return loaded if isinstance(loaded, dict) else {}
    return dict(detail or {})


VERSION = Query(
    None, ge=1, le=10_000, description="a version of the report (1: as first submitted)"
)


@router.get(
    "/{deployment_id}/cancellation-report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "the report as HTML"}},
    summary="The cancellation report as Gold submitted it (the latest version unless asked)",
)
def read_report(
    deployment_id: UUID,
    version: int | None = VERSION,
    who: Principal = Depends(report_readers),
    api: ApiState = Depends(api_state),
) -> HTMLResponse:
    api.lfr.require_appointed(who.actor, deployment_id)  # 404 unknown, 403 not appointed
    return HTMLResponse(api.cancellation_report(deployment_id, version, "html"))


@router.get(
    "/{deployment_id}/cancellation-report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the report as PDF"}},
    summary="The cancellation report as Gold submitted it, as a PDF",
)
def read_report_pdf(
    deployment_id: UUID,
    version: int | None = VERSION,
    who: Principal = Depends(report_readers),
    api: ApiState = Depends(api_state),
) -> Response:
    api.lfr.require_appointed(who.actor, deployment_id)  # 404 unknown, 403 not appointed
    name = f"cancellation-report-{deployment_id}{f'-v{version}' if version else ''}.pdf"
    return Response(
        api.cancellation_report(deployment_id, version, "pdf"),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post(
    "/{deployment_id}/register-entry",
    response_model=schemas.Done,
    summary="Gold: publish the deployment's register entry (after the report)",
)
def publish(
    deployment_id: UUID, who: Principal = Depends(gold), api: ApiState = Depends(api_state)
) -> schemas.Done:

    models = api.read_models()
    row = models.register_row(deployment_id)
    periods = models.threshold_periods(deployment_id) if row else None
    counts = counts_of(row) if row else {}
    api.lfr.publish_register_entry(who.actor, deployment_id, counts, periods)
    return schemas.Done(id=str(deployment_id))
