"""Who may act on this deployment or application, on each store (memory, SQLite, PostgreSQL).

Each officer acts only where appointed: Gold as named in the authority, the command Gold
appointed, the applicant on their own application, the AO on the applications submitted to
them; a worker only for the deployment and cameras its token is bound to."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from domain.access import NotAppointed, worker
from domain.alert import TOLD_AND_GIVEN_LEAFLET, HoldBasis, HoldRequest
from domain.errors import NotPermitted, RuleViolation
from domain.records import Consultation, FacesSeenTally
from domain.values import (
    Actor,
    Adjudication,
    Disposal,
    EngagementOutcome,
    PreDeploymentCheck,
    Role,
)
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import (
    AO,
    APPLICANT,
    AUTHORITY,
    DPO,
    ENGAGER,
    GOLD,
    OPERATOR,
    SECTIONS,
    WORKER,
    Scenario,
    entry,
    probe_jpeg,
    proposal,
    start_clock,
)

OTHER_GOLD = Actor("ci-other-gold", Role.GOLD)
OTHER_OPERATOR = Actor("pc-other-operator", Role.OPERATOR)
OTHER_ENGAGER = Actor("pc-other-engager", Role.ENGAGEMENT_OFFICER)
OTHER_APPLICANT = Actor("insp-other-applicant", Role.APPLICANT)
OTHER_AO = Actor("supt-other-ao", Role.AUTHORISING_OFFICER)


@pytest.fixture
def scenario(store_url: str, tmp_path: Path) -> Scenario:
    clock = start_clock()
    services = open_services(Settings(database_url=store_url, data_dir=tmp_path), clock=clock)
    return Scenario(services.lfr, clock)


def consultations(scenario: Scenario) -> int:
    topic = f"{Consultation.__module__}:Consultation.PersonalDataConsulted"
    return len(scenario.service.recorder.select_notifications(1, 10_000, topics=[topic]))


# -- applications: the applicant's own, the AO's assigned -----------------------------------


def test_another_applicant_cannot_act_on_someone_elses_application(scenario: Scenario) -> None:
    scenario.submitted()
    s, application = scenario.service, scenario.application_id
    assert application is not None
    s.request_amendments(AO, application, "Explain the camera positions")
    with pytest.raises(NotAppointed, match="another applicant's application"):
        s.submit_intelligence_case(OTHER_APPLICANT, application, "F3-X", "Replaced")
    start = scenario.clock.now + timedelta(hours=1)
    with pytest.raises(NotAppointed, match="another applicant's application"):
        s.submit_application(OTHER_APPLICANT, application, SECTIONS, proposal(start), AO.id)
    s.submit_application(APPLICANT, application, SECTIONS, proposal(start), AO.id)


def test_only_the_authorising_officer_the_application_is_submitted_to_decides(
    scenario: Scenario,
) -> None:
    scenario.submitted()
    s, application = scenario.service, scenario.application_id
    assert application is not None
    for decide in (
        lambda ao: s.request_amendments(ao, application, "More detail"),
        lambda ao: s.reject_application(ao, application, "Not necessary"),
        lambda ao: s.grant_authority(ao, application, AUTHORITY),
        lambda ao: s.grant_urgent_authority(ao, application, "Threat", AUTHORITY),
    ):
        with pytest.raises(NotAppointed, match="assigned to another Authorising Officer"):
            decide(OTHER_AO)
    s.grant_authority(AO, application, AUTHORITY)


def test_an_application_is_submitted_to_an_authorising_officer_other_than_the_applicant(
    scenario: Scenario,
) -> None:
    s = scenario.service
    application = s.identify_need(APPLICANT, "Reduce knife crime", "Crime Hotspot")
    s.submit_intelligence_case(APPLICANT, application, "F3-1", "Hotspot")
    start = scenario.clock.now + timedelta(hours=1)
    with pytest.raises(RuleViolation, match="Authorising Officer the application is for"):
        s.submit_application(APPLICANT, application, SECTIONS, proposal(start), " ")
    with pytest.raises(RuleViolation, match="cannot be the applicant"):
        s.submit_application(APPLICANT, application, SECTIONS, proposal(start), APPLICANT.id)


def test_only_the_granting_authorising_officer_changes_the_authorised_values(
    scenario: Scenario,
) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    with pytest.raises(NotAppointed, match="assigned to another Authorising Officer"):
        s.authorise_threshold_change(OTHER_AO, d, 0.7, "fewer alerts")
    with pytest.raises(NotAppointed, match="assigned to another Authorising Officer"):
        s.authorise_watchlist_size(OTHER_AO, d, 5, "smaller")
    s.authorise_threshold_change(AO, d, 0.7, "fewer alerts")


# -- the deployment: the named Gold and the command Gold appointed ---------------------------


def test_a_gold_not_named_in_the_authority_cannot_run_the_deployment(scenario: Scenario) -> None:
    scenario.prepared()
    s, d = scenario.service, scenario.deployment
    scenario.clock.advance(hours=1, minutes=5)
    named = "not the Gold named in the authority"
    with pytest.raises(NotAppointed, match=named):
        s.start_deployment(OTHER_GOLD, d)
    s.start_deployment(GOLD, d)
    with pytest.raises(NotAppointed, match=named):
        s.pause_deployment(OTHER_GOLD, d, "crowd")
    with pytest.raises(NotAppointed, match=named):
        s.end_deployment(OTHER_GOLD, d, "done")
    s.end_deployment(GOLD, d, "done")
    report = {"evaluation": "as planned", "learning": "more signage"}
    with pytest.raises(NotAppointed, match=named):
        s.submit_cancellation_report(OTHER_GOLD, d, report)
    s.submit_cancellation_report(GOLD, d, report)
    with pytest.raises(NotAppointed, match=named):
        s.publish_register_entry(OTHER_GOLD, d, {"alerts": 0})
    s.publish_register_entry(GOLD, d, {"alerts": 0})
    assert s.deployment_status(d) == "published"


def test_an_operator_not_in_the_command_cannot_prepare_or_run_the_deployment(
    scenario: Scenario,
) -> None:
    scenario.granted()
    s, d = scenario.service, scenario.deployment
    s.appoint_command(GOLD, d, {"operators": [OPERATOR.id], "engagement": [ENGAGER.id]})
    command = "not in the command structure Gold appointed"
    with pytest.raises(NotAppointed, match=command):
        s.record_pre_deployment(OTHER_OPERATOR, d, PreDeploymentCheck.SIGNAGE, "done")
    for check in PreDeploymentCheck:
        s.record_pre_deployment(OPERATOR, d, check, "done")
    ids = [
        s.add_watchlist_entry(APPLICANT, d, entry(f"WL-{n}"), b"i", bytes(16), "dlib-r1")
        for n in range(2)
    ]
    s.compile_watchlist(APPLICANT, d, ids)
    s.review_watchlist(GOLD, d, "Reviewed")
    with pytest.raises(NotAppointed, match=command):
        s.import_watchlist(OTHER_OPERATOR, d, "USB")
    s.import_watchlist(OPERATOR, d, "USB")
    scenario.clock.advance(hours=1, minutes=5)
    with pytest.raises(NotAppointed, match=command):
        s.start_deployment(OTHER_OPERATOR, d)
    s.start_deployment(OPERATOR, d)
    with pytest.raises(NotAppointed, match=command):
        s.end_deployment(OTHER_OPERATOR, d, "done")


def test_another_applicant_cannot_add_to_or_compile_someone_elses_watchlist(
    scenario: Scenario,
) -> None:
    scenario.granted()
    s, d = scenario.service, scenario.deployment
    with pytest.raises(NotAppointed, match="another applicant's application"):
        s.add_watchlist_entry(OTHER_APPLICANT, d, entry("WL-X"), b"i", bytes(16), "dlib-r1")
    with pytest.raises(NotAppointed, match="not the Gold named"):
        s.add_watchlist_entry(OTHER_GOLD, d, entry("WL-Y"), b"i", bytes(16), "dlib-r1")
    own = s.add_watchlist_entry(APPLICANT, d, entry("WL-1"), b"i", bytes(16), "dlib-r1")
    with pytest.raises(NotAppointed, match="another applicant's application"):
        s.compile_watchlist(OTHER_APPLICANT, d, [own])
    with pytest.raises(NotAppointed, match="assigned to another Authorising Officer"):
        s.review_watchlist(OTHER_AO, d, "Reviewed")


def test_officers_not_appointed_cannot_see_the_images_or_decide_on_an_alert(
    scenario: Scenario,
) -> None:
    scenario.live()
    s = scenario.service
    alert = scenario.alert()
    for stranger in (OTHER_OPERATOR, OTHER_ENGAGER, OTHER_GOLD, OTHER_APPLICANT, OTHER_AO):
        with pytest.raises(NotAppointed):
            s.consult_probe_image(stranger, alert, "curious")
        with pytest.raises(NotAppointed):
            s.consult_watchlist_image(stranger, scenario.entry_ids[0], "curious")
    assert consultations(scenario) == 0  # a refused read is no read: nothing to log
    with pytest.raises(NotAppointed, match="not in the command structure"):
        s.adjudicate_alert(OTHER_OPERATOR, alert, Adjudication.ENGAGE)
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    with pytest.raises(NotAppointed, match="not in the command structure"):
        s.record_engagement(
            OTHER_ENGAGER, alert, EngagementOutcome.CONFIRMED_TRUE, 60, stop=TOLD_AND_GIVEN_LEAFLET
        )
    s.record_engagement(
        ENGAGER, alert, EngagementOutcome.CONFIRMED_TRUE, 60, stop=TOLD_AND_GIVEN_LEAFLET
    )
    with pytest.raises(NotAppointed, match="not in the command structure"):
        s.record_outcome(OTHER_ENGAGER, alert, Disposal.ARREST, "wanted")
    s.record_outcome(ENGAGER, alert, Disposal.ARREST, "wanted")
    assert s.consult_probe_image(OPERATOR, alert, "adjudication") == probe_jpeg()
    assert consultations(scenario) == 1


def test_the_dpo_acts_across_deployments_and_every_read_is_logged(scenario: Scenario) -> None:
    scenario.live()
    s = scenario.service
    alert = scenario.alert()
    s.place_legal_hold(DPO, alert, HoldRequest(HoldBasis.INVESTIGATION, "case", date(2027, 1, 1)))
    assert s.consult_probe_image(DPO, alert, "hold review") == probe_jpeg()
    assert consultations(scenario) == 1


# -- the worker: one deployment, its authorised cameras, its watchlist ----------------------


def test_a_worker_token_bound_to_another_deployment_or_camera_cannot_raise_an_alert(
    scenario: Scenario,
) -> None:
    scenario.live()
    s, d = scenario.service, scenario.deployment
    other = Scenario(s, scenario.clock).granted()
    for wrong, reason in [
        (WORKER, "must be bound to a deployment"),
        (worker(WORKER.id, other.deployment, ("camera-1",)), "bound to another deployment"),
        (worker(WORKER.id, d, ("camera-2",)), "does not cover camera 'camera-1'"),
    ]:
        with pytest.raises(NotAppointed, match=reason):
            s.raise_alert(wrong, scenario.match())
    assert scenario.alert()


def test_an_alert_from_an_unlisted_camera_is_refused(scenario: Scenario) -> None:
    scenario.live()
    bound = worker(WORKER.id, scenario.deployment, ("camera-1", "camera-9"))
    match = scenario.match()
    unlisted = type(match)(**{**vars(match), "camera_id": "camera-9"})
    with pytest.raises(RuleViolation, match="camera 'camera-9' is not"):
        scenario.service.raise_alert(bound, unlisted)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"watchlist_version": "f" * 64}, "not the deployment's current version"),
        ({"model": {"id": "other-model", "version": "1"}}, "not the imported 'dlib-r1'"),
        ({"probe_jpeg": b"GIF89a not a face"}, "not a JPEG image"),
        ({"probe_jpeg": b"\xff\xd8\xff\xd9"}, "not a whole JPEG image"),
        ({"probe_jpeg": b""}, "empty or too large"),
    ],
)
def test_a_forged_or_foreign_match_raises_no_alert(
    scenario: Scenario, change: dict[str, object], reason: str
) -> None:
    scenario.live()
    match = scenario.match()
    forged = type(match)(**{**vars(match), **change})
    with pytest.raises(RuleViolation, match=reason):
        scenario.service.raise_alert(scenario.worker, forged)


def test_a_truncated_jpeg_probe_is_refused(scenario: Scenario) -> None:
    scenario.live()
    match = scenario.match()
    cut = probe_jpeg()[: len(probe_jpeg()) // 2] + b"\xff\xd9"
    with pytest.raises(RuleViolation, match="JPEG"):
        scenario.service.raise_alert(
            scenario.worker, type(match)(**{**vars(match), "probe_jpeg": cut})
        )


def test_faces_seen_are_bounded_and_only_for_authorised_cameras_in_the_live_window(
    scenario: Scenario,
) -> None:
    scenario.live()
    s, d, clock = scenario.service, scenario.deployment, scenario.clock
    started = clock.now
    clock.advance(minutes=10)
    ten_minutes = (clock.now - timedelta(minutes=10), clock.now)
    with pytest.raises(RuleViolation, match="more than one camera can see"):
        s.count_faces(scenario.worker, d, "camera-1", *ten_minutes, 1_000_000_000, 0)
    many = worker(WORKER.id, d, ("camera-1", "camera-9"))
    with pytest.raises(RuleViolation, match="camera 'camera-9' is not authorised"):
        s.count_faces(many, d, "camera-9", *ten_minutes, 10, 10)
    with pytest.raises(NotAppointed, match="does not cover camera"):
        s.count_faces(worker(WORKER.id, d, ("camera-9",)), d, "camera-1", *ten_minutes, 10, 10)
    before = (started - timedelta(hours=2), started - timedelta(hours=1))
    with pytest.raises(RuleViolation, match="from the deployment's start"):
        s.count_faces(scenario.worker, d, "camera-1", *before, 10, 10)
    beyond = (clock.now, clock.now + timedelta(hours=9))
    with pytest.raises(RuleViolation, match="up to the deployment's end"):
        s.count_faces(scenario.worker, d, "camera-1", *beyond, 10, 10)
    tally = s.count_faces(scenario.worker, d, "camera-1", *ten_minutes, 1_200, 1_100)
    assert s.load(FacesSeenTally, tally).faces_seen == 1_200
    s.end_deployment(GOLD, d, "done")
    clock.advance(hours=1)
    after = (clock.now - timedelta(minutes=10), clock.now)
    with pytest.raises(RuleViolation, match="up to the deployment's end"):
        s.count_faces(scenario.worker, d, "camera-1", *after, 10, 10)


def test_a_not_appointed_refusal_is_a_refusal_of_permission() -> None:
    # The API answers NotPermitted with 403; NotAppointed is one.
    assert issubclass(NotAppointed, NotPermitted)
