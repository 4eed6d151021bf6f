"""A scanner for personal data in plaintext anywhere in a database: raw, base64 or hex.

Faces and templates are found by any piece of `2 * WINDOW` bytes; names and notes (shorter)
by their whole text, raw, hex, or base64 at any alignment."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg

WINDOW = 32


def needles(secret: bytes) -> Iterator[bytes]:
    """Pieces of `secret` such that any copy of 2 * WINDOW bytes or more (raw, base64 at any
    alignment, or hex) contains at least one of them."""
    for start in range(0, len(secret) - WINDOW + 1, WINDOW):
        yield secret[start : start + WINDOW]
    for shift in range(3):
        encoded = base64.b64encode(secret[shift:])
        for start in range(0, len(encoded) - 2 * WINDOW + 1, 2 * WINDOW):
            yield encoded[start : start + 2 * WINDOW]
    encoded = secret.hex().encode()
    for start in range(0, len(encoded) - 2 * WINDOW + 1, 2 * WINDOW):
        yield encoded[start : start + 2 * WINDOW]
        yield encoded[start : start + 2 * WINDOW].upper()


def text_needles(secret: bytes) -> Iterator[bytes]:
    """A short secret (a name, a note) as stored raw, in hex, or inside base64 at any
    alignment (the base64 digits that depend only on the secret's own bytes)."""
    yield secret
    yield secret.hex().encode()
    yield secret.hex().upper().encode()
    for shift in range(3):
        body = secret[shift:]
        encoded = base64.b64encode(body[: len(body) - len(body) % 3])
        if len(encoded) >= 8:
            yield encoded


def pieces_of(secret: bytes) -> Iterator[bytes]:
    return needles(secret) if len(secret) >= 4 * WINDOW else text_needles(secret)


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def findings(cells: Iterable[tuple[str, object]], secrets: dict[str, bytes]) -> list[str]:
    """`table.column` where a piece of a named secret was found, as 'what in where'."""
    found: set[str] = set()
    pieces = [(name, piece) for name, secret in secrets.items() for piece in pieces_of(secret)]
    for where, value in cells:
        hay = as_bytes(value)
        for name, piece in pieces:
            if piece in hay:
                found.add(f"{name} in {where}")
                break
    return sorted(found)


def sqlite_cells(path: Path) -> Iterator[tuple[str, object]]:
    """Every value of every column of every table, then the raw files (with the WAL)."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                yield from ((f"{table}.{c}", v) for c, v in zip(columns, row, strict=True))
    for file in path.parent.glob(path.name + "*"):
        yield f"file {file.name}", file.read_bytes()


def postgres_cells(url: str) -> Iterator[tuple[str, object]]:
    """Every value of every column of every table in the URL's schema."""
    base, _, schema = url.partition("?schema=")
    with psycopg.connect(base, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{schema}"."{table}"')
            columns = [d.name for d in cursor.description or []]
            for row in cursor:
                yield from ((f"{table}.{c}", v) for c, v in zip(columns, row, strict=True))
