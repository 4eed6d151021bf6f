"""Projections: incremental equals rebuilt, resumable, exactly once; queue, metrics, history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain.errors import NotFound
from domain.values import Adjudication
from runtime.bootstrap import open_read_models
from services.report import cancellation_report_html, submit_cancellation_report
from tests.projections.conftest import World, make_world
from tests.projections.test_register import run_deployment
from tests.scenario import ENGAGER, GOLD


def all_tables(world: World) -> dict[str, list[dict]]:
    tables = {}
    for projection in world.models.projections.values():
        for table in projection.tables:
            rows = projection.view.select(table, order_by=table.key)
            tables[table.name] = rows
    return tables


def test_rebuild_from_zero_equals_the_incrementally_built_tables(world: World) -> None:
    world.scenario.live()
    for n in range(3):  # catch up after every few events, as a live system does
        world.scenario.alert(n % 2, track=f"t{n}")
        world.models.catch_up()
    alert = world.scenario.alert(0, track="late")
    world.clock.advance(minutes=3)
    world.services.lfr.adjudicate_alert(ENGAGER, alert, Adjudication.FALSE_ALERT)
    world.models.catch_up()
    incremental = all_tables(world)

    read = world.models.rebuild()

    assert read == len(world.services.lfr.recorder.select_notifications(start=1, limit=10_000))
    assert all_tables(world) == incremental
    assert len(incremental["rm_alerts"]) == 4 and len(incremental["rm_register"]) == 1


def test_projections_resume_from_their_stored_position(tmp_path: Path) -> None:
    world = make_world(f"sqlite:///{tmp_path / 'events.db'}", tmp_path)
    world.scenario.live()
    world.scenario.alert(0)
    first = world.models.catch_up()
    world.scenario.alert(1, track="t2")
    world.models.close()

    restarted = open_read_models(world.settings, world.services)

    assert restarted.catch_up() == 1  # only the new alert
    assert first > 1
    row = restarted.register_row(world.scenario.deployment)
    assert row is not None and row["alerts"] == 2


def test_two_projectors_never_apply_an_event_twice(tmp_path: Path) -> None:
    world = make_world(f"sqlite:///{tmp_path / 'events.db'}", tmp_path)
    other = open_read_models(world.settings, world.services)
    world.scenario.live()
    for n in range(6):
        world.scenario.alert(n % 2, track=f"t{n}")
        (world.models if n % 2 else other).catch_up()
    world.models.catch_up()
    other.catch_up()
    for models in (world.models, other):
        row = models.register_row(world.scenario.deployment)
        assert row is not None and row["alerts"] == 6
        assert len(row["notification_ids"]) == len(set(row["notification_ids"]))


def test_alert_queue_lists_pending_alerts_with_their_entry_and_no_image(
    memory_world: World,
) -> None:
    memory_world.scenario.live()
    first = memory_world.scenario.alert(0, track="a")
    memory_world.scenario.alert(1, track="b")
    memory_world.services.lfr.adjudicate_alert(ENGAGER, first, Adjudication.FALSE_ALERT)
    memory_world.models.catch_up()

    queue = memory_world.models.alert_queue(memory_world.scenario.deployment)

    assert [a["entry_category"] for a in queue] == ["wanted_by_courts"]
    assert "entry_reference" not in queue[0]  # a name is read only under an s.62 record
    alert = queue[0]
    assert (alert["score"], alert["threshold"], alert["camera_id"], alert["state"]) == (
        0.9,
        0.64,
        "camera-1",
        "pending",
    )
    assert not any(isinstance(v, bytes) or "probe" in str(v) for v in alert.values())
    everything = memory_world.models.alert_queue(pending_only=False)
    assert {a["state"] for a in everything} == {"pending", "concluded"}


def test_metrics_group_deployments_by_month_use_case_and_borough(memory_world: World) -> None:
    run_deployment(memory_world)
    memory_world.models.catch_up()

    by_month = memory_world.models.metrics("month")
    by_use_case = memory_world.models.metrics("use_case")
    by_borough = memory_world.models.metrics("borough")

    assert [m["group"] for m in by_month] == ["2026-11"]
    assert [m["group"] for m in by_use_case] == ["Crime Hotspot"]
    assert [m["group"] for m in by_borough] == ["Westminster"]
    month = by_month[0]
    assert (month["deployments"], month["alerts"], month["false_alerts"]) == (1, 4, 2)
    assert month["adjudicated_alerts"] == 4
    assert month["adjudication_delay_median_s"] == pytest.approx(90.0)
    with pytest.raises(ValueError, match="grouped by"):
        memory_world.models.metrics("camera")


def test_timeline_lists_every_event_of_the_deployment_with_actor_and_role(
    memory_world: World,
) -> None:
    run_deployment(memory_world)
    memory_world.models.catch_up()

    timeline = memory_world.models.timeline(memory_world.scenario.deployment)

    events = [e["event"] for e in timeline]
    assert events[0] == "PolicingNeedIdentified"
    assert {
        "AuthorityGranted",
        "DeploymentStarted",
        "AlertRaised",
        "AlertAdjudicated",
        "DeploymentEnded",
    } <= set(events)
    assert [e["notification_id"] for e in timeline] == sorted(
        e["notification_id"] for e in timeline
    )
    adjudication = next(e for e in timeline if e["event"] == "AlertAdjudicated")
    assert (adjudication["actor_id"], adjudication["actor_role"]) == (
        "pc-engager",
        "engagement_officer",
    )
    assert all(e["at"] and e["actor_role"] for e in timeline)


def test_aggregate_state_as_of_a_past_version_or_time(memory_world: World) -> None:
    w = memory_world
    w.scenario.live()
    started = w.clock.now
    w.clock.advance(hours=1)
    from tests.scenario import GOLD

    w.services.lfr.end_deployment(GOLD, w.scenario.deployment, "planned end")
    d = w.scenario.deployment

    assert w.models.aggregate_as_of(d)["state"]["status"] == "ended"
    assert w.models.aggregate_as_of(d, at=started)["state"]["status"] == "live"
    assert w.models.aggregate_as_of(d, version=1)["state"]["status"] == "planned"
    with pytest.raises(NotFound):
        w.models.aggregate_as_of(d, at=started - timedelta(days=1))


def test_cancellation_report_shows_figures_plots_and_timeline(memory_world: World) -> None:
    run_deployment(memory_world)
    memory_world.models.catch_up()

    d = memory_world.scenario.deployment
    report = {"evaluation": "as planned", "learning": "none"}
    submit_cancellation_report(memory_world.models, GOLD, d, report)
    html = cancellation_report_html(memory_world.services.lfr, d)

    assert html.count("data:image/png;base64,") == 3
    assert "False alert rate (false alerts per faces seen)" in html and "Alert adjudicated" in html
    with pytest.raises(NotFound):
        cancellation_report_html(memory_world.services.lfr, "00000000-0000-0000-0000-000000000000")
