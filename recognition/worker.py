"""The recognition worker: frames in, match events and faces-seen counts out.

For each frame: detect (full resolution), track, quality-gate. A track is embedded and
searched when it starts and again only when its face clearly improves (bigger, sharper),
not on every frame. Each track is decided once: the best-scoring search at or above the
authorised threshold becomes its one `MatchEvent`, raised when the track ends or
`decision_hold_s` after it first crossed the threshold, whichever comes first, so a
passage gives one alert on its best frame and a person who leaves and returns alerts
again. Faces seen is the number of tracks (people passing), per camera and interval.
Nothing else about a face outlives its frame: only counts are emitted.

The watchlist exists in memory only while the deployment is live: the worker polls
the provider and loads templates at `live`, empties the index at `paused`, and empties
it and stops at `ended`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import cv2

from domain.values import DeploymentStatus
from recognition.capture import Frame, VideoSource, is_live
from recognition.engines.base import Face, FaceEngine, Image, crop_around
from recognition.events import FacesSeenCount, MatchEvent, utc_iso
from recognition.index import Template, WatchlistIndex
from recognition.quality import QualityGate
from recognition.tracking import Track, Tracker
from recognition.transport import EventSink

LIVE, ENDED = DeploymentStatus.LIVE, DeploymentStatus.ENDED


class WatchlistProvider(Protocol):
    """What the worker needs from the deployment process (implemented over the domain)."""

    def templates(self, deployment_id: str) -> list[Template]: ...

    def status(self, deployment_id: str) -> str:  # a `DeploymentStatus` value
        """One of planned, live, paused, ended."""
        ...

    def threshold(self, deployment_id: str) -> float:
        """The authorised match threshold (0..1 score)."""
        ...

    def erased_entries(self, deployment_id: str) -> set[str]:
        """Entries erased since the watchlist was loaded: they leave the index at once."""
        ...


@dataclass(frozen=True)
class WorkerConfig:
    deployment_id: str
    camera_id: str = "camera-1"
    status_poll_s: float = 1.0  # wall-clock seconds between status checks
    count_interval_s: float = 10.0  # video seconds per faces-seen count
    track_ttl_s: float = 1.0  # a face unseen this long ends its track
    track_min_frames: int = 2  # a track counts as a face seen once detected this often
    # A track is embedded again when its quality is this many times the last embedded one.
    reembed_gain: float = 1.25
    # A track's alert waits at most this long (video s) after the first match for a better frame.
    decision_hold_s: float = 1.0
    progress_every_s: float = 5.0


@dataclass
class WorkerStats:
    """Running totals; `summary()` is what `lfr worker --json` prints."""

    frames: int = 0
    frames_idle: int = 0
    frames_dropped: int = 0  # a live camera's frames skipped while the worker was behind
    detections: int = 0  # faces detected, frame by frame
    faces_seen: int = 0  # tracks: people passing
    faces_passed_quality: int = 0  # tracks whose face passed the quality gate at least once
    searches: int = 0
    alerts: int = 0
    started: float = field(default_factory=time.monotonic)

    def rates(self) -> dict[str, float]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {
            "frames_per_s": self.frames / elapsed,
            "faces_per_s": self.faces_seen / elapsed,
            "alerts_per_s": self.alerts / elapsed,
        }

    def summary(self) -> dict[str, object]:
        values = {k: v for k, v in asdict(self).items() if k != "started"}
        return {**values, **{k: round(v, 3) for k, v in self.rates().items()}}


class RecognitionWorker:
    """Runs one camera for one deployment; see the module docstring."""

    def __init__(
        self,
        engine: FaceEngine,
        provider: WatchlistProvider,
        sink: EventSink,
        config: WorkerConfig,
        gate: QualityGate | None = None,
        progress: Callable[[WorkerStats], None] | None = None,
    ) -> None:
        self.engine = engine
        self.provider = provider
        self.sink = sink
        self.config = config
        self.gate = gate or QualityGate()
        self.progress = progress
        self.index = WatchlistIndex(engine.model_id, engine.embedder.dimension)
        self.tracker = Tracker(uuid.uuid4().hex[:8], ttl_s=config.track_ttl_s)
        self.stats = WorkerStats()
        self.status: str = DeploymentStatus.PLANNED
        self.threshold = 1.0
        self._started_at = datetime.now(UTC)
        self._authorised_until: datetime | None = None
        self._next_poll = 0.0
        self._next_progress = time.monotonic() + config.progress_every_s
        self._interval = (0.0, 0, 0)  # start (video s), tracks seen, tracks passed
        self._last_time = 0.0

    # -- lifecycle -------------------------------------------------------------------

    def run(self, source: VideoSource) -> WorkerStats:
        """Process `source` until it ends or the deployment ends; returns the totals."""
        try:
            for frame in source.frames():
                if not self._live_for(frame, wait=not is_live(source.source)):
                    if self.status == ENDED:
                        source.stop()
                        break
                    self.stats.frames_idle += 1
                    continue
                self.process(frame)
                self.stats.frames_dropped = _dropped(source)
                self._report(frame)
            if self.status == LIVE:
                self._decide(self.tracker.close_all(), closing=True)
            if self.stats.frames:
                self._emit_count(end_s=self._last_time)
        finally:
            self._drop_watchlist()
            self.sink.flush()
        return self.stats

    def _live_for(self, frame: Frame, wait: bool) -> bool:
        """Whether to process this frame; a file source waits out planned and paused."""
        while True:
            self._poll_status()
            if self.status == LIVE and self._past_authorised_end(frame):
                self._next_poll = 0.0
                self._poll_status()  # the provider may record the end now
                if self.status == LIVE:  # it could not: the worker stops all the same
                    self._drop_watchlist()
                    self.status = ENDED
            if self.status == LIVE or self.status == ENDED or not wait:
                return self.status == LIVE
            time.sleep(self.config.status_poll_s)
            self._next_poll = 0.0

    def _poll_status(self) -> None:
        if time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + self.config.status_poll_s
        status = self.provider.status(self.config.deployment_id)
        if status == self.status:
            if status == LIVE:
                self._follow_changes()
            return
        if status == LIVE:
            self._load_watchlist()
        else:
            self._drop_watchlist()
        self.status = status

    def _load_watchlist(self) -> None:
        self.index.clear()
        self.index.add(self.provider.templates(self.config.deployment_id))
        self.threshold = float(self.provider.threshold(self.config.deployment_id))
        # A provider may say when the authority stops covering the deployment (optional).
        until = getattr(self.provider, "authorised_until", None)
        self._authorised_until = until(self.config.deployment_id) if until else None

    def _past_authorised_end(self, frame: Frame) -> bool:
        """The worker's own check: it searches nothing past the authority's end, even if the
        service that records the end is unreachable (frame time or wall time, the later)."""
        if self._authorised_until is None:
            return False
        seen_at = self._started_at + timedelta(seconds=frame.time_s)
        return max(seen_at, datetime.now(UTC)) >= self._authorised_until

    def _follow_changes(self) -> None:
        # An authorised threshold change and a DPO's erasure both apply mid-deployment.
        self.threshold = float(self.provider.threshold(self.config.deployment_id))
        erased = self.provider.erased_entries(self.config.deployment_id)
        if erased:
            self.index.remove(sorted(erased))

    def _drop_watchlist(self) -> None:
        # Templates and tracks go: nothing of the watchlist outlives a pause or the end. A
        # pending alert goes too: it is no longer under a live authority.
        self.index.clear()
        self.tracker.clear()

    # -- one frame -------------------------------------------------------------------

    def process(self, frame: Frame) -> None:
        """Detect, track, gate and search the faces of one frame; decide finished tracks."""
        self.stats.frames += 1
        faces = self.engine.detect(frame.image)
        tracks = self.tracker.update(faces, frame.time_s)
        self._decide(self.tracker.ended, closing=True)
        seen = passed = 0
        for face, track in zip(faces, tracks, strict=True):
            seen += track.frames == self.config.track_min_frames
            if track.decided and track.passed_quality:
                continue  # nothing more to learn about this face
            verdict = self.gate.check(frame.image, face)
            if not verdict.passed:
                continue
            passed += not track.passed_quality
            track.passed_quality = True
            if not track.decided and self._worth_embedding(track, verdict.quality):
                track.embedded_quality = verdict.quality
                self._search(frame, face, track)
        self._decide(self.tracker.tracks.values(), now=frame.time_s)
        self.stats.detections += len(faces)
        self.stats.faces_seen += seen
        self.stats.faces_passed_quality += passed
        self._count(frame, seen, passed)

    def _worth_embedding(self, track: Track, quality: float) -> bool:
        """A new track, or a face clearly better than the one last embedded for it."""
        return track.searches == 0 or quality >= track.embedded_quality * self.config.reembed_gain

    def _search(self, frame: Frame, face: Face, track: Track) -> None:
        probe = self.engine.embed(frame.image, face)
        self.stats.searches += 1
        track.searches += 1
        hits = self.index.search(probe, self.engine.model_id)[0]
        if not hits:
            return
        score = self.engine.score(hits[0].cosine)
        track.best_score = max(track.best_score, score)
        if score < self.threshold:
            return
        if track.pending is None:
            track.pending_since = frame.time_s
        elif score <= track.pending.score:
            return
        track.pending = self._match(frame, face, track, hits[0].entry_id, score)

    def _decide(self, tracks: Iterable[Track], now: float = 0.0, closing: bool = False) -> None:
        """Raise the pending alert of each track that ended or has waited long enough."""
        for track in list(tracks):
            if track.pending is None or track.decided:
                continue
            if closing or now - track.pending_since >= self.config.decision_hold_s:
                self.sink.send(track.pending)
                track.pending, track.decided = None, True
                self.stats.alerts += 1

    def _match(
        self, frame: Frame, face: Face, track: Track, entry_id: str, score: float
    ) -> MatchEvent:
        return MatchEvent.create(
            deployment_id=self.config.deployment_id,
            camera_id=self.config.camera_id,
            observed_at=utc_iso(self._started_at + timedelta(seconds=frame.time_s)),
            entry_id=entry_id,
            score=round(score, 6),
            threshold=self.threshold,
            model_id=self.engine.model_id,
            model_version=self.engine.model_version,
            watchlist_version=self.index.version,
            track_id=track.track_id,
            probe_jpeg=probe_jpeg(frame.image, face),
        )

    # -- counts and progress ---------------------------------------------------------

    def _count(self, frame: Frame, seen: int, passed: int) -> None:
        self._last_time = frame.time_s
        start, total_seen, total_passed = self._interval
        if frame.time_s - start >= self.config.count_interval_s:
            self._emit_count(end_s=frame.time_s)
            start, total_seen, total_passed = self._interval
        self._interval = (start, total_seen + seen, total_passed + passed)

    def _emit_count(self, end_s: float) -> None:
        start, seen, passed = self._interval
        self.sink.send(
            FacesSeenCount(
                deployment_id=self.config.deployment_id,
                camera_id=self.config.camera_id,
                interval_start=utc_iso(self._started_at + timedelta(seconds=start)),
                interval_end=utc_iso(self._started_at + timedelta(seconds=end_s)),
                faces_seen=seen,
                faces_passed_quality=passed,
            )
        )
        self._interval = (end_s, 0, 0)

    def _report(self, frame: Frame) -> None:
        if self.progress is not None and time.monotonic() >= self._next_progress:
            self._next_progress = time.monotonic() + self.config.progress_every_s
            self.progress(self.stats)


def _dropped(source: VideoSource) -> int:
    stats = getattr(source, "stats", None)
    return int(getattr(stats, "frames_dropped", 0))


def probe_jpeg(image: Image, face: Face, margin: float = 0.25) -> bytes:
    """The JPEG of the face with a margin: the probe crop an alert carries."""
    crop, _, _ = crop_around(image, face.box, margin)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError("could not encode the probe crop")
    return bytes(data)
