from __future__ import annotations

import numpy as np
import pytest

from adapters.vault import MemoryKeyStore, Vault
from domain.errors import RuleViolation
from services.lfr import LfrService
from services.worker_link import DomainWatchlistProvider
from tests.scenario import AO, GOLD, SYSTEM, Scenario, start_clock


def live_scenario() -> Scenario:
    clock = start_clock()
    vault = Vault(MemoryKeyStore(), b"k" * 32)
    service = LfrService({"PERSISTENCE_MODULE": "eventsourcing.popo"}, sealer=vault, clock=clock)
    return Scenario(service, clock).live()


def test_worker_gets_the_authorised_templates_threshold_and_status() -> None:
    scenario = live_scenario()
    provider = DomainWatchlistProvider(scenario.service)
    deployment = str(scenario.deployment)
    templates = provider.templates(deployment)
    assert {t.entry_id for t in templates} == {str(e) for e in scenario.entry_ids}
    assert all(t.vector.dtype == np.float32 for t in templates)
    assert provider.threshold(deployment) == 0.64
    scenario.service.authorise_threshold_change(AO, scenario.deployment, 0.7, "fewer alerts")
    assert provider.threshold(deployment) == 0.7
    scenario.service.end_deployment(GOLD, scenario.deployment, "done")
    assert provider.status(deployment) == "ended"


def test_worker_learns_of_each_erasure_once() -> None:
    scenario = live_scenario()
    provider = DomainWatchlistProvider(scenario.service)
    deployment = str(scenario.deployment)
    provider.templates(deployment)
    assert provider.erased_entries(deployment) == set()
    scenario.service.erase_watchlist_entry(SYSTEM, scenario.entry_ids[1], "DPO instruction")
    assert provider.erased_entries(deployment) == {str(scenario.entry_ids[1])}
    assert provider.erased_entries(deployment) == set()


def test_the_worker_searches_exactly_the_compiled_watchlist() -> None:
    from recognition.index import WatchlistIndex

    scenario = live_scenario()
    provider = DomainWatchlistProvider(scenario.service)
    templates = provider.templates(str(scenario.deployment))
    index = WatchlistIndex("dlib-r1", dimension=templates[0].vector.shape[0])
    index.add(templates)
    compiled = scenario.service.repository.get(scenario.deployment).watchlist["version"]
    assert index.version == compiled
    index.remove([templates[0].entry_id])
    assert index.version != compiled


def test_the_link_ends_the_deployment_when_its_window_closes_and_the_worker_stops() -> None:
    scenario = live_scenario()
    provider = DomainWatchlistProvider(scenario.service, "camera-1")
    deployment = str(scenario.deployment)
    assert (
        provider.authorised_until(deployment)
        == scenario.service.repository.get(scenario.deployment).ends_at
    )
    assert provider.status(deployment) == "live"
    scenario.clock.advance(hours=8)
    assert provider.status(deployment) == "ended"
    record = scenario.service.repository.get(scenario.deployment)
    assert (record.ending, record.end_reason.split(" at ")[0]) == (
        "window_ended",
        "the authorised window closed",
    )


def test_a_camera_the_deployment_did_not_start_gets_no_templates() -> None:
    scenario = live_scenario()
    provider = DomainWatchlistProvider(scenario.service, "camera-9")
    with pytest.raises(RuleViolation, match="camera 'camera-9' is not one"):
        provider.templates(str(scenario.deployment))
