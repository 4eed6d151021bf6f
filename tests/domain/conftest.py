from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import DataErased
from services.lfr import LfrService
from tests.scenario import Scenario, start_clock


class FakeSealer:
    """Unit-test sealer: marks bytes as sealed and forgets subjects it destroys."""

    def __init__(self) -> None:
        self.destroyed: set[str] = set()

    def seal(self, subject_id: str, plaintext: bytes) -> bytes:
        return b"sealed:" + plaintext[::-1]

    def open(self, subject_id: str, sealed: bytes) -> bytes:
        if subject_id in self.destroyed:
            raise DataErased(f"{subject_id} erased")
        return sealed.removeprefix(b"sealed:")[::-1]

    def destroy(self, subject_id: str) -> None:
        self.destroyed.add(subject_id)


@pytest.fixture
def scenario() -> Scenario:
    clock = start_clock()
    service = LfrService(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, sealer=FakeSealer(), clock=clock
    )
    return Scenario(service, clock)


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
