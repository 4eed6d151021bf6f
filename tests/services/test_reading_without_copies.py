"""A command that only reads an aggregate gets the cached one, not a copy; every other load
still gets a copy, so a command's changes never reach the cache before they are stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.deployment import Deployment
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import Scenario, start_clock


@pytest.fixture
def live(tmp_path: Path) -> Scenario:
    clock = start_clock()
    services = open_services(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}"), clock)
    return Scenario(services.lfr, clock).live()


def test_loads_are_copies_except_while_only_reading(live: Scenario) -> None:
    lfr, deployment_id = live.service, live.deployment
    assert lfr.load(Deployment, deployment_id) is not lfr.load(Deployment, deployment_id)
    with lfr._only_reading():
        assert lfr.load(Deployment, deployment_id) is lfr.load(Deployment, deployment_id)
    assert lfr.load(Deployment, deployment_id) is not lfr.load(Deployment, deployment_id)


def test_after_an_alert_or_a_refused_one_loads_are_copies_again(live: Scenario) -> None:
    lfr, deployment_id = live.service, live.deployment
    live.alert(track="first")
    with pytest.raises(RuntimeError, match="failing"), lfr._only_reading():
        raise RuntimeError("a command failing while it reads")
    assert lfr.load(Deployment, deployment_id) is not lfr.load(Deployment, deployment_id)
