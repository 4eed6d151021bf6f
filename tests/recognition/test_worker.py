"""The worker end to end on real faces: video made from real photos, the dlib engine,
the real Kafka-protocol broker."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from recognition.capture import VideoSource
from recognition.engines.base import FaceEngine
from recognition.enrol import template_from_image
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, MatchEvent
from recognition.index import Template
from recognition.sealing import ProbeKeyPair
from recognition.transport import InProcessBroker, InProcessSink, KafkaSink
from recognition.worker import RecognitionWorker, WorkerConfig
from tests.support.broker import from_deployment, read_topic
from tests.support.credentials import unchecked_credential
from tests.support.faces import photos
from tests.support.video import Walk, face_patch, write_video

WANTED, PASSER_BY, OTHER = "Ari_Fleischer", "Arnold_Schwarzenegger", "Cherie_Blair"
THRESHOLD = 0.6
FPS = 10
KEYS = ProbeKeyPair.generate()  # the ingest's: workers seal each probe crop to it
CREDENTIAL = unchecked_credential()  # no ingest reads these messages


def new_sink() -> InProcessSink:
    return InProcessBroker(KEYS.sealer, CREDENTIAL).sink()


# A count's fields, its schema, and the proof of the worker's token (no per-face data).
COUNT_FIELDS = {*(f.name for f in fields(FacesSeenCount)), "schema", "version"} | {
    "credential",
    "proof",
}


class StaticProvider:
    """A deployment whose status follows a script of (calls, status) steps."""

    def __init__(self, templates: list[Template], script: list[tuple[int, str]]) -> None:
        self._templates = templates
        self._script = script
        self.calls = 0
        self.erased: set[str] = set()
        self.authorised_threshold = THRESHOLD

    def templates(self, deployment_id: str) -> list[Template]:
        return list(self._templates)

    def status(self, deployment_id: str) -> str:
        self.calls += 1
        for until, status in self._script:
            if self.calls <= until:
                return status
        return self._script[-1][1]

    def threshold(self, deployment_id: str) -> float:
        return self.authorised_threshold

    def erased_entries(self, deployment_id: str) -> set[str]:
        erased, self.erased = self.erased, set()
        return erased


def _two_passages(faces_dir: Path, path: Path) -> Path:
    """The wanted person walks past with a passer-by, is gone for 1.5 s, then walks past
    again with someone else. The video uses a different photo from the enrolled one."""
    wanted = face_patch(photos(faces_dir, WANTED)[1])
    walks = [
        Walk(wanted, 20, 0, 20),
        Walk(face_patch(photos(faces_dir, PASSER_BY)[0]), 290, 0, 20, leftwards=True),
        Walk(wanted, 290, 35, 20),
        Walk(face_patch(photos(faces_dir, OTHER)[0]), 20, 35, 20, leftwards=True),
    ]
    return write_video(path, walks, frames=55, fps=FPS)


@pytest.fixture
def watchlist(street_engine: FaceEngine, faces_dir: Path) -> list[Template]:
    template = template_from_image(street_engine, photos(faces_dir, WANTED)[0], entry_id="entry-w")
    return [template]


def _messages(bootstrap: str, topic: str, deployment: str) -> list[bytes]:
    return [
        value for key, value in read_topic(bootstrap, topic) if from_deployment(key, deployment)
    ]


@pytest.mark.slow
@pytest.mark.kafka
def test_one_passage_of_a_watchlisted_person_makes_one_alert_and_others_make_none(
    street_engine: FaceEngine,
    faces_dir: Path,
    watchlist: list[Template],
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    video = _two_passages(faces_dir, tmp_path / "street.avi")
    monkeypatch.chdir(tmp_path)  # anything the worker wrote to its working folder shows here
    before = sorted(tmp_path.rglob("*"))
    deployment = f"dep-{uuid.uuid4().hex[:8]}"
    sink = KafkaSink(kafka_bootstrap, KEYS.sealer, CREDENTIAL)
    provider = StaticProvider(watchlist, [(1, "live")])
    worker = RecognitionWorker(street_engine, provider, sink, WorkerConfig(deployment, "cam-a"))
    stats = worker.run(VideoSource(str(video)))
    sink.close()

    matches = [
        MatchEvent.from_json(m, KEYS) for m in _messages(kafka_bootstrap, MATCHES_TOPIC, deployment)
    ]
    assert [m.entry_id for m in matches] == ["entry-w", "entry-w"]
    assert len({m.track_id for m in matches}) == 2  # one alert per passage
    first, second = sorted(m.observed_at for m in matches)
    assert first < second
    for match in matches:
        assert match.score >= THRESHOLD and match.threshold == THRESHOLD
        assert match.model_id == street_engine.model_id
        assert match.watchlist_version == worker.index.version or len(worker.index) == 0
        crop = cv2.imdecode(np.frombuffer(match.probe_bytes(), np.uint8), cv2.IMREAD_COLOR)
        assert crop is not None and crop.shape[0] > 40
    assert stats.alerts == 2 and stats.faces_seen == 4  # four people passed

    # Nothing about the faces that did not match leaves the process: the only other
    # messages are counts, and no file was written.
    counts = [json.loads(m) for m in _messages(kafka_bootstrap, FACES_SEEN_TOPIC, deployment)]
    assert counts and all(set(c) == COUNT_FIELDS for c in counts)
    assert sum(c["faces_seen"] for c in counts) == stats.faces_seen
    assert sorted(tmp_path.rglob("*")) == before
    assert len(worker.index) == 0  # the watchlist went with the end of the run


@pytest.mark.slow
def test_no_embedding_or_crop_of_a_face_that_does_not_match_is_emitted(
    street_engine: FaceEngine, faces_dir: Path, tmp_path: Path
) -> None:
    walks = [Walk(face_patch(photos(faces_dir, PASSER_BY)[0]), 100, 0, 15)]
    video = write_video(tmp_path / "passer.avi", walks, frames=15, fps=FPS)
    broker = InProcessBroker(KEYS.sealer, CREDENTIAL)
    wanted = template_from_image(street_engine, photos(faces_dir, WANTED)[0], entry_id="w")
    provider = StaticProvider([wanted], [(1, "live")])
    worker = RecognitionWorker(street_engine, provider, broker.sink(), WorkerConfig("dep-1"))
    stats = worker.run(VideoSource(str(video)))
    delivered = broker.poll()
    assert stats.searches > 0 and stats.alerts == 0
    assert {m.topic for m in delivered} == {FACES_SEEN_TOPIC}
    for message in delivered:
        payload = json.loads(message.value)
        assert set(payload) == COUNT_FIELDS
        assert all(not isinstance(v, list | dict) for v in payload.values())
    raw = b"".join(m.value for m in delivered)
    assert b"jpeg" not in raw.lower() and base64.b64encode(b"\xff\xd8")[:3] not in raw


def test_an_ended_deployment_stops_the_worker_and_drops_the_watchlist(
    street_engine: FaceEngine, faces_dir: Path, watchlist: list[Template], tmp_path: Path
) -> None:
    walks = [Walk(face_patch(photos(faces_dir, OTHER)[0]), 40, 0, 30)]
    video = write_video(tmp_path / "v.avi", walks, frames=30, size=(320, 240), fps=FPS)
    provider = StaticProvider(watchlist, [(5, "live"), (6, "ended")])
    config = WorkerConfig("dep-1", status_poll_s=0.0)
    worker = RecognitionWorker(street_engine, provider, new_sink(), config)
    loaded: list[int] = []
    original = worker._load_watchlist

    def spy() -> None:
        original()
        loaded.append(len(worker.index))

    worker._load_watchlist = spy  # type: ignore[method-assign]
    stats = worker.run(VideoSource(str(video)))
    assert loaded == [1]
    assert stats.frames == 5  # one status poll per frame: five said "live", the sixth "ended"
    assert len(worker.index) == 0 and worker.status == "ended"


def test_worker_stops_by_itself_at_the_end_of_the_authority_the_provider_gave(
    street_engine: FaceEngine, faces_dir: Path, watchlist: list[Template], tmp_path: Path
) -> None:
    walks = [Walk(face_patch(photos(faces_dir, OTHER)[0]), 40, 0, 30)]
    video = write_video(tmp_path / "v.avi", walks, frames=30, size=(320, 240), fps=FPS)

    class Unreachable(StaticProvider):
        """Says live for ever (the service that would end the deployment is unreachable),
        but said when the authority ends: one second of video after the worker started."""

        def authorised_until(self, deployment_id: str) -> datetime:
            return worker._started_at + timedelta(seconds=1)

    provider = Unreachable(watchlist, [(1, "live")])
    config = WorkerConfig("dep-1", status_poll_s=0.0)
    worker = RecognitionWorker(street_engine, provider, new_sink(), config)
    stats = worker.run(VideoSource(str(video)))
    # At most the frames of 0.0 to 0.9 s of video (fewer if a second of wall time passed
    # first): never the 20 frames after the authority's end.
    assert 1 <= stats.frames <= FPS
    assert len(worker.index) == 0 and worker.status == "ended"


def test_a_paused_deployment_holds_no_templates(
    street_engine: FaceEngine, watchlist: list[Template], tmp_path: Path, faces_dir: Path
) -> None:
    walks = [Walk(face_patch(photos(faces_dir, OTHER)[0]), 30, 0, 10)]
    video = write_video(tmp_path / "v.avi", walks, frames=10, size=(320, 240), fps=FPS)
    sizes: list[int] = []

    class Watching(StaticProvider):
        def status(self, deployment_id: str) -> str:
            sizes.append(len(worker.index))
            return super().status(deployment_id)

    provider = Watching(watchlist, [(2, "live"), (3, "paused"), (4, "ended")])
    config = WorkerConfig("dep-1", status_poll_s=0.0)
    worker = RecognitionWorker(street_engine, provider, new_sink(), config)
    worker.run(VideoSource(str(video)))
    # polls: live (loads), live (1 entry), paused (drops), ended
    assert sizes == [0, 1, 1, 0]


def test_an_entry_erased_mid_deployment_leaves_the_index_at_once() -> None:
    vectors = np.eye(4, 128, dtype=np.float32)
    templates = [Template(f"entry-{n}", "test-model", vectors[n]) for n in range(4)]
    provider = StaticProvider(templates, [(10**6, "live")])
    engine = FaceEngine("test-model", "1", detector=None, embedder=_Dim128(), scale=None)  # type: ignore[arg-type]
    worker = RecognitionWorker(
        engine,
        provider,
        new_sink(),
        WorkerConfig(deployment_id="d", status_poll_s=0.0),
    )
    worker._poll_status()
    assert len(worker.index) == 4
    provider.erased = {"entry-2"}
    provider.authorised_threshold = 0.7
    worker._poll_status()
    assert len(worker.index) == 3
    assert worker.threshold == 0.7
    hits = worker.index.search(vectors[2:3], "test-model")[0]
    assert all(hit.entry_id != "entry-2" for hit in hits)


class _Dim128:
    dimension = 128
