"""`lfr report write --deployment ID --out FILE [--format pdf|html] [--version N]`: the
cancellation report as Gold submitted it (or one of its versions), written to a file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from uuid import UUID

from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.errors import UserError
from services.report import cancellation_report_html, cancellation_report_pdf

FORMATS = ("pdf", "html")


def _format(args: argparse.Namespace, out: Path) -> str:
    chosen = args.format or out.suffix.lower().lstrip(".")
    if chosen not in FORMATS:
        raise UserError(f"--out {out}: say --format pdf or html (or name the file .pdf or .html)")
    return str(chosen)


def write(args: argparse.Namespace, settings: Settings) -> int:

    try:
        deployment = UUID(args.deployment)
    except ValueError:
        raise UserError(f"--deployment: {args.deployment!r} is not a deployment id") from None
    out = Path(args.out)
    form = _format(args, out)
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: no folder {out.parent}")
    lfr = open_services(settings).lfr
    if form == "pdf":
        data = cancellation_report_pdf(lfr, deployment, args.version)
    else:
        data = cancellation_report_html(lfr, deployment, args.version).encode()
    out.write_bytes(data)
    if getattr(args, "json", False):
        written = {"deployment_id": str(deployment), "out": str(out), "format": form}
        print(json.dumps({**written, "bytes": len(data)}))
    else:
        print(f"wrote the cancellation report of {deployment} to {out} ({len(data):,} bytes)")
    return 0
