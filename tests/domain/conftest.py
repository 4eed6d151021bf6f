from __future__ import annotations

import pytest

from domain.errors import DataErased
from domain.service import LfrService
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
