"""The retention view is a projection: rebuilt from zero it equals the one built as events came,
and rebuilding the read models brings back no personal data, erased or not."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from domain.alert import Alert, HoldBasis, HoldRequest
from domain.watchlist import WatchlistEntry
from projections.retention_projection import DEPLOYMENTS_TABLE, EVENTS, ITEMS_TABLE
from runtime.bootstrap import Services, open_read_models, open_services
from runtime.settings import Settings
from services.retention import load_state, retention_view
from services.sweeper import rules_from, sweep
from tests.retention.plaintext import findings, sqlite_cells
from tests.retention.test_no_plaintext import faces, secrets_of, whole_lifecycle
from tests.scenario import DPO, GOLD, Clock, Scenario


def retention_rows(models: Any) -> dict[str, list[dict[str, Any]]]:
    view = models.view("retention")
    return {t.name: view.select(t, order_by=t.key) for t in (ITEMS_TABLE, DEPLOYMENTS_TABLE)}


def test_rebuilt_retention_view_equals_the_incrementally_built_one(
    store_url: str, settings_for: Callable[[str], Settings], clock: Clock
) -> None:
    settings = settings_for(store_url)
    services: Services = open_services(settings, clock=clock)
    models = open_read_models(settings, services)
    lfr, rules = services.lfr, rules_from(settings)
    scenario = Scenario(lfr, clock).live()
    alerts = [scenario.alert(n % 2, track=f"t{n}") for n in range(3)]
    models.catch_up()  # part of the way, as a live system does
    lfr.place_legal_hold(
        DPO,
        alerts[0],
        HoldRequest(HoldBasis.INVESTIGATION, "Arrest: proceedings", date(2027, 6, 1)),
    )
    lfr.place_legal_hold(
        DPO, alerts[1], HoldRequest(HoldBasis.INVESTIGATION, "Possible arrest", date(2027, 6, 1))
    )
    retention_view(lfr, rules, clock.now)
    lfr.lift_legal_hold(DPO, alerts[1], "No further action")
    lfr.end_deployment(GOLD, scenario.deployment, "planned end")
    clock.advance(days=2)
    first = sweep(services)  # the watchlist
    models.catch_up()
    clock.advance(days=40)
    second = sweep(services)  # the alerts not held
    models.catch_up()
    incremental_rows = retention_rows(models)
    incremental = retention_view(lfr, rules, clock.now).to_json()

    models.rebuild()

    assert retention_rows(models) == incremental_rows
    rebuilt = load_state(models.view("retention")).view(rules, clock.now).to_json()
    checked = retention_view(lfr, rules, clock.now).to_json()
    # The rebuilt rows pass their check against the events: sealed as they were made.
    assert checked.pop("integrity") == {
        "verified": True,
        "reason": "",
        "rebuilt_from_events": False,
    }
    assert incremental.pop("integrity")["verified"] and not rebuilt.pop("integrity")
    assert rebuilt == incremental == checked
    assert len(first.erased) == 2 and len(second.erased) == 2
    assert incremental["counts"] == {"live": 0, "due": 0, "overdue": 0, "held": 1, "erased": 4}
    models.close()


def test_rebuilt_read_models_hold_no_personal_data_in_plaintext(
    tmp_path: Path, shared_dir: Path, clock: Clock
) -> None:
    people = faces(shared_dir)
    path = tmp_path / "lfr.db"
    whole_lifecycle(f"sqlite:///{path}", tmp_path, clock, people)
    settings = Settings(database_url=f"sqlite:///{path}", data_dir=tmp_path)
    models = open_read_models(settings, open_services(settings, clock=clock))

    read = models.rebuild()

    assert read > 0
    read_model_cells = [
        (where, value)
        for where, value in sqlite_cells(path)
        if where.startswith("rm_") or where.startswith("file")
    ]
    assert any(where.startswith(f"{ITEMS_TABLE.name}.") for where, _ in read_model_cells)
    assert findings(read_model_cells, secrets_of(people)) == []  # names and notes included
    with sqlite3.connect(path) as conn:  # no reference column at all, erased or not
        columns = [row[1] for row in conn.execute("PRAGMA table_info(rm_watchlist_entries)")]
    assert columns and "reference" not in columns
    models.close()


def test_the_retention_view_counts_every_event_stored_before_it_is_asked(
    memory_services: Services, clock: Clock
) -> None:
    scenario = Scenario(memory_services.lfr, clock).live()
    rules = rules_from(memory_services.settings)
    assert len(retention_view(memory_services.lfr, rules, clock.now).items) == 2  # the entries

    scenario.alert(0)
    clock.advance(days=30, hours=23, minutes=30)  # inside the margin before the deadline

    view = retention_view(memory_services.lfr, rules, clock.now)
    assert [i.kind for i in view.items] == ["watchlist_entry", "watchlist_entry", "alert"]
    assert [i.status for i in view.items] == ["live", "live", "due"]
    assert view.due()[0].deadline == view.items[2].collected_at + timedelta(days=31)


def test_the_retention_rows_follow_every_event_of_an_alert_and_an_entry() -> None:
    """Each event moves its item's version, from which the sweeper's erasure follows: an
    event the projection did not follow would make every such erasure a conflict."""
    for aggregate in (Alert, WatchlistEntry):
        made = {
            name
            for name, value in vars(aggregate).items()
            if isinstance(value, type) and issubclass(value, aggregate.Event)
        } - {"Event", "Created"}  # the library's bases: never stored for these aggregates
        assert made and made == set(EVENTS[aggregate])
