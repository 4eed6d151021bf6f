"""The register's proof cache keeps the proofs against the newest checkpoint only."""

from __future__ import annotations

from pathlib import Path

from api.register_proofs import RegisterProofs
from runtime.bootstrap import open_services
from runtime.ledger_wiring import open_ledger
from runtime.settings import Settings
from tests.scenario import Scenario, start_clock


def test_proofs_against_older_checkpoints_are_dropped_so_the_cache_never_grows_with_time(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lfr.db'}", data_dir=tmp_path)
    clock = start_clock()
    scenario = Scenario(open_services(settings, clock=clock).lfr, clock).live()
    ledger = open_ledger(settings)
    proofs = RegisterProofs(ledger)
    sizes = []
    for n in range(3):
        scenario.alert(0, track=f"t{n}")
        size = ledger.checkpoint().tree_size
        sizes.append(size)
        for notification_id in (1, 2, 3):
            assert proofs.proof(notification_id, size)["proof"]["tree_size"] == size
        assert {s for _, s in proofs._proofs} == {size}  # the older sizes' proofs are gone
    assert len(set(sizes)) == 3 and len(proofs._proofs) == 3
