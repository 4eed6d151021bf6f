from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.errors import NotPermitted, RuleViolation
from domain.values import (
    Actor,
    PreDeploymentCheck,
    Role,
    SensitiveFlag,
    WatchlistCategory,
    WrittenAuthority,
)
from tests.scenario import (
    AO,
    APPLICANT,
    AUTHORITY,
    DECISIONS,
    GOLD,
    LOCATION,
    OPERATOR,
    VERSIONS,
    Scenario,
    entry,
)


def test_no_deployment_before_the_authorised_window(scenario: Scenario) -> None:
    scenario.prepared()
    with pytest.raises(RuleViolation, match="outside the authorised window"):
        scenario.service.start_deployment(GOLD, scenario.deployment)


def test_no_deployment_after_the_authorised_window(scenario: Scenario) -> None:
    scenario.prepared()
    scenario.clock.advance(hours=10)
    with pytest.raises(RuleViolation, match="outside the authorised window"):
        scenario.service.start_deployment(GOLD, scenario.deployment)


def test_no_deployment_with_a_camera_the_authority_does_not_list(scenario: Scenario) -> None:
    scenario.prepared()
    scenario.clock.advance(hours=2)
    with pytest.raises(RuleViolation, match=r"cameras \['camera-brixton'\] are not listed"):
        scenario.service.start_deployment(GOLD, scenario.deployment, ["camera-brixton"])
    scenario.service.start_deployment(GOLD, scenario.deployment, ["camera-1"])
    deployment = scenario.service.repository.get(scenario.deployment)
    assert deployment.live_cameras == ["camera-1"]
    assert deployment.location["name"] == LOCATION.name


def test_no_deployment_on_a_lapsed_urgent_authority(scenario: Scenario) -> None:
    scenario.submitted()
    s = scenario.service
    d = s.grant_urgent_authority(AO, scenario.application_id, "Threat", AUTHORITY)
    scenario.deployment_id = d
    scenario.clock.advance(hours=49)
    with pytest.raises(RuleViolation):
        s.start_deployment(GOLD, d)


def test_no_deployment_without_pre_deployment_activity(scenario: Scenario) -> None:
    scenario.granted()
    scenario.clock.advance(hours=2)
    with pytest.raises(RuleViolation, match="pre-deployment activity not recorded"):
        scenario.service.start_deployment(GOLD, scenario.deployment)


def test_only_the_named_gold_appoints_the_command(scenario: Scenario) -> None:
    scenario.granted()
    from domain.values import Actor, Role

    other_gold = Actor("ci-other", Role.GOLD)
    with pytest.raises(NotPermitted, match="not the Gold named in the authority"):
        scenario.service.appoint_command(other_gold, scenario.deployment, {"silver": ["x"]})


def test_watchlist_entry_from_an_unauthorised_category_is_refused(scenario: Scenario) -> None:
    scenario.granted()
    details = entry("WL-9", category=WatchlistCategory.VICTIM_OR_WITNESS)
    with pytest.raises(RuleViolation, match="not authorised"):
        scenario.service.add_watchlist_entry(
            APPLICANT, scenario.deployment, details, b"i", b"t", "m"
        )


@pytest.mark.parametrize("field", ["source", "legal_basis"])
def test_watchlist_entry_needs_source_and_legal_basis(scenario: Scenario, field: str) -> None:
    scenario.granted()
    with pytest.raises(RuleViolation, match=field.replace("_", " ")):
        scenario.service.add_watchlist_entry(
            APPLICANT, scenario.deployment, entry("WL-1", **{field: ""}), b"i", b"t", "m"
        )


def test_watchlist_image_cannot_be_dated_in_the_future(scenario: Scenario) -> None:
    scenario.granted()
    with pytest.raises(RuleViolation, match="future"):
        scenario.service.add_watchlist_entry(
            APPLICANT,
            scenario.deployment,
            entry("WL-1", image_date=date(2030, 1, 1)),
            b"i",
            b"t",
            "m",
        )


def test_sensitive_watchlist_entry_needs_the_authority_to_explain_its_kind(
    scenario: Scenario,
) -> None:
    scenario.granted()
    under_13 = entry("WL-1", sensitive_flags=(SensitiveFlag.UNDER_13,))
    with pytest.raises(RuleViolation, match="no AO rationale for under_13"):
        scenario.service.add_watchlist_entry(
            APPLICANT, scenario.deployment, under_13, b"i", b"t", "m"
        )


def test_applicant_cannot_type_the_ao_rationale_of_a_sensitive_entry(
    scenario: Scenario,
) -> None:
    d = sensitive_authority(scenario)
    typed = entry(
        "WL-1",
        sensitive_flags=(SensitiveFlag.NON_POLICE_IMAGE,),
        ao_rationale="Only recent image; family consent",
    )
    with pytest.raises(RuleViolation, match="only the Authorising Officer records"):
        scenario.service.add_watchlist_entry(APPLICANT, d, typed, b"i", b"t", "m")


