"""`lfr project [--rebuild] [--once]`: run the projections in their own process."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from runtime.settings import Settings


def run_projections(args: argparse.Namespace, settings: Settings) -> int:
    """Catches up (after dropping everything, with --rebuild), then follows new events
    until SIGINT or SIGTERM; with --once it exits after catching up."""
    from projections import open_read_models

    models = open_read_models(settings)
    started = time.perf_counter()

    def progress(read: int) -> None:
        rate = read / max(time.perf_counter() - started, 1e-9)
        print(f"project: {read} events ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    try:
        if getattr(args, "retry_failed", False):
            cleared, failing = models.retry_failed()
            print(
                f"project: {cleared} failed events projected, {failing} still failing",
                file=sys.stderr,
            )
        read = models.rebuild(progress) if args.rebuild else models.catch_up(progress)
        print(
            f"project: caught up, {read} events in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        _report_failed(models)
        if not args.once:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            models.run_forever(stop)  # amendments of published entries included
    finally:
        models.close()
    return 0


def _report_failed(models: Any) -> None:
    """Names each stored event a projection recorded as failed (skipped until a fix)."""
    failed = models.failed_events()
    if not failed:
        return
    print(f"project: {len(failed)} events could not be projected:", file=sys.stderr)
    for f in failed:
        print(
            f"project:   {f['projection']} #{f['notification_id']} {f['topic']}: {f['error']}",
            file=sys.stderr,
        )
