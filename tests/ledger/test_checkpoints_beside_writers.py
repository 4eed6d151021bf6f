"""Checkpoints signed while events are written, on SQLite: the API and the ingest sign
checkpoints in a background thread while commands and alerts are stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from runtime.bootstrap import open_services
from runtime.ledger_wiring import open_ledger
from runtime.settings import Settings
from tests.scenario import Scenario, start_clock

pytestmark = pytest.mark.slow


def test_checkpoints_signed_while_alerts_are_stored_on_sqlite_never_find_the_database_locked(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lfr.db'}", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    scenario = Scenario(services.lfr, clock).live(entries=2)
    ledger = open_ledger(settings)
    stop = threading.Event()
    failures: list[str] = []
    signed = 0

    def sign() -> None:
        nonlocal signed
        while not stop.is_set():
            try:
                ledger.checkpoint()
                signed += 1
            except Exception as error:  # any failure is the finding
                failures.append(f"{type(error).__name__}: {error}")

    signer = threading.Thread(target=sign)
    signer.start()
    try:
        deadline, n = time.monotonic() + 5, 0
        while time.monotonic() < deadline:
            scenario.alert(n % 2, track=f"t{n}")
            n += 1
    finally:
        stop.set()
        signer.join(30)
        ledger.close()
    assert signed > 0 and n > 0
    assert not failures, failures[:3]
    assert ledger_verifies(settings)


def ledger_verifies(settings: Settings) -> bool:
    ledger = open_ledger(settings)
    try:
        return bool(ledger.verify().ok)
    finally:
        ledger.close()
