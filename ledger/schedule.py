"""Checkpoints made by the running services: whenever the log has grown, checked every
`interval` seconds, so an entry appended after the last checkpoint is signed, published and
witnessed within that interval (an append hidden from the next checkpoint would otherwise
go unnoticed until someone asked for one)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ledger.checkpoint import Checkpoint

log = logging.getLogger(__name__)


def due(ledger: Any) -> bool:
    """Whether a checkpoint is due: the log has grown, or a witness lacks the latest."""
    if ledger.grown():
        return True
    if not ledger.witnesses:
        return False
    latest = ledger.latest_checkpoint()
    return latest is not None and len(latest.cosignatures(ledger.witnesses)) < len(ledger.witnesses)


def checkpoint_if_due(ledger: Any) -> Checkpoint | None:
    """Sign, publish and witness a checkpoint if one is due; the new checkpoint or None."""
    return ledger.checkpoint() if due(ledger) else None


def start_checkpointing(ledger: Any, interval: float) -> tuple[threading.Thread, threading.Event]:
    """A daemon thread running `checkpoint_if_due` every `interval` seconds until the event
    is set. A failure is logged and tried again at the next interval."""
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                checkpoint_if_due(ledger)
            except Exception as error:  # keep serving; the next round tries again
                log.error("ledger checkpoint failed: %s", error)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=run, name="ledger-checkpoints", daemon=True)
    thread.start()
    return thread, stop
