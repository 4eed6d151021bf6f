"""Operating the service: what the read models could not project, and retrying it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api import documents
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.values import Role

router = APIRouter(tags=["operations"], responses=REFUSALS)

overseers = allow(Role.AUDITOR, Role.DPO)


@router.get(
    "/operations/projection-failures",
    response_model=documents.ProjectionFailuresOut,
    summary="Stored events a read model could not project (recorded and skipped)",
)
def projection_failures(
    _: Principal = Depends(overseers), api: ApiState = Depends(api_state)
) -> Any:
    return {"rows": api.read_models().failed_events()}


@router.post(
    "/operations/projection-failures/retry",
    response_model=documents.RetryOut,
    summary="Project the failed events again (after a fix); those that go through are cleared",
)
def retry_projection_failures(
    _: Principal = Depends(allow(Role.AUDITOR)), api: ApiState = Depends(api_state)
) -> Any:
    cleared, failing = api.read_models().retry_failed()
    return {"cleared": cleared, "still_failing": failing}
