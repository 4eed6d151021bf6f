"""JSON helpers the pages need beyond the API's routes: who the token belongs to, the
applications to choose from, a deployment's watchlist entries (details, never images) and
the live alert queue as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api import documents, views
from api.auth import TOKEN_ROLES, Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.values import Actor, DeploymentStatus, Role
from domain.watchlist import WatchlistEntry
from projections.directory import APPLICATION, DEPLOYMENT, WATCHLIST_ENTRY

router = APIRouter(prefix="/web/api", tags=["web pages"], responses=REFUSALS)

anyone_signed_in = allow(*(Role(r) for r in sorted(TOKEN_ROLES)))
application_readers = allow(Role.AUTHORISING_OFFICER, Role.APPLICANT, Role.GOLD, Role.AUDITOR)
watchlist_readers = allow(Role.AUTHORISING_OFFICER, Role.GOLD, Role.APPLICANT)
queue_readers = allow(Role.OPERATOR, Role.ENGAGEMENT_OFFICER)

POLL_S = 0.25  # how often the stream looks for new alerts (a new one is shown within 1 s)
DECIDED_SHOWN = 50  # the queue's "decided" list: the latest decided alerts of the deployment
HEARTBEAT_S = 15.0  # a comment line now and then keeps proxies from closing the stream


@router.get("/me", response_model=documents.MeOut, summary="The signed-in user and roles")
def me(who: Principal = Depends(anyone_signed_in)) -> Any:
    return {"user_id": who.user_id, "roles": list(who.roles)}


def _made(api: ApiState, kind: str, deployment_id: UUID | None = None) -> list[UUID]:
    """The ids of what was made of a kind, in order: one indexed read of the read models."""
    return list(api.read_models().directory(kind, deployment_id))


@router.get(
    "/applications",
    response_model=documents.ApplicationsOut,
    summary="Every application, newest first",
)
def applications(
    who: Principal = Depends(application_readers), api: ApiState = Depends(api_state)
) -> Any:
    rows = []
    for application_id in reversed(_made(api, APPLICATION)):
        application = api.lfr.load(DeploymentApplication, application_id)
        if not api.lfr.appointments(application).admits(who.actor):
            continue  # only the applications the officer is appointed to
        rows.append(
            {
                "id": str(application.id),
                "status": application.status,
                "objective": application.objective,
                "use_case": application.use_case,
                "applicant_id": application.applicant_id,
                "deployment_id": str(Deployment.create_id(application.id)),
            }
        )
    return {"rows": rows}


def deployment_row(deployment: Deployment) -> dict[str, Any]:
    """What a page shows of a deployment to choose it: where, when, its state."""
    location = deployment.location or {}
    return {
        "id": str(deployment.id),
        "application_id": str(deployment.authority_id),
        "location": location.get("name", ""),
        "borough": location.get("borough", ""),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "use_case": deployment.use_case,
        "status": str(deployment.status),
        "starts_at": deployment.starts_at.isoformat(),
        "ends_at": deployment.ends_at.isoformat(),
        "threshold": deployment.threshold or None,
        "cameras": list(deployment.cameras),
    }


@router.get(
    "/deployments",
    response_model=documents.DeploymentsOut,
    summary="The deployments the signed-in officer is appointed to, live ones first",
)
def deployments(
    who: Principal = Depends(anyone_signed_in), api: ApiState = Depends(api_state)
) -> Any:
    # Appointed in any role the person holds (an auditor who is also an applicant sees all).
    people = TOKEN_ROLES - {Role.WORKER.value}  # a worker's token chooses no deployment here
    actors = [Actor(who.user_id, Role(r)) for r in who.roles if r in people]
    rows = []
    for deployment_id in _made(api, DEPLOYMENT):
        if any(api.lfr.is_appointed(actor, deployment_id) for actor in actors):
            rows.append(deployment_row(api.lfr.load(Deployment, deployment_id)))
    order: dict[str, int] = {
        DeploymentStatus.LIVE: 0,
        DeploymentStatus.PAUSED: 1,
        DeploymentStatus.PLANNED: 2,
    }
    rows.sort(key=lambda r: str(r["starts_at"]), reverse=True)  # newest first ...
    rows.sort(key=lambda r: order.get(str(r["status"]), 3))  # ... live ones before the rest
    return {"rows": rows}


@router.get(
    "/deployments/{deployment_id}/watchlist",
    response_model=documents.WatchlistOut,
    summary="A deployment's watchlist entries (details only: no names), sensitive ones first",
)
def watchlist(
    deployment_id: UUID,
    who: Principal = Depends(watchlist_readers),
    api: ApiState = Depends(api_state),
) -> Any:
    api.lfr.require_appointed(who.actor, deployment_id)  # 404 unknown, 403 not appointed
    ids = _made(api, WATCHLIST_ENTRY, deployment_id)
    entries = [views.entry(api.lfr.load(WatchlistEntry, i)).model_dump() for i in ids]
    entries.sort(key=lambda e: (not e["sensitive_flags"], e["category"], e["id"]))
    return {"rows": entries}


def actionable(roles: tuple[str, ...]) -> Callable[[dict[str, Any]], bool]:
    """Which queue rows the user can act on: operators adjudicate pending alerts;
    engagement officers also record the engagement and then the outcome."""
    engager = Role.ENGAGEMENT_OFFICER.value in roles

    def wanted(row: dict[str, Any]) -> bool:
        if row["state"] == "pending":
            return True
        if not engager or row["decision"] != "engage":
            return False
        awaiting_engagement = row["state"] == "adjudicated"
        awaiting_outcome = row["state"] == "concluded" and not row.get("disposal")
        return awaiting_engagement or awaiting_outcome

    return wanted


def _sse(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def queue_rows(
    rows: list[dict[str, Any]], actionable_row: Callable[[dict[str, Any]], bool], location: str
) -> dict[str, str]:
    """The queue's rows by alert id (as JSON): every actionable alert, and the latest
    decided ones for the "decided" list, each with `actionable` and the deployment's place."""
    acting = [r for r in rows if actionable_row(r)]
    decided = [r for r in rows if not actionable_row(r)][-DECIDED_SHOWN:]
    shown = {}
    for row, now in [(r, True) for r in acting] + [(r, False) for r in decided]:
        full = {**views.jsonable(row), "actionable": now, "location": location}
        shown[str(row["alert_id"])] = json.dumps(full)
    return shown


