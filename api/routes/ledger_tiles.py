"""The ledger served read-only as a C2SP `tlog-tiles` log, so mirrors and monitors with
standard tile clients can follow it: the latest checkpoint, the log's verifier key and the
hash tiles are public (they reveal hashes only); entry bundles hold the stored events and
are for auditors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.values import Role
from ledger.tiles import TileNotFound, parse_tile

router = APIRouter(prefix="/ledger", tags=["ledger tiles"], responses=REFUSALS)

IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
TILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "the tile's bytes"}
}


def _octets(data: bytes) -> Response:
    return Response(data, media_type="application/octet-stream", headers=IMMUTABLE)


def _tile(call: Any, level: str, rest: str) -> Any:

    try:
        return call(parse_tile(level, rest))
    except TileNotFound as error:
        raise HTTPException(404, str(error)) from None


@router.get(
    "/checkpoint",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the signed note"}},
    summary="The latest checkpoint, a C2SP signed note",
)
def checkpoint(api: ApiState = Depends(api_state)) -> Response:
    latest = api.ledger().latest_checkpoint()
    if latest is None:
        raise HTTPException(404, "no checkpoint has been signed yet")
    return Response(
        latest.note(), media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "max-age=5"},
    )  # fmt: skip


@router.get(
    "/log.vkey",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the verifier key"}},
    summary="The log's verifier key (C2SP signed-note vkey)",
)
def vkey(api: ApiState = Depends(api_state)) -> Response:
    key = api.ledger().log_key
    if key is None:
        raise HTTPException(404, "this server has no log key")
    return Response(key.vkey + "\n", media_type="text/plain; charset=utf-8")


@router.get(
    "/tile/entries/{rest:path}",
    response_class=Response,
    responses=TILE,
    summary="An entry bundle: the stored events of one level-0 tile (auditors)",
)
async def entries(
    rest: str, _: Principal = Depends(allow(Role.AUDITOR)), api: ApiState = Depends(api_state)
) -> Response:
    ledger = api.ledger()
    return _octets(await run_in_threadpool(_tile, ledger.entry_bundle, "entries", rest))


@router.get(
    "/tile/{level}/{rest:path}",
    response_class=Response,
    responses=TILE,
    summary="A hash tile of the latest checkpoint's tree (C2SP tlog-tiles)",
)
async def tile(level: str, rest: str, api: ApiState = Depends(api_state)) -> Response:
    ledger = api.ledger()
    return _octets(await run_in_threadpool(_tile, ledger.tile, level, rest))
