"""The public register of deployments and its metrics: no token, no personal data.

Every JSON register row carries inclusion proofs of the events it was built from against
the latest signed checkpoint, returned with the log's public key to check it with."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import schemas, views
from api.errors import REFUSALS
from api.state import ApiState, api_state

router = APIRouter(
    prefix="/public",
    tags=["public"],
    responses={k: v for k, v in REFUSALS.items() if k in (404, 422, 503)},
)


def _filters(borough: str | None, use_case: str | None) -> dict[str, str]:
    given = {"borough": borough, "use_case": use_case}
    return {k: v for k, v in given.items() if v}


def _columns() -> list[str]:
    from projections import REGISTER_COLUMNS

    return list(REGISTER_COLUMNS)


def _published(api: ApiState, rows: list[dict[str, Any]]) -> bytes:
    checkpoint, proved = api.register_proofs().attach(views.jsonable(rows))
    document = schemas.PublishedRegister(
        checkpoint=checkpoint.to_json(), log_public_key=str(api.ledger().log_key), rows=proved
    )
    return document.model_dump_json().encode()


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


async def _answer(api: ApiState, key: str, build: Callable[[], bytes]) -> Response:
    """The rendered answer straight from the event loop; only the first build of a key
    (database, proofs) waits, in the thread pool, so it never blocks readers served from memory."""
    body = api.rendered_public_answer(key, build)
    if body is None:
        body = await run_in_threadpool(api.public_answer, key, build)
    return _json(body)


@router.get(
    "/register",
    response_model=schemas.PublishedRegister,
    summary="The register of deployments, each row with its inclusion proofs",
)
async def register(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Any:
    filters = _filters(borough, use_case)
    return await _answer(
        api,
        f"register:{sorted(filters.items())}",
        lambda: _published(api, list(api.read_models(public=True).register_rows(filters))),
    )


@router.get(
    "/register/{deployment_id}",
    response_model=schemas.PublishedRegister,
    summary="One deployment's register row with its inclusion proofs",
)
async def register_row(deployment_id: UUID, api: ApiState = Depends(api_state)) -> Any:
    def build() -> bytes:
        row = api.read_models(public=True).register_row(deployment_id)
        if row is None:
            raise HTTPException(404, f"no register entry for deployment {deployment_id}")
        return _published(api, [row])

    return await _answer(api, f"row:{deployment_id}", build)


@router.get(
    "/register.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the register as CSV"}},
    summary="The register as CSV",
)
def register_csv(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Response:
    rows = api.read_models(public=True).register_rows(_filters(borough, use_case))
    columns = _columns()
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(views.jsonable(list(rows)))
    return Response(out.getvalue(), media_type="text/csv")


@router.get(
    "/register.parquet",
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.apache.parquet": {}},
            "description": "the register as Parquet",
        }
    },
    summary="The register as Parquet",
)
def register_parquet(
    borough: str | None = Query(None, max_length=200),
    use_case: str | None = Query(None, max_length=200),
    api: ApiState = Depends(api_state),
) -> Response:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = views.jsonable(
        list(api.read_models(public=True).register_rows(_filters(borough, use_case)))
    )
    columns = _columns()
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    if not rows:
        table = pa.table({c: pa.array([], pa.string()) for c in columns})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet")


@router.get(
    "/metrics",
    response_model=schemas.Document,
    summary="Deployment metrics (faces seen, alerts, false alert rates, arrests)",
)
def metrics(
    by: str = Query("month", pattern="^(month|use_case|borough)$"),
    api: ApiState = Depends(api_state),
) -> Any:
    result = api.read_models(public=True).metrics(by=by)
    return (
        {"by": by, "rows": views.jsonable(result)}
        if isinstance(result, list)
        else views.jsonable(result)
    )


@router.get(
    "/checkpoint",
    response_model=schemas.Document,
    summary="The latest signed checkpoint and the log's public key",
)
def latest_checkpoint(api: ApiState = Depends(api_state)) -> Any:
    ledger = api.ledger()
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
    return {"checkpoint": checkpoint.to_json(), "log_public_key": str(ledger.log_key)}
