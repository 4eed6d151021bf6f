"""`lfr project [--rebuild] [--once]`: run the projections in their own process."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

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
        read = models.rebuild(progress) if args.rebuild else models.catch_up(progress)
        print(
            f"project: caught up, {read} events in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        if not args.once:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            models.projector.run_forever(stop)
    finally:
        models.close()
    return 0
