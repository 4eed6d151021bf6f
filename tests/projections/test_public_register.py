"""The public register serves published data only: a deployment appears with its public
notice, its results when its register entry is published, and every later change as a new
public amendment event; each row is exactly the payload of its latest public event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.errors import RuleViolation
from domain.publication import PUBLIC_COLUMNS, PublicRecord
from domain.values import Adjudication, Disposal, EngagementOutcome, PreDeploymentCheck
from projections.readmodels import ReadModels
from projections.register import REGISTER_COLUMNS, counts_of
from runtime.bootstrap import Services, open_read_models, open_services
from runtime.settings import Settings
from tests.scenario import (
    AO,
    APPLICANT,
    ENGAGER,
    GOLD,
    OPERATOR,
    SYSTEM,
    Scenario,
    start_clock,
)


def _world(url: str, tmp_path: Path) -> tuple[Services, ReadModels, Scenario]:
    clock = start_clock()
    services = open_services(Settings(database_url=url, data_dir=tmp_path), clock=clock)
    return services, open_read_models(services.settings, services), Scenario(services.lfr, clock)


def _engaged_and_reported(s: Scenario) -> UUID:
    """A live deployment with one confirmed true alert (no outcome yet), ended and reported."""
    lfr = s.service
    s.live()
    alert = s.alert(0)
    lfr.adjudicate_alert(OPERATOR, alert, Adjudication.ENGAGE)
    lfr.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    lfr.submit_cancellation_report(GOLD, s.deployment, {"evaluation": "ok", "learning": "none"})
    return alert


def _publish(services: Services, models: ReadModels, deployment: UUID) -> None:
    models.catch_up()
    row = models.register_row(deployment)
    assert row is not None
    periods = models.threshold_periods(deployment)
    services.lfr.publish_register_entry(GOLD, deployment, counts_of(row), periods)
    models.catch_up()


def _public_events(services: Services, deployment: UUID) -> list[tuple[str, dict[str, Any]]]:
    """(event name, stored state) of the deployment's public events, in order."""
    events = services.lfr.recorder.select_events(PublicRecord.id_for(deployment))
    return [(e.topic.rpartition(".")[2], json.loads(e.state)) for e in events]


def test_a_deployment_is_public_from_its_public_notice_and_its_results_from_publication(
    tmp_path: Path,
) -> None:
    services, models, s = _world("memory:", tmp_path)
    s.granted()
    models.catch_up()
    assert models.public_register_row(s.deployment) is None, "no notice yet: not public"
    assert models.register_row(s.deployment) is not None, "officers see it in the working one"

    services.lfr.record_pre_deployment(GOLD, s.deployment, PreDeploymentCheck.PUBLIC_NOTICE, "up")
    models.catch_up()
    notice = models.public_register_row(s.deployment)
    assert notice is not None and notice["status"] == "announced"
    assert notice["location"] == "Oxford Circus" and notice["borough"] == "Westminster"
    assert notice["alerts"] is None and notice["faces_seen"] is None, "no results before it"

    s2 = Scenario(services.lfr, s.clock)
    alert = _engaged_and_reported(s2)
    models.catch_up()
    working = models.register_row(s2.deployment)
    assert working is not None and working["alerts"] == 1
    unpublished = models.public_register_row(s2.deployment)
    assert unpublished is not None and unpublished["alerts"] is None, "reported, not published"

    _publish(services, models, s2.deployment)
    published = models.public_register_row(s2.deployment)
    assert published is not None and published["status"] == "published"
    assert published["alerts"] == 1 and published["true_alerts_confirmed"] == 1
    assert published["arrests"] == 0 and published["watchlist_size"] == 2
    assert alert  # the alert is counted, and nothing of it but the count is public


def test_public_events_hold_exactly_the_public_row(tmp_path: Path) -> None:
    services, models, s = _world("memory:", tmp_path)
    _engaged_and_reported(s)
    _publish(services, models, s.deployment)
    events = _public_events(services, s.deployment)
    assert [name for name, _ in events] == ["PublicNoticePublished", "ResultsPublished"]
    for _, state in events:
        assert set(state) <= {"timestamp", "originator_topic", "row"}, state.keys()
        assert list(state["row"]) == list(PUBLIC_COLUMNS)
        assert "audit" not in json.dumps(state) and GOLD.id not in json.dumps(state)
    row = models.public_register_row(s.deployment)
    assert row is not None
    assert {c: row[c] for c in PUBLIC_COLUMNS} == events[-1][1]["row"]
    assert row["notification_ids"] == sorted(row["notification_ids"])
    assert list(row) == list(REGISTER_COLUMNS)


