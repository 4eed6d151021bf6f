"""Names and officers' notes about a person are sealed under the subject's key, read only with an
s.62 record, and erased with the subject; entry ids never derive from names."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from domain.access import NotAppointed
from domain.alert import TOLD_AND_GIVEN_LEAFLET, Alert
from domain.deployment import Deployment
from domain.errors import DataErased
from domain.records import Consultation
from domain.values import Actor, Adjudication, Disposal, EngagementOutcome, Role
from domain.watchlist import WatchlistEntry
from projections.audit import aggregate_as_of
from runtime.bootstrap import Services
from services.sweeper import sweep
from services.upload_jobs import Importer, UploadJob
from tests.scenario import APPLICANT, DPO, ENGAGER, GOLD, Clock, Scenario, entry

NAME = "Jonathan Quillfeather"
NOTE = "identity confirmed via PNC, name John Doe DOB 1990"


def stored_bytes(services: Services) -> bytes:
    recorder = services.lfr.recorder
    return b"".join(n.state for n in recorder.select_notifications(start=1, limit=10_000))


def consultations(services: Services) -> list[Any]:
    topic = f"{Consultation.__module__}:{Consultation.__qualname__}.PersonalDataConsulted"
    notes = services.lfr.recorder.select_notifications(start=1, limit=10_000, topics=[topic])
    return [services.lfr.mapper.to_domain_event(n) for n in notes]


def test_a_watchlist_reference_is_sealed_and_read_only_under_an_s62_record(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).granted()
    source, basis = f"custody image of {NAME}, 2023", f"warrant for {NAME}'s arrest"
    details = entry(NAME, source=source, legal_basis=basis)
    entry_id = services.lfr.add_watchlist_entry(
        APPLICANT, scenario.deployment, details, b"\xff\xd8face", b"\x01" * 16, "dlib-r1"
    )
    assert NAME.encode() not in stored_bytes(services)
    state = aggregate_as_of(services.lfr, entry_id)["state"]  # the auditor's aggregate view
    assert NAME not in str(state) and "reference" not in state

    consulted = services.lfr.consult_watchlist_entry(DPO, entry_id, "checking the watchlist")

    assert consulted.reference == NAME and consulted.image == b"\xff\xd8face"
    assert (consulted.source, consulted.legal_basis) == (source, basis)
    [logged] = consultations(services)
    assert (logged.data_class, logged.item_id) == ("watchlist_entry", str(entry_id))
    assert logged.audit.actor_id == DPO.id and logged.audit.justification


def test_entry_ids_are_random_never_derived_from_the_name(services: Services, clock: Clock) -> None:
    scenario = Scenario(services.lfr, clock).granted()
    d = scenario.deployment
    ids = [
        services.lfr.add_watchlist_entry(APPLICANT, d, entry(NAME), b"\xff\xd8", b"\x01", "m")
        for _ in range(2)
    ]
    guessed = uuid5(NAMESPACE_URL, f"lfr:watchlist-entry:{d}:{NAME}")
    assert guessed not in ids and ids[0] != ids[1]
    assert all(UUID(str(i)).version == 4 for i in ids)


def test_officers_notes_are_sealed_read_under_s62_and_erased_with_the_alert(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s, alert_id = services.lfr, scenario.alert()
    s.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE, NOTE)
    s.record_engagement(
        ENGAGER,
        alert_id,
        EngagementOutcome.CONFIRMED_TRUE,
        60,
        f"{NAME} calm",
        stop=TOLD_AND_GIVEN_LEAFLET,
    )
    s.record_outcome(ENGAGER, alert_id, Disposal.NO_FURTHER_ACTION, f"{NAME}: warrant withdrawn")
    stored = stored_bytes(services)
    assert NOTE.encode() not in stored and NAME.encode() not in stored

    notes = s.consult_alert_notes(DPO, alert_id, "complaint review")

    assert notes["adjudication"] == NOTE and NAME in notes["engagement"]
    assert NAME in notes["outcome"]
    assert [c.data_class for c in consultations(services)] == ["alert_notes"]
    s.end_deployment(GOLD, scenario.deployment, "planned end")
    clock.advance(days=32)
    sweep(services)
    alert = s.load(Alert, alert_id)
    assert alert.erased
    with pytest.raises(DataErased):
        s.consult_alert_notes(DPO, alert_id, "complaint review")
    with pytest.raises(DataErased):  # the key is gone, not only the door
        services.vault.open(str(alert_id), alert.sealed_notes["adjudication"])


def test_an_erased_entry_takes_its_reference_with_it(services: Services, clock: Clock) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s = services.lfr
    s.end_deployment(GOLD, scenario.deployment, "planned end")
    s.erase_watchlist(DPO, scenario.deployment, "watchlist-24h")
    entry_ = s.load(WatchlistEntry, scenario.entry_ids[0])
    with pytest.raises(DataErased):
        s.consult_watchlist_entry(DPO, entry_.id, "who was it")
    with pytest.raises(DataErased):
        services.vault.open(str(entry_.id), entry_.sealed_reference)
    # The auditor's view of the entry shows only the sealed bytes' size.
    assert "sealed_bytes" in str(aggregate_as_of(s, entry_.id)["state"]["sealed_reference"])


def test_an_officer_not_appointed_to_the_deployment_cannot_read_the_notes_and_leaves_no_record(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    alert_id = scenario.alert()
    services.lfr.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE, NOTE)
    stranger = Actor("pc-other-engager", Role.ENGAGEMENT_OFFICER)
    with pytest.raises(NotAppointed):
        services.lfr.consult_alert_notes(stranger, alert_id, "curious")
    assert consultations(services) == []
    assert services.lfr.consult_alert_notes(ENGAGER, alert_id, "adjudication")["adjudication"]


def test_the_watchlist_review_notes_are_sealed_read_under_s62_and_erased_with_the_watchlist(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock)
    scenario.review_notes = f"{NAME} is on it for the warrant of 3 May"
    scenario.live()
    s, d = services.lfr, scenario.deployment
    assert NAME.encode() not in stored_bytes(services)
    assert NAME not in str(aggregate_as_of(s, d)["state"])  # the auditor's view of the record

    assert s.consult_watchlist_review(GOLD, d, "checking the review") == scenario.review_notes

    [logged] = consultations(services)
    assert (logged.data_class, logged.audit.actor_id) == ("watchlist_text", GOLD.id)
    stranger = Actor("supt-other-gold", Role.GOLD)
    with pytest.raises(NotAppointed):
        s.consult_watchlist_review(stranger, d, "curious")
    s.end_deployment(GOLD, d, "planned end")
    s.erase_watchlist(DPO, d, "watchlist-24h")
    with pytest.raises(DataErased):
        s.consult_watchlist_review(DPO, d, "who was on it")
    with pytest.raises(DataErased):  # the key is gone, not only the door
        services.vault.open(f"watchlist:{d}", s.load(Deployment, d).sealed_review_notes)


def test_an_upload_report_names_its_folders_only_under_s62_and_goes_with_the_watchlist(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s, d = services.lfr, scenario.deployment
    job = UploadJob(str(d), 1, APPLICANT.id, APPLICANT.role.value, 10)
    sealed = Importer(s, None).seal_row(job, NAME, f"no image '{NAME}.jpg' in this folder")
    assert NAME not in sealed and NAME.encode() not in base64.b64decode(sealed)
    rows = {"1": base64.b64decode(sealed)}

    opened = s.consult_watchlist_upload(APPLICANT, d, job.job_id, rows, "which row failed")

    assert json.loads(opened["1"])["folder"] == NAME
    [logged] = consultations(services)
    assert logged.data_class == "watchlist_text" and logged.item_id.endswith(job.job_id)
    s.end_deployment(GOLD, d, "planned end")
    s.erase_watchlist(DPO, d, "watchlist-24h")
    with pytest.raises(DataErased):
        s.consult_watchlist_upload(DPO, d, job.job_id, rows, "who was in it")
