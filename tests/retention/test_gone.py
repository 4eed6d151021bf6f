"""After erasure: the API answers 410 Gone, and the worker's index holds the entry no more."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from runtime.bootstrap import Services
from services.sweeper import sweep
from tests.scenario import GOLD, Clock, Scenario


@pytest.fixture
def client(memory_services: Services) -> TestClient:
    from api.app import create_app
    from api.auth import issue_token

    app = create_app(memory_services.settings, memory_services)
    token = issue_token(
        memory_services.settings.secret("token_secret"), "pc-engager", ["engagement_officer", "dpo"]
    )
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_api_answers_410_gone_for_erased_alert_and_watchlist_images(
    client: TestClient, scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    why = {"justification": "adjudication"}
    assert client.post(f"/alerts/{alert_id}/consultation", json=why).status_code == 200
    scenario.service.end_deployment(GOLD, scenario.deployment, "Operation complete")
    clock.advance(days=32)
    assert len(sweep(memory_services).erased) == 3

    gone = client.post(f"/alerts/{alert_id}/consultation", json=why)
    assert gone.status_code == 410 and "erased" in gone.json()["detail"]
    entry = client.post(f"/watchlist/entries/{scenario.entry_ids[0]}/consultation", json=why)
    assert entry.status_code == 410


def test_erased_entry_is_removed_from_a_live_index_at_once() -> None:
    from recognition.index import Template, WatchlistIndex

    index = WatchlistIndex("dlib-r1", 4)
    vectors = np.eye(4, dtype=np.float32)
    index.add([Template(f"e{n}", "dlib-r1", vectors[n]) for n in range(4)])
    before = index.version
    assert index.search(vectors[2], "dlib-r1")[0][0].entry_id == "e2"
    assert index.remove(["e2"]) == 1
    assert all(hit.entry_id != "e2" for hit in index.search(vectors[2], "dlib-r1", k=4)[0])
    assert index.version != before and len(index) == 3
