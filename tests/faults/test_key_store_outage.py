"""The vault's key store shares the event store's connection pool: after PostgreSQL
restarts, sealing, opening and destroying keys work again by themselves, with no
connection of the key store's own to reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import DataErased
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.faults.pg_cluster import Cluster

pytestmark = pytest.mark.slow

PORT = 55417  # this suite's own cluster, apart from the shared server and the other outages


def test_keys_are_sealed_opened_and_destroyed_again_after_a_restart(
    cluster: Cluster, tmp_path: Path
) -> None:
    services = open_services(Settings(database_url=cluster.url(), data_dir=tmp_path))
    vault = services.vault
    assert vault.keys.datastore is services.lfr.recorder.datastore  # type: ignore[attr-defined]
    before = vault.seal("subject-before", b"probe before")
    cluster.stop()
    cluster.start()
    assert vault.open("subject-before", before) == b"probe before"
    after = vault.seal("subject-after", b"probe after")
    assert vault.open("subject-after", after) == b"probe after"
    assert vault.destroy_many(["subject-before"]) == 1
    with pytest.raises(DataErased):
        vault.open("subject-before", before)
    services.lfr.close()
