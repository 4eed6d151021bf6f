"""Checkpoints made by the running services: an append after the last checkpoint is signed,
published and covered within the interval, without anyone asking."""

from __future__ import annotations

import time

from ledger.checkpoint import Checkpoint
from ledger.schedule import checkpoint_if_due, start_checkpointing
from tests.ledger.conftest import Database


def test_a_forged_append_after_the_last_checkpoint_is_covered_by_the_next_round(
    database: Database,
) -> None:
    ledger = database.ledger
    first = checkpoint_if_due(ledger)
    assert first is not None and first.tree_size == 15
    assert checkpoint_if_due(ledger) is None  # nothing new: nothing signed
    database.app.write("appended after the checkpoint")
    later = checkpoint_if_due(ledger)
    assert later is not None and later.tree_size == 16
    published = Checkpoint.from_note((ledger.published_dir / "checkpoint").read_text())  # type: ignore[operator]
    assert published == later


def test_the_background_task_signs_when_the_log_grows(database: Database) -> None:
    ledger = database.ledger
    _, stop = start_checkpointing(ledger, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while (ledger.latest_checkpoint() or Checkpoint("x", 0, b"")).tree_size < 15:
            assert time.monotonic() < deadline, "no checkpoint within the interval"
            time.sleep(0.02)
        database.app.write("one more")
        while ledger.latest_checkpoint().tree_size < 16:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the append was not covered"
            time.sleep(0.02)
    finally:
        stop.set()
    assert ledger.verify().ok