async def queue_events(
    request: Request, api: ApiState, deployment_id: UUID, who: Principal
) -> AsyncIterator[str]:
    """`alert` for each row of the deployment's queue new or changed (actionable, or among
    the latest decided), `gone` for rows no longer shown."""
    actionable_row = actionable(who.roles)
    location = str((api.lfr.load(Deployment, deployment_id).location or {}).get("name", ""))
    shown: dict[str, str] = {}  # alert id -> the row's JSON last sent
    synced = False
    quiet = 0.0
    yield "retry: 2000\n\n"
    stopping = getattr(request.app.state, "stopping", None)
    while not await request.is_disconnected() and not (stopping and stopping.is_set()):
        rows = await run_in_threadpool(
            lambda: api.read_models().alert_queue(deployment_id=deployment_id, pending_only=False)
        )
        current = queue_rows(rows, actionable_row, location)
        for alert_id, row in current.items():
            if shown.get(alert_id) != row:
                yield _sse("alert", json.loads(row))
        for alert_id in set(shown) - set(current):
            yield _sse("gone", {"alert_id": alert_id})
        changed = current != shown
        if not synced:
            synced = True
            yield _sse("synced", {"alerts": len(current)})  # what came before was the backlog
        shown = current
        quiet = 0.0 if changed else quiet + POLL_S
        if quiet >= HEARTBEAT_S:
            quiet = 0.0
            yield ": still here\n\n"
        await asyncio.sleep(POLL_S)


@router.get(
    "/alerts/stream",
    response_class=StreamingResponse,
    include_in_schema=False,  # an endless stream: nothing a client generator could call
)
def alert_stream(
    request: Request,
    deployment_id: UUID = Query(..., description="The one deployment whose queue to follow"),
    who: Principal = Depends(queue_readers),
    api: ApiState = Depends(api_state),
) -> StreamingResponse:
    api.lfr.require_appointed(who.actor, deployment_id)  # 404 unknown, 403 not appointed
    return StreamingResponse(
        queue_events(request, api, deployment_id, who),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
