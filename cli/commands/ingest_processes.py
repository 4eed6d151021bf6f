"""`lfr ingest --processes N`: N ingest processes over the topics' partitions.

Process i runs `lfr ingest --share i/N` and reads the partitions p with p % N == i, so
each message has one reader, and its offset is stored with its events as with one process.
One Python process decodes, checks and stores a few thousand messages a second; several
use the host's cores. The supervisor makes the tables and development keys once, then starts
the processes together and waits until each reports (its heartbeat); processes that make
tables take turns (`projections.views.schema_changes_one_at_a_time`). It passes
SIGINT and SIGTERM on, and stops them all when one stops: the container's restart then starts
them all again, each resuming after its partitions' stored offsets.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from typing import Any

from adapters.heartbeat import heartbeat_path, read_heartbeat
from runtime.bootstrap import open_ingest
from runtime.settings import Settings
from services.errors import UserError


def supervise(settings: Settings, count: int) -> int:
    """Runs `count` ingest processes until SIGINT or SIGTERM, or until one of them stops."""
    if settings.store.kind == "memory":
        raise UserError("several ingest processes need a store they share: set LFR_DATABASE_URL")
    open_ingest(settings).close()  # the tables and development keys, made once
    settings.secret("ledger_signing_key")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    children: list[subprocess.Popen[Any]] = []
    try:
        started = time.time()
        command = [sys.executable, "-m", "cli.main", "ingest", "--share"]
        # The same settings: the environment and folder.
        children = [subprocess.Popen([*command, f"{i}/{count}"]) for i in range(count)]
        for index, child in enumerate(children):
            _wait_until_reporting(settings, f"ingest-{index}", child, started, stop)
        if stop.is_set():
            return 0
        print(f"ingest: {count} processes", file=sys.stderr, flush=True)
        while not stop.wait(0.2):
            ended = [(i, c.returncode) for i, c in enumerate(children) if c.poll() is not None]
            if ended:
                index, code = ended[0]
                if code:
                    raise UserError(f"ingest process {index}/{count} stopped (exit {code})")
                return 0
        return 0
    finally:
        _stop_all(children)


def _wait_until_reporting(
    settings: Settings,
    name: str,
    child: subprocess.Popen[Any],
    started: float,
    stop: threading.Event,
) -> None:
    """Until the process reports (its heartbeat since `started`), stops, or we are stopped."""
    beat = heartbeat_path(settings.data_dir, name)
    while child.poll() is None and not stop.is_set():
        status = read_heartbeat(beat)
        if status is not None and float(status.get("at", 0)) >= started:
            return
        time.sleep(0.05)


def _stop_all(children: list[subprocess.Popen[Any]], grace_s: float = 30.0) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(grace_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
