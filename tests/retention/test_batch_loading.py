"""The sweeper's batch reads its alerts in one query and gets what loading each one gives."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.alert import Alert
from domain.errors import NotFound
from runtime.bootstrap import Services
from services.sweeper import SWEEPER
from tests.scenario import Clock, Scenario


def test_a_batch_of_alerts_loads_as_each_alert_loads_alone(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live(entries=2)
    alerts = [scenario.alert(n % 2, track=f"t{n}") for n in range(5)]
    services.lfr.erase_alert_data(SWEEPER, alerts[1], "alert-data-31d-after-alert")
    batch = services.lfr.load_many(Alert, list(reversed(alerts)))
    alone = [services.lfr.load(Alert, alert_id) for alert_id in reversed(alerts)]
    assert batch[3].erased and batch[3].version == 2
    assert [(a.id, a.version, a.__dict__) for a in batch] == [
        (a.id, a.version, a.__dict__) for a in alone
    ]


def test_a_batch_naming_an_unknown_or_other_record_is_refused(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live()
    alert = scenario.alert(0, track="t0")
    with pytest.raises(NotFound):
        services.lfr.load_many(Alert, [alert, uuid4()])
    with pytest.raises(NotFound):
        services.lfr.load_many(Alert, [alert, scenario.deployment])
