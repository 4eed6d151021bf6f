"""`lfr project [--rebuild] [--once [--json]]`: run the projections in their own process."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any

from adapters.heartbeat import Heartbeat, heartbeat_path
from cli.progress import progress
from runtime.bootstrap import open_read_models
from runtime.settings import Settings


def run_projections(args: argparse.Namespace, settings: Settings) -> int:
    """Catches up (after dropping everything, with --rebuild), then follows new events
    until SIGINT or SIGTERM; with --once it exits after catching up."""

    models = open_read_models(settings)
    started = time.perf_counter()

    try:
        if getattr(args, "retry_failed", False):
            cleared, failing = models.retry_failed()
            print(
                f"project: {cleared} failed events projected, {failing} still failing",
                file=sys.stderr,
            )
        with progress("project: events", _backlog(models, args.rebuild)) as advance:
            read = models.rebuild(advance) if args.rebuild else models.catch_up(advance)
        took = time.perf_counter() - started
        print(f"project: caught up, {read} events in {took:.1f} s", file=sys.stderr, flush=True)
        if args.once and getattr(args, "json", False):
            failed = len(models.failed_events())
            print(json.dumps({"events": read, "seconds": round(took, 3), "failed": failed}))
        _report_failed(models)
        if not args.once:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())

            heartbeat = Heartbeat(heartbeat_path(settings.data_dir, "projections"))
            # amendments of published entries included
            models.run_forever(stop, caught_up=lambda: heartbeat.beat({}))
    finally:
        models.close()
    return 0


def _backlog(models: Any, rebuild: bool) -> int | None:
    """How many events the catch-up will read (the progress bar's total), if known."""
    try:
        last = int(models.app.recorder.max_notification_id() or 0)
    except Exception:  # a recorder without the figure: progress without a total
        return None
    if rebuild:
        return last
    done = min((p.position() for p in models.projections.values()), default=0)
    return max(last - done, 0)


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
