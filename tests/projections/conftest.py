"""A live deployment on each store, with its services, read models and ingest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from projections import ReadModels
from recognition.credential import WorkerCredential
from recognition.events import MatchEvent, utc_iso
from runtime.bootstrap import Services, open_ingest, open_read_models, open_services
from runtime.settings import Settings
from services.ingest import IngestService
from tests.scenario import Clock, Scenario, probe_jpeg, start_clock
from tests.support.credentials import worker_credential


@dataclass
class World:
    settings: Settings
    services: Services
    clock: Clock
    scenario: Scenario
    models: ReadModels
    ingest: IngestService

    def match_event(
        self, n: int = 0, track: str = "t1", score: float = 0.9, deployment: str | None = None
    ) -> MatchEvent:
        return MatchEvent.create(
            probe_jpeg=probe_jpeg(),
            deployment_id=deployment or str(self.scenario.deployment),
            camera_id="camera-1",
            observed_at=utc_iso(self.clock.now),
            entry_id=str(self.scenario.entry_ids[n]),
            score=score,
            threshold=0.64,
            model_id="dlib-r1",
            model_version="1",
            watchlist_version=self.scenario.watchlist_version,
            track_id=track,
        )

    def worker_credential(self, cameras: tuple[str, ...] = ("camera-1",)) -> WorkerCredential:
        """The credential of a worker whose token binds it to this world's deployment."""
        return worker_credential(self.settings, self.scenario.deployment, cameras, self.clock.now)

    def wire(self, event: MatchEvent) -> bytes:
        """The event as a worker sends it: its crop sealed to this ingest's key, attested
        by the worker's token."""
        return event.to_json(self.ingest.probe_keys.sealer, self.worker_credential())


def make_world(url: str, data_dir: Path) -> World:
    settings = Settings(database_url=url, data_dir=data_dir)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    scenario = Scenario(services.lfr, clock)
    return World(
        settings,
        services,
        clock,
        scenario,
        open_read_models(settings, services),
        open_ingest(settings, services),
    )


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[World]:
    """A world on each of the three stores."""
    made = make_world(store_url, tmp_path)
    yield made
    made.models.close()


@pytest.fixture
def memory_world(tmp_path: Path) -> Iterator[World]:
    made = make_world("memory:", tmp_path)
    yield made
    made.models.close()
