"""Liveness and readiness for load balancers and containers (public, no personal data).

Ready means the API can do its work: the event store answers and, where the system uses
Kafka, the broker accepts a connection. Each check says what it found."""

from __future__ import annotations

import socket
import time
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.state import ApiState, api_state

router = APIRouter(prefix="/health", tags=["health"])

Check = Literal["ok", "unreachable", "not used"]


class Health(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Check]
    detail: str = ""


class Liveness(BaseModel):
    status: Literal["live"] = "live"


@router.get(
    "/live", summary="The process answers", operation_id="health_live", response_model=Liveness
)
def live() -> Liveness:
    return Liveness()


@router.get(
    "/ready",
    summary="The database and the broker answer",
    operation_id="health_ready",
    response_model=Health,
    responses={503: {"model": Health, "description": "a part the API needs is unreachable"}},
)
def ready(state: ApiState = Depends(api_state)) -> JSONResponse:
    checks: dict[str, Check] = {"database": _database(state), "broker": _broker(state)}
    failed = [name for name, found in checks.items() if found == "unreachable"]
    health = Health(
        status="not ready" if failed else "ready",
        checks=checks,
        detail=f"{', '.join(failed)} unreachable" if failed else "",
    )
    return JSONResponse(health.model_dump(), status_code=503 if failed else 200)


def _database(state: ApiState) -> Check:
    try:
        state.lfr.recorder.max_notification_id()  # one indexed read of the event store
    except Exception:  # any failure to read is "unreachable" to the caller; no detail leaks
        return "unreachable"
    return "ok"


def _broker(state: ApiState, timeout_s: float = 2.0) -> Check:
    bootstrap = state.settings.kafka_bootstrap
    if not bootstrap:
        return "not used"
    deadline = time.monotonic() + timeout_s
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "localhost", int(port)), timeout_s):
                return "ok"
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                break
    return "unreachable"
