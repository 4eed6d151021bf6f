"""The pages' lists (applications, deployments, a watchlist) and the DPO's s.62 log are read
from the read models: each request is an indexed read of a projection, never a scan of the
event store, and the answers are what a scan of the events gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from api.app import create_app
from api.auth import issue_token
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.records import Consultation
from domain.watchlist import WatchlistEntry
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from tests.scenario import AO, GOLD, OPERATOR, Scenario, start_clock

JUSTIFICATION = "confirming the match before engaging"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Services, list[Scenario]]]:
    """An API on SQLite with two deployments (one live, one only applied for) and some
    personal data consulted."""
    from fastapi.testclient import TestClient

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lfr.db'}", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    live = Scenario(services.lfr, clock).live(entries=3)
    applied = Scenario(services.lfr, clock).submitted()
    alert = live.alert()
    services.lfr.consult_probe_image(OPERATOR, alert, JUSTIFICATION)
    services.lfr.consult_watchlist_image(OPERATOR, live.entry_ids[1], JUSTIFICATION)
    secret = settings.secret("token_secret")

    def call(user: str, role: str, path: str, **params: Any) -> Any:
        token = issue_token(secret, user, (role,))
        answer = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    with TestClient(create_app(settings, services)) as client:
        client.call = call  # type: ignore[attr-defined]
        yield client, services, [live, applied]
    services.lfr.close()


def scanned(services: Services, aggregate: type, event: str) -> list[Any]:
    """The events of one kind, by a scan of the event store (how the routes read before)."""
    topic = f"{get_topic(aggregate)}.{event}"
    found = services.lfr.recorder.select_notifications(1, 10**9, topics=[topic])
    return [services.lfr.mapper.to_domain_event(n) for n in found]


def refuse_scans(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the route scanned the event store")

    monkeypatch.setattr(services.lfr.recorder, "select_notifications", scan)


def test_the_pages_lists_are_what_the_events_say(
    served: tuple[Any, Services, list[Scenario]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services, (live, applied) = served
    opened = [
        e.originator_id for e in scanned(services, DeploymentApplication, "PolicingNeedIdentified")
    ]
    planned = [e.originator_id for e in scanned(services, Deployment, "DeploymentPlanned")]
    added = [
        e.originator_id
        for e in scanned(services, WatchlistEntry, "WatchlistEntryAdded")
        if e.deployment_id == live.deployment
    ]
    refuse_scans(services, monkeypatch)

    applications = client.call(AO.id, "authorising_officer", "/web/api/applications")["rows"]
    assert [UUID(r["id"]) for r in applications] == opened[::-1]  # newest first
    assert {UUID(r["id"]) for r in applications} == {live.application_id, applied.application_id}
    deployments = client.call(GOLD.id, "gold", "/web/api/deployments")["rows"]
    assert [UUID(r["id"]) for r in deployments] == planned == [live.deployment]
    path = f"/web/api/deployments/{live.deployment}/watchlist"
    entries = client.call(GOLD.id, "gold", path)["rows"]
    assert sorted(UUID(r["id"]) for r in entries) == sorted(added) == sorted(live.entry_ids)


def test_the_s62_log_is_read_a_page_at_a_time_from_its_projection(
    served: tuple[Any, Services, list[Scenario]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services, _ = served
    events = scanned(services, Consultation, "PersonalDataConsulted")
    notifications = services.lfr.recorder.select_notifications(
        1, 10**9, topics=[f"{get_topic(Consultation)}.PersonalDataConsulted"]
    )
    expected = [
        {
            "notification_id": n.id,
            "at": e.audit.at.isoformat(),
            "actor_id": e.audit.actor_id,
            "actor_role": e.audit.actor_role,
            "justification": e.audit.justification,
            "operation": e.audit.s62_operation,
            "data_class": e.data_class,
            "item_id": e.item_id,
            "deployment_id": e.audit.deployment_id,
        }
        for n, e in zip(notifications, events, strict=True)
    ]
    assert len(expected) == 2
    refuse_scans(services, monkeypatch)

    assert client.call("dpo-1", "dpo", "/dpo/consultations")["rows"] == expected
    first = client.call("dpo-1", "dpo", "/dpo/consultations", limit=1)["rows"]
    assert first == expected[:1]
    after = first[0]["notification_id"]
    rest = client.call("dpo-1", "dpo", "/dpo/consultations", after=after)["rows"]
    assert rest == expected[1:]
    last = expected[-1]["notification_id"]
    assert client.call("auditor-1", "auditor", "/dpo/consultations", after=last)["rows"] == []
