"""`lfr api`: serves the operator and public API on the configured store (uvicorn)."""

from __future__ import annotations

import argparse

from runtime.errors import UserError
from runtime.settings import Settings


def run_api(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a TCP port")
    from runtime.bootstrap import open_services
    from runtime.sweeper import start_deployment_clock, start_sweeper

    services = open_services(settings)
    app = create_app(settings, services)
    app.state.api.read_models()  # catch up before the first request, not inside it
    # Retention is carried out by the running service, not only by `lfr retention sweep`.
    _, stop = start_sweeper(services)
    # Deployments end by themselves when their authority stops covering them.
    _, stop_clock = start_deployment_clock(services)
    # Checkpoints are signed, published and witnessed whenever the log has grown.
    from ledger.schedule import start_checkpointing

    _, stop_checkpoints = start_checkpointing(
        app.state.api.ledger(), settings.ledger_checkpoint_interval_s
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    finally:
        stop.set()
        stop_clock.set()
        stop_checkpoints.set()
    return 0
