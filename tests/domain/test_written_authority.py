"""The Written Authority's content: structured decisions, pinned documents, windows and
rationale; its urgent route confirmed by a second officer. On every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotPermitted, RuleViolation
from domain.values import (
    Actor,
    DecisionArea,
    Role,
    WrittenAuthority,
    refuse,
)
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


def test_a_refused_decision_refuses_the_grant(stored: Scenario) -> None:
    stored.submitted()
    s = stored.service
    refused = {
        **DECISIONS,
        DecisionArea.PROPORTIONALITY.value: refuse("REFUSED - not proportionate"),
    }
    with pytest.raises(RuleViolation, match=r"refused \['v_proportionality'\]"):
        s.grant_authority(AO, stored.application_id, WrittenAuthority(refused, VERSIONS, GOLD.id))
    assert s.repository.get(stored.application_id).status == "submitted"
    s.grant_authority(AO, stored.application_id, AUTHORITY)


def test_a_window_wholly_in_the_past_is_never_granted(stored: Scenario) -> None:
    s = stored.service
    stored.submitted()
    stored.clock.advance(hours=10)  # the 8-hour window, an hour ahead when applied for, is over
    with pytest.raises(RuleViolation, match="window wholly in the past is never authorised"):
        s.grant_authority(AO, stored.application_id, AUTHORITY)
    application = s.identify_need(APPLICANT, "objective", "Crime Hotspot")
    s.submit_intelligence_case(APPLICANT, application, "F3-1", "basis")
    past = proposal(stored.clock.now - timedelta(hours=9))
    with pytest.raises(RuleViolation, match="window wholly in the past cannot be applied for"):
        s.submit_application(APPLICANT, application, SECTIONS, past, AO.id)


@pytest.mark.parametrize(
    ("versions", "refusal"),
    [
        ({**VERSIONS, "x": "1"}, r"unknown MPS LFR documents: \['x'\]"),
        ({**VERSIONS, "policy": "1999.9"}, r"no such version of policy '1999.9'"),
        ({"x": "1"}, r"missing: \['policy', 'sop', 'legal_mandate', 'dpia'\]"),
    ],
)
def test_unknown_policy_documents_or_versions_are_refused(
    stored: Scenario, versions: dict[str, str], refusal: str
) -> None:
    stored.submitted()
    with pytest.raises(RuleViolation, match=refusal):
        stored.service.grant_authority(
            AO, stored.application_id, WrittenAuthority(DECISIONS, versions, GOLD.id)
        )


def test_elevated_privacy_location_needs_the_ao_rationale(stored: Scenario) -> None:
    stored.submitted(elevated_privacy=True)
    s = stored.service
    with pytest.raises(RuleViolation, match="location of elevated privacy must be given"):
        s.grant_authority(AO, stored.application_id, AUTHORITY)
    explained = WrittenAuthority(
        DECISIONS, VERSIONS, GOLD.id, elevated_privacy_rationale="Near a clinic: cameras face away"
    )
    s.grant_authority(AO, stored.application_id, explained)
    assert s.repository.get(stored.application_id).status == "granted"


def test_urgent_authority_is_confirmed_by_a_different_authorising_officer(
    stored: Scenario,
) -> None:
    stored.submitted()
    s, app = stored.service, stored.application_id
    s.grant_urgent_authority(AO, app, "Credible threat at today's event", AUTHORITY)
    with pytest.raises(RuleViolation, match="confirmed by a different Authorising Officer"):
        s.confirm_urgent_authority(AO, app, "I confirm my own grant")
    with pytest.raises(NotPermitted, match="authorising_officer"):
        s.confirm_urgent_authority(GOLD, app, "Gold confirms")
    applicant_as_ao = Actor(APPLICANT.id, Role.AUTHORISING_OFFICER)
    with pytest.raises(RuleViolation, match="cannot be the applicant"):
        s.confirm_urgent_authority(applicant_as_ao, app, "Confirmed")
    s.confirm_urgent_authority(SECOND_AO, app, "Confirmed on full review")
    assert s.repository.get(app).status == "granted"
