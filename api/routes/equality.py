"""Rule 11: the periodic equality review and its overdue warning."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api import schemas
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.equality import MONITORING_ID, EqualityReview
from domain.values import Role

router = APIRouter(prefix="/equality-reviews", tags=["equality"], responses=REFUSALS)

reviewers = allow(Role.DPO, Role.AUTHORISING_OFFICER)
readers = allow(Role.DPO, Role.AUTHORISING_OFFICER, Role.GOLD, Role.AUDITOR)


class EqualityReviewIn(schemas.Body):
    period_start: date
    period_end: date
    findings: schemas.Text
    actions: schemas.Text


class EqualityStatusOut(BaseModel):
    last_period_end: date | None
    due_by: date | None
    overdue: bool
    warning: str


@router.post(
    "", response_model=schemas.Done, summary="DPO or AO: record the periodic equality review"
)
def record_review(
    body: EqualityReviewIn, who: Principal = Depends(reviewers), api: ApiState = Depends(api_state)
) -> schemas.Done:
    review = EqualityReview(body.period_start, body.period_end, body.findings, body.actions)
    api.lfr.record_equality_review(who.actor, review)
    return schemas.Done(id=str(MONITORING_ID))


@router.get(
    "/status",
    response_model=EqualityStatusOut,
    summary="When the next equality review is due, and a warning once it is overdue",
)
def review_status(
    _: Principal = Depends(readers), api: ApiState = Depends(api_state)
) -> EqualityStatusOut:
    status = api.lfr.equality_review_status()
    return EqualityStatusOut(
        last_period_end=status.last_period_end,
        due_by=status.due_by,
        overdue=status.overdue,
        warning=status.warning,
    )
