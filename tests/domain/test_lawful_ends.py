"""Every deployment has a lawful end, each recorded with its reason and starting the
watchlist's 24-hour clock: the window closing, an urgent authority lapsing, withdrawal,
revocation, cancellation and expiry. The authority is enforced at run time. On every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import worker
from domain.errors import NotPermitted, RuleViolation
from domain.values import Actor, Ending, Role
from services.retention import RetentionRules, retention_view
from tests.scenario import (
    AO,
    APPLICANT,
    AUTHORITY,
    DPO,
    GOLD,
    OPERATOR,
    SYSTEM,
    WORKER,
    Scenario,
)

CLOCK_KEEPER = Actor("deployment-clock", Role.SYSTEM)
RULES = RetentionRules(timedelta(days=31), timedelta(hours=24), timedelta(minutes=60))


def ended(stored: Scenario) -> tuple[str, str, str]:
    deployment = stored.service.repository.get(stored.deployment)
    return deployment.status, deployment.ending, deployment.end_reason


def watchlist_deadline_starts(stored: Scenario) -> None:
    """The watchlist's entries each have a deadline 24 hours after the end."""
    s = stored.service
    ended_at = s.repository.get(stored.deployment).ended_at
    view = retention_view(s, RULES, stored.clock.now)
    deadlines = {i.deadline for i in view.items if i.kind == "watchlist_entry"}
    assert deadlines == {ended_at + timedelta(hours=24)}


# -- run time ---------------------------------------------------------------------------------


def test_templates_are_released_only_inside_the_window_to_an_authorised_camera(
    stored: Scenario,
) -> None:
    stored.live()
    s, d = stored.service, stored.deployment
    assert len(s.watchlist_templates(d, "camera-1")) == 2
    with pytest.raises(RuleViolation, match="camera 'camera-9' is not one the deployment started"):
        s.watchlist_templates(d, "camera-9")
    stored.clock.advance(hours=8)  # the window has closed, nobody has ended the deployment yet
    with pytest.raises(RuleViolation, match="only inside the authorised window"):
        s.watchlist_templates(d, "camera-1")


def test_alert_from_a_camera_the_authority_does_not_list_is_refused(stored: Scenario) -> None:
    stored.live()
    match = stored.match()
    with pytest.raises(RuleViolation, match="camera 'camera-9' is not one the deployment"):
        stored.service.raise_alert(
            worker(WORKER.id, stored.deployment, ("camera-9",)),
            type(match)(**{**match.__dict__, "camera_id": "camera-9"}),
        )


def test_deployment_ends_by_itself_when_its_window_closes(stored: Scenario) -> None:
    stored.live()
    s, d = stored.service, stored.deployment
    stored.alert(track="before-the-end")
    assert s.end_deployment_if_due(CLOCK_KEEPER, d) is None  # inside the window: goes on
    assert s.deployment_status(d) == "live"
    stored.clock.advance(hours=8)
    assert s.end_deployment_if_due(CLOCK_KEEPER, d) is Ending.WINDOW_ENDED
    status, ending, reason = ended(stored)
    assert (status, ending) == ("ended", "window_ended")
    assert reason.startswith("the authorised window closed at")
    with pytest.raises(RuleViolation, match="only while the deployment is live; it is ended"):
        stored.alert(track="after-the-end")
    assert s.end_deployment_if_due(CLOCK_KEEPER, d) is None  # already ended: nothing to do
    watchlist_deadline_starts(stored)


def test_only_the_system_ends_a_deployment_because_its_time_is_up(stored: Scenario) -> None:
    stored.live()
    stored.clock.advance(hours=8)
    with pytest.raises(NotPermitted, match="system"):
        stored.service.end_deployment_if_due(OPERATOR, stored.deployment)


