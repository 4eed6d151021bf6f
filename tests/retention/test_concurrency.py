"""Several sweepers at once: each item erased exactly once, none refused, nothing lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.alert import Alert
from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.sweeper import SweepResult, sweep
from tests.scenario import Clock, Scenario


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database two sweepers share (a memory store cannot be shared)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lfr.db'}"
    request.applymarker(pytest.mark.postgres)
    return str(request.getfixturevalue("postgres_url"))


def test_concurrent_sweepers_erase_each_item_exactly_once(
    shared_store: str, settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    store_url = shared_store
    first = open_services(settings_for(store_url), clock=clock)
    second = open_services(settings_for(store_url), clock=clock)
    scenario = Scenario(first.lfr, clock).live(entries=3)
    alerts = [scenario.alert(n % 3, track=f"t{n}") for n in range(12)]
    clock.advance(days=32)

    results: list[SweepResult] = []
    barrier = threading.Barrier(2)

    def run(services: object) -> None:
        barrier.wait()
        results.append(sweep(services, clock.now))  # type: ignore[arg-type]

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    erased = [i for r in results for i in r.erased]
    assert sorted(erased) == sorted(map(str, alerts))  # once each, by one sweeper or the other
    assert all(r.refused == {} for r in results)
    for alert_id in alerts:
        assert first.lfr.load(Alert, alert_id).erased
        names = [type(e).__name__ for e in first.lfr.repository.event_store.get(alert_id)]
        assert names.count("AlertDataErased") == 1