@pytest.mark.parametrize("store", ["memory", "postgres"])
def test_an_arrest_recorded_after_publication_is_a_new_public_amendment_event(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = "memory:" if store == "memory" else request.getfixturevalue("postgres_url")
    services, models, s = _world(url, tmp_path)
    alert = _engaged_and_reported(s)
    _publish(services, models, s.deployment)
    before = models.public_register_row(s.deployment)
    assert before is not None and before["arrests"] == 0

    services.lfr.record_outcome(ENGAGER, alert, Disposal.ARREST, "wanted by courts")
    models.catch_up()

    events = _public_events(services, s.deployment)
    names = [name for name, _ in events]
    assert names == ["PublicNoticePublished", "ResultsPublished", "ResultsAmended"]
    assert events[1][1]["row"]["arrests"] == 0, "the published entry is never changed"
    assert events[2][1]["row"]["arrests"] == 1
    after = models.public_register_row(s.deployment)
    assert after is not None and after["arrests"] == 1 and after["status"] == "amended"
    assert len(after["notification_ids"]) == 3
    assert set(before["notification_ids"]) < set(after["notification_ids"])

    models.catch_up()
    assert len(_public_events(services, s.deployment)) == 3, "no change, no amendment"


def test_a_change_projected_but_not_yet_amended_is_amended_by_the_next_process(
    tmp_path: Path, postgres_url: str
) -> None:
    services, models, s = _world(postgres_url, tmp_path)
    alert = _engaged_and_reported(s)
    _publish(services, models, s.deployment)
    services.lfr.record_outcome(ENGAGER, alert, Disposal.ARREST, "wanted by courts")
    models.projector.catch_up()  # projected, then the process stops before amending
    assert len(_public_events(services, s.deployment)) == 2

    restarted = open_read_models(services.settings, services)
    restarted.catch_up()
    assert [n for n, _ in _public_events(services, s.deployment)][-1] == "ResultsAmended"
    row = restarted.public_register_row(s.deployment)
    assert row is not None and row["arrests"] == 1


def test_rebuilding_the_read_models_publishes_nothing_new(tmp_path: Path) -> None:
    services, models, s = _world("memory:", tmp_path)
    alert = _engaged_and_reported(s)
    _publish(services, models, s.deployment)
    services.lfr.record_outcome(ENGAGER, alert, Disposal.ARREST, "wanted by courts")
    models.catch_up()
    public = models.public_register_row(s.deployment)
    head = models.public_head()

    models.rebuild()
    models.catch_up()
    assert len(_public_events(services, s.deployment)) == 3
    assert models.public_register_row(s.deployment) == public
    assert models.public_head() == head


@pytest.mark.parametrize(
    "counts, reason",
    [
        ({"alerts": 1, "officer": 3}, "has no figures"),
        ({"alerts": -1}, "whole number"),
        ({"alerts": "two"}, "whole number"),
        ({"alerts": True}, "whole number"),
        ({"alerts": 1.5}, "whole number"),
    ],
)
def test_publishing_refuses_anything_but_the_registers_figures(
    tmp_path: Path, counts: dict[str, Any], reason: str
) -> None:
    services, models, s = _world("memory:", tmp_path)
    _engaged_and_reported(s)
    with pytest.raises(RuleViolation, match=reason):
        services.lfr.publish_register_entry(GOLD, s.deployment, counts)
    models.catch_up()
    row = models.public_register_row(s.deployment)
    assert row is not None and row["status"] == "announced", "nothing half-published"


def test_a_register_entry_is_published_once_and_only_after_the_report(tmp_path: Path) -> None:
    services, models, s = _world("memory:", tmp_path)
    s.live()
    with pytest.raises(RuleViolation, match="after the cancellation report"):
        services.lfr.publish_register_entry(GOLD, s.deployment, {})
    services.lfr.end_deployment(GOLD, s.deployment, "planned end")
    report = {"evaluation": "as planned", "learning": "none"}
    services.lfr.submit_cancellation_report(GOLD, s.deployment, report)
    _publish(services, models, s.deployment)
    with pytest.raises(RuleViolation, match="already published"):
        services.lfr.publish_register_entry(GOLD, s.deployment, {})


def test_public_metrics_count_published_figures_only(tmp_path: Path) -> None:
    services, models, s = _world("memory:", tmp_path)
    _engaged_and_reported(s)
    models.catch_up()
    assert sum(m["alerts"] for m in models.public_metrics("month")) == 0
    assert sum(m["alerts"] for m in models.metrics("month")) == 1
    _publish(services, models, s.deployment)
    assert sum(m["alerts"] for m in models.public_metrics("month")) == 1


def _announced(s: Scenario) -> UUID:
    s.granted()
    s.service.record_pre_deployment(GOLD, s.deployment, PreDeploymentCheck.PUBLIC_NOTICE, "up")
    return s.deployment


def _cancel(s: Scenario) -> None:
    s.service.cancel_deployment(GOLD, s.deployment, "Intelligence no longer current")


def _withdraw(s: Scenario) -> None:
    assert s.application_id is not None
    s.service.withdraw_application(APPLICANT, s.application_id, "Operation stood down")


def _revoke(s: Scenario) -> None:
    assert s.application_id is not None
    s.service.revoke_authority(AO, s.application_id, "Not proportionate after review")


def _expire(s: Scenario) -> None:
    s.clock.advance(hours=10)  # past the authorised window, never started
    assert s.service.end_deployment_if_due(SYSTEM, s.deployment) is not None


@pytest.mark.parametrize(
    ("close", "shown"),
    [
        (_cancel, "cancelled before it started"),
        (_withdraw, "withdrawn before it started"),
        (_revoke, "authority revoked before it started"),
        (_expire, "authority expired unused"),
    ],
)
def test_an_announced_deployment_that_never_ran_shows_how_it_ended_on_the_public_register(
    close: Any, shown: str, tmp_path: Path
) -> None:
    services, models, s = _world("memory:", tmp_path)
    d = _announced(s)
    close(s)
    models.catch_up()

    row = models.public_register_row(d)
    assert row is not None
    assert (row["status"], row["ending"]) == ("closed", shown)
    assert row["ended_at"] is not None and row["alerts"] is None, "no results: it never ran"
    events = _public_events(services, d)
    assert [name for name, _ in events] == ["PublicNoticePublished", "EndingPublished"]
    assert {c: row[c] for c in PUBLIC_COLUMNS} == events[-1][1]["row"]
    assert "Intelligence" not in json.dumps(events) and "stood down" not in json.dumps(events)


def test_a_published_row_shows_every_threshold_in_force_and_the_alerts_left_unadjudicated(
    tmp_path: Path,
) -> None:
    services, models, s = _world("memory:", tmp_path)
    lfr, clock = services.lfr, s.clock
    s.live()
    alerts = [s.alert(0, track=f"t{n}") for n in range(3)]
    lfr.adjudicate_alert(OPERATOR, alerts[0], Adjudication.FALSE_ALERT)
    clock.advance(minutes=33)
    lfr.authorise_threshold_change(AO, s.deployment, 0.7, "Too many alerts to adjudicate")
    clock.advance(minutes=5)
    s.alert(1, track="after")
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    lfr.submit_cancellation_report(GOLD, s.deployment, {"evaluation": "ok", "learning": "none"})
    models.catch_up()
    services.lfr.publish_register_entry(
        GOLD,
        s.deployment,
        counts_of(models.register_row(s.deployment) or {}),
        models.threshold_periods(s.deployment),
    )
    models.catch_up()

    row = models.public_register_row(s.deployment)
    assert row is not None and row["ending"] == "ended by the Gold team"
    assert row["thresholds"] == "0.64: 3 alerts; 0.7 from 10:38 UTC: 1 alert"
    assert row["unadjudicated"] == 3

    lfr.adjudicate_alert(OPERATOR, alerts[1], Adjudication.FALSE_ALERT)  # after the end
    models.catch_up()
    amended = models.public_register_row(s.deployment)
    assert amended is not None and amended["status"] == "amended"
    assert amended["unadjudicated"] == 2 and amended["thresholds"] == row["thresholds"]
