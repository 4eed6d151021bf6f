"""`lfr health api|ingest|projections|worker`: readiness checks, one line and an exit code.

The API is asked over HTTP (its own check of the database and the broker); the ingest and
the worker are judged by the status files they write while they run (adapters/heartbeat.py).
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request

from adapters.heartbeat import heartbeat_path, read_heartbeat
from runtime.settings import Settings
from services.errors import UserError


def check_api(args: argparse.Namespace, settings: Settings) -> int:
    url = args.url.rstrip("/") + "/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise UserError(f"not ready: {_reason(error.read())}") from None
    except (OSError, ValueError) as error:
        raise UserError(f"not ready: {url} did not answer ({error})") from None
    checks = body.get("checks", {})
    _say(args, {"ready": True, "checks": checks}, ", ".join(f"{k} {v}" for k, v in checks.items()))
    return 0


def _say(args: argparse.Namespace, document: dict, line: str) -> None:
    """`ready: ...`, or with --json the status as one JSON document."""
    print(json.dumps(document) if getattr(args, "json", False) else f"ready: {line}")


def _reason(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail", "not ready"))
    except ValueError:
        return "not ready"


def check_ingest(args: argparse.Namespace, settings: Settings) -> int:
    name = "ingest" if args.process is None else f"ingest-{args.process}"
    status = _fresh(settings, name, args.max_age)
    lag, stored_at = status.get("lag"), float(status.get("stored_at", 0))
    if lag is not None and lag > args.max_lag and time.time() - stored_at > args.max_age:
        raise UserError(
            f"not ready: {lag} messages behind and nothing stored for "
            f"{time.time() - stored_at:.0f} s"
        )
    shown = lag if lag is not None else "unknown"
    _say(args, {"ready": True, **status}, f"lag {shown}, {status.get('messages', 0)} stored")
    return 0


def check_worker(args: argparse.Namespace, settings: Settings) -> int:
    status = _fresh(settings, f"worker-{args.camera}", args.max_age)
    frames, dropped = status.get("frames", 0), status.get("frames_dropped", 0)
    _say(args, {"ready": True, **status}, f"{frames} frames, {dropped} dropped")
    return 0


def check_projections(args: argparse.Namespace, settings: Settings) -> int:
    status = _fresh(settings, "projections", args.max_age)
    ago = time.time() - float(status["at"])
    _say(args, {"ready": True, **status}, f"caught up {ago:.0f} s ago")
    return 0


def _fresh(settings: Settings, name: str, max_age: float) -> dict:
    status = read_heartbeat(heartbeat_path(settings.data_dir, name))
    if status is None:
        raise UserError(f"not ready: {name} has not reported yet")
    age = time.time() - float(status.get("at", 0))
    if age > max_age:
        raise UserError(f"not ready: {name} last reported {age:.0f} s ago")
    return status