def test_urgent_authority_that_lapses_unconfirmed_ends_its_deployment(stored: Scenario) -> None:
    stored.submitted()
    s = stored.service
    app = stored.application_id
    stored.deployment_id = s.grant_urgent_authority(AO, app, "Credible threat today", AUTHORITY)
    stored.clock.advance(hours=2)
    assert s.end_deployment_if_due(CLOCK_KEEPER, stored.deployment) is None
    stored.clock.advance(hours=47)  # 49 hours: past the 48-hour confirmation deadline
    ending = s.end_deployment_if_due(CLOCK_KEEPER, stored.deployment)
    assert ending is Ending.URGENT_AUTHORITY_LAPSED
    assert s.repository.get(app).status == "lapsed"
    status, ending_kind, reason = ended(stored)
    assert (status, ending_kind) == ("ended", "urgent_authority_lapsed")
    assert "not confirmed by" in reason
    with pytest.raises(RuleViolation, match="only an urgent authority awaits confirmation"):
        s.confirm_urgent_authority(Actor("supt-second", Role.AUTHORISING_OFFICER), app, "late")


def test_a_live_deployment_ends_when_its_urgent_authority_lapses(stored: Scenario) -> None:
    stored.submitted(hours=72)
    s = stored.service
    app = stored.application_id
    stored.deployment_id = s.grant_urgent_authority(AO, app, "Threat", AUTHORITY)
    stored.prepare()
    stored.clock.advance(hours=2)
    s.start_deployment(GOLD, stored.deployment)
    stored.alert(track="while-in-force")
    stored.clock.advance(hours=47)
    assert s.end_deployment_if_due(CLOCK_KEEPER, stored.deployment) is (
        Ending.URGENT_AUTHORITY_LAPSED
    )
    assert ended(stored)[:2] == ("ended", "urgent_authority_lapsed")
    with pytest.raises(RuleViolation, match="it is ended"):
        stored.alert(track="after-the-lapse")
    watchlist_deadline_starts(stored)


# -- withdraw, revoke, cancel, expire ---------------------------------------------------------


def test_applicant_withdraws_before_the_start_and_the_watchlist_clock_starts(
    stored: Scenario,
) -> None:
    stored.prepared()
    s = stored.service
    with pytest.raises(NotPermitted, match="applicant"):
        s.withdraw_application(GOLD, stored.application_id, "No longer needed")
    other = Actor("insp-other", Role.APPLICANT)
    with pytest.raises(NotPermitted, match="another applicant's application"):
        s.withdraw_application(other, stored.application_id, "No longer needed")
    s.withdraw_application(APPLICANT, stored.application_id, "Suspects arrested elsewhere")
    assert s.repository.get(stored.application_id).status == "withdrawn"
    status, ending, reason = ended(stored)
    assert (status, ending, reason) == ("ended", "withdrawn", "Suspects arrested elsewhere")
    watchlist_deadline_starts(stored)
    s.erase_watchlist(SYSTEM, stored.deployment, "watchlist within 24 hours of the end")


def test_an_application_is_withdrawn_before_any_authority(stored: Scenario) -> None:
    stored.submitted()
    s = stored.service
    s.withdraw_application(APPLICANT, stored.application_id, "Intelligence overtaken")
    assert s.repository.get(stored.application_id).status == "withdrawn"
    with pytest.raises(RuleViolation, match="not awaiting a decision"):
        s.grant_authority(AO, stored.application_id, AUTHORITY)


def test_a_live_deployment_cannot_be_withdrawn(stored: Scenario) -> None:
    stored.live()
    with pytest.raises(RuleViolation, match="cannot be withdrawn; Gold ends it"):
        stored.service.withdraw_application(APPLICANT, stored.application_id, "Too late")
    assert stored.service.repository.get(stored.application_id).status == "granted"


