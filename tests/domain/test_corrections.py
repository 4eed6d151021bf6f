"""Corrections are new events with a reason and an authorised actor; history keeps both.
On every store."""

from __future__ import annotations

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.errors import NotPermitted, RuleViolation
from domain.values import Adjudication, Disposal, EngagementOutcome
from tests.scenario import ENGAGER, GOLD, OPERATOR, Scenario


def events_of(stored: Scenario, aggregate_id: object) -> list[str]:
    return [
        type(e).__name__
        for e in stored.service.repository.event_store.get(aggregate_id)  # type: ignore[arg-type]
    ]


def test_an_adjudication_is_corrected_by_a_new_event_with_its_reason(stored: Scenario) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    s.adjudicate_alert(OPERATOR, alert, Adjudication.FALSE_ALERT)
    with pytest.raises(NotPermitted, match="engagement_officer or operator"):
        s.correct_adjudication(GOLD, alert, Adjudication.ENGAGE, "Second look")
    with pytest.raises(RuleViolation, match="reason for the correction must be given"):
        s.correct_adjudication(ENGAGER, alert, Adjudication.ENGAGE, " ")
    with pytest.raises(RuleViolation, match="already adjudicated as false_alert"):
        s.correct_adjudication(ENGAGER, alert, Adjudication.FALSE_ALERT, "Same again")
    s.correct_adjudication(ENGAGER, alert, Adjudication.ENGAGE, "Tattoo matches on a second look")
    record = s.repository.get(alert)
    assert record.adjudication["decision"] == "engage"
    assert record.adjudication["officer"] == ENGAGER.id
    assert record.corrections == [{"kind": "adjudication", "was": "false_alert", "by": ENGAGER.id}]
    sealed = record.sealed_notes["correction-1"]
    assert b"Tattoo" not in sealed  # the reason is about the person: sealed under its key
    assert events_of(stored, alert)[-2:] == ["AlertAdjudicated", "AdjudicationCorrected"]


def test_an_adjudication_followed_by_an_engagement_is_not_re_adjudicated(
    stored: Scenario,
) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    with pytest.raises(RuleViolation, match="only an adjudicated alert"):
        s.correct_adjudication(ENGAGER, alert, Adjudication.ENGAGE, "first")
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    s.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_FALSE, 120, stop=TOLD_AND_GIVEN_LEAFLET
    )
    with pytest.raises(RuleViolation, match="correct the engagement's outcome instead"):
        s.correct_adjudication(ENGAGER, alert, Adjudication.FALSE_ALERT, "Was not them")


def test_an_outcome_is_amended_by_a_new_event_with_its_reason(stored: Scenario) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    with pytest.raises(RuleViolation, match="only a recorded outcome can be amended"):
        s.amend_outcome(ENGAGER, alert, Disposal.ARREST, "arrested")
    s.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    s.record_outcome(ENGAGER, alert, Disposal.NO_FURTHER_ACTION, "Warrant already executed")
    with pytest.raises(NotPermitted, match="engagement_officer"):
        s.amend_outcome(OPERATOR, alert, Disposal.ARREST, "Arrested after all")
    s.amend_outcome(ENGAGER, alert, Disposal.ARREST, "Custody record shows the arrest")
    record = s.repository.get(alert)
    assert record.outcome["disposal"] == "arrest"
    assert record.corrections[-1]["was"] == "no_further_action"
    assert record.legal_hold, "an arrest holds the alert for its investigation"
    assert events_of(stored, alert)[-3:] == ["OutcomeRecorded", "OutcomeAmended", "LegalHoldPlaced"]


def test_an_arrest_is_never_amended_onto_a_stop_that_was_not_a_true_alert(
    stored: Scenario,
) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    s.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_FALSE, 90, stop=TOLD_AND_GIVEN_LEAFLET
    )
    s.record_outcome(ENGAGER, alert, Disposal.NO_FURTHER_ACTION, "Not the person sought")
    with pytest.raises(RuleViolation, match="arrest needs a confirmed true alert"):
        s.amend_outcome(ENGAGER, alert, Disposal.ARREST, "typo")


def test_gold_amends_the_submitted_report_and_history_keeps_both(stored: Scenario) -> None:
    stored.live()
    s, d = stored.service, stored.deployment
    first = {"evaluation": "Went to plan", "learning": "None"}
    with pytest.raises(RuleViolation, match="only a submitted cancellation report"):
        s.amend_cancellation_report(GOLD, d, first, "early")
    s.end_deployment(GOLD, d, "planned end")
    s.submit_cancellation_report(GOLD, d, first)
    amended = {"evaluation": "Went to plan", "learning": "Signage was late at one exit"}
    with pytest.raises(NotPermitted, match="gold"):
        s.amend_cancellation_report(OPERATOR, d, amended, "learning omitted")
    with pytest.raises(RuleViolation, match="reason for the amendment must be given"):
        s.amend_cancellation_report(GOLD, d, amended, "")
    with pytest.raises(RuleViolation, match="same as the one in force"):
        s.amend_cancellation_report(GOLD, d, first, "no change")
    s.amend_cancellation_report(GOLD, d, amended, "Learning omitted at first")
    record = s.repository.get(d)
    assert record.report == amended and record.status == "reported"
    assert record.report_amendments[0]["reason"] == "Learning omitted at first"
    assert events_of(stored, d)[-2:] == ["CancellationReportSubmitted", "CancellationReportAmended"]
