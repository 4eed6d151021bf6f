"""Every threshold in force, and the alerts raised at each, in the cancellation report."""

from __future__ import annotations

import re

from projections.thresholds import thresholds_in_force
from services.report import cancellation_report_html, submit_cancellation_report
from tests.projections.conftest import World
from tests.scenario import AO, GOLD


def test_report_shows_every_threshold_in_force_and_the_alerts_raised_at_each(
    world: World,
) -> None:
    s, lfr, clock = world.scenario, world.services.lfr, world.clock
    s.live()
    for n in range(3):
        s.alert(0, track=f"at-064-{n}")
    clock.advance(minutes=20)
    lfr.authorise_threshold_change(AO, s.deployment, 0.7, "Too many alerts to adjudicate")
    clock.advance(minutes=5)
    s.alert(1, track="at-070")
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    world.models.catch_up()

    periods = thresholds_in_force(
        world.models.timeline(s.deployment), world.models.alerts(s.deployment)
    )
    assert [(p["threshold"], p["alerts"]) for p in periods] == [(0.64, 3), (0.7, 1)]
    assert periods[0]["until"] == periods[1]["from"] and periods[1]["until"] is None
    report = {"evaluation": "as planned", "learning": "none"}
    submit_cancellation_report(world.models, GOLD, s.deployment, report)
    html = cancellation_report_html(lfr, s.deployment)
    rows = re.findall(
        r'data-label="Threshold">(0\.\d+)<.*?data-label="Alerts raised at it">(\d+)<', html, re.S
    )
    assert rows == [("0.64", "3"), ("0.7", "1")]
