from __future__ import annotations

from datetime import date

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET, HoldBasis, HoldRequest
from domain.errors import DataErased, NotPermitted, RuleViolation
from domain.values import Adjudication, Disposal, EngagementOutcome
from tests.scenario import DPO, ENGAGER, GOLD, OPERATOR, SYSTEM, Scenario, probe_jpeg


def test_alert_is_refused_before_the_deployment_is_live(scenario: Scenario) -> None:
    scenario.prepared()
    with pytest.raises(RuleViolation, match="only while the deployment is live; it is planned"):
        scenario.alert()


def test_alert_is_refused_while_paused_and_after_the_end(scenario: Scenario) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    s.pause_deployment(GOLD, d, "pause")
    with pytest.raises(RuleViolation, match="it is paused"):
        scenario.alert()
    s.resume_deployment(GOLD, d)
    s.end_deployment(GOLD, d, "done")
    with pytest.raises(RuleViolation, match="it is ended"):
        scenario.alert()


def test_alert_below_the_threshold_is_refused(scenario: Scenario) -> None:
    scenario.live()
    with pytest.raises(RuleViolation, match="below the authorised threshold"):
        scenario.service.raise_alert(scenario.worker, scenario.match(score=0.5))


def test_replayed_match_raises_one_alert(scenario: Scenario) -> None:
    scenario.live()
    first = scenario.alert()
    assert scenario.alert() == first
    assert scenario.service.repository.get(first).version == 1


def test_only_an_engagement_officer_or_operator_adjudicates(scenario: Scenario) -> None:
    scenario.live()
    alert_id = scenario.alert()
    with pytest.raises(NotPermitted, match="engagement_officer or operator"):
        scenario.service.adjudicate_alert(GOLD, alert_id, Adjudication.ENGAGE)


def test_no_action_is_recorded_before_adjudication(scenario: Scenario) -> None:
    scenario.live()
    alert_id = scenario.alert()
    with pytest.raises(RuleViolation, match="before it is adjudicated"):
        scenario.service.record_engagement(
            ENGAGER, alert_id, EngagementOutcome.CONFIRMED_TRUE, 120, stop=TOLD_AND_GIVEN_LEAFLET
        )
    with pytest.raises(RuleViolation, match="before it is adjudicated"):
        scenario.service.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "wanted on warrant")


def test_adjudication_records_officer_outcome_and_time(scenario: Scenario) -> None:
    scenario.live()
    alert_id = scenario.alert()
    scenario.service.adjudicate_alert(
        OPERATOR, alert_id, Adjudication.FALSE_ALERT, "different person"
    )
    adjudication = scenario.service.repository.get(alert_id).adjudication
    assert adjudication["officer"] == OPERATOR.id
    assert adjudication["decision"] == "false_alert"
    assert adjudication["at"] == scenario.clock.now
    with pytest.raises(RuleViolation, match="already been adjudicated"):
        scenario.service.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE)
    with pytest.raises(RuleViolation, match="false alert: no engagement"):
        scenario.service.record_engagement(
            ENGAGER, alert_id, EngagementOutcome.CONFIRMED_TRUE, 1, stop=TOLD_AND_GIVEN_LEAFLET
        )


def test_alert_pending_at_the_end_is_adjudicated_afterwards_until_its_data_is_erased(
    scenario: Scenario,
) -> None:
    scenario.live()
    pending, late = scenario.alert(track="t1"), scenario.alert(track="t2")
    scenario.service.end_deployment(GOLD, scenario.deployment, "done")
    scenario.service.adjudicate_alert(ENGAGER, pending, Adjudication.ENGAGE)
    assert scenario.service.repository.get(pending).adjudication["decision"] == "engage"
    scenario.service.erase_alert_data(SYSTEM, late, "alert data after 31 days")
    with pytest.raises(RuleViolation, match="erased under its retention rule"):
        scenario.service.adjudicate_alert(ENGAGER, late, Adjudication.ENGAGE)


def test_arrest_needs_a_confirmed_true_alert(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    alert_id = scenario.alert()
    s.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE)
    s.record_engagement(
        ENGAGER, alert_id, EngagementOutcome.CONFIRMED_FALSE, 180, stop=TOLD_AND_GIVEN_LEAFLET
    )
    with pytest.raises(RuleViolation, match="arrest needs a confirmed true alert"):
        s.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "x")
    s.record_outcome(ENGAGER, alert_id, Disposal.NO_FURTHER_ACTION, "Not the person; leaflet given")


def test_confirmed_true_alert_leads_to_arrest(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    alert_id = scenario.alert()
    s.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE, "viable match")
    s.record_engagement(
        ENGAGER, alert_id, EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    s.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "Wanted by courts")
    assert s.repository.get(alert_id).outcome["disposal"] == "arrest"


def test_reading_a_probe_image_needs_a_justification_and_is_logged(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    alert_id = scenario.alert()
    with pytest.raises(RuleViolation, match="s.62"):
        s.consult_probe_image(OPERATOR, alert_id, "")
    assert s.consult_probe_image(OPERATOR, alert_id, "Adjudicating the alert") == probe_jpeg()
    logs = [
        n
        for n in s.recorder.select_notifications(start=1, limit=1000)
        if "PersonalDataConsulted" in n.topic
    ]
    assert len(logs) == 1


def test_legal_hold_stops_erasure_until_lifted(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    alert_id = scenario.alert()
    s.place_legal_hold(
        DPO,
        alert_id,
        HoldRequest(HoldBasis.INVESTIGATION, "Arrest; investigation open", date(2027, 1, 1)),
    )
    with pytest.raises(RuleViolation, match="legal hold"):
        s.erase_alert_data(SYSTEM, alert_id, "alert data after 31 days")
    s.lift_legal_hold(DPO, alert_id, "CPS: no further action")
    s.erase_alert_data(SYSTEM, alert_id, "alert data after 31 days")
    with pytest.raises(DataErased):
        s.consult_probe_image(OPERATOR, alert_id, "curious")
