"""Exports of the public register (CSV, JSON, Parquet).

Every export is written from `REGISTER_COLUMNS` only, with a fixed
Parquet schema, so an export can hold nothing the allow-listed schema does not name.

Types, the same in every format (register schema version `REGISTER_SCHEMA_VERSION`):
- `date`: a calendar date (Parquet DATE; `YYYY-MM-DD` in CSV and JSON);
- `starts_at`, `ends_at`, `started_at`, `ended_at`: instants in UTC (Parquet TIMESTAMP in
  microseconds, adjusted to UTC; ISO 8601 with the offset `+00:00` in CSV and JSON);
- `threshold`, `duration_minutes` and the two false alert rates: IEEE 754 doubles (a rate
  is a ratio from 0 to 1, not a percentage; null where its denominator is 0);
- the counts: 64-bit integers; `notification_ids`: a list of them (space-separated in CSV).
The Parquet file's metadata names the schema (`lfr.schema`) and its version
(`lfr.schema_version`), and each column's own metadata describes it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from projections.register import REGISTER_COLUMNS, REGISTER_TABLE

FORMATS = ("csv", "json", "parquet")
REGISTER_SCHEMA = "lfr.public_register"
REGISTER_SCHEMA_VERSION = "3"  # 2: dates, UTC timestamps, documented doubles; 3: endings,
# the thresholds in force and the alerts left unadjudicated
_ARROW = {"text": pa.string(), "int": pa.int64(), "real": pa.float64()}
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
INSTANTS = ("starts_at", "ends_at", "started_at", "ended_at")
DATES = ("date",)
_DESCRIPTIONS = {
    "date": "the day the deployment ran (or was to run)",
    "starts_at": "the authorised start, UTC",
    "ends_at": "the authorised end, UTC",
    "started_at": "when recognition started, UTC",
    "ended_at": "when the deployment ended, UTC",
    "duration_minutes": "minutes from start to end, a double",
    "threshold": "the face-match threshold applied, a double from 0 to 1",
    "false_alert_rate_per_faces": "false alerts / faces seen, a double from 0 to 1",
    "false_alert_rate_per_alerts": "false alerts / alerts, a double from 0 to 1",
    "notification_ids": "the ledger notification ids of the deployment's public events",
    "thresholds": "every threshold in force, with the alerts raised at each, in words",
    "ending": "how the deployment ended (cancelled, withdrawn, revoked, ...), in words",
    "unadjudicated": "alerts no officer has adjudicated",
}


def _arrow_type(column: str, kind: str) -> pa.DataType:
    if column in INSTANTS:
        return UTC_TIMESTAMP
    if column in DATES:
        return pa.date32()
    return pa.list_(pa.int64()) if kind == "json" else _ARROW[kind]


def register_schema() -> pa.Schema:
    fields = [
        pa.field(
            c,
            _arrow_type(c, t),
            metadata={"description": _DESCRIPTIONS[c]} if c in _DESCRIPTIONS else None,
        )
        for c, t in REGISTER_TABLE.columns.items()
    ]
    return pa.schema(
        fields,
        metadata={"lfr.schema": REGISTER_SCHEMA, "lfr.schema_version": REGISTER_SCHEMA_VERSION},
    )


def _instant(value: Any) -> datetime | None:
    """A stored instant as an aware UTC datetime (a naive one is taken as UTC)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def typed_row(row: dict[str, Any]) -> dict[str, Any]:
    """A register row with its instants and dates as Python values (for Parquet)."""
    typed = {c: row[c] for c in REGISTER_COLUMNS}
    for column in INSTANTS:
        typed[column] = _instant(typed[column])
    for column in DATES:
        typed[column] = _day(typed[column])
    return typed


def text_row(row: dict[str, Any]) -> dict[str, Any]:
    """A register row for CSV and JSON: instants as ISO 8601 in UTC (`+00:00`), dates as
    `YYYY-MM-DD`."""
    typed = typed_row(row)
    for column in INSTANTS:
        moment = typed[column]
        typed[column] = moment.isoformat() if moment else None
    for column in DATES:
        typed[column] = typed[column].isoformat() if typed[column] else None
    return typed


def _parquet(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> bytes:
    table = pa.Table.from_pylist([{c: row[c] for c in schema.names} for row in rows], schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def register_bytes(rows: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """The register rows in one of `FORMATS` (CSV lists notification ids space-separated)."""
    if fmt == "parquet":
        return _parquet([typed_row(row) for row in rows], register_schema())
    rows = [text_row(row) for row in rows]
    if fmt == "json":
        return (json.dumps(rows, indent=1) + "\n").encode()
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=REGISTER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {**row, "notification_ids": " ".join(map(str, row["notification_ids"]))}
            )
        return text.getvalue().encode()
    raise ValueError(f"the register exports as {', '.join(FORMATS)}, not {fmt!r}")
