"""Corrections move the register's figures; alerts pending at the end are reported as such."""

from __future__ import annotations

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.values import Adjudication, Disposal, EngagementOutcome
from services.report import (
    amend_cancellation_report,
    cancellation_report_html,
    submit_cancellation_report,
)
from tests.projections.conftest import World
from tests.scenario import ENGAGER, GOLD

UNADJUDICATED = '<th scope="row">Alerts not adjudicated</th><td class="n">{}</td>'


def test_corrections_move_the_register_figures_and_pending_alerts_are_reported(
    world: World,
) -> None:
    s, lfr = world.scenario, world.services.lfr
    s.live()
    corrected, amended, pending = (s.alert(n % 2, track=f"t{n}") for n in range(3))
    lfr.adjudicate_alert(ENGAGER, corrected, Adjudication.FALSE_ALERT)
    lfr.adjudicate_alert(ENGAGER, amended, Adjudication.ENGAGE)
    lfr.record_engagement(
        ENGAGER, amended, EngagementOutcome.CONFIRMED_TRUE, 120, stop=TOLD_AND_GIVEN_LEAFLET
    )
    lfr.record_outcome(ENGAGER, amended, Disposal.NO_FURTHER_ACTION, "recorded in error")
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    world.models.catch_up()
    row = world.models.register_row(s.deployment)
    assert (row["false_alerts_unconfirmed"], row["arrests"]) == (1, 0)
    report = {"evaluation": "as planned", "learning": "none"}
    submit_cancellation_report(world.models, GOLD, s.deployment, report)
    assert UNADJUDICATED.format(1) in cancellation_report_html(lfr, s.deployment)

    lfr.correct_adjudication(ENGAGER, corrected, Adjudication.ENGAGE, "Second look: a match")
    lfr.amend_outcome(ENGAGER, amended, Disposal.ARREST, "Custody record shows the arrest")
    lfr.adjudicate_alert(ENGAGER, pending, Adjudication.FALSE_ALERT)  # after the end
    world.models.catch_up()
    row = world.models.register_row(s.deployment)
    assert (row["false_alerts_unconfirmed"], row["arrests"]) == (1, 1)
    # The report stays as submitted; Gold's amendment records the figures as they stand now.
    assert UNADJUDICATED.format(1) in cancellation_report_html(lfr, s.deployment)
    amended = {**report, "learning": "adjudicate every alert before standing down"}
    amend_cancellation_report(world.models, GOLD, s.deployment, amended, "late adjudication")
    assert UNADJUDICATED.format(0) in cancellation_report_html(lfr, s.deployment)
