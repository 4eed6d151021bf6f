"""Rule 10: avoiding the cameras is lawful; a person stopped is told why and given the
leaflet, and the engagement records both. On every store."""

from __future__ import annotations

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET, StopRecord
from domain.errors import RuleViolation
from domain.values import Adjudication, EngagementOutcome
from tests.scenario import ENGAGER, Scenario


@pytest.mark.parametrize(
    "outcome", [EngagementOutcome.CONFIRMED_TRUE, EngagementOutcome.CONFIRMED_FALSE]
)
def test_a_person_stopped_is_told_why_and_given_the_leaflet(
    stored: Scenario, outcome: EngagementOutcome
) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    with pytest.raises(RuleViolation, match="must be told why"):
        s.record_engagement(ENGAGER, alert, outcome, 120)
    with pytest.raises(RuleViolation, match="must be given the LFR leaflet"):
        s.record_engagement(ENGAGER, alert, outcome, 120, stop=StopRecord(told_why=True))
    s.record_engagement(ENGAGER, alert, outcome, 120, stop=TOLD_AND_GIVEN_LEAFLET)
    engagement = s.repository.get(alert).engagement
    assert (engagement["told_why"], engagement["leaflet_given"]) == (True, True)


def test_a_person_not_stopped_needs_no_leaflet(stored: Scenario) -> None:
    stored.live()
    s = stored.service
    alert = stored.alert()
    s.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
    s.record_engagement(ENGAGER, alert, EngagementOutcome.NOT_STOPPED, 0)
    assert s.repository.get(alert).engagement["leaflet_given"] is False