def test_ao_revokes_the_authority_and_its_live_deployment_ends(stored: Scenario) -> None:
    stored.live()
    s = stored.service
    with pytest.raises(NotPermitted, match="authorising_officer"):
        s.revoke_authority(GOLD, stored.application_id, "Gold wants out")
    applicant_as_ao = Actor(APPLICANT.id, Role.AUTHORISING_OFFICER)
    with pytest.raises(NotPermitted, match="assigned to another Authorising Officer"):
        s.revoke_authority(applicant_as_ao, stored.application_id, "Mine")
    s.revoke_authority(AO, stored.application_id, "Intelligence no longer supports it")
    assert s.repository.get(stored.application_id).status == "revoked"
    assert ended(stored)[:2] == ("ended", "authority_revoked")
    with pytest.raises(RuleViolation, match="only while the deployment is live"):
        stored.alert()
    with pytest.raises(RuleViolation, match="cannot be revoked"):
        s.revoke_authority(AO, stored.application_id, "again")
    watchlist_deadline_starts(stored)


def test_named_gold_cancels_before_the_start(stored: Scenario) -> None:
    stored.prepared()
    s, d = stored.service, stored.deployment
    with pytest.raises(NotPermitted, match="not the Gold named in the authority"):
        s.cancel_deployment(Actor("ci-other", Role.GOLD), d, "Resources needed elsewhere")
    with pytest.raises(NotPermitted, match="gold"):
        s.cancel_deployment(OPERATOR, d, "Resources needed elsewhere")
    s.cancel_deployment(GOLD, d, "Resources needed at a major incident")
    assert ended(stored) == ("ended", "cancelled", "Resources needed at a major incident")
    with pytest.raises(RuleViolation, match="cannot start"):
        s.start_deployment(GOLD, d)
    watchlist_deadline_starts(stored)


def test_a_running_deployment_is_ended_not_cancelled(stored: Scenario) -> None:
    stored.live()
    with pytest.raises(RuleViolation, match="cannot be cancelled; a running one is ended"):
        stored.service.cancel_deployment(GOLD, stored.deployment, "Stop")


def test_an_unused_authority_expires_when_its_window_closes(stored: Scenario) -> None:
    stored.prepared()
    s, d = stored.service, stored.deployment
    with pytest.raises(RuleViolation, match="after the deployment ends"):
        s.erase_watchlist(DPO, d, "watchlist within 24 hours of the end")
    stored.clock.advance(hours=9, minutes=1)
    assert s.end_deployment_if_due(CLOCK_KEEPER, d) is Ending.EXPIRED_UNUSED
    assert s.repository.get(stored.application_id).status == "expired"
    status, ending, reason = ended(stored)
    assert (status, ending) == ("ended", "expired_unused")
    watchlist_deadline_starts(stored)
    s.erase_watchlist(DPO, d, "watchlist within 24 hours of the end")


def test_open_deployments_lists_only_those_not_ended(stored: Scenario) -> None:
    stored.prepared()
    s = stored.service
    assert s.open_deployments() == [stored.deployment]
    s.cancel_deployment(GOLD, stored.deployment, "Not needed")
    assert s.open_deployments() == []


# -- authorised changes at run time -------------------------------------------------------------


def test_watchlist_size_cannot_be_reduced_below_the_list_in_use(stored: Scenario) -> None:
    stored.live(entries=3)
    s, d = stored.service, stored.deployment
    with pytest.raises(RuleViolation, match="holds 3 entries: a size of 2 is refused"):
        s.authorise_watchlist_size(AO, d, 2, "Smaller list")
    s.authorise_watchlist_size(AO, d, 3, "Exactly the list in use")
    assert s.repository.get(stored.application_id).watchlist_max_size == 3


def test_every_threshold_in_force_is_recorded_with_when(stored: Scenario) -> None:
    stored.live()
    s, d = stored.service, stored.deployment
    stored.clock.advance(minutes=30)
    s.authorise_threshold_change(AO, d, 0.66, "NPL guidance")
    history = s.repository.get(d).threshold_history
    assert [h["threshold"] for h in history] == [0.64, 0.66]
    assert history[1]["from"] == stored.clock.now.isoformat()
