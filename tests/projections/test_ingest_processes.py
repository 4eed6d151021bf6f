"""`lfr ingest --processes 2` against the real broker and PostgreSQL: the processes share the
partitions, and each message is stored exactly once, through a crash of them all."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC
from tests.projections.conftest import World, make_world
from tests.support.broker import BrokerError, running_broker
from tests.support.ingest_process import alerts_raised, publish, start_ingest

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def kafka_bootstrap() -> Iterator[str]:
    """A broker of the test's own whose topics have three partitions (the session's have one)."""
    try:
        with running_broker() as broker:
            broker.create_topics(MATCHES_TOPIC, FACES_SEEN_TOPIC, partitions=3)
            yield broker.bootstrap
    except (BrokerError, ImportError, OSError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"the Kafka-protocol broker is required on CI: {error}")
        pytest.skip(f"Kafka-protocol broker not available: {error}")


def wait_for_alerts(world: World, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(alerts_raised(world)) < count:
        assert time.monotonic() < deadline, f"{count} alerts not raised"
        time.sleep(0.2)


def alerts_per_process(log: str) -> dict[str, int]:
    """The last count of alerts each process of `lfr ingest --processes` reported."""
    return {share: int(n) for share, n in re.findall(r"ingest (\d+/\d+): (\d+) alerts", log)}


@pytest.mark.timeout(300)
def test_two_ingest_processes_share_the_partitions_and_store_each_match_once(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    publish(world, kafka_bootstrap, 300, "shared")
    log_path = tmp_path / "ingest.log"
    with log_path.open("w") as log:
        process = start_ingest(world, kafka_bootstrap, tmp_path, log, ("--processes", "2"))
        try:
            wait_for_alerts(world, 300, timeout_s=240)
        finally:
            process.terminate()
            process.wait(60)

    raised = alerts_raised(world)
    assert len(raised) == 300 == len(set(raised))
    assert process.returncode == 0
    per_process = alerts_per_process(log_path.read_text())
    # Each process raised its own partitions' alerts, and between them every one.
    assert set(per_process) == {"0/2", "1/2"} and all(per_process.values())
    assert sum(per_process.values()) == 300


@pytest.mark.timeout(300)
def test_ingest_processes_killed_together_resume_and_store_each_match_once(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    publish(world, kafka_bootstrap, 3000, "before")
    process = start_ingest(world, kafka_bootstrap, tmp_path, args=("--processes", "2"))
    wait_for_alerts(world, 1, timeout_s=240)
    os.killpg(process.pid, signal.SIGKILL)  # the supervisor and both processes, mid-work
    process.wait()
    at_kill = len(alerts_raised(world))
    publish(world, kafka_bootstrap, 100, "after")

    process = start_ingest(world, kafka_bootstrap, tmp_path, args=("--processes", "2"))
    try:
        wait_for_alerts(world, 3100, timeout_s=240)
        time.sleep(1.0)  # nothing more arrives: no message stored twice
    finally:
        process.terminate()
        process.wait(60)

    raised = alerts_raised(world)
    assert 0 < at_kill < 3000  # killed at work
    assert len(raised) == 3100 == len(set(raised))
