"""The DPO: s.62 consultation logs, the retention view, legal holds, erasure and its proofs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api import documents, schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.alert import HoldRequest
from domain.values import Role

router = APIRouter(tags=["dpo"], responses=REFUSALS)

dpo = allow(Role.DPO)
dpo_or_auditor = allow(Role.DPO, Role.AUDITOR)


@router.get(
    "/dpo/consultations",
    response_model=documents.ConsultationsOut,
    summary="The s.62 log: every read of personal data (who, when, why, what)",
)
def consultations(
    after: int = Query(0, ge=0, le=schemas.MAX_INT, description="the last notification id seen"),
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = Depends(dpo_or_auditor),
    api: ApiState = Depends(api_state),
) -> Any:
    # The log as projected (the read models catch up first): one indexed read of a page.
    rows = api.read_models().consultations(after, limit)
    return {"rows": views.jsonable(rows)}


@router.get(
    "/dpo/retention",
    response_model=documents.RetentionOut,
    summary="What personal data is live, due, overdue, held and erased",
)
def retention(_: Principal = Depends(dpo), api: ApiState = Depends(api_state)) -> Any:
    return views.jsonable(api.retention_report())


@router.get(
    "/dpo/erasures/{subject_id}",
    response_model=documents.ErasureRecordOut,
    summary="The proof that a subject's data was erased (event, ledger, destroyed key)",
)
def erasure_proof(
    subject_id: UUID, _: Principal = Depends(dpo_or_auditor), api: ApiState = Depends(api_state)
) -> Any:
    return views.jsonable(api.erasure_proof(subject_id))


@router.post(
    "/alerts/{alert_id}/legal-hold",
    response_model=schemas.Done,
    summary="Hold an alert's data for an investigation or proceedings",
)
def place_hold(
    alert_id: UUID,
    body: schemas.LegalHoldIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    hold = HoldRequest(body.basis, body.reason, body.review_on)
    api.lfr.place_legal_hold(who.actor, alert_id, hold)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/legal-hold/approval",
    response_model=schemas.Done,
    summary="Approve an alert's legal hold (a DPO other than who requested it)",
)
def approve_hold(
    alert_id: UUID, who: Principal = Depends(dpo), api: ApiState = Depends(api_state)
) -> schemas.Done:
    api.lfr.approve_legal_hold(who.actor, alert_id)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/legal-hold/renewal",
    response_model=schemas.Done,
    summary="Keep an alert's legal hold after its review, until the next review date",
)
def renew_hold(
    alert_id: UUID,
    body: schemas.HoldRenewalIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.renew_legal_hold(who.actor, alert_id, body.reason, body.review_on)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/legal-hold/lift",
    response_model=schemas.Done,
    summary="Lift an alert's legal hold",
)
def lift_hold(
    alert_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.lift_legal_hold(who.actor, alert_id, body.reason)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/alerts/{alert_id}/erasure",
    response_model=schemas.Done,
    summary="Erase an alert's data (destroys its key; the record stays)",
)
def erase_alert(
    alert_id: UUID,
    body: schemas.ErasureIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.erase_alert_data(who.actor, alert_id, body.rule)
    return schemas.Done(id=str(alert_id))


@router.post(
    "/watchlist/entries/{entry_id}/erasure",
    response_model=schemas.Done,
    summary="Erase one watchlist entry's image and template",
)
def erase_entry(
    entry_id: UUID,
    body: schemas.ErasureIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.erase_watchlist_entry(who.actor, entry_id, body.rule)
    return schemas.Done(id=str(entry_id))


@router.post(
    "/deployments/{deployment_id}/watchlist/erasure",
    response_model=schemas.ErasedOut,
    summary="Erase an ended deployment's whole watchlist",
)
def erase_watchlist(
    deployment_id: UUID,
    body: schemas.ErasureIn,
    who: Principal = Depends(dpo),
    api: ApiState = Depends(api_state),
) -> schemas.ErasedOut:
    erased = api.lfr.erase_watchlist(who.actor, deployment_id, body.rule)
    return schemas.ErasedOut(erased=[str(e) for e in erased])