def test_sensitive_entry_joins_the_watchlist_once_its_ao_records_the_rationale(
    scenario: Scenario,
) -> None:
    s = scenario.service
    d = sensitive_authority(scenario)
    bare = entry("WL-1", sensitive_flags=(SensitiveFlag.NON_POLICE_IMAGE,))
    entry_id = s.add_watchlist_entry(APPLICANT, d, bare, b"i", b"t", "m")
    with pytest.raises(RuleViolation, match=rf"\['{entry_id}'\] await the Authorising Officer"):
        s.compile_watchlist(APPLICANT, d, [entry_id])
    with pytest.raises(NotPermitted, match="authorising_officer"):
        s.record_entry_rationale(APPLICANT, entry_id, "Only recent image; family consent")
    other_ao = Actor("supt-other", Role.AUTHORISING_OFFICER)
    with pytest.raises(NotPermitted, match="assigned to another Authorising Officer"):
        s.record_entry_rationale(other_ao, entry_id, "Only recent image; family consent")
    s.record_entry_rationale(AO, entry_id, "Only recent image; family consent")
    stored = s.repository.get(entry_id)
    assert stored.ao_rationale_recorded
    assert b"family consent" not in stored.sealed_ao_rationale  # sealed under the entry's key
    s.compile_watchlist(APPLICANT, d, [entry_id])


def sensitive_authority(scenario: Scenario) -> UUID:
    scenario.submitted(sensitive_inclusions=(SensitiveFlag.NON_POLICE_IMAGE,))
    return scenario.service.grant_authority(
        AO,
        scenario.application_id,
        WrittenAuthority(
            DECISIONS, VERSIONS, GOLD.id, {"non_police_image": "Family photo of a missing person"}
        ),
    )


def test_watchlist_larger_than_authorised_is_refused(scenario: Scenario) -> None:
    scenario.granted(watchlist_max_size=1)
    s, d = scenario.service, scenario.deployment
    ids = [
        s.add_watchlist_entry(APPLICANT, d, entry(f"WL-{n}"), b"i", bytes([n]), "m")
        for n in range(2)
    ]
    with pytest.raises(RuleViolation, match="exceeds the authorised size 1"):
        s.compile_watchlist(APPLICANT, d, ids)
    s.authorise_watchlist_size(AO, d, 2, "Two more wanted offenders linked")
    s.compile_watchlist(APPLICANT, d, ids)


def test_watchlist_is_reviewed_before_import(scenario: Scenario) -> None:
    scenario.granted()
    s, d = scenario.service, scenario.deployment
    s.appoint_command(GOLD, d, {"operators": [OPERATOR.id]})
    ids = [s.add_watchlist_entry(APPLICANT, d, entry("WL-1"), b"i", b"t", "m")]
    s.compile_watchlist(APPLICANT, d, ids)
    with pytest.raises(RuleViolation, match="reviewed before import"):
        s.import_watchlist(OPERATOR, d, "USB")


def test_deployment_runs_pauses_resumes_and_ends(scenario: Scenario) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    s.pause_deployment(GOLD, d, "Crowd surge")
    assert s.deployment_status(d) == "paused"
    s.resume_deployment(OPERATOR, d)
    s.end_deployment(GOLD, d, "Operation complete")
    assert s.deployment_status(d) == "ended"
    with pytest.raises(RuleViolation, match="cannot end"):
        s.end_deployment(GOLD, d, "again")


def test_cancellation_report_follows_the_end_and_precedes_the_register(scenario: Scenario) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    report = {"evaluation": "Met objectives", "learning": "Move camera 2"}
    with pytest.raises(RuleViolation, match="follows the end"):
        s.submit_cancellation_report(GOLD, d, report)
    with pytest.raises(RuleViolation, match="after the cancellation report"):
        s.publish_register_entry(GOLD, d, {"alerts": 0})
    s.end_deployment(GOLD, d, "done")
    with pytest.raises(NotPermitted):
        s.submit_cancellation_report(OPERATOR, d, report)
    s.submit_cancellation_report(GOLD, d, report)
    s.publish_register_entry(GOLD, d, {"alerts": 0})
    assert s.deployment_status(d) == "published"


def test_pre_deployment_check_needs_its_detail(scenario: Scenario) -> None:
    scenario.granted()
    with pytest.raises(RuleViolation, match="signage"):
        scenario.service.record_pre_deployment(
            GOLD, scenario.deployment, PreDeploymentCheck.SIGNAGE, ""
        )
