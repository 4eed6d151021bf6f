"""A register of many deployments, driven through the domain service (fast in memory):
varied boroughs, use cases and months; each announced by its public notice; some went live
with alerts, engagements, arrests, and had their register entry published."""

from __future__ import annotations

from datetime import timedelta

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.values import (
    Adjudication,
    Disposal,
    EngagementOutcome,
    Location,
    PreDeploymentCheck,
    UseCase,
)
from services.lfr import LfrService
from tests.scenario import ENGAGER, GOLD, OPERATOR, Clock, Scenario

BOROUGHS = ("Westminster", "Camden", "Croydon", "Hackney", "Newham", "Southwark")
PLACES = ("High Street", "Station Square", "Market", "Stadium Way")
USE_CASES = tuple(UseCase)


def fill_register(
    service: LfrService, clock: Clock, deployments: int, live_every: int = 25
) -> list[str]:
    """Plans `deployments` over about a year; every `live_every`-th one runs with two alerts
    (one engaged and confirmed, ending in an arrest; some false alerts) and is published;
    the others are announced only. `clock` is the service's clock. Returns their ids."""
    step = timedelta(days=365) / deployments
    ids = []
    for n in range(deployments):
        borough = BOROUGHS[n % len(BOROUGHS)]
        changes = {
            "location": Location(f"{PLACES[n % len(PLACES)]}, {borough}", borough, 51.5, -0.1),
            "use_case": USE_CASES[n % len(USE_CASES)],
        }
        scenario = Scenario(service, clock)
        if n % live_every == 0:
            scenario.live()
            _alerts(
                service, scenario, faces=1000 + 50 * (n % 180), false_alerts=1 + n // live_every % 3
            )
        else:
            scenario.granted(**changes)
            service.record_pre_deployment(
                GOLD, scenario.deployment, PreDeploymentCheck.PUBLIC_NOTICE, "notice published"
            )
        ids.append(str(scenario.deployment))
        clock.advance(seconds=step.total_seconds())
    return ids


def _alerts(service: LfrService, s: Scenario, faces: int, false_alerts: int) -> None:
    d = s.deployment
    s.clock.advance(hours=1)  # an hour's count: a busy camera sees up to tens of thousands
    service.count_faces(
        s.worker, d, "camera-1", s.clock.now - timedelta(hours=1), s.clock.now, faces, faces
    )
    wanted = s.alert(0, track="t0")
    service.adjudicate_alert(OPERATOR, wanted, Adjudication.ENGAGE)
    service.record_engagement(
        ENGAGER, wanted, EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    service.record_outcome(ENGAGER, wanted, Disposal.ARREST, "wanted by courts")
    for k in range(false_alerts):
        s.clock.advance(minutes=1)
        false = s.alert(1, track=f"f{k}")
        service.adjudicate_alert(OPERATOR, false, Adjudication.FALSE_ALERT)
    s.clock.advance(hours=2)
    service.end_deployment(GOLD, d, "planned end")
    service.submit_cancellation_report(GOLD, d, {"evaluation": "as planned", "learning": "none"})
    counts = {
        "faces_seen": faces,
        "alerts": 1 + false_alerts,
        "true_alerts_confirmed": 1,
        "false_alerts_unconfirmed": false_alerts,
        "engagements": 1,
        "arrests": 1,
    }  # what the register projection counts from the events above
    periods = [{"alerts": 1 + false_alerts}]  # all raised at the one threshold in force
    service.publish_register_entry(GOLD, d, counts, periods)
