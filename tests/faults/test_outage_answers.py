"""Through a PostgreSQL restart, every request to `lfr api` gets an answer: 503 with a reason
while the database is away, the answer itself once it is back (the data keys' connections
reconnect like the pool's), never a dropped connection and never a traceback in the log."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.faults.pg_cluster import Cluster
from tests.faults.served import served_api
from tests.scenario import Clock, Scenario

pytestmark = pytest.mark.slow

PORT = 55416  # this suite's own cluster, apart from the shared server and the other outages


def consult(client: httpx.Client, alert: str, headers: dict[str, str]) -> int | str:
    try:
        return client.post(
            f"/alerts/{alert}/consultation",
            json={"justification": "adjudicating the alert"},
            headers=headers,
        ).status_code
    except httpx.TransportError as error:
        return type(error).__name__


@pytest.mark.timeout(300)
def test_consultations_through_a_database_restart_are_all_answered_without_a_traceback(
    cluster: Cluster, tmp_path: Path
) -> None:
    settings = Settings(database_url=cluster.url(), data_dir=tmp_path)
    clock = Clock(datetime.now(UTC) - timedelta(hours=1, minutes=10))  # live now, served
    scenario = Scenario(open_services(settings, clock=clock).lfr, clock).live()
    alert = str(scenario.alert(0))
    seen: Counter[int | str] = Counter()
    with served_api(cluster.url(), tmp_path) as api:
        operator = api.headers["operator"]
        with api.client(timeout=60) as client:  # one kept-alive connection throughout
            for _ in range(3):
                assert consult(client, alert, operator) == 200
            cluster.stop()
            seen[consult(client, alert, operator)] += 1
            cluster.start()
            # The pool reconnects with backoff: allow it the time it may have grown to.
            deadline = time.monotonic() + 90
            while (answer := consult(client, alert, operator)) != 200:
                seen[answer] += 1
                assert time.monotonic() < deadline, seen
                time.sleep(0.5)
        log = api.log_text()
    assert set(seen) <= {503}, seen
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]
