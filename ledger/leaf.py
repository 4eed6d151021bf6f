"""The canonical bytes of a ledger leaf: one stored event row exactly as stored.

A fixed header (magic, notification id, originator version, and the length of every
variable field) followed by the fields themselves, so no two different rows can
encode to the same bytes. The log is the events table's name: a database may hold
several applications' events tables, all covered by one ledger.
"""

from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

MAGIC = b"LFR1"
_HEADER = struct.Struct(">4sQqHHIQ")


class StoredRow(NamedTuple):
    """One stored event, as its events table holds it."""

    log: str
    notification_id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


def leaf_bytes(row: StoredRow) -> bytes:
    """The canonical, unambiguous encoding of a stored event row."""
    log, oid, topic = row.log.encode(), row.originator_id.encode(), row.topic.encode()
    header = _HEADER.pack(
        MAGIC,
        row.notification_id,
        row.originator_version,
        len(log),
        len(oid),
        len(topic),
        len(row.state),
    )
    return b"".join((header, log, oid, topic, row.state))


_PREFIXED = struct.Struct(">5sQqHHIQ")  # 0x00 (RFC 9162 leaf prefix) + the header
_sha256 = hashlib.sha256


@lru_cache(maxsize=64)
def _utf8(text: str) -> bytes:
    return text.encode()


def row_leaf_hash(row: StoredRow) -> bytes:
    """RFC 9162 leaf hash of a stored event row: SHA-256(0x00 || leaf_bytes(row)).

    Written out rather than calling `leaf_bytes`: verification runs it a million times.
    """
    log, nid, oid, version, topic, state = row
    log_b, oid_b, topic_b = _utf8(log), oid.encode(), _utf8(topic)
    header = _PREFIXED.pack(
        b"\x00" + MAGIC, nid, version, len(log_b), len(oid_b), len(topic_b), len(state)
    )
    return _sha256(b"".join((header, log_b, oid_b, topic_b, state))).digest()


def text_id(originator_id: UUID | str) -> str:
    """An originator id as PostgreSQL and the in-memory store hold it (UUIDs in standard form)."""
    return str(originator_id)


def hex_id(originator_id: UUID | str) -> str:
    """An originator id as the SQLite recorder stores it (UUIDs as 32 hex digits)."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id
