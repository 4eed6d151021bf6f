"""Bounds on what a request may carry, checked before any route runs.

- The body: at most `max_body_bytes` (`max_upload_bytes` for a watchlist upload), counted
  as it arrives, so a client that lies about its length or sends none is cut off too (413).
- The query string and path: no NUL or other control character in any decoded value, and
  no value longer than `MAX_TEXT` (422), by the same rule as every body field
  (`domain.text.refuse_control`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from domain.text import MAX_TEXT, refuse_control

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATH_SUFFIX = "/watchlist/uploads"


class _TooLarge(Exception):
    pass


class EdgeLimits:
    """ASGI middleware: refuses oversized bodies and control characters in URLs."""

    def __init__(self, app: App, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _url_problem(scope)
        if problem:
            await _refuse(send, 422, f"bad input: {problem[0]}: {problem[1]}", problem)
            return
        limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, 413, f"the request body is larger than {limit} bytes")
            return
        received = 0
        too_large = started = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            # Once the body overflowed, whatever the route made of the cut-off body (a
            # parse error) is replaced by the one answer: 413.
            nonlocal started
            if too_large:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # the route gave up on the cut-off body
            await self.app(scope, counted_receive, watched_send)
        if too_large and not started:
            await _refuse(send, 413, f"the request body is larger than {limit} bytes")

    def _limit(self, path: str) -> int:
        if path.rstrip("/").endswith(UPLOAD_PATH_SUFFIX):
            return self.max_upload_bytes
        return self.max_body_bytes


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _url_problem(scope: Scope) -> tuple[str, str] | None:
    """(where, problem) for the first bad part of the path or query string, or None."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    parts: list[tuple[str, str]] = [("path", unquote(raw_path.decode("latin-1"), errors="replace"))]
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return ("query", "is not UTF-8")
    parts.extend((f"query.{key}", value) for key, value in pairs)
    parts.extend((f"query.{key}", key) for key, _ in pairs)
    for where, value in parts:
        if len(value) > MAX_TEXT:
            return (where, f"longer than {MAX_TEXT} characters")
        try:
            refuse_control(value, one_line=True)
        except ValueError as error:
            return (where, str(error))
    return None


async def _refuse(
    send: Send, status: int, detail: str, problem: tuple[str, str] | None = None
) -> None:
    errors = [{"field": problem[0], "problem": problem[1]}] if problem else []
    body = json.dumps({"detail": detail, "errors": errors}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
