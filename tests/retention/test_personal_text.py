"""Names and officers' notes about a person are sealed under the subject's key, read only with an
s.62 record, and erased with the subject; entry ids never derive from names."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from domain.access import NotAppointed
from domain.alert import TOLD_AND_GIVEN_LEAFLET, Alert
from domain.errors import DataErased
from domain.records import Consultation
from domain.values import Actor, Adjudication, Disposal, EngagementOutcome, Role
from domain.watchlist import WatchlistEntry
from projections.audit import aggregate_as_of
from runtime.bootstrap import Services
from services.sweeper import sweep
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
    entry_id = services.lfr.add_watchlist_entry(
        APPLICANT, scenario.deployment, entry(NAME), b"\xff\xd8face", b"\x01" * 16, "dlib-r1"
    )
    assert NAME.encode() not in stored_bytes(services)
    state = aggregate_as_of(services.lfr, entry_id)["state"]  # the auditor's aggregate view
    assert NAME not in str(state) and "reference" not in state

    consulted = services.lfr.consult_watchlist_entry(DPO, entry_id, "checking the watchlist")

    assert consulted.reference == NAME and consulted.image == b"\xff\xd8face"
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
