"""The served API through a database outage and a stop: requests fail fast with 503 and a
reason while PostgreSQL is down, the service recovers by itself when it is back, and
SIGTERM stops it within 10 s with an operator's alert stream open."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.faults.pg_cluster import Cluster
from tests.faults.served import served_api

pytestmark = pytest.mark.slow

PORT = 55405  # this suite's own cluster, apart from the shared server


def test_the_api_answers_503_while_postgres_is_down_and_recovers_by_itself(
    cluster: Cluster, tmp_path: Path
) -> None:
    statuses: Counter[int] = Counter()
    slowest = {"during": 0.0}
    phase = {"now": "before"}
    stop = threading.Event()

    with served_api(cluster.url(), tmp_path) as api:
        operator = api.headers["operator"]

        def load() -> None:
            with api.client(timeout=60) as client:
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        status = client.get("/alerts", headers=operator).status_code
                    except httpx.TransportError:
                        status = -1
                    took = time.monotonic() - started
                    statuses[status] += 1
                    if phase["now"] == "down":
                        slowest["during"] = max(slowest["during"], took)
                    time.sleep(0.05)

        clients = [threading.Thread(target=load) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(2)
        assert statuses[200] > 0, statuses
        phase["now"] = "down"
        cluster.stop()
        with api.client(timeout=60) as client:
            started = time.monotonic()
            answer = client.get("/alerts", headers=operator)
            took = time.monotonic() - started
        assert answer.status_code == 503, answer.text
        assert "database" in answer.json()["detail"] and took < 10, took
        time.sleep(3)
        phase["now"] = "back"
        cluster.start()
        deadline = time.monotonic() + 30
        with api.client(timeout=60) as client:
            while client.get("/alerts", headers=operator).status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover by itself"
                time.sleep(0.5)
        stop.set()
        for thread in clients:
            thread.join(60)
        alive = api.process.poll() is None

    assert alive
    assert slowest["during"] < 10, f"a request took {slowest['during']:.0f} s while down"
    assert set(statuses) <= {200, 503}, statuses


def test_sigterm_stops_the_api_within_10_s_with_an_alert_stream_open(tmp_path: Path) -> None:
    with served_api(f"sqlite:///{tmp_path / 'lfr.db'}", tmp_path) as api:
        opened = threading.Event()

        def listen() -> None:
            with (
                api.client(timeout=60) as client,
                client.stream("GET", "/alerts/stream", headers=api.headers["operator"]) as stream,
            ):
                for _ in stream.iter_raw():
                    opened.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert opened.wait(20), "the alert stream did not open"
        started = time.monotonic()
        code = api.stop(timeout=15)
        took = time.monotonic() - started
    assert took < 10, f"lfr api took {took:.1f} s to stop"
    assert code in (0, -15)  # uvicorn ends by raising the signal it stopped for again
