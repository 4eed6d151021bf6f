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
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
