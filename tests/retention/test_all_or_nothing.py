"""A refused erasure changes nothing: no entry erased, no key destroyed."""

from __future__ import annotations

import pytest

from domain.deployment import Deployment
from domain.errors import DomainError
from domain.watchlist import WatchlistEntry
from runtime.bootstrap import Services
from tests.scenario import DPO, GOLD, Clock, Scenario


def test_watchlist_erasure_refused_on_a_live_deployment_leaves_every_entry_and_key_intact(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live(entries=3)
    with pytest.raises(DomainError, match="after the deployment ends"):
        services.lfr.erase_watchlist(DPO, scenario.deployment, "watchlist-24h")
    for entry_id in scenario.entry_ids:
        entry = services.lfr.load(WatchlistEntry, entry_id)
        assert not entry.erased
        assert not services.vault.is_destroyed(str(entry_id))
        assert services.vault.open(str(entry_id), entry.sealed_image).startswith(b"\xff\xd8")
    assert services.lfr.load(Deployment, scenario.deployment).watchlist_state != "erased"
    assert scenario.alert()  # the live deployment still alerts against intact entries


def test_watchlist_erasure_after_the_end_erases_every_entry_and_the_whole_at_once(
    services: Services, clock: Clock
) -> None:
    scenario = Scenario(services.lfr, clock).live(entries=3)
    services.lfr.end_deployment(GOLD, scenario.deployment, "Operation complete")
    erased = services.lfr.erase_watchlist(DPO, scenario.deployment, "watchlist-24h")
    assert sorted(erased) == sorted(scenario.entry_ids)
    assert all(services.vault.is_destroyed(str(e)) for e in scenario.entry_ids)
    assert services.lfr.load(Deployment, scenario.deployment).watchlist_state == "erased"
    with pytest.raises(DomainError, match="already erased"):
        services.lfr.erase_watchlist(DPO, scenario.deployment, "watchlist-24h")
