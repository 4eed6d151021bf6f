"""Export for auditors: the events with their leaf hashes, and the checkpoints, as Parquet.

A folder with two files:
- `events.parquet`: one row per ledger entry or stored event, in ledger order:
  ledger_index, log, notification_id, originator_id, originator_version, topic, state
  (exactly as stored), leaf_hash (as the ledger recorded it), stored_log and
  stored_originator_id. An entry whose event is gone has no event fields; an event the
  ledger never recorded has no ledger_index.
- `checkpoints.parquet`: seq, tree_size, body (the signed text), signatures (JSON).

`log` and `originator_id` do not depend on the store: the log is named as PostgreSQL names
the application's events table (`lfrservice_events`; SQLite's one table is `stored_events`,
whatever the application) and the originator id is the UUID in standard form (SQLite stores
32 hex digits). The leaf hash covers the row exactly as stored, so where the store wrote
either differently, `stored_log` / `stored_originator_id` hold its own form (null where it is
the same). Both files carry `lfr.schema` and `lfr.schema_version` in their Parquet metadata.

`ParquetSource` reads such a folder back as a `LedgerSource`, so the same verification
runs over an export with no access to the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq

from ledger.leaf import StoredRow
from ledger.source import LeafRecord, LedgerSource, StoredCheckpoint, aligned

SCHEMA_VERSION = "2"  # 2: store-independent log and originator_id, stored_* beside them
#: The SQLite recorder keeps every application's events in one table of this name.
SQLITE_EVENTS_TABLE = "stored_events"
DEFAULT_APPLICATION = "LfrService"


def _metadata(name: str) -> dict[bytes, bytes]:
    return {b"lfr.schema": name.encode(), b"lfr.schema_version": SCHEMA_VERSION.encode()}


EVENTS = pa.schema(
    [
        ("ledger_index", pa.int64()),
        ("log", pa.string()),
        ("notification_id", pa.int64()),
        ("originator_id", pa.string()),
        ("originator_version", pa.int64()),
        ("topic", pa.string()),
        ("state", pa.binary()),
        ("leaf_hash", pa.binary()),
        ("stored_log", pa.string()),
        ("stored_originator_id", pa.string()),
    ],
    metadata=_metadata("lfr.ledger.events"),
)
CHECKPOINTS = pa.schema(
    [
        ("seq", pa.int64()),
        ("tree_size", pa.int64()),
        ("body", pa.string()),
        ("signatures", pa.string()),
    ],
    metadata=_metadata("lfr.ledger.checkpoints"),
)
_ROWS_PER_GROUP = 100_000


def canonical_log(stored: str, application: str = DEFAULT_APPLICATION) -> str:
    """The log's name whatever the store: PostgreSQL's `<application>_events`."""
    return f"{application.lower()}_events" if stored == SQLITE_EVENTS_TABLE else stored


def canonical_id(stored: str) -> str:
    """An originator id in standard UUID form (an id that is no UUID stays as stored)."""
    try:
        return str(UUID(stored))
    except ValueError:
        return stored


def _row(leaf: LeafRecord | None, event: StoredRow | None, application: str) -> tuple[Any, ...]:
    log = leaf.log if leaf is not None else event.log  # type: ignore[union-attr]
    nid = leaf.notification_id if leaf is not None else event.notification_id  # type: ignore[union-attr]
    oid = canonical_id(event.originator_id) if event else None
    fields = (oid, event.originator_version, event.topic, event.state) if event else (None,) * 4
    name = canonical_log(log, application)
    return (
        leaf.position if leaf else None,
        name,
        nid,
        *fields,
        leaf.leaf_hash if leaf else None,
        log if log != name else None,
        event.originator_id if event and event.originator_id != oid else None,
    )


def export_parquet(
    source: LedgerSource, folder: Path, application: str = DEFAULT_APPLICATION
) -> dict[str, int]:
    """Write `source` to `folder` (created if missing); returns the row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with source.snapshot(), pq.ParquetWriter(folder / "events.parquet", EVENTS) as writer:
        streams = {log: source.stored_events(log) for log in source.log_names()}
        batch: list[tuple[Any, ...]] = []
        for leaf, event in aligned(source.leaf_records(), streams):
            batch.append(_row(leaf, event, application))
            if len(batch) == _ROWS_PER_GROUP:
                writer.write_table(_table(batch, EVENTS))
                count, batch = count + len(batch), []
        writer.write_table(_table(batch, EVENTS))
        count += len(batch)
        checkpoints = source.stored_checkpoints()
    pq.write_table(
        _table([tuple(c) for c in checkpoints], CHECKPOINTS), folder / "checkpoints.parquet"
    )
    return {"events": count, "checkpoints": len(checkpoints)}


def _table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema.names]
    return pa.table(
        [pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _stored(stored: list[Any], canonical: list[Any]) -> list[Any]:
    return [s if s is not None else c for s, c in zip(stored, canonical, strict=True)]


class ParquetSource:
    """An export folder read back as a ledger source (read-only)."""

    def __init__(self, folder: Path) -> None:
        events_path, checkpoints_path = folder / "events.parquet", folder / "checkpoints.parquet"
        if not events_path.is_file() or not checkpoints_path.is_file():
            raise FileNotFoundError(
                f"{folder} is not a ledger export (events.parquet, checkpoints.parquet)"
            )
        events = pq.read_table(events_path).to_pydict()
        for name in ("stored_log", "stored_originator_id"):  # absent from version 1 exports
            events.setdefault(name, [None] * len(events.get("log", [])))
        # The leaf hashes cover the rows as stored: read back in the store's own form.
        events["log"] = _stored(events["stored_log"], events["log"])
        events["originator_id"] = _stored(events["stored_originator_id"], events["originator_id"])
        self.events = events
        self.checkpoint_rows = pq.read_table(checkpoints_path, schema=CHECKPOINTS).to_pylist()

    def snapshot(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def log_names(self) -> list[str]:
        return sorted(set(self.events["log"]))

    def leaf_records(self) -> Iterator[LeafRecord]:
        e = self.events
        for i, index in enumerate(e["ledger_index"]):
            if index is not None:
                yield LeafRecord(index, e["log"][i], e["notification_id"][i], e["leaf_hash"][i])

    def stored_events(self, log: str) -> Iterator[StoredRow]:
        e = self.events
        rows = [
            StoredRow(log, e["notification_id"][i], e["originator_id"][i],
                      e["originator_version"][i], e["topic"][i], e["state"][i])
            for i, name in enumerate(e["log"])
            if name == log and e["originator_id"][i] is not None
        ]  # fmt: skip
        yield from sorted(rows, key=lambda row: row.notification_id)

    def stored_checkpoints(self) -> list[StoredCheckpoint]:
        return [StoredCheckpoint(**row) for row in self.checkpoint_rows]
