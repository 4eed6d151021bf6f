"""The sweeper erases alerts as the retention view saw them (version, hold), without loading
each one; an alert changed since the view was read is never erased on the strength of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.persistence.keystore import SqlKeyStore
from domain.alert import Alert, HoldBasis, HoldRequest, SeenAlert
from domain.errors import ConcurrentChange
from domain.values import Adjudication
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from services.retention import Item, retention_view
from services.sweeper import SWEEPER, SweepResult, erase_seen_alerts, rules_from, sweep
from tests.scenario import DPO, ENGAGER, Clock, Scenario


def due_alerts(services: Services, clock: Clock, count: int) -> tuple[UUID, list[UUID]]:
    scenario = Scenario(services.lfr, clock).live()
    alerts = [scenario.alert(n % 2, track=f"t{n}") for n in range(count)]
    clock.advance(days=32)
    return scenario.deployment, alerts


def seen_now(services: Services) -> list[Item]:
    view = retention_view(services.lfr, rules_from(services.settings), services.lfr.clock())
    return view.due()


def hold(services: Services, clock: Clock, alert_id: UUID) -> None:
    review = clock.now.date() + timedelta(days=30)
    request = HoldRequest(HoldBasis.PROCEEDINGS, "CPS file", review)
    services.lfr.place_legal_hold(DPO, alert_id, request)


def test_an_alert_held_after_the_view_saw_it_stops_the_batch_and_nothing_is_erased(
    services: Services, clock: Clock
) -> None:
    deployment, alerts = due_alerts(services, clock, 3)
    items = seen_now(services)
    hold(services, clock, alerts[1])  # after the view was read
    seen = [SeenAlert(UUID(i.item_id), i.version, i.hold) for i in items]

    audit = services.lfr.erasure_audit(SWEEPER, deployment)
    with pytest.raises(ConcurrentChange):
        services.lfr.erase_seen_alerts(audit, seen, "alert-data-31d-after-alert")

    assert not any(services.lfr.load(Alert, a).erased for a in alerts)
    assert not any(services.vault.is_destroyed(str(a)) for a in alerts)


def test_a_stale_view_erases_the_others_one_by_one_and_the_alert_held_since_is_refused(
    services: Services, clock: Clock
) -> None:
    deployment, alerts = due_alerts(services, clock, 3)
    items = seen_now(services)
    hold(services, clock, alerts[1])
    result = SweepResult(as_of=clock.now)

    erase_seen_alerts(services, deployment, items, items[0].rule, result)

    assert sorted(result.erased) == sorted(str(a) for a in (alerts[0], alerts[2]))
    assert list(result.refused) == [str(alerts[1])]
    assert "legal hold" in result.refused[str(alerts[1])]
    assert not services.lfr.load(Alert, alerts[1]).erased
    assert not services.vault.is_destroyed(str(alerts[1]))


def test_an_adjudicated_alert_is_erased_at_the_version_after_its_last_event(
    services: Services, clock: Clock
) -> None:
    _, alerts = due_alerts(services, clock, 2)
    services.lfr.adjudicate_alert(ENGAGER, alerts[0], Adjudication.FALSE_ALERT)
    assert {i.item_id: i.version for i in seen_now(services)}[str(alerts[0])] == 2

    result = sweep(services)

    assert sorted(result.erased) == sorted(map(str, alerts))
    assert (result.already_done, result.refused) == (0, {})
    events = list(services.lfr.repository.event_store.get(alerts[0]))
    assert [type(e).__name__ for e in events][-1] == "AlertDataErased"
    assert events[-1].originator_version == 3
    assert services.vault.is_destroyed(str(alerts[0]))


def test_batches_erased_side_by_side_keep_every_erasure_and_refuse_only_the_alert_held_since(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.sweeper.BATCH", 2)  # 7 alerts: four batches, two in flight
    deployment, alerts = due_alerts(services, clock, 7)
    items = seen_now(services)
    hold(services, clock, alerts[4])
    result = SweepResult(as_of=clock.now)

    erase_seen_alerts(services, deployment, items, items[0].rule, result)

    erased = [str(a) for n, a in enumerate(alerts) if n != 4]
    assert result.erased == [i.item_id for i in items if i.item_id in erased]  # in view order
    assert list(result.refused) == [str(alerts[4])]
    assert all(services.vault.is_destroyed(a) for a in erased)
    assert not services.vault.is_destroyed(str(alerts[4]))
    assert services.lfr.load(Alert, alerts[4]).legal_hold


def test_an_erasure_batch_destroys_its_keys_in_the_transaction_that_stores_it(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(services.vault.keys, SqlKeyStore):
        pytest.skip("the keys are in the events' database only with SQLite and PostgreSQL")
    deployment, alerts = due_alerts(services, clock, 3)
    seen = [SeenAlert(UUID(i.item_id), i.version, i.hold) for i in seen_now(services)]

    def destroyed_apart(subjects: object) -> int:
        raise AssertionError("keys destroyed in a transaction of their own")

    monkeypatch.setattr(services.vault.keys, "destroy", destroyed_apart)
    audit = services.lfr.erasure_audit(SWEEPER, deployment)
    services.lfr.erase_seen_alerts(audit, seen, "alert-data-31d-after-alert")

    assert all(services.lfr.load(Alert, a).erased for a in alerts)
    assert all(services.vault.is_destroyed(str(a)) for a in alerts)


def test_keys_destroyed_with_their_erasures_leave_no_copy_in_the_sqlite_files(
    tmp_path: Path, clock: Clock, settings_for: Callable[[str], Settings]
) -> None:
    services = open_services(settings_for(f"sqlite:///{tmp_path / 'events.db'}"), clock=clock)
    scenario = Scenario(services.lfr, clock).live()
    alerts = [scenario.alert(n % 2, track=f"t{n}") for n in range(30)]
    keys = [services.vault.keys.get(str(a)) for a in alerts]

    def files() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.glob("events.db*"))

    assert all(key and key in files() for key in keys)  # the check sees a key where one is
    services.lfr.erase_alert_data(DPO, alerts[0], "DPO decision")
    clock.advance(days=32)
    assert len(sweep(services).erased) == 29  # and it purges

    on_disk = files()
    assert not any(key and key in on_disk for key in keys)
