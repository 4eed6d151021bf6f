"""`lfr api`: serves the operator and public API on the configured store (uvicorn)."""

from __future__ import annotations

import argparse
import threading
from types import FrameType

import uvicorn

from api.app import create_app
from ledger.schedule import start_checkpointing
from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.errors import UserError
from services.sweeper import start_deployment_clock, start_sweeper

GRACE_S = 5


class _Server(uvicorn.Server):
    """uvicorn's server that also tells the endless streams (the alert queue's) to end when
    it is asked to stop, so SIGTERM stops the service with streams open."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)


def run_api(args: argparse.Namespace, settings: Settings) -> int:

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a TCP port")

    services = open_services(settings)
    app = create_app(settings, services)
    app.state.api.read_models()  # catch up before the first request, not inside it
    # Retention is carried out by the running service, not only by `lfr retention sweep`.
    _, stop = start_sweeper(services)
    # Deployments end by themselves when their authority stops covering them.
    _, stop_clock = start_deployment_clock(services)
    # Checkpoints are signed, published and witnessed whenever the log has grown.

    _, stop_checkpoints = start_checkpointing(
        app.state.api.ledger(), settings.ledger_checkpoint_interval_s
    )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        # Requests still running this long after SIGTERM are cut off: the service stops.
        timeout_graceful_shutdown=GRACE_S,
    )
    try:
        _Server(config, app.state.stopping).run()
    finally:
        stop.set()
        stop_clock.set()
        stop_checkpoints.set()
    return 0
