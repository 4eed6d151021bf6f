from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotPermitted, RuleViolation
from domain.values import Actor, DecisionArea, Role, SensitiveFlag, WrittenAuthority, approve
from tests.scenario import (
    AO,
    APPLICANT,
    AUTHORITY,
    DECISIONS,
    GOLD,
    SECTIONS,
    VERSIONS,
    Scenario,
    proposal,
)

SECOND_AO = Actor("supt-second", Role.AUTHORISING_OFFICER)


def test_authorising_officer_cannot_be_the_applicant(scenario: Scenario) -> None:
    scenario.submitted()
    s, application = scenario.service, scenario.application_id
    applicant_as_ao = Actor(APPLICANT.id, Role.AUTHORISING_OFFICER)
    with pytest.raises(NotPermitted, match="assigned to another Authorising Officer"):
        s.grant_authority(applicant_as_ao, application, AUTHORITY)
    s.request_amendments(AO, application, "Name another officer")
    start = scenario.clock.now + timedelta(hours=1)
    with pytest.raises(RuleViolation, match="cannot be the applicant"):
        s.submit_application(APPLICANT, application, SECTIONS, proposal(start), APPLICANT.id)


def test_authority_needs_all_seven_decisions_with_rationale(scenario: Scenario) -> None:
    scenario.submitted()
    six = {k: v for k, v in DECISIONS.items() if k != DecisionArea.PROPORTIONALITY.value}
    with pytest.raises(RuleViolation, match="all 7 decisions.*v_proportionality"):
        scenario.service.grant_authority(
            AO, scenario.application_id, WrittenAuthority(six, VERSIONS, GOLD.id)
        )
    blank = {**DECISIONS, DecisionArea.LEGITIMATE_AIM.value: approve("  ")}
    with pytest.raises(RuleViolation, match="ii_legitimate_aim"):
        scenario.service.grant_authority(
            AO, scenario.application_id, WrittenAuthority(blank, VERSIONS, GOLD.id)
        )


def test_authority_records_the_document_versions(scenario: Scenario) -> None:
    scenario.submitted()
    with pytest.raises(RuleViolation, match="versions.*missing"):
        scenario.service.grant_authority(
            AO, scenario.application_id, WrittenAuthority(DECISIONS, {}, GOLD.id)
        )
    scenario.service.grant_authority(AO, scenario.application_id, AUTHORITY)
    authority = scenario.service.repository.get(scenario.application_id)
    assert authority.document_versions == VERSIONS
    assert authority.status == "granted"


def test_only_an_authorising_officer_may_grant(scenario: Scenario) -> None:
    scenario.submitted()
    with pytest.raises(NotPermitted, match="ci-gold may not act"):
        scenario.service.grant_authority(GOLD, scenario.application_id, AUTHORITY)


def test_application_needs_all_eight_sections_and_the_intelligence_case(scenario: Scenario) -> None:
    s = scenario.service
    app_id = s.identify_need(APPLICANT, "objective", "Crime Hotspot")
    start = scenario.clock.now
    with pytest.raises(RuleViolation, match="intelligence case"):
        s.submit_application(APPLICANT, app_id, SECTIONS, proposal(start), AO.id)
    s.submit_intelligence_case(APPLICANT, app_id, "F3-1", "basis")
    partial = dict(list(SECTIONS.items())[:7])
    with pytest.raises(RuleViolation, match="8_compliance_and_assessments"):
        s.submit_application(APPLICANT, app_id, partial, proposal(start), AO.id)


def test_threshold_below_the_floor_is_never_authorised(scenario: Scenario) -> None:
    scenario.submitted(threshold=0.55)
    with pytest.raises(RuleViolation, match="below the authorised floor"):
        scenario.service.grant_authority(AO, scenario.application_id, AUTHORITY)


def test_sensitive_inclusions_need_the_ao_rationale(scenario: Scenario) -> None:
    scenario.submitted(sensitive_inclusions=(SensitiveFlag.UNDER_18,))
    with pytest.raises(RuleViolation, match="under_18"):
        scenario.service.grant_authority(AO, scenario.application_id, AUTHORITY)
    scenario.service.grant_authority(
        AO,
        scenario.application_id,
        WrittenAuthority(
            DECISIONS,
            VERSIONS,
            GOLD.id,
            {"under_18": "Missing 16-year-old at risk of exploitation"},
        ),
    )


def test_amendments_return_the_application_to_the_applicant(scenario: Scenario) -> None:
    scenario.submitted()
    s = scenario.service
    s.request_amendments(AO, scenario.application_id, "Explain the camera positions")
    with pytest.raises(RuleViolation, match="not awaiting a decision"):
        s.grant_authority(AO, scenario.application_id, AUTHORITY)
    s.submit_application(
        APPLICANT, scenario.application_id, SECTIONS, proposal(scenario.clock.now), AO.id
    )
    s.grant_authority(AO, scenario.application_id, AUTHORITY)


def test_rejected_application_cannot_be_granted(scenario: Scenario) -> None:
    scenario.submitted()
    scenario.service.reject_application(AO, scenario.application_id, "Not necessary")
    with pytest.raises(RuleViolation, match="rejected"):
        scenario.service.grant_authority(AO, scenario.application_id, AUTHORITY)


def test_urgent_authority_lapses_unless_confirmed_in_time(scenario: Scenario) -> None:
    scenario.submitted()
    s = scenario.service
    s.grant_urgent_authority(
        AO, scenario.application_id, "Credible threat at today's event", AUTHORITY
    )
    authority = s.repository.get(scenario.application_id)
    assert authority.in_force(scenario.clock.now)
    scenario.clock.advance(hours=49)
    assert not s.repository.get(scenario.application_id).in_force(scenario.clock.now)
    with pytest.raises(RuleViolation, match="lapsed"):
        s.confirm_urgent_authority(SECOND_AO, scenario.application_id, "Confirmed on review")


def test_urgent_authority_confirmed_becomes_granted(scenario: Scenario) -> None:
    scenario.submitted()
    s = scenario.service
    s.grant_urgent_authority(AO, scenario.application_id, "Threat", AUTHORITY)
    scenario.clock.advance(hours=2)
    s.confirm_urgent_authority(SECOND_AO, scenario.application_id, "Confirmed on full review")
    assert s.repository.get(scenario.application_id).status == "granted"


def test_threshold_change_is_its_own_authorised_decision(scenario: Scenario) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    with pytest.raises(NotPermitted):
        s.authorise_threshold_change(GOLD, d, 0.7, "fewer alerts")
    with pytest.raises(RuleViolation, match="below the authorised floor"):
        s.authorise_threshold_change(AO, d, 0.58, "more alerts")
    s.authorise_threshold_change(AO, d, 0.66, "NPL guidance")
    assert s.repository.get(d).threshold == 0.66
    with pytest.raises(RuleViolation, match="below the authorised threshold 0.66"):
        s.raise_alert(scenario.worker, scenario.match(score=0.65))
