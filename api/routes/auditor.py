"""The auditor: the audit timeline, past state, the ledger's checkpoints, proofs,
verification and the Parquet export."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import Path as InPath
from fastapi.responses import Response

from api import documents, schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.values import Role
from ledger.proofs import consistency_document, inclusion_document
from ledger.service import LedgerError, UnknownEntry

router = APIRouter(tags=["auditor"], responses=REFUSALS)

auditor = allow(Role.AUDITOR)
auditor_or_dpo = allow(Role.AUDITOR, Role.DPO)


def _ledger_call(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs a ledger request; an unknown entry is a 404, its other refusals (bad sizes, no
    checkpoint yet) 422."""
    try:
        return call(*args, **kwargs)
    except UnknownEntry as error:
        raise HTTPException(404, str(error)) from None
    except LedgerError as error:
        raise HTTPException(422, str(error)) from None


@router.get(
    "/audit/deployments/{deployment_id}/timeline",
    response_model=documents.TimelineOut,
    summary="Every event of a deployment, in order, with actor, role and justification",
)
def timeline(
    deployment_id: UUID, _: Principal = Depends(auditor_or_dpo), api: ApiState = Depends(api_state)
) -> Any:
    return {"rows": views.jsonable(list(api.read_models().timeline(deployment_id)))}


@router.get(
    "/audit/aggregates/{aggregate_id}",
    response_model=documents.AggregateStateOut,
    summary="An aggregate's state as of a version or a time",
)
def as_of(
    aggregate_id: UUID,
    version: int | None = Query(None, ge=1, le=schemas.MAX_INT),
    at: datetime | None = Query(None, description="ISO time with offset"),
    _: Principal = Depends(auditor),
    api: ApiState = Depends(api_state),
) -> Any:
    if version is not None and at is not None:
        raise HTTPException(422, "version, at: give one of them, not both")
    if at is not None and at.tzinfo is None:
        raise HTTPException(422, "at: must include a time zone offset")
    state = api.read_models().aggregate_as_of(aggregate_id, version=version, at=at)
    if state is None:
        raise HTTPException(404, f"no aggregate {aggregate_id} at that version or time")
    return views.jsonable(state)


@router.get(
    "/ledger/checkpoints",
    response_model=documents.CheckpointsOut,
    summary="Every signed checkpoint, oldest first",
)
def checkpoints(_: Principal = Depends(auditor), api: ApiState = Depends(api_state)) -> Any:
    ledger = api.ledger()
    return {"rows": [c.to_json(ledger.witnesses) for c in ledger.checkpoints()]}


@router.post(
    "/ledger/checkpoints",
    status_code=201,
    response_model=documents.CheckpointOut,
    summary="Have the log sign a checkpoint of every entry now",
)
def sign_checkpoint(_: Principal = Depends(auditor), api: ApiState = Depends(api_state)) -> Any:
    ledger = api.ledger()
    return _ledger_call(ledger.checkpoint).to_json(ledger.witnesses)


@router.get(
    "/ledger/proofs/inclusion/{notification_id}",
    response_model=documents.InclusionProofOut,
    summary="The inclusion proof of one event, with the event as stored",
)
def inclusion(
    notification_id: int = InPath(le=schemas.MAX_INT),
    tree_size: int | None = Query(None, ge=1, le=schemas.MAX_INT),
    _: Principal = Depends(auditor),
    api: ApiState = Depends(api_state),
) -> Any:

    if notification_id < 1:
        raise HTTPException(422, "notification_id: must be 1 or more")
    ledger = api.ledger()
    proof, row = _ledger_call(ledger.prove_inclusion, notification_id, tree_size)
    checkpoint = _ledger_call(ledger.checkpoint_of_size, proof.tree_size)
    return inclusion_document(proof, row, checkpoint, ledger.witnesses)


@router.get(
    "/ledger/proofs/consistency",
    response_model=documents.ConsistencyProofOut,
    summary="The proof that the tree of NEW entries extends the tree of OLD entries",
)
def consistency(
    old: int = Query(ge=1, le=schemas.MAX_INT),
    new: int = Query(ge=1, le=schemas.MAX_INT),
    _: Principal = Depends(auditor),
    api: ApiState = Depends(api_state),
) -> Any:
    ledger = api.ledger()
    return _ledger_call(lambda: consistency_document(ledger, ledger.prove_consistency(old, new)))


@router.get(
    "/ledger/verification",
    response_model=documents.VerificationOut,
    summary="Recompute the whole ledger from the stored events and check every checkpoint",
)
def verification(_: Principal = Depends(auditor), api: ApiState = Depends(api_state)) -> Any:
    return api.ledger().verify().to_json()


@router.get(
    "/ledger/export.zip",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "the events and checkpoints as Parquet files",
        }
    },
    summary="Export the events with their leaf hashes and the checkpoints (Parquet)",
)
def export(_: Principal = Depends(auditor), api: ApiState = Depends(api_state)) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        api.ledger().export_parquet(Path(folder) / "export")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted((Path(folder) / "export").rglob("*")):
                if path.is_file():
                    z.write(path, path.relative_to(folder))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="ledger-export.zip"'},
    )
