"""Retention decisions come from rows checked against the events: a row edited in the database
can neither stop nor hasten an erasure, nor invent a legal hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from domain.alert import Alert
from projections.retention_projection import ERASED_TABLE, ITEMS_TABLE
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from services.retention import retention_view
from services.sweeper import rules_from, sweep
from tests.scenario import GOLD, Clock, Scenario

Edit = Callable[[str, tuple[object, ...]], None]
HELD = '{"basis": "investigation", "requested_by": "dpo-1", "approved_by": "dpo-2", '
HELD += '"review_on": "2099-01-01", "review_due": ""}'


@pytest.fixture(params=["sqlite", "postgres"])
def stored(
    request: pytest.FixtureRequest, tmp_path: Path, settings_for: Callable[[str], Settings]
) -> Iterator[tuple[str, Edit]]:
    """A store URL and a way to run SQL on its retention tables ({t}: items, {e}: erased items),
    as an intruder would."""
    if request.param == "sqlite":
        path = tmp_path / "events.db"

        def edit_sqlite(sql: str, params: tuple[object, ...]) -> None:
            with sqlite3.connect(path) as conn:
                tables = {"t": ITEMS_TABLE.name, "e": ERASED_TABLE.name}
                conn.execute(sql.format(**tables).replace("%s", "?"), params)

        yield f"sqlite:///{path}", edit_sqlite
        return
    request.applymarker(pytest.mark.postgres)
    url = request.getfixturevalue("postgres_url")
    base, _, schema = url.partition("?schema=")

    def edit_postgres(sql: str, params: tuple[object, ...]) -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            tables = {"t": f'"{schema}".{ITEMS_TABLE.name}', "e": f'"{schema}".{ERASED_TABLE.name}'}
            conn.execute(sql.format(**tables), params)  # type: ignore[arg-type]

    yield url, edit_postgres


def an_alert_due(services: Services, clock: Clock) -> str:
    scenario = Scenario(services.lfr, clock).live()
    alert_id = str(scenario.alert())
    services.lfr.end_deployment(GOLD, scenario.deployment, "planned end")
    sweep(services)  # the projection holds the alert's row, sealed
    clock.advance(days=32)
    return alert_id


def test_untouched_retention_rows_pass_their_check_against_the_events(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    services = open_services(settings_for(stored[0]), clock=clock)
    an_alert_due(services, clock)
    view = retention_view(services.lfr, rules_from(services.settings), clock.now)
    assert view.integrity == {"verified": True, "reason": "", "rebuilt_from_events": False}


def test_a_hold_written_into_the_retention_table_does_not_stop_the_erasure(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    alert_id = an_alert_due(services, clock)
    edit("UPDATE {t} SET hold = %s WHERE item_id = %s", (HELD, alert_id))

    result = sweep(services)

    assert alert_id in result.erased
    assert services.lfr.load(Alert, UUID(alert_id)).erased
    view = retention_view(services.lfr, rules_from(services.settings), clock.now)
    assert view.integrity["verified"]  # rebuilt by the sweep, verified since
    assert next(i for i in view.items if i.item_id == alert_id).status == "erased"


def test_an_erasure_written_into_the_retention_table_is_not_believed(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    alert_id = an_alert_due(services, clock)
    edit("UPDATE {t} SET erasure = %s WHERE item_id = %s", ('{"rule": "x"}', alert_id))

    view = retention_view(services.lfr, rules_from(services.settings), clock.now)

    assert view.integrity["rebuilt_from_events"] and not view.integrity["verified"]
    assert "edited or deleted" in view.integrity["reason"]
    assert next(i for i in view.items if i.item_id == alert_id).status == "overdue"


def test_a_deleted_row_does_not_hide_an_alert_from_its_erasure(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    alert_id = an_alert_due(services, clock)
    edit("DELETE FROM {t} WHERE item_id = %s", (alert_id,))

    assert alert_id in sweep(services).erased


def test_a_backdated_row_does_not_hasten_an_erasure(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    scenario = Scenario(services.lfr, clock).live()
    alert_id = str(scenario.alert())
    sweep(services)
    clock.advance(days=10)  # 21 days before it is due
    edit("UPDATE {t} SET collected_at = %s WHERE item_id = %s", ("2020-01-01T00:00", alert_id))

    assert sweep(services).erased == []
    assert not services.lfr.load(Alert, UUID(alert_id)).erased


def test_a_row_moved_among_the_erased_does_not_hide_an_alert_from_its_erasure(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    alert_id = an_alert_due(services, clock)  # swept once: later sweeps read the items not erased
    edit("INSERT INTO {e} SELECT * FROM {t} WHERE item_id = %s", (alert_id,))
    edit("DELETE FROM {t} WHERE item_id = %s", (alert_id,))

    assert alert_id in sweep(services).erased


def test_an_edited_erased_row_is_found_by_the_dpos_view_of_every_item(
    stored: tuple[str, Edit], settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    url, edit = stored
    services = open_services(settings_for(url), clock=clock)
    alert_id = an_alert_due(services, clock)
    assert alert_id in sweep(services).erased
    retention_view(services.lfr, rules_from(services.settings), clock.now)  # has its erasure
    edit("UPDATE {e} SET erasure = %s WHERE item_id = %s", ('{"rule": "x"}', alert_id))

    view = retention_view(services.lfr, rules_from(services.settings), clock.now)

    assert view.integrity["rebuilt_from_events"]
    assert "erased rows do not match" in view.integrity["reason"]
    erased = next(i for i in view.items if i.item_id == alert_id).erasure
    assert erased["rule"] == "alert-data-31d-after-alert"
