"""`lfr register export --format csv|json|parquet [--out PATH]`: the public register."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runtime.errors import UserError
from runtime.settings import Settings


def export(args: argparse.Namespace, settings: Settings) -> int:
    """Writes the public register (caught up first: published data only, as `/public/register`
    serves it) to --out, or to standard output."""
    from projections import open_read_models
    from projections.exports import register_bytes

    if args.format == "parquet" and not args.out:
        raise UserError("--format parquet needs --out PATH (Parquet is binary)")
    models = open_read_models(settings)
    try:
        models.catch_up()
        data = register_bytes(models.public_register_rows(), args.format)
    finally:
        models.close()
    if args.out:
        out = Path(args.out)
        if not out.parent.is_dir():
            raise UserError(f"cannot write {out}: no folder {out.parent}")
        out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0
