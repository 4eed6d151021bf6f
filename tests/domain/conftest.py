from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenario import Scenario, start_clock


@pytest.fixture
def scenario(stored: Scenario) -> Scenario:
    """The domain's rules are checked on each store: in memory, SQLite and PostgreSQL."""
    return stored


@pytest.fixture
def stored(store_url: str, tmp_path: Path) -> Iterator[Scenario]:
    """A scenario on each real store (in memory, SQLite, PostgreSQL) with the real vault."""
    from runtime.bootstrap import open_services
    from runtime.settings import Settings

    clock = start_clock()
    services = open_services(Settings(database_url=store_url, data_dir=tmp_path), clock=clock)
    try:
        yield Scenario(services.lfr, clock)
    finally:
        services.lfr.close()  # its connections go back before the next test opens more
