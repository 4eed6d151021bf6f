"""The public register of deployments and its metrics: no token, published data only.

Every row is the payload of its deployment's latest public event (`domain.publication`),
and every JSON row carries the inclusion proofs of its public events against a signed
checkpoint, with the log's public key and its fingerprint to check them with. Nothing else
of the event store is served here. Answers are rendered once per change of the public
register (`api.public_cache`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import documents, views
from api.errors import REFUSALS
from api.register_proofs import key_fingerprint
from api.state import ApiState, api_state
from projections.exports import register_bytes

router = APIRouter(
    prefix="/public",
    tags=["public"],
    responses={k: v for k, v in REFUSALS.items() if k in (404, 422, 503)},
)
PARQUET = "application/vnd.apache.parquet"


def _filters(borough: str | None, use_case: str | None) -> dict[str, str]:
    given = {"borough": borough, "use_case": use_case}
    return {k: v for k, v in given.items() if v}


def _rows(api: ApiState, filters: dict[str, str]) -> list[dict[str, Any]]:
    return views.jsonable(list(api.read_models(public=True).public_register_rows(filters)))


def _published(api: ApiState, rows: list[dict[str, Any]]) -> bytes:
    checkpoint, proved = api.register_proofs().attach(rows)
    key = api.ledger().log_key
    document = documents.PublishedRegister.model_validate(
        {
            "checkpoint": checkpoint.to_json(api.ledger().witnesses),
            "log_public_key": str(key),
            "log_key_fingerprint": key_fingerprint(key),
            "rows": proved,
        }
    )
    return document.model_dump_json().encode()


async def _answer(
    api: ApiState, key: str, build: Callable[[], bytes], media_type: str = "application/json"
) -> Response:
    """The rendered answer straight from the event loop while the public register is
    unchanged; otherwise built (once per change, in the thread pool)."""
    body = api.rendered_public_answer(key)
    if body is None:
        body = await run_in_threadpool(api.public_answer, key, build)
    return Response(body, media_type=media_type)


@router.get(
    "/register",
    response_model=documents.PublishedRegister,
    summary="The public register of deployments, each row with its inclusion proofs",
)
async def register(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Any:
    filters = _filters(borough, use_case)
    return await _answer(
        api, f"register:{sorted(filters.items())}", lambda: _published(api, _rows(api, filters))
    )


@router.get(
    "/register/{deployment_id}",
    response_model=documents.PublishedRegister,
    summary="One deployment's public register row with its inclusion proofs",
)
async def register_row(deployment_id: UUID, api: ApiState = Depends(api_state)) -> Any:
    def build() -> bytes:
        row = api.read_models(public=True).public_register_row(deployment_id)
        if row is None:
            raise HTTPException(404, f"no public register entry for deployment {deployment_id}")
        return _published(api, views.jsonable([row]))

    return await _answer(api, f"row:{deployment_id}", build)


@router.get(
    "/register.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the register as CSV"}},
    summary="The public register as CSV",
)
async def register_csv(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Response:
    filters = _filters(borough, use_case)

    def build() -> bytes:

        return register_bytes(_rows(api, filters), "csv")  # the same CSV as the CLI's

    return await _answer(api, f"csv:{sorted(filters.items())}", build, "text/csv")


@router.get(
    "/register.parquet",
    response_class=Response,
    responses={200: {"content": {PARQUET: {}}, "description": "the register as Parquet"}},
    summary="The public register as Parquet",
)
async def register_parquet(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Response:
    filters = _filters(borough, use_case)

    def build() -> bytes:

        return register_bytes(_rows(api, filters), "parquet")

    return await _answer(api, f"parquet:{sorted(filters.items())}", build, PARQUET)


@router.get(
    "/metrics",
    response_model=documents.MetricsOut,
    summary="Metrics of the published deployments (faces seen, alerts, false alert rates, arrests)",
)
def metrics(
    by: str = Query("month", pattern="^(month|use_case|borough)$"),
    api: ApiState = Depends(api_state),
) -> Any:
    return {"by": by, "rows": views.jsonable(api.read_models(public=True).public_metrics(by=by))}


@router.get(
    "/checkpoint",
    response_model=documents.LatestCheckpointOut,
    summary="The latest signed checkpoint, the log's public key and its fingerprint",
)
def latest_checkpoint(api: ApiState = Depends(api_state)) -> Any:
    ledger = api.ledger()
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
    return {
        "checkpoint": checkpoint.to_json(ledger.witnesses),
        "log_public_key": str(ledger.log_key),
        "log_key_fingerprint": key_fingerprint(ledger.log_key),
    }
