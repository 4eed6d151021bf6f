"""`lfr register export [--json] [--out FILE.csv|FILE.json|FILE.parquet]`: the public register.

Without --out the register goes to standard output: CSV, or JSON with --json. With --out the
file's suffix says its format, and standard output says what was written (JSON with --json).
`--format csv|json|parquet` is the old spelling, still accepted (it overrides the suffix)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from projections.exports import register_bytes
from runtime.bootstrap import open_read_models
from runtime.settings import Settings
from services.errors import UserError

SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet"}


def _format(args: argparse.Namespace) -> str:
    if getattr(args, "format", None):
        return str(args.format)
    if not args.out:
        return "json" if args.json else "csv"
    fmt = SUFFIXES.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise UserError(f"--out {args.out}: name the file .csv, .json or .parquet")
    return fmt


def export(args: argparse.Namespace, settings: Settings) -> int:
    """Writes the public register (caught up first: published data only, as `/public/register`
    serves it) to --out, or to standard output."""

    fmt = _format(args)
    if fmt == "parquet" and not args.out:
        raise UserError("Parquet is binary: give --out FILE.parquet")
    out = Path(args.out) if args.out else None
    if out is not None and out.is_dir():
        raise UserError(f"cannot write {out}: it is a folder")
    if out is not None and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: no folder {out.parent}")
    models = open_read_models(settings)
    try:
        models.catch_up()
        rows = models.public_register_rows()
        data = register_bytes(rows, fmt)
    finally:
        models.close()
    if out is None:
        sys.stdout.buffer.write(data)
        return 0
    out.write_bytes(data)
    if args.json:
        print(json.dumps({"out": str(out), "format": fmt, "deployments": len(rows)}))
    else:
        print(f"wrote {len(rows)} deployments to {out} ({fmt})")
    return 0
