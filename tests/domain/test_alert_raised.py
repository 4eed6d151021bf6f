"""A new alert's event decided without building the alert (the ingest's way): the same rules,
and the same alert once the event is applied."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.alert import Alert
from domain.deployment import Deployment
from domain.errors import NotPermitted, RuleViolation
from domain.values import Audit
from tests.scenario import Scenario

SEALED = b"sealed probe"


def _deployment(scenario: Scenario) -> Deployment:
    return scenario.service.load(Deployment, scenario.deployment)


def _worker_audit(scenario: Scenario) -> Audit:
    return scenario.service.audit(scenario.worker)


def test_the_raised_event_makes_the_alert_that_raising_it_makes(scenario: Scenario) -> None:
    deployment, audit, match = (
        _deployment(scenario.live()),
        _worker_audit(scenario),
        scenario.match(),
    )

    raised: object = Alert.raised(audit, deployment, match, SEALED)
    alert = Alert.raise_alert(audit, deployment, match, SEALED)

    assert isinstance(raised, Alert.AlertRaised)  # type: ignore[attr-defined]
    made = alert.collect_events()[0]
    assert type(made) is type(raised)
    timeless = {k: v for k, v in vars(raised).items() if k != "timestamp"}
    assert timeless == {k: v for k, v in vars(made).items() if k != "timestamp"}
    assert (raised.originator_id, raised.originator_version) == (Alert.create_id(match.match_id), 1)
    assert raised.audit.deployment_id == str(deployment.id)  # tied to its deployment
    assert vars(raised.mutate(None)) | {"_created_on": None, "_modified_on": None} == vars(
        alert
    ) | {
        "_created_on": None,
        "_modified_on": None,
    }


def test_no_alert_event_is_raised_before_the_deployment_is_live(scenario: Scenario) -> None:
    deployment = _deployment(scenario.prepared())
    with pytest.raises(RuleViolation, match="only while the deployment is live; it is planned"):
        Alert.raised(_worker_audit(scenario), deployment, scenario.match(), SEALED)


def test_no_alert_event_is_raised_below_the_threshold_or_off_the_watchlist(
    scenario: Scenario,
) -> None:
    deployment, audit = _deployment(scenario.live()), _worker_audit(scenario)
    with pytest.raises(RuleViolation, match="below the authorised threshold"):
        Alert.raised(audit, deployment, scenario.match(score=0.1), SEALED)
    stranger = replace(scenario.match(), entry_id=scenario.deployment)
    with pytest.raises(RuleViolation, match="not on this deployment's watchlist"):
        Alert.raised(audit, deployment, stranger, SEALED)
    elsewhere = replace(scenario.match(), camera_id="camera-99")
    with pytest.raises(RuleViolation, match="camera 'camera-99'"):
        Alert.raised(audit, deployment, elsewhere, SEALED)


def test_only_a_worker_or_the_system_raises_an_alert_event(scenario: Scenario) -> None:
    deployment = _deployment(scenario.live())
    officer = Audit("officer-1", "engagement_officer", scenario.clock.now)
    with pytest.raises(NotPermitted):
        Alert.raised(officer, deployment, scenario.match(), SEALED)
