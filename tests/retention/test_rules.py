"""The retention rules of DOMAIN.md §c fire exactly when due, never before, never under a hold."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import services.sweeper as sweeper
from domain.alert import Alert, HoldBasis, HoldRequest
from domain.errors import DataErased
from domain.watchlist import WatchlistEntry
from runtime.bootstrap import Services
from services.retention import retention_view
from services.sweeper import rules_from, sweep
from tests.scenario import DPO, GOLD, Clock, Scenario

SECOND = timedelta(seconds=1)


def due_at_of(services: Services, item_id: object) -> object:
    view = retention_view(services.lfr, rules_from(services.settings), services.lfr.clock())
    return next(i for i in view.items if i.item_id == str(item_id)).due_at


def test_alert_data_is_erased_when_due_and_not_a_second_before(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    raised = clock.now
    margin = timedelta(minutes=memory_services.settings.retention_margin_minutes)
    assert due_at_of(memory_services, alert_id) == raised + timedelta(days=31) - margin

    clock.now = raised + timedelta(days=31) - margin - SECOND
    assert sweep(memory_services).erased == []
    assert not memory_services.lfr.load(Alert, alert_id).erased

    clock.advance(seconds=1)
    result = sweep(memory_services)
    assert result.erased == [str(alert_id)]
    alert = memory_services.lfr.load(Alert, alert_id)
    assert alert.erased
    with pytest.raises(DataErased):
        memory_services.lfr.consult_probe_image(DPO, alert_id, "review before disclosure")
    with pytest.raises(DataErased):
        memory_services.vault.open(str(alert_id), alert.sealed_probe)


def test_erasure_event_names_the_rule_the_sweeper_and_the_time(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    clock.advance(days=32)
    sweep(memory_services)
    view = retention_view(memory_services.lfr, rules_from(memory_services.settings), clock.now)
    item = next(i for i in view.items if i.item_id == str(alert_id))
    assert item.status == "erased"
    assert item.erasure["rule"] == "alert-data-31d-after-alert"
    assert item.erasure["by"] == "retention-sweeper" and item.erasure["role"] == "system"
    assert item.erasure["at"] == clock.now.isoformat()
    assert item.erasure["notification_id"] > 0


def test_legal_hold_stops_erasure_until_lifted_then_erased_at_once(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    lfr = memory_services.lfr
    lfr.place_legal_hold(
        DPO,
        alert_id,
        HoldRequest(HoldBasis.INVESTIGATION, "Arrest made: investigation open", date(2027, 3, 1)),
    )
    clock.advance(days=40)
    result = sweep(memory_services)
    assert result.erased == []
    view = retention_view(lfr, rules_from(memory_services.settings), clock.now)
    assert [i.status for i in view.items if i.item_id == str(alert_id)] == ["held"]

    lfr.lift_legal_hold(DPO, alert_id, "Proceedings concluded")
    assert sweep(memory_services).erased == [str(alert_id)]
    assert lfr.load(Alert, alert_id).erased


def test_hold_lifted_before_the_deadline_keeps_the_ordinary_deadline(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    raised = clock.now
    lfr = memory_services.lfr
    lfr.place_legal_hold(
        DPO, alert_id, HoldRequest(HoldBasis.INVESTIGATION, "Possible arrest", date(2027, 3, 1))
    )
    clock.advance(days=2)
    lfr.lift_legal_hold(DPO, alert_id, "No further action")
    margin = timedelta(minutes=memory_services.settings.retention_margin_minutes)
    assert due_at_of(memory_services, alert_id) == raised + timedelta(days=31) - margin
    assert sweep(memory_services).erased == []


def test_watchlist_is_erased_when_due_after_the_deployment_ends_and_not_before(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live(entries=3)
    lfr = memory_services.lfr
    clock.advance(hours=2)
    lfr.end_deployment(GOLD, scenario.deployment, "Operation complete")
    ended = clock.now
    margin = timedelta(minutes=memory_services.settings.retention_margin_minutes)
    clock.now = ended + timedelta(hours=24) - margin - SECOND
    assert sweep(memory_services).erased == []

    clock.advance(seconds=1)
    result = sweep(memory_services)
    assert sorted(result.erased) == sorted(map(str, scenario.entry_ids))
    assert result.watchlists_closed == [str(scenario.deployment)]
    for entry_id in scenario.entry_ids:
        entry = lfr.load(WatchlistEntry, entry_id)
        assert entry.erased and entry.erasure["rule"] == "watchlist-1d-after-deployment-end"
        with pytest.raises(DataErased):
            lfr.consult_watchlist_image(DPO, entry_id, "audit")


def test_watchlist_of_a_live_deployment_is_never_due(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    clock.advance(days=400)
    assert sweep(memory_services).erased == []


def test_sweep_run_twice_erases_nothing_more(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    scenario.alert()
    clock.advance(days=32)
    assert len(sweep(memory_services).erased) == 1
    again = sweep(memory_services)
    assert again.erased == [] and again.refused == {} and again.keys_repaired == 0


def test_key_that_outlived_its_erasure_event_is_destroyed_by_the_next_sweep(
    scenario: Scenario, memory_services: Services, clock: Clock
) -> None:
    scenario.live()
    alert_id = scenario.alert()
    lfr = memory_services.lfr
    real_destroy = memory_services.vault.destroy
    memory_services.vault.destroy = lambda subject: None  # type: ignore[method-assign,assignment]
    lfr.erase_alert_data(DPO, alert_id, "DPO decision")  # a crash before the key went
    memory_services.vault.destroy = real_destroy  # type: ignore[method-assign]
    sealed = lfr.load(Alert, alert_id).sealed_probe
    assert memory_services.vault.open(str(alert_id), sealed)

    assert sweep(memory_services).keys_repaired == 1
    with pytest.raises(DataErased):
        memory_services.vault.open(str(alert_id), sealed)


def test_a_process_reads_every_item_at_its_first_sweep_then_only_those_not_erased(
    scenario: Scenario, memory_services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario.live()
    first, second = scenario.alert(), scenario.alert(track="t2")
    memory_services.lfr.erase_alert_data(DPO, first, "DPO decision")
    read: list[bool] = []
    real_view = sweeper.retention_view

    def recording(*args: Any, erased: bool = True) -> Any:
        read.append(erased)
        return real_view(*args, erased=erased)

    monkeypatch.setattr(sweeper, "retention_view", recording)
    sweep(memory_services)
    clock.advance(days=32)
    assert sweep(memory_services).erased == [str(second)]  # from the items not erased
    monkeypatch.setattr(memory_services.vault, "purge", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        sweep(memory_services)
    monkeypatch.undo()
    monkeypatch.setattr(sweeper, "retention_view", recording)
    sweep(memory_services)  # after a failed sweep, every item again

    assert read == [True, False, False, True]
