"""How refusals become HTTP answers: always a 4xx with a message, in one shape (`ErrorOut`).

Domain errors keep the rule's own message; validation errors name each field and its problem.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.schemas import ErrorOut
from domain.errors import (
    ConcurrentChange,
    DataErased,
    DomainError,
    NotFound,
    NotPermitted,
    RuleViolation,
)

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotPermitted, 403),
    (NotFound, 404),
    (ConcurrentChange, 409),
    (DataErased, 410),
    (RuleViolation, 409),
]

# What each refusal looks like in the OpenAPI, for routes to declare.
REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in [
        (401, "no valid bearer token"),
        (403, "the token's roles may not use this route"),
        (404, "no such record"),
        (409, "a rule of the process refused the command, or a concurrent change"),
        (410, "the personal data has been erased"),
        (422, "bad input: each field named with its problem"),
        (503, "a part this route needs is not available on this server"),
    ]
}


class Unavailable(Exception):
    """A part this route needs is not configured on this server (answered 503)."""


def status_of(error: DomainError) -> int:
    return next((code for kind, code in DOMAIN_STATUS if isinstance(error, kind)), 409)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _answer(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "errors": errors or []}, status_code=status, headers=headers
    )


log = logging.getLogger(__name__)


async def _validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", "invalid"))}
        for e in error.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return _answer(422, f"bad input: {summary}", problems)


async def _domain(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return _answer(status_of(error), str(error))


async def _http(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return _answer(error.status_code, str(error.detail), headers=getattr(error, "headers", None))


async def _unavailable(_: Request, error: Exception) -> JSONResponse:
    return _answer(503, str(error))


def database_unavailable(error: BaseException) -> bool:
    """Whether the error is the database being out of reach (down, restarting, pool empty)."""
    import sqlite3

    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    kinds = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)
    seen: BaseException | None = error
    for _ in range(5):  # the library wraps the driver's errors
        if seen is None:
            return False
        if isinstance(seen, kinds) or (
            isinstance(seen, (OperationalError, InterfaceError))
            and not isinstance(seen.__cause__, sqlite3.IntegrityError)
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    """The database out of reach is a 503 with a reason (the pool recovers by itself when
    it is back); anything else is a defect: 500, logged by the server."""
    if database_unavailable(error):
        return _answer(
            503,
            "the database is not available; try again shortly",
            headers={"Retry-After": "5"},
        )
    return _answer(500, "internal error")


async def _overflow(_: Request, error: Exception) -> JSONResponse:
    # A number from the request too large for the database (SQLite stores 64-bit integers):
    # routes bound their numbers, this answers for any the bounds missed.
    return _answer(422, "bad input: a number is too large")


async def _database(request: Request, error: Exception) -> JSONResponse:
    """The driver's and the library's database errors, answered here rather than by the
    catch-all: Starlette re-raises what reaches the catch-all after answering, and the server
    then logs a traceback and drops the client's connection, once per request of an outage."""
    if database_unavailable(error):
        return _answer(
            503,
            "the database is not available; try again shortly",
            headers={"Retry-After": "5"},
        )
    log.error("database error on %s %s", request.method, request.url.path, exc_info=error)
    return _answer(500, "internal error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(OverflowError, _overflow)
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    for kind in (psycopg.OperationalError, PoolTimeout, OperationalError, InterfaceError):
        app.add_exception_handler(kind, _database)
    app.add_exception_handler(Exception, _unexpected)
