"""Nothing personal on the broker: after a worker run on real faces against the real broker,
no topic holds a JPEG (raw or base64) or a watchlist template, in any form."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest

from recognition.capture import VideoSource
from recognition.engines.base import FaceEngine
from recognition.enrol import template_from_image
from recognition.events import MatchEvent
from recognition.index import Template
from recognition.sealing import ProbeKeyPair
from recognition.transport import KafkaSink
from recognition.worker import RecognitionWorker, WorkerConfig
from tests.support.credentials import unchecked_credential
from tests.support.faces import photos
from tests.support.video import Walk, face_patch, write_video

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
WANTED, PASSER_BY = "Ari_Fleischer", "Arnold_Schwarzenegger"
JPEG_MAGIC = b"\xff\xd8\xff"
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


class LiveDeployment:
    """A live deployment with one watchlisted person, as the worker's provider."""

    def __init__(self, templates: list[Template]) -> None:
        self._templates = templates

    def templates(self, deployment_id: str) -> list[Template]:
        return list(self._templates)

    def status(self, deployment_id: str) -> str:
        return "live"

    def threshold(self, deployment_id: str) -> float:
        return 0.6

    def erased_entries(self, deployment_id: str) -> set[str]:
        return set()


def holds_image(data: bytes) -> bool:
    """Whether a JPEG that decodes starts anywhere in `data` (chance bytes do not decode)."""
    start = data.find(JPEG_MAGIC)
    while start >= 0:
        image = cv2.imdecode(np.frombuffer(data[start:], np.uint8), cv2.IMREAD_COLOR)
        if image is not None:
            return True
        start = data.find(JPEG_MAGIC, start + 1)
    return False


def every_message(bootstrap: str) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of every message on every partition of every topic."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(consumer.topics())
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: list[tuple[str, bytes, bytes]] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, records in consumer.poll(timeout_ms=1000).items():
                found += [(tp.topic, r.key or b"", r.value or b"") for r in records]
        return found
    finally:
        consumer.close()


def decoded_forms(value: bytes) -> list[bytes]:
    """The value and every base64 run in it decoded (standard and URL-safe alphabets)."""
    forms = [value]
    for run in BASE64_RUN.findall(value):
        padded = run + b"=" * (-len(run) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                forms.append(decode(padded))
            except (binascii.Error, ValueError):
                continue
    return forms


def template_traces(vector: object) -> list[bytes]:
    """How a template could appear: its float32 bytes, their base64, its first numbers."""
    raw = bytes(vector.astype("<f4").tobytes())  # type: ignore[attr-defined]
    numbers = [float(x) for x in vector[:3]]  # type: ignore[index]
    return [
        raw[:16],
        base64.b64encode(raw)[:16],
        json.dumps(numbers)[1:-1].encode(),
        repr(numbers[0])[:10].encode(),
    ]


def test_no_topic_holds_a_face_image_or_a_template_after_a_worker_run(
    dlib_engine: FaceEngine, faces_dir: Path, kafka_bootstrap: str, tmp_path: Path
) -> None:
    wanted = face_patch(photos(faces_dir, WANTED)[1])
    walks = [Walk(wanted, 20, 0, 20), Walk(face_patch(photos(faces_dir, PASSER_BY)[0]), 290, 0, 20)]
    video = write_video(tmp_path / "street.avi", walks, frames=25, fps=10)
    template = template_from_image(dlib_engine, photos(faces_dir, WANTED)[0], entry_id="entry-w")
    ingest_keys = ProbeKeyPair.generate()
    deployment = f"dep-{uuid.uuid4().hex[:8]}"
    sink = KafkaSink(kafka_bootstrap, ingest_keys.sealer, unchecked_credential())
    worker = RecognitionWorker(
        dlib_engine, LiveDeployment([template]), sink, WorkerConfig(deployment)
    )
    stats = worker.run(VideoSource(str(video)))
    sink.close()

    messages = every_message(kafka_bootstrap)
    # Keyed by deployment, camera and (for a match) track: recognition.transport.partition_key.
    ours = [m for m in messages if (m[1] or b"").startswith(deployment.encode() + b":")]
    assert stats.alerts >= 1 and len(ours) > stats.alerts  # the match and the counts are there
    traces = template_traces(template.vector)
    for topic, _, value in messages:
        for form in decoded_forms(value):
            assert not holds_image(form), f"a JPEG on {topic}"
            assert not any(trace in form for trace in traces), f"a template on {topic}"
    # The crops are there, sealed: only the ingest's private key opens them.
    matches = [MatchEvent.from_json(v, ingest_keys) for t, k, v in ours if t == "lfr.matches"]
    assert len(matches) == stats.alerts
    assert all(m.probe_bytes().startswith(JPEG_MAGIC) for m in matches)
