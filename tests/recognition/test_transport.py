from __future__ import annotations

import queue

import pytest

from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, MatchEvent
from recognition.sealing import ProbeKeyPair
from recognition.transport import InProcessBroker, KafkaSink
from tests.support.broker import read_topic
from tests.support.credentials import unchecked_credential

KEYS = ProbeKeyPair.generate()
CREDENTIAL = unchecked_credential()  # no ingest reads these messages


def _count(deployment: str = "dep-1") -> FacesSeenCount:
    return FacesSeenCount(deployment, "cam", "t0", "t1", 3, 2)


def test_the_in_process_broker_hands_events_to_its_reader_in_order() -> None:
    broker = InProcessBroker(KEYS.sealer, CREDENTIAL)
    sink = broker.sink()
    for seen in range(3):
        sink.send(FacesSeenCount("dep-1", "cam", "t0", "t1", seen, 0))
    delivered = broker.poll()
    assert [FacesSeenCount.from_json(m.value).faces_seen for m in delivered] == [0, 1, 2]
    assert {m.topic for m in delivered} == {FACES_SEEN_TOPIC} and delivered[0].key == b"dep-1:cam"


def test_the_in_process_broker_is_bounded_and_says_so_when_nobody_reads() -> None:
    broker = InProcessBroker(KEYS.sealer, CREDENTIAL, maxsize=2)
    broker.publish(_count())
    broker.publish(_count())
    with pytest.raises(queue.Full):
        broker.publish(_count(), timeout_s=0.05)


@pytest.mark.kafka
def test_the_kafka_sink_writes_each_kind_to_its_topic_keyed_by_deployment_camera_and_track(
    kafka_bootstrap: str,
) -> None:
    sink = KafkaSink(kafka_bootstrap, KEYS.sealer, CREDENTIAL)
    match = MatchEvent.create(
        probe_jpeg=b"jpg", deployment_id="dep-kafka", camera_id="c", observed_at="t",
        entry_id="e", score=0.7, threshold=0.6, model_id="m", model_version="v",
        watchlist_version="w", track_id="t1",
    )  # fmt: skip
    sink.send(match)
    sink.send(_count("dep-kafka"))
    sink.close()
    matches = [v for k, v in read_topic(kafka_bootstrap, MATCHES_TOPIC) if k == b"dep-kafka:c:t1"]
    counts = [v for k, v in read_topic(kafka_bootstrap, FACES_SEEN_TOPIC) if k == b"dep-kafka:cam"]
    assert [MatchEvent.from_json(v, KEYS) for v in matches] == [match]
    assert [FacesSeenCount.from_json(v) for v in counts] == [_count("dep-kafka")]
