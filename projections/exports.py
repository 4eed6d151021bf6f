"""Exports of the public register (CSV, JSON, Parquet) and of the metrics (Parquet).

Every export is written from `REGISTER_COLUMNS` / `METRIC_COLUMNS` only, with a fixed
Parquet schema, so an export can hold nothing the allow-listed schema does not name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from projections.metrics import METRIC_COLUMNS
from projections.register import REGISTER_COLUMNS, REGISTER_TABLE

FORMATS = ("csv", "json", "parquet")
_ARROW = {"text": pa.string(), "int": pa.int64(), "real": pa.float64()}


def register_schema() -> pa.Schema:
    fields = [
        pa.field(c, pa.list_(pa.int64()) if t == "json" else _ARROW[t])
        for c, t in REGISTER_TABLE.columns.items()
    ]
    return pa.schema(fields)


def metrics_schema() -> pa.Schema:
    return pa.schema(
        [pa.field(c, pa.string() if c == "group" else pa.float64()) for c in METRIC_COLUMNS]
    )


def _parquet(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> bytes:
    table = pa.Table.from_pylist([{c: row[c] for c in schema.names} for row in rows], schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def register_bytes(rows: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """The register rows in one of `FORMATS` (CSV lists notification ids space-separated)."""
    rows = [{c: row[c] for c in REGISTER_COLUMNS} for row in rows]
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
    if fmt == "parquet":
        return _parquet(rows, register_schema())
    raise ValueError(f"the register exports as {', '.join(FORMATS)}, not {fmt!r}")


def write_metrics_parquet(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """The metrics rows (`projections.metrics.metrics`) as a Parquet file."""
    floats = [
        {c: (v if c == "group" or v is None else float(v)) for c, v in row.items()} for row in rows
    ]
    path.write_bytes(_parquet(floats, metrics_schema()))
