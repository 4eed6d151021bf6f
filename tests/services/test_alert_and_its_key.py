"""An alert's event and its data key are stored by one transaction of the event store: the
key never outlives an alert that was not stored, and a replay keeps the first key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import eventsourcing.postgres as es_pg
import eventsourcing.sqlite as es_sqlite
import pytest

from adapters.vault import SqlKeyStore
from domain.alert import Alert
from domain.errors import RuleViolation
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from tests.scenario import GOLD, Scenario, probe_jpeg, start_clock


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def live(database: str, tmp_path: Path) -> tuple[Services, Scenario]:
    clock = start_clock()
    services = open_services(Settings(database_url=database, data_dir=tmp_path), clock)
    return services, Scenario(services.lfr, clock).live()


def stored_key(services: Services, subject_id: object) -> bytes | None:
    keys = services.vault.keys
    assert isinstance(keys, SqlKeyStore)
    return keys.get(str(subject_id))


def fail_the_events_insert(recorder: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database refuses the events' INSERT by `recorder` (SQLite or PostgreSQL), after
    the keys were written in its transaction."""

    def sqlite_refuses(self: Any, c: Any, stored_events: Any, **kwargs: Any) -> None:
        c.execute("INSERT INTO no_such_table VALUES (1)")

    def postgres_refuses(self: Any, curs: Any, stored_events: Any, **kwargs: Any) -> None:
        curs.execute("SELECT 1 / 0")

    monkeypatch.setattr(es_sqlite.SQLiteApplicationRecorder, "_insert_events", sqlite_refuses)
    if isinstance(recorder, es_pg.PostgresApplicationRecorder):
        monkeypatch.setattr(type(recorder), "_insert_stored_events", postgres_refuses)


def test_an_alert_whose_event_is_refused_leaves_no_data_key_behind(
    live: tuple[Services, Scenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, scenario = live
    match = scenario.match(track="refused")
    alert_id = Alert.create_id(match_id=match.match_id)
    fail_the_events_insert(services.lfr.recorder, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 (whatever the database said, nothing stays)
        services.lfr.raise_alert(scenario.worker, match)
    monkeypatch.undo()
    assert not services.lfr.exists(alert_id)
    assert stored_key(services, alert_id) is None
    assert services.lfr.raise_alert(scenario.worker, match) == alert_id  # and it can be raised


def test_an_alert_raised_again_keeps_its_first_key_and_its_probe_stays_readable(
    live: tuple[Services, Scenario],
) -> None:
    services, scenario = live
    alert_id = scenario.alert(track="again")
    first = stored_key(services, alert_id)
    assert first is not None
    assert scenario.alert(track="again") == alert_id  # a replay: no second alert, no new key
    assert stored_key(services, alert_id) == first
    alert = services.lfr.load(Alert, alert_id)
    assert services.vault.open(str(alert_id), alert.sealed_probe) == probe_jpeg()


def test_an_alert_raised_again_after_its_deployment_ended_is_still_the_same_alert(
    live: tuple[Services, Scenario],
) -> None:
    services, scenario = live
    alert_id = scenario.alert(track="late")
    services.lfr.end_deployment(GOLD, scenario.deployment, "done")
    assert scenario.alert(track="late") == alert_id  # a replay, not a refusal
    with pytest.raises(RuleViolation):
        scenario.alert(track="new")  # a new match is refused: the deployment is not live
