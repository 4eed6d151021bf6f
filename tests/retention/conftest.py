"""Fixtures for retention: services on a store with an injected clock, and a deployment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from tests.scenario import Clock, Scenario, start_clock

OpenServices = Callable[..., Services]


@pytest.fixture
def clock() -> Clock:
    return start_clock()


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[[str], Settings]:
    def make(url: str, **values: object) -> Settings:
        return Settings(database_url=url, data_dir=tmp_path, **values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def services(
    store_url: str, settings_for: Callable[[str], Settings], clock: Clock
) -> Iterator[Services]:
    """The services on each store (memory, SQLite, PostgreSQL) with the test's clock; their
    connections closed afterwards (the database's connection slots are shared)."""
    opened = open_services(settings_for(store_url), clock=clock)
    yield opened
    opened.lfr.close()
    close_keys = getattr(opened.vault.keys, "close", None)
    if close_keys is not None:
        close_keys()


@pytest.fixture
def memory_services(settings_for: Callable[[str], Settings], clock: Clock) -> Services:
    return open_services(settings_for("memory:"), clock=clock)


@pytest.fixture
def scenario(memory_services: Services, clock: Clock) -> Scenario:
    return Scenario(memory_services.lfr, clock)
