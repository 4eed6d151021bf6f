"""`lfr demo`: a complete deployment lifecycle on the configured stores."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.demo import DemoOptions, Narrative, run
from runtime.bootstrap import open_services
from runtime.settings import Settings


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    options = DemoOptions(
        video=Path(args.video) if args.video else None,
        watchlist=Path(args.watchlist) if args.watchlist else None,
        threshold=args.threshold,
    )
    quiet = bool(args.json)
    narrative = Narrative(say=(lambda _: None) if quiet else print)
    if not quiet:
        print(f"LFR demo on {settings.store.kind} ({settings.database_url or settings.data_dir})")
    services = open_services(settings)
    result = run(services, options, narrative)
    if quiet:
        json.dump(result, sys.stdout, default=str)
        sys.stdout.write("\n")
    return 0
