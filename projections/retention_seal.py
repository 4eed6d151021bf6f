"""The retention projection's seal: its rows verified against the events they came from.

Retention decisions (erase, keep, hold) are read from the retention projection's tables, which
anyone with write access to the database could edit unnoticed: the ledger covers the events,
not the read models. So the projection keeps, in the same transaction as its rows, a seal: the
XOR of a keyed hash (BLAKE2b) of every row, and the id of the last event it applied, under a
tag made with the same key. The key is derived from the key-encryption key, which never enters
the database, so nobody can recompute the seal after editing a row.

Before a decision is read, `check` recomputes the XOR from the rows and compares it with the
seal, and asks the event store whether any retention event came after the last one applied
while the projection's position says it was seen. An edited, deleted, inserted or replayed row,
or rows and seal restored from an earlier copy, fail the check; the caller then rebuilds the
projection from the events (`services.retention.retention_view`).

The per-row hashes are never stored: a stored hash would let someone who kept old copies of
rows find a set whose XOR is unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from projections.tables import Row, Table

# "_v2": two digests, the erased items' apart from the rest's (a sweep checks the rest only).
SEAL_TABLE = Table(
    "rm_retention_seal_v2",
    {
        "name": "text",
        "digest": "text",
        "erased_digest": "text",
        "last_event": "int",
        "tag": "text",
    },
    key=("name",),
)
SEAL_KEY = ("retention",)
ZERO = bytes(32)


def _canonical(table: Table, row: Row) -> bytes:
    return orjson.dumps([table.name, table.values_of(row)], option=orjson.OPT_SORT_KEYS)


class Sealing:
    """Keyed hashes of rows and the seal's tag (`key`: from the key-encryption key)."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def row_hash(self, table: Table, row: Row) -> bytes:
        # Keyed BLAKE2b (a MAC by design, as strong as HMAC-SHA256 here) is a fifth of
        # HMAC's cost, and the check hashes every row each time the view is read.
        return hashlib.blake2b(_canonical(table, row), key=self.key, digest_size=32).digest()

    def tag(self, digest: bytes, erased_digest: bytes, last_event: int) -> str:
        message = b"lfr:retention-seal:v2:" + digest + erased_digest + last_event.to_bytes(8, "big")
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def seal_row(self, digest: bytes, erased_digest: bytes, last_event: int) -> Row:
        return {
            "name": SEAL_KEY[0],
            "digest": digest.hex(),
            "erased_digest": erased_digest.hex(),
            "last_event": last_event,
            "tag": self.tag(digest, erased_digest, last_event),
        }

    def digest_of(self, rows: Iterable[tuple[Table, Row]]) -> bytes:
        digest = 0
        for table, row in rows:
            digest ^= int.from_bytes(self.row_hash(table, row), "big")
        return digest.to_bytes(32, "big")


def xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(32, "big")


@dataclass(frozen=True)
class SealCheck:
    """Whether the rows are the ones the events made, and if not, why."""

    verified: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "reason": self.reason}


def digests(seal: Row | None) -> tuple[bytes, bytes]:
    """The seal's two digests: the items not erased and deployments', the erased items'."""
    if seal is None:
        return ZERO, ZERO
    return bytes.fromhex(seal["digest"]), bytes.fromhex(seal["erased_digest"])


def check(
    sealing: Sealing,
    seal: Row | None,
    rows: Iterable[tuple[Table, Row]],
    erased_rows: Iterable[tuple[Table, Row]] | None,
    retention_events_after: Any,
) -> SealCheck:
    """Checks `rows` (the items not erased and the deployments) and, unless None,
    `erased_rows` against `seal`; `retention_events_after(n)` says whether a retention event
    after id `n` was stored up to the projection's position (it should have been applied).
    The tag binds both digests and the position: neither part can be restored from an
    earlier copy alone."""
    digest, erased_digest = digests(seal)
    last_event = int(seal["last_event"]) if seal is not None else 0
    if seal is not None:
        expected = sealing.tag(digest, erased_digest, last_event)
        if not hmac.compare_digest(seal["tag"], expected):
            return SealCheck(False, "the seal's tag does not match: the seal was edited")
    if sealing.digest_of(rows) != digest:
        return SealCheck(False, "the rows do not match their seal: a row was edited or deleted")
    if erased_rows is not None and sealing.digest_of(erased_rows) != erased_digest:
        return SealCheck(
            False, "the erased rows do not match their seal: a row was edited or deleted"
        )
    if retention_events_after(last_event):
        return SealCheck(False, "events the projection says it applied are missing from it")
    return SealCheck(True)
