"""`lfr ingest` against the real broker and PostgreSQL: killed at random, exactly once."""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.kafka_ingest import KafkaIngest
from recognition.events import MATCHES_TOPIC
from recognition.transport import KafkaSink
from tests.projections.conftest import World, make_world
from tests.scenario import padded_jpeg
from tests.support.ingest_process import alerts_raised, publish, start_ingest

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def end_offset(bootstrap: str) -> int:
    """The next offset of the matches topic's first partition (the broker is shared by the
    session's tests)."""
    return end_offsets(bootstrap).get(0, 0)


def end_offsets(bootstrap: str) -> dict[int, int]:
    """The next offset of each partition of the matches topic: earlier tests may have made
    the topic with several partitions."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        consumer.topics()  # fetches the cluster's metadata: a new consumer knows no partition
        partitions = [
            TopicPartition(MATCHES_TOPIC, p)
            for p in sorted(consumer.partitions_for_topic(MATCHES_TOPIC) or {0})
        ]
        return {tp.partition: int(n) for tp, n in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def stored_offset(world: World) -> int:
    offset = world.ingest.offset(MATCHES_TOPIC, 0)
    return -1 if offset is None else offset


def wait_for_offset(world: World, offset: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while stored_offset(world) < offset:
        assert time.monotonic() < deadline, f"offset {offset} not reached"
        time.sleep(0.1)


def test_kafka_messages_become_alerts_resuming_after_the_stored_offset(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    publish(world, kafka_bootstrap, 20, "first")
    consumer = KafkaIngest(world.ingest, kafka_bootstrap)
    total = consumer.run(threading.Event(), idle_exit_s=2.0)
    consumer.close()
    publish(world, kafka_bootstrap, 5, "second")

    resumed = KafkaIngest(world.ingest, kafka_bootstrap)
    again = resumed.run(threading.Event(), idle_exit_s=2.0)
    resumed.close()

    assert total.alerts == 20 and again.alerts == 5 and again.already_stored == 0
    # Earlier tests' messages on the shared broker are sealed to other keys or name unknown
    # deployments: each is rejected, none skipped. (They are counted from what was read:
    # the broker's reported end offsets may lag just after other tests' writes.)
    rejected = [(p, offset) for topic, p, offset, _ in total.rejected if topic == MATCHES_TOPIC]
    for partition in {p for p, _ in rejected}:
        offsets = sorted(offset for p, offset in rejected if p == partition)
        assert offsets == list(range(len(offsets)))
    partitions = end_offsets(kafka_bootstrap)  # every partition the topic has now
    stored = [world.ingest.offset(MATCHES_TOPIC, partition) for partition in partitions]
    read = sum(offset + 1 for offset in stored if offset is not None)
    assert read == len(rejected) + 25  # every message read, the 25 of this test last
    assert len(alerts_raised(world)) == 25


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_thousand_matches_with_40_kb_crops_reach_postgres_without_hanging(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    sink = KafkaSink(kafka_bootstrap, world.ingest.probe_keys.sealer, world.worker_credential())
    for n in range(1000):
        match = world.match_event(n % 2, track=f"large-{n}")
        sink.send(replace(match, probe_jpeg=padded_jpeg(40_000)))
    sink.close()

    consumer = KafkaIngest(world.ingest, kafka_bootstrap)
    total = consumer.run(threading.Event(), idle_exit_s=3.0)
    consumer.close()

    assert total.alerts == 1000
    assert len(alerts_raised(world)) == 1000


@pytest.mark.slow
def test_ingest_killed_at_random_points_leaves_exactly_one_alert_per_message(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    base = end_offset(kafka_bootstrap)
    count = 6000
    producer = threading.Thread(target=publish, args=(world, kafka_bootstrap, count, "load"))
    producer.start()
    rng = random.Random(2026)
    stored_at_kill = []
    for _ in range(4):
        before = stored_offset(world)
        process = start_ingest(world, kafka_bootstrap, tmp_path)
        # Start-up takes seconds on a busy machine: kill once it has stored, while it works.
        wait_for_offset(world, before + 1, timeout_s=120)
        time.sleep(rng.uniform(0.0, 0.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        stored_at_kill.append(stored_offset(world))
    producer.join()
    process = start_ingest(world, kafka_bootstrap, tmp_path)
    tail = 5  # read by the last process itself: it is up (and stops cleanly) when stopped
    try:
        publish(world, kafka_bootstrap, tail, "tail")
        wait_for_offset(world, end_offset(kafka_bootstrap) - 1, timeout_s=300)
    finally:
        process.terminate()
        process.wait(10)

    raised = alerts_raised(world)
    print("messages stored at each kill:", stored_at_kill)
    # The session's broker holds earlier tests' messages too: a kill hit the ingest at work when
    # it still had this test's messages to read.
    last = base + count - 1
    assert any(stored < last for stored in stored_at_kill), "no kill hit the ingest at work"
    assert process.returncode == 0
    assert len(raised) == count + tail == len(set(raised))
    world.models.catch_up()
    row = world.models.register_row(world.scenario.deployment)
    assert row is not None and row["alerts"] == count + tail
