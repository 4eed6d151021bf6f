"""The ingest and the broker's log: topics it makes, and a reset broker it notices.

Against the real Kafka-protocol broker (restarted to reset its log) and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.kafka_ingest import KafkaIngest
from domain.broker_log import BrokerLog
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC
from recognition.transport import KafkaSink, TopicPlan
from services.broker_log import BrokerLogChangedError, ResetPolicy
from tests.projections.conftest import World, make_world
from tests.support.broker import Broker
from tests.support.credentials import unchecked_credential

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ONE_PARTITION = TopicPlan(partitions=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker() -> Iterator[Broker]:
    """A broker of the test's own: restarting it resets its log."""
    started = Broker().start()
    yield started
    started.stop()


def publish(world: World, bootstrap: str, count: int, prefix: str) -> None:
    sink = KafkaSink(bootstrap, world.ingest.probe_keys.sealer, world.worker_credential())
    for n in range(count):
        sink.send(world.match_event(n % 2, track=f"{prefix}-{n}"))
    sink.close()


def ingest_all(world: World, bootstrap: str, **options: object) -> int:
    consumer = KafkaIngest(world.ingest, bootstrap, plan=ONE_PARTITION, **options)  # type: ignore[arg-type]
    try:
        return consumer.run(threading.Event(), idle_exit_s=1.5).alerts
    finally:
        consumer.close()


def recorded(world: World, topic: str = MATCHES_TOPIC) -> list[tuple[str, dict[str, object]]]:
    log_id = BrokerLog.create_id(topic)
    events = world.ingest.recorder.select_events(log_id)
    return [
        (type(e).__name__, dict(vars(e)))
        for e in (world.ingest.mapper.to_domain_event(stored) for stored in events)
    ]


def test_the_ingest_creates_the_topics_with_the_configured_partitions_and_retention(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    with pytest.raises(ConnectionError, match="no topic 'lfr.matches'"):
        # never auto-created
        KafkaSink(broker.bootstrap, world.ingest.probe_keys.sealer, unchecked_credential())

    plan = TopicPlan(partitions=3, retention_hours=6)
    KafkaIngest(world.ingest, broker.bootstrap, plan=plan).close()

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    assert consumer.partitions_for_topic(MATCHES_TOPIC) == {0, 1, 2}
    assert consumer.partitions_for_topic(FACES_SEEN_TOPIC) == {0, 1, 2}
    consumer.close()
    assert plan.configs() == {"retention.ms": str(6 * 3600 * 1000), "cleanup.policy": "delete"}
    KafkaSink(broker.bootstrap, world.ingest.probe_keys.sealer, unchecked_credential()).close()


def test_after_a_broker_reset_new_matches_are_ingested_and_the_reset_is_recorded(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION).close()
    publish(world, broker.bootstrap, 5, "before")
    assert ingest_all(world, broker.bootstrap) == 5
    before = world.ingest.offset(MATCHES_TOPIC, 0)

    broker.restart()  # the log is gone; its offsets start again at 0
    consumer = KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION)
    publish(world, broker.bootstrap, 3, "after")
    after = consumer.run(threading.Event(), idle_exit_s=1.5).alerts
    consumer.close()

    assert after == 3  # none of the new log's matches is skipped
    (bound, first), (changed, second) = recorded(world)
    assert (bound, changed) == ("BrokerLogBound", "BrokerLogChanged")
    assert "topic id" in str(second["finding"]) and second["topic_id"] != first["topic_id"]
    assert (second["policy"], second["epoch"], second["resume_offsets"]) == (
        "earliest",
        1,
        {"0": 0},
    )
    assert world.ingest.epochs[MATCHES_TOPIC] == 1  # offsets of the new log, tracked apart
    assert world.ingest.offset(MATCHES_TOPIC, 0) is not None and before is not None
    assert ingest_all(world, broker.bootstrap) == 0  # a restart stays on the new log


def test_a_broker_reset_under_a_running_ingest_is_noticed_and_nothing_is_skipped(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    consumer = KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION)
    stop = threading.Event()
    running = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    running.start()
    try:
        publish(world, broker.bootstrap, 5, "before")
        wait_until(lambda: alerts(world) == 5)
        broker.restart()
        wait_until(lambda: world.ingest.epochs.get(MATCHES_TOPIC) == 1)  # topics made again
        publish(world, broker.bootstrap, 8, "after")  # more than before: positions overlap
        wait_until(lambda: alerts(world) == 13)
    finally:
        stop.set()
        running.join(10)
        consumer.close()
    assert not running.is_alive()
    assert [name for name, _ in recorded(world)][-1] == "BrokerLogChanged"
    assert alerts(world) == 13


def test_a_reset_log_that_grew_past_the_old_position_before_the_ingest_reconnected_is_read_whole(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    consumer = KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION)
    stop = threading.Event()
    running = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    running.start()
    try:
        publish(world, broker.bootstrap, 3, "before")
        wait_until(lambda: alerts(world) == 3)
        broker.restart()
        broker.create_topics(MATCHES_TOPIC, FACES_SEEN_TOPIC)  # as an operator would, at once
        publish(world, broker.bootstrap, 9, "after")  # the new log passes the old position
        wait_until(lambda: alerts(world) == 12)
    finally:
        stop.set()
        running.join(10)
        consumer.close()
    assert [name for name, _ in recorded(world)][-1] == "BrokerLogChanged"


def test_with_the_stop_policy_a_reset_broker_is_refused_and_the_refusal_recorded(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION).close()
    publish(world, broker.bootstrap, 2, "before")
    assert ingest_all(world, broker.bootstrap) == 2
    before = world.ingest.offset(MATCHES_TOPIC, 0)
    broker.restart()

    with pytest.raises(BrokerLogChangedError, match="LFR_KAFKA_RESET_POLICY=stop"):
        KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION, policy=ResetPolicy.STOP)

    names = [name for name, _ in recorded(world)]
    assert names == ["BrokerLogBound", "BrokerLogChangeRefused"]
    assert world.ingest.offset(MATCHES_TOPIC, 0) == before  # nothing moved


def alerts(world: World) -> int:
    notifications = world.services.lfr.recorder.select_notifications(1, 1_000_000)
    return sum(n.topic.endswith("AlertRaised") for n in notifications)


def wait_until(condition: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_lfr_ingest_with_the_stop_policy_says_why_in_one_line_and_exits_non_zero(
    postgres_url: str, broker: Broker, tmp_path: Path
) -> None:
    world = make_world(postgres_url, tmp_path)
    world.scenario.live()
    KafkaIngest(world.ingest, broker.bootstrap, plan=ONE_PARTITION).close()
    broker.restart()
    env = {
        **os.environ,
        "LFR_DATABASE_URL": postgres_url,
        "LFR_DATA_DIR": str(tmp_path),
        "LFR_KAFKA_BOOTSTRAP": broker.bootstrap,
        "LFR_KAFKA_RESET_POLICY": "stop",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert lines[0].startswith("ingest: Kafka topic lfr.matches is not the log its offsets")
    assert "topic id" in lines[-1] and lines[-1].endswith(
        "(set it to earliest or latest to resume)"
    )
    assert len(lines) == 2  # the warning, then the reason
