"""The public register over HTTP: each row is its latest public event's payload, proved by
its public events alone; an amendment after publication is served as a new public event."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.register_proofs import key_fingerprint
from api.state import PUBLIC_STALENESS_S
from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.values import Adjudication, Disposal, EngagementOutcome
from ledger.checkpoint import Checkpoint, PublicKey
from ledger.proofs import InclusionProof, check_row_inclusion, row_from_json
from projections.register import counts_of
from runtime.bootstrap import open_read_models, open_services
from runtime.settings import Settings
from tests.scenario import ENGAGER, GOLD, OPERATOR, Scenario, start_clock


def _checked(published: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's public event states, each proved in the signed checkpoint by the log's key."""
    checkpoint = Checkpoint.from_json(published["checkpoint"])
    key = PublicKey.parse(published["log_public_key"])
    assert published["log_key_fingerprint"] == key_fingerprint(key)
    (row,) = published["rows"]
    states = []
    for item in row["proofs"]:
        stored = row_from_json(item["event"])
        check_row_inclusion(InclusionProof.from_json(item["proof"]), stored, checkpoint, [key])
        assert ":PublicRecord." in stored.topic
        states.append(json.loads(stored.state))
    assert [p["notification_id"] for p in row["proofs"]] == row["notification_ids"]
    return states


def test_an_arrest_after_publication_is_served_as_a_new_public_amendment_event(
    tmp_path: Path,
) -> None:
    clock = start_clock()
    settings = Settings(database_url="memory:", data_dir=tmp_path)
    services = open_services(settings, clock=clock)
    lfr, s = services.lfr, Scenario(services.lfr, clock)
    s.live()
    alert = s.alert(0)
    lfr.adjudicate_alert(OPERATOR, alert, Adjudication.ENGAGE)
    lfr.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    lfr.submit_cancellation_report(GOLD, s.deployment, {"evaluation": "ok", "learning": "none"})
    models = open_read_models(settings, services)
    models.catch_up()
    lfr.publish_register_entry(GOLD, s.deployment, counts_of(models.register_row(s.deployment)))

    with TestClient(create_app(settings, services)) as client:
        url = f"/public/register/{s.deployment}"
        published = client.get(url).json()
        states = _checked(published)
        assert len(states) == 2 and published["rows"][0]["status"] == "published"
        assert published["rows"][0]["arrests"] == 0

        lfr.record_outcome(ENGAGER, alert, Disposal.ARREST, "wanted by courts")
        time.sleep(PUBLIC_STALENESS_S + 0.2)
        client.get(url)  # the first reader after the change may get the last rendering
        time.sleep(0.3)
        amended = client.get(url).json()
        states = _checked(amended)
        (row,) = amended["rows"]
        assert len(states) == 3 and row["status"] == "amended" and row["arrests"] == 1
        assert states[1]["row"]["arrests"] == 0, "the published entry was not changed"
        assert {k: v for k, v in row.items() if k in states[2]["row"]} == states[2]["row"]
        listed = client.get("/public/register").json()["rows"]
        assert [r["status"] for r in listed] == ["amended"]
