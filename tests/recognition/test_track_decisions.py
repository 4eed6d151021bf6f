"""Per-track decisions of the worker, on a scripted detector and embedder (unit tests).

The same behaviour on real faces, the real engine and the real broker is in
test_worker.py and test_crowd.py; here each rule is isolated: when a track is embedded,
which frame its one alert is raised on, and what faces seen counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pytest

from recognition.capture import Frame
from recognition.engines.base import Face, FaceEngine, ScoreScale
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, MatchEvent
from recognition.index import Template
from recognition.sealing import ProbeKeyPair
from recognition.transport import InProcessBroker, InProcessSink
from recognition.worker import RecognitionWorker, WorkerConfig
from tests.support.credentials import unchecked_credential

FPS = 10
KEYS = ProbeKeyPair.generate()  # the ingest's: the worker seals each crop to it
CREDENTIAL = unchecked_credential()  # no ingest reads these messages


def new_sink() -> InProcessSink:
    return InProcessBroker(KEYS.sealer, CREDENTIAL).sink()


WANTED = np.eye(1, 128, 0, dtype=np.float32)[0]
ELSEWHERE = np.eye(1, 128, 1, dtype=np.float32)[0]


@dataclass(frozen=True)
class Seen:
    """A face in the script: where, how big, and how like the wanted person it looks."""

    x: float
    size: float
    likeness: float  # the cosine its template has with the wanted person's
    y: float = 100.0


class ScriptedDetector:
    def __init__(self, script: list[list[Seen]]) -> None:
        self.script = script
        self.frame = 0

    def detect(self, image: np.ndarray) -> list[Face]:
        seen = self.script[self.frame] if self.frame < len(self.script) else []
        self.frame += 1
        # The likeness rides on the detector's score, for the embedder to read back.
        return [Face((s.x, s.y, s.size, s.size), s.likeness) for s in seen]


class LikenessEmbedder:
    dimension = 128

    def __init__(self) -> None:
        self.embedded: list[tuple[float, float]] = []  # (size, likeness) of each embedding

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        self.embedded.append((face.box[2], face.score))
        a = face.score
        return a * WANTED + float(np.sqrt(1 - a * a)) * ELSEWHERE


class Provider:
    def templates(self, deployment_id: str) -> list[Template]:
        return [Template("entry-w", "scripted", WANTED)]

    def status(self, deployment_id: str) -> str:
        return "live"

    def threshold(self, deployment_id: str) -> float:
        return 0.6

    def erased_entries(self, deployment_id: str) -> set[str]:
        return set()


class ScriptedSource:
    source = "scripted.avi"

    def __init__(self, frames: int) -> None:
        self.count = frames
        rng = np.random.default_rng(0)
        self.image = rng.integers(0, 255, (480, 1280, 3), dtype=np.uint8)  # sharp everywhere

    def frames(self) -> Iterator[Frame]:
        for index in range(self.count):
            yield Frame(index, index / FPS, self.image)

    def stop(self) -> None:
        pass


def _run(script: list[list[Seen]], **config: float) -> tuple[RecognitionWorker, InProcessBroker]:
    embedder = LikenessEmbedder()
    engine = FaceEngine("scripted", "1", ScriptedDetector(script), embedder, ScoreScale(0.0, 1.0))
    broker = InProcessBroker(KEYS.sealer, CREDENTIAL)
    settings = WorkerConfig("dep", "cam-a", status_poll_s=0.0, **config)  # type: ignore[arg-type]
    worker = RecognitionWorker(engine, Provider(), broker.sink(), settings)
    worker.run(ScriptedSource(len(script)))  # type: ignore[arg-type]
    return worker, broker


def _alerts(broker: InProcessBroker) -> list[MatchEvent]:
    return [MatchEvent.from_json(m.value, KEYS) for m in broker.poll() if m.topic == MATCHES_TOPIC]


def _walk(frames: int, size: float, likeness: float, start_x: float = 10.0) -> list[Seen]:
    return [Seen(start_x + 20 * i, size, likeness) for i in range(frames)]


def test_a_track_is_embedded_when_it_starts_and_again_only_when_its_face_clearly_improves() -> None:
    steady = _walk(20, 60, 0.3)
    growing = [Seen(s.x, 60 * 1.1**i, 0.3) for i, s in enumerate(_walk(20, 60, 0.3))]
    worker, _ = _run([[s] for s in steady])
    assert worker.stats.searches == 1
    worker, _ = _run([[s] for s in growing])
    sizes = [size for size, _ in worker.engine.embedder.embedded]  # type: ignore[attr-defined]
    assert 1 < worker.stats.searches < 20 / 2
    assert all(later >= 1.25 * earlier for earlier, later in zip(sizes, sizes[1:], strict=False))


def test_a_passage_alerts_once_on_its_best_frame() -> None:
    # The face grows as the person nears the camera; the likeness peaks at frame 7.
    likeness = [0.62, 0.63, 0.64, 0.66, 0.68, 0.7, 0.72, 0.9, 0.7, 0.65, 0.64]
    script = [[Seen(10 + 20 * i, 40 * 1.25 ** min(i, 7), a)] for i, a in enumerate(likeness)]
    worker, broker = _run(script + [[]] * 15, decision_hold_s=5.0)
    alerts = _alerts(broker)
    assert len(alerts) == 1 and worker.stats.alerts == 1
    assert alerts[0].score == pytest.approx(0.9)
    first_frame = worker._started_at  # the video clock starts there
    observed = datetime.fromisoformat(alerts[0].observed_at) - first_frame
    assert observed.total_seconds() == pytest.approx(0.7, abs=0.002)


def test_an_alert_waits_for_a_better_frame_no_longer_than_the_hold() -> None:
    script = [[s] for s in _walk(60, 80, 0.7)]  # a long passage, one steady likeness
    worker, broker = _run(script, decision_hold_s=1.0)
    assert len(_alerts(broker)) == 1
    assert worker.stats.alerts == 1
    # Decided one second (ten frames) after the first match: no more searches after it.
    assert worker.stats.searches == 1


def test_a_person_who_leaves_and_returns_alerts_again() -> None:
    passage = [[s] for s in _walk(10, 80, 0.8)]
    gone = [[]] * 20  # two seconds: longer than a track lives unseen
    _, broker = _run(passage + gone + passage)
    alerts = _alerts(broker)
    assert len(alerts) == 2 and alerts[0].track_id != alerts[1].track_id
    assert alerts[0].event_id != alerts[1].event_id


def test_someone_who_does_not_match_raises_nothing_whatever_their_track() -> None:
    _, broker = _run([[s] for s in _walk(30, 80, 0.55)])
    assert _alerts(broker) == []


def test_faces_seen_counts_people_passing_per_interval_not_detections() -> None:
    # Two people together for 3 s, then a third alone: 3 people, about 90 detections.
    pair = [[Seen(10 + 20 * i, 80, 0.1), Seen(900 - 20 * i, 80, 0.2, y=300)] for i in range(30)]
    third = [[Seen(10 + 20 * i, 80, 0.1)] for i in range(30)]
    worker, broker = _run(pair + [[]] * 15 + third, count_interval_s=4.0)
    counts = [json.loads(m.value) for m in broker.poll() if m.topic == FACES_SEEN_TOPIC]
    assert worker.stats.detections == 90 and worker.stats.faces_seen == 3
    assert [c["faces_seen"] for c in counts] == [2, 1]
    assert all(c["camera_id"] == "cam-a" for c in counts)


def test_a_face_seen_in_a_single_frame_is_not_counted_as_a_person() -> None:
    worker, _ = _run([[Seen(10, 80, 0.1)]] + [[]] * 5)
    assert worker.stats.detections == 1 and worker.stats.faces_seen == 0


def test_frames_a_live_camera_dropped_while_the_worker_was_behind_are_reported() -> None:
    class Behind(ScriptedSource):
        source = "rtsp://camera"  # live: the capture keeps only the newest frame

        def __init__(self, frames: int) -> None:
            super().__init__(frames)
            self.stats = SimpleNamespace(frames_dropped=0)

        def frames(self) -> Iterator[Frame]:
            for frame in super().frames():
                self.stats.frames_dropped += 2  # two frames came while one was processed
                yield frame

    engine = FaceEngine("scripted", "1", ScriptedDetector([]), LikenessEmbedder(), ScoreScale())
    config = WorkerConfig("dep", "cam-a", status_poll_s=0.0)
    worker = RecognitionWorker(engine, Provider(), new_sink(), config)
    stats = worker.run(Behind(5))  # type: ignore[arg-type]
    assert stats.frames == 5 and stats.summary()["frames_dropped"] == 10
