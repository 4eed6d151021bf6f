"""`lfr ingest` through a PostgreSQL outage: it waits for the database with backoff and
resumes by itself, loses and duplicates no message (the broker's offsets are stored in the
same transaction as the alerts), and when the database stays away longer than it is told to
wait it stops with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.pg_cluster import Cluster
from tests.projections.conftest import World, make_world
from tests.support.broker import running_broker
from tests.support.ingest_process import alerts_raised, publish, start_ingest

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

PORT = 55415  # this suite's own cluster, apart from the shared server and the API's outage test
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kafka_bootstrap() -> Iterator[str]:
    """A broker of this module's own: the ingest reads its topic from the start, and on the
    session's shared broker that meant every earlier test's messages (a timeout when run
    after the projections' tests)."""
    with running_broker() as broker:
        broker.create_topics("lfr.matches", "lfr.faces-seen")
        yield broker.bootstrap


def ingest_waiting(world: World, bootstrap: str, wait_s: float) -> subprocess.Popen[str]:
    """`lfr ingest` told to wait `wait_s` for the database, its errors read by the test."""
    return start_ingest(
        world,
        bootstrap,
        world.settings.data_dir,
        subprocess.PIPE,
        LFR_INGEST_DATABASE_WAIT_S=str(wait_s),
    )


def wait_for_alerts(world: World, count: int, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            raised = alerts_raised(world)
        except Exception:  # the test's own connection meets the restart too
            raised = []
        if len(raised) >= count or time.monotonic() > deadline:
            return raised
        time.sleep(0.5)


@pytest.mark.timeout(300)
def test_ingest_waits_out_a_database_restart_and_stores_every_message_once(
    cluster: Cluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(cluster.url(), tmp_path)
    world.scenario.live()
    ingest = ingest_waiting(world, kafka_bootstrap, wait_s=120)
    count = 120
    producer = threading.Thread(
        target=publish, args=(world, kafka_bootstrap, count, "outage", 0.05)
    )
    try:
        producer.start()
        assert len(wait_for_alerts(world, 5, timeout_s=60)) >= 5, "the ingest never stored"
        cluster.stop()  # mid-run: the producer keeps sending while the database is down
        time.sleep(4)
        cluster.start()
        producer.join()
        raised = wait_for_alerts(world, count, timeout_s=120)
        time.sleep(2)  # a duplicate, were there one, would arrive with the last
        raised = alerts_raised(world)
    finally:
        ingest.terminate()
        _, stderr = ingest.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    # Whether it said it was waiting depends on timing: a connection attempt begun while
    # the database was down may simply succeed once it is back (the pool's connect timeout
    # is longer than the outage).
    assert ingest.returncode == 0, stderr
    assert len(raised) == count == len(set(raised))


@pytest.mark.timeout(300)
def test_ingest_gives_up_with_one_line_when_the_database_stays_down(
    cluster: Cluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(cluster.url(), tmp_path)
    world.scenario.live()
    ingest = ingest_waiting(world, kafka_bootstrap, wait_s=5)
    try:
        publish(world, kafka_bootstrap, 3, "before")
        assert len(wait_for_alerts(world, 3, timeout_s=60)) == 3
        cluster.stop()
        publish(world, kafka_bootstrap, 3, "during")
        _, stderr = ingest.communicate(timeout=150)  # each try waits out the pool's timeouts
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert ingest.returncode not in (0, None)
    assert "Traceback" not in stderr, stderr
    [last] = [line for line in stderr.splitlines() if line.startswith("lfr: ")]
    assert "database" in last and "not available" in last, stderr
    cluster.start()
    restarted = ingest_waiting(world, kafka_bootstrap, wait_s=60)
    try:
        raised = wait_for_alerts(world, 6, timeout_s=90)
    finally:
        restarted.terminate()
        restarted.communicate(timeout=30)
    assert len(raised) == 6 == len(set(raised))  # nothing read before the stop was lost
