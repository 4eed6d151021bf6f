"""Legal holds: placed by an arrest, approved by another, reviewed when due, and keeping what the
investigation needs past the watchlist's erasure."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET, Alert, HoldBasis, HoldRequest
from domain.errors import DataErased, RuleViolation
from domain.values import Actor, Adjudication, Disposal, EngagementOutcome, Role
from runtime.bootstrap import Services
from services.retention import retention_view
from services.sweeper import rules_from, sweep
from tests.scenario import DPO, ENGAGER, GOLD, Clock, Scenario

OTHER_DPO = Actor("dpo-2", Role.DPO)


def arrested(services: Services, scenario: Scenario) -> UUID:
    s, alert_id = services.lfr, scenario.alert()
    s.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE)
    s.record_engagement(
        ENGAGER, alert_id, EngagementOutcome.CONFIRMED_TRUE, 60, stop=TOLD_AND_GIVEN_LEAFLET
    )
    s.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "wanted by courts")
    return alert_id


def status_of(services: Services, item_id: UUID) -> str:
    view = retention_view(services.lfr, rules_from(services.settings), services.lfr.clock())
    return next(i.status for i in view.items if i.item_id == str(item_id))


def test_an_arrest_places_a_legal_hold_for_the_investigation_that_stops_erasure(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    alert_id = arrested(services, scenario)
    hold = services.lfr.load(Alert, alert_id).legal_hold
    assert hold["basis"] == HoldBasis.INVESTIGATION.value
    assert hold["requested_by"] == ENGAGER.id and hold["approved_by"] == ""
    services.lfr.end_deployment(GOLD, scenario.deployment, "planned end")
    clock.advance(days=40)
    assert str(alert_id) not in sweep(services).erased
    assert status_of(services, alert_id) == "held"


def test_a_hold_is_approved_by_someone_other_than_who_requested_it(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s, alert_id = services.lfr, scenario.alert()
    review = clock.now.date() + timedelta(days=30)
    s.place_legal_hold(DPO, alert_id, HoldRequest(HoldBasis.PROCEEDINGS, "CPS file", review))
    with pytest.raises(RuleViolation, match="someone other than who requested it"):
        s.approve_legal_hold(DPO, alert_id)
    assert s.load(Alert, alert_id).legal_hold["approved_by"] == ""
    s.approve_legal_hold(OTHER_DPO, alert_id)
    assert s.load(Alert, alert_id).legal_hold["approved_by"] == OTHER_DPO.id


def test_a_holds_review_date_raises_a_task_once_when_due_and_renewal_clears_it(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s, alert_id = services.lfr, scenario.alert()
    review = clock.now.date() + timedelta(days=3)
    s.place_legal_hold(DPO, alert_id, HoldRequest(HoldBasis.INVESTIGATION, "open case", review))
    clock.advance(days=2)
    assert sweep(services).hold_reviews == []  # not yet due

    clock.advance(days=1)
    assert sweep(services).hold_reviews == [str(alert_id)]
    assert sweep(services).hold_reviews == []  # one task per review date
    view = retention_view(s, rules_from(services.settings), clock.now)
    item = next(i for i in view.items if i.item_id == str(alert_id))
    assert item.status == "held" and item.hold["review_due"] == review.isoformat()

    s.renew_legal_hold(DPO, alert_id, "charge pending", clock.now.date() + timedelta(days=30))
    assert s.load(Alert, alert_id).legal_hold["review_due"] == ""


def test_a_held_alert_keeps_the_matched_watchlist_image_past_the_watchlists_erasure(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    s = services.lfr
    alert_id = arrested(services, scenario)
    s.end_deployment(GOLD, scenario.deployment, "planned end")
    s.erase_watchlist(DPO, scenario.deployment, "watchlist-24h")
    with pytest.raises(DataErased):
        s.consult_watchlist_image(DPO, scenario.entry_ids[0], "investigation")

    kept = s.consult_held_watchlist_image(DPO, alert_id, "investigation of the arrest")

    assert kept == b"\xff\xd8jpeg\x00"  # the matched entry's image, as enrolled
    assert s.consult_probe_image(DPO, alert_id, "investigation") == scenario.match().probe_jpeg
    s.lift_legal_hold(DPO, alert_id, "case closed")
    s.erase_alert_data(DPO, alert_id, "alert-data-31d")
    with pytest.raises(DataErased):  # the copy is erased with the alert
        s.consult_held_watchlist_image(DPO, alert_id, "investigation")
