"""Rebuilding the read models as a bulk load: indexes made again, failures resumed, races
lost cleanly, and rows built as plain values holding each value in its named column."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from projections.alerts import ALERTS_TABLE, AlertsProjection
from projections.audit import TIMELINE_TABLE
from projections.base import Batch, ReadModelProjection
from projections.readmodels import ReadModels, ViewFactory
from projections.recorded import Recorded
from projections.retention_projection import ITEMS_TABLE
from projections.tables import Table
from projections.views import PostgresDialect, SQLiteDialect, SqlView
from runtime.bootstrap import open_read_models
from tests.projections.conftest import World, make_world
from tests.projections.test_read_models import all_tables


@pytest.fixture(params=["sqlite", "postgres"])
def db_world(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A world on each database (the bulk load has nothing to do in memory)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        request.applymarker(pytest.mark.postgres)
        url = str(request.getfixturevalue("postgres_url"))
    made = make_world(url, tmp_path)
    yield made
    made.models.close()


def secondary_indexes(world: World) -> set[str]:
    view = world.models.view("alerts")
    assert isinstance(view, SqlView)
    if isinstance(view.dialect, SQLiteDialect):
        rows = view._query("SELECT name FROM sqlite_master WHERE type = 'index'", ())
    else:
        assert isinstance(view.dialect, PostgresDialect)
        rows = view._query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s",
            (view.datastore.schema,),
        )
    return {name for (name,) in rows if name.startswith("rm_") and name.endswith("_idx")}


def declared_indexes(world: World) -> set[str]:
    return {
        f"{table.name}_{'_'.join(index)}_idx"
        for projection in world.models.projections.values()
        for table in projection.tables
        for index in table.indexes
    }


def some_alerts(world: World, count: int = 5) -> None:
    world.scenario.live()
    for n in range(count):
        world.scenario.alert(n % 2, track=f"t{n}")


def test_rebuild_makes_every_secondary_index_again(db_world: World) -> None:
    some_alerts(db_world)
    db_world.models.catch_up()
    assert secondary_indexes(db_world) == declared_indexes(db_world)

    db_world.models.rebuild()

    assert secondary_indexes(db_world) == declared_indexes(db_world)
    assert len(db_world.models.alerts(db_world.scenario.deployment)) == 5


def test_rebuild_that_fails_part_way_keeps_the_indexes_and_resumes_to_the_same_tables(
    db_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_alerts(db_world)
    db_world.models.catch_up()
    incremental = all_tables(db_world)
    db_world.models.projector.page_size = 4
    original = AlertsProjection.apply
    applied = []

    def fails_on_the_third_alert(self: AlertsProjection, event: Recorded, batch: Any) -> None:
        if event.name == "AlertRaised":
            applied.append(event.notification_id)
            if len(applied) == 3:
                raise RuntimeError("the disk is full")
        original(self, event, batch)

    monkeypatch.setattr(AlertsProjection, "apply", fails_on_the_third_alert)
    with pytest.raises(RuntimeError, match="disk is full"):
        db_world.models.rebuild()
    assert secondary_indexes(db_world) == declared_indexes(db_world)
    assert gc.isenabled()  # paused while pages are projected, never left paused
    stopped_at = db_world.models.projections["alerts"].position()
    assert 0 < stopped_at < applied[-1]  # pages before the failure stayed written

    db_world.models.catch_up()

    assert all_tables(db_world) == incremental


def test_projector_that_loses_pages_to_another_goes_on_from_its_position(
    db_world: World,
) -> None:
    other = open_read_models(db_world.settings, db_world.services)
    some_alerts(db_world, 8)
    db_world.models.projector.page_size = 3
    overtaken = []

    def other_catches_up_meanwhile(read: int) -> None:
        if not overtaken:  # after the first page is handed over, the other does the rest
            overtaken.append(other.catch_up())

    db_world.models.catch_up(other_catches_up_meanwhile)

    assert overtaken and overtaken[0] > 0
    for models in (db_world.models, other):
        row = models.register_row(db_world.scenario.deployment)
        assert row is not None and row["alerts"] == 8
        assert len(row["notification_ids"]) == len(set(row["notification_ids"]))
    assert all_tables(db_world) == {
        table.name: projection.view.select(table, order_by=table.key)
        for projection in other.projections.values()
        for table in projection.tables
    }
    other.close()


def test_a_raised_alert_is_stored_with_each_value_in_its_named_column(world: World) -> None:
    world.scenario.live()
    alert = world.scenario.alert(1, track="t-42")
    world.models.catch_up()
    raised = next(
        n
        for n in world.services.lfr.recorder.select_notifications(start=1, limit=1000)
        if n.topic.endswith("AlertRaised")
    )
    deployment, entry = str(world.scenario.deployment), str(world.scenario.entry_ids[1])

    row = world.models.view("alerts").get(ALERTS_TABLE, (str(alert),))
    timeline = world.models.view("timeline").get(TIMELINE_TABLE, (raised.id,))
    item = world.models.view("retention").get(ITEMS_TABLE, (str(alert),))

    assert row is not None and timeline is not None and item is not None
    observed = row["observed_at"]
    shown = {k: v for k, v in row.items() if k not in ("observed_at", "raised_at", "model")}
    assert shown == {
        "alert_id": str(alert),
        "deployment_id": deployment,
        "notification_id": raised.id,
        "entry_id": entry,
        "camera_id": "camera-1",
        "track_id": "t-42",
        "score": 0.9,
        "threshold": 0.64,
        "watchlist_version": shown["watchlist_version"],
        "state": "pending",
        **dict.fromkeys(
            (
                "decision",
                "adjudicated_at",
                "adjudicated_by",
                "adjudicated_role",
                "adjudication_delay_s",
                "engagement_outcome",
                "engagement_duration_s",
                "disposal",
            )
        ),
        "legal_hold": 0,
        "erased": 0,
    }
    assert observed.startswith("2026-") and row["raised_at"].startswith("2026-")
    assert isinstance(row["model"], dict) and row["model"]
    assert isinstance(shown["watchlist_version"], str) and shown["watchlist_version"]
    assert (timeline["deployment_id"], timeline["aggregate_id"], timeline["version"]) == (
        deployment,
        str(alert),
        1,
    )
    assert (timeline["aggregate_type"], timeline["event"], timeline["at"]) == (
        "Alert",
        "AlertRaised",
        row["raised_at"],
    )
    assert isinstance(timeline["detail"], dict)
    assert item == {
        "item_id": str(alert),
        "version": 1,
        "notification_id": raised.id,
        "kind": "alert",
        "deployment_id": deployment,
        "data": ["probe_image"],
        "collected_at": observed,
        "hold": {},
        "hold_lifted_at": None,
        "erasure": {},
    }


def test_rows_given_as_values_of_the_wrong_width_are_refused() -> None:
    with pytest.raises(ValueError, match="rm_alerts has 23 columns, not 2"):
        ALERTS_TABLE.encode(("an-alert", "a-deployment"))


SIGHTINGS = Table("rm_test_sightings", {"camera_id": "text", "seen": "int"}, key=("camera_id",))


class SightingsPerCamera(ReadModelProjection):
    """A faulty projection: it inserts its camera's row for every alert, not only the first."""

    name = "test_sightings"
    tables = (SIGHTINGS,)
    events = frozenset({"AlertRaised"})

    def apply(self, event: Recorded, batch: Batch) -> None:
        batch.insert(SIGHTINGS, (event.state["camera_id"], 1))


def test_a_new_row_whose_key_is_stored_is_recorded_as_failed_not_taken_for_a_lost_race(
    world: World,
) -> None:
    world.scenario.live()
    world.scenario.alert(0, track="first")
    views = ViewFactory(world.settings.store)
    models = ReadModels(world.services.lfr, views, [SightingsPerCamera])
    models.catch_up()
    world.scenario.alert(1, track="second")
    position = models.projections["test_sightings"].position()

    models.catch_up()  # the refused row is a defect: recorded, skipped, never retried for ever

    (failed,) = models.failed_events()
    assert failed["projection"] == "test_sightings" and failed["notification_id"] > position
    assert "RowRefused" in failed["error"]
    assert models.projections["test_sightings"].position() >= failed["notification_id"]
    assert models.view("test_sightings").select(SIGHTINGS) == [{"camera_id": "camera-1", "seen": 1}]
    models.close()
