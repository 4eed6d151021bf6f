"""Many clients reading the ledger at once on SQLite: the auditor's verification and export
beside the public register, from 50 threads, with no crash and no error."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.faults.served import served_api
from tests.scenario import Scenario, start_clock

pytestmark = pytest.mark.slow

CLIENTS = 50
DURATION_S = 30.0


def _store_with_deployments(url: str, data_dir: Path, deployments: int = 3) -> None:
    clock = start_clock()
    services = open_services(Settings(database_url=url, data_dir=data_dir), clock=clock)
    for _ in range(deployments):
        scenario = Scenario(services.lfr, clock).live(entries=2)
        scenario.alert(0, track="t1")
        scenario.alert(1, track="t2")


def test_ledger_reads_from_fifty_threads_on_sqlite_neither_crash_nor_fail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    _store_with_deployments(url, tmp_path)
    answers: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    with served_api(url, tmp_path) as api:
        auditor = api.headers["auditor"]
        with api.client() as client:
            signed = client.post("/ledger/checkpoints", headers=auditor)
            assert signed.status_code == 201, signed.text
            size = client.get("/public/checkpoint").json()["checkpoint"]
            assert client.get("/ledger/verification", headers=auditor).json()["ok"] is True
        paths = [
            ("/ledger/verification", auditor),
            ("/ledger/export.zip", auditor),
            ("/ledger/proofs/inclusion/1", auditor),
            ("/public/register", {}),
            ("/public/checkpoint", {}),
            ("/public/metrics", {}),
        ]
        stop_at = time.monotonic() + DURATION_S

        def reader(n: int) -> None:
            with api.client(timeout=120) as client:
                i = n
                while time.monotonic() < stop_at:
                    path, headers = paths[i % len(paths)]
                    i += 1
                    try:
                        status = client.get(path, headers=headers).status_code
                    except httpx.TransportError as error:
                        status = -1
                        detail = f"{path}: {type(error).__name__}"
                    else:
                        detail = f"{path}: {status}"
                    with lock:
                        answers[path] += 1
                        if status != 200:
                            failures.append(detail)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DURATION_S + 180)
        alive = api.process.poll() is None
        log = api.log_text()

    assert size, "the ledger has a checkpoint to read"
    assert alive, f"lfr api died under concurrent ledger reads:\n{log[-3000:]}"
    assert not failures, f"{len(failures)} failed reads, e.g. {failures[:5]}"
    assert "Recursive use of cursors" not in log
    assert answers["/ledger/verification"] > 0 and answers["/public/register"] > 0
