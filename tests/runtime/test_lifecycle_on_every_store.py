"""The same application-level suite on each store: in-memory, SQLite and real PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.errors import ConcurrentChange, DataErased
from domain.sealing import text_sealer
from domain.values import Adjudication, Disposal, EngagementOutcome
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from tests.scenario import ENGAGER, GOLD, OPERATOR, SYSTEM, Scenario, start_clock, template_of


def services_on(url: str, data_dir: Path, clock: object = None) -> Services:
    return open_services(Settings(database_url=url, data_dir=data_dir), clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def scenario(store_url: str, tmp_path: Path) -> Scenario:
    clock = start_clock()
    return Scenario(services_on(store_url, tmp_path, clock).lfr, clock)


def test_whole_deployment_lifecycle_is_stored_and_read_back(
    scenario: Scenario, store_url: str, tmp_path: Path
) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    alert_id = scenario.alert()
    s.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE)
    s.record_engagement(
        ENGAGER, alert_id, EngagementOutcome.CONFIRMED_TRUE, 200, stop=TOLD_AND_GIVEN_LEAFLET
    )
    s.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "Wanted by courts")
    s.end_deployment(GOLD, d, "Operation complete")
    s.submit_cancellation_report(GOLD, d, {"evaluation": "ok", "learning": "none"})
    s.publish_register_entry(GOLD, d, {"alerts": 1})
    s.erase_watchlist(SYSTEM, d, "watchlist within 24 hours of the end")
    if store_url == "memory:":
        return
    reopened = services_on(store_url, tmp_path).lfr
    assert reopened.deployment_status(d) == "published"
    assert reopened.repository.get(alert_id).outcome["disposal"] == "arrest"
    assert all(reopened.repository.get(e).erased for e in scenario.entry_ids)


def test_erased_watchlist_image_cannot_be_read_back(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    entry_id = scenario.entry_ids[0]
    assert s.consult_watchlist_image(OPERATOR, entry_id, "Checking the match").startswith(
        b"\xff\xd8"
    )
    s.erase_watchlist_entry(SYSTEM, entry_id, "dpo instruction")
    with pytest.raises(DataErased):
        s.consult_watchlist_image(OPERATOR, entry_id, "Checking the match")
    with pytest.raises(DataErased):
        s.sealer.open(str(entry_id), s.repository.get(entry_id).sealed_image)


def test_templates_are_released_only_while_live(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    templates = s.watchlist_templates(scenario.deployment)
    assert sorted(t.vector for t in templates) == sorted([template_of(0), template_of(1)])
    s.pause_deployment(GOLD, scenario.deployment, "pause")
    with pytest.raises(Exception, match="only to a live deployment"):
        s.watchlist_templates(scenario.deployment)


@pytest.mark.postgres
def test_two_officers_adjudicating_at_once_get_a_conflict_not_a_lost_update(
    postgres_url: str, tmp_path: Path
) -> None:
    clock = start_clock()
    first = Scenario(services_on(postgres_url, tmp_path, clock).lfr, clock).live()
    alert_id = first.alert()
    second = services_on(postgres_url, tmp_path, clock).lfr
    loaded = [svc.repository.get(alert_id) for svc in (first.service, second)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def adjudicate(service, alert, decision) -> None:  # type: ignore[no-untyped-def]
        audit = service.audit(ENGAGER if decision is Adjudication.ENGAGE else OPERATOR)
        deployment = service.repository.get(alert.deployment_id)
        alert.adjudicate(audit, deployment, decision, "", text_sealer(service.sealer, alert.id))
        barrier.wait()
        try:
            service.commit(alert)
            results.append(decision.value)
        except ConcurrentChange as error:
            results.append(f"conflict: {error}")

    threads = [
        threading.Thread(target=adjudicate, args=(svc, alert, decision))
        for svc, alert, decision in zip(
            (first.service, second),
            loaded,
            (Adjudication.ENGAGE, Adjudication.FALSE_ALERT),
            strict=True,
        )
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results if r.startswith("conflict")]
    assert len(conflicts) == 1 and "reload and try again" in conflicts[0]
    winner = next(r for r in results if not r.startswith("conflict"))
    assert second.repository.get(alert_id).adjudication["decision"] == winner
