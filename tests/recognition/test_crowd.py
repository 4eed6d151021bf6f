"""A street camera's view: a crowd video made from real faces (the test half of the
development set), the default engine (YuNet at full resolution, dlib's embedder), the
worker sending through the real Kafka-protocol broker."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from recognition.capture import VideoSource
from recognition.engines.base import FaceEngine
from recognition.enrol import template_from_image
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, MatchEvent
from recognition.sealing import ProbeKeyPair
from recognition.transport import KafkaSink
from recognition.worker import RecognitionWorker, WorkerConfig
from tests.support.broker import from_deployment, read_topic
from tests.support.credentials import unchecked_credential
from tests.support.crowd import Crowd, crowd_video

THRESHOLD = 0.6  # the authorised floor


class Live:
    def __init__(self, templates: list) -> None:  # type: ignore[type-arg]
        self._templates = templates

    def templates(self, deployment_id: str) -> list:  # type: ignore[type-arg]
        return self._templates

    def status(self, deployment_id: str) -> str:
        return "live"

    def threshold(self, deployment_id: str) -> float:
        return THRESHOLD

    def erased_entries(self, deployment_id: str) -> set[str]:
        return set()


@dataclass
class Run:
    crowd: Crowd
    alerts: list[MatchEvent]
    counts: list[dict]  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def street_run(
    street_engine: FaceEngine, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    from tests.conftest import SHARED

    faces = SHARED / "faces" / "dev"
    if not faces.is_dir():
        pytest.skip("the development faces are not present")
    folder = tmp_path_factory.mktemp("crowd")
    crowd = crowd_video(faces, folder / "street.avi", frames=160, watchlisted=2)
    templates = [
        template_from_image(street_engine, photo, entry_id=person)
        for person, photo in crowd.watchlist.items()
    ]
    deployment = f"dep-{uuid.uuid4().hex[:8]}"
    keys = ProbeKeyPair.generate()  # the ingest's: the worker seals each crop to it
    sink = KafkaSink(kafka_bootstrap, keys.sealer, unchecked_credential())
    config = WorkerConfig(deployment, "cam-street", count_interval_s=5.0)
    try:
        RecognitionWorker(street_engine, Live(templates), sink, config).run(
            VideoSource(str(crowd.path))
        )
    finally:
        sink.close()

    def mine(topic: str) -> list[bytes]:
        return [v for k, v in read_topic(kafka_bootstrap, topic) if from_deployment(k, deployment)]

    alerts = [MatchEvent.from_json(v, keys) for v in mine(MATCHES_TOPIC)]
    return Run(crowd, alerts, [json.loads(v) for v in mine(FACES_SEEN_TOPIC)])


@pytest.mark.slow
@pytest.mark.kafka
def test_each_watchlisted_passage_in_a_crowd_alerts_once_and_no_one_else_alerts(
    street_run: Run,
) -> None:
    crowd, alerts = street_run.crowd, street_run.alerts
    wanted = crowd.watchlisted_passages
    assert len(wanted) == 4 and len({p.person for p in wanted}) == 2  # each passes twice
    assert len(crowd.passages) >= 3 * len(wanted)  # among several others at once
    assert sorted(a.entry_id for a in alerts) == sorted(p.person for p in wanted)
    assert len({a.track_id for a in alerts}) == len(alerts)  # one track, one alert
    for person in {p.person for p in wanted}:  # both passages: apart in time
        first, second = sorted(a.observed_at for a in alerts if a.entry_id == person)
        assert first < second
    assert all(a.score >= THRESHOLD and a.camera_id == "cam-street" for a in alerts)


@pytest.mark.slow
@pytest.mark.kafka
def test_faces_seen_on_the_camera_is_the_number_of_people_who_passed_within_one(
    street_run: Run,
) -> None:
    counts = street_run.counts
    assert len(counts) >= 3  # one count per 5 s interval of a 16 s video
    assert {c["camera_id"] for c in counts} == {"cam-street"}
    seen = sum(c["faces_seen"] for c in counts)
    assert abs(seen - len(street_run.crowd.passages)) <= 1
