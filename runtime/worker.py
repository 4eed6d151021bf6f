"""The recognition worker built from the settings: its face engine, quality gate and video
source, each failure a one-line reason. `lfr worker`, `lfr demo` and the in-process live
deployment (`runtime.live`) all run it through `recognise`."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from recognition.capture import SourceError, VideoSource
from recognition.engines import EngineUnavailable, load_engine
from recognition.quality import QualityGate, QualityPolicy
from recognition.worker import RecognitionWorker, WorkerConfig
from runtime.settings import Settings
from services.errors import UserError


def load_engine_or_fail(settings: Settings) -> Any:
    """The configured face engine; a missing model is a one-line user error."""
    try:
        return load_engine(settings)
    except EngineUnavailable as error:
        raise UserError(f"face engine {settings.face_engine}: {error}") from error


def quality_policy(settings: Settings) -> Any:
    return QualityPolicy(
        min_face_px=settings.quality_min_face_px,
        min_sharpness=settings.quality_min_sharpness,
        max_yaw=settings.quality_max_yaw,
    )


def print_progress(stats: Any, camera_id: str = "camera-1", total: int | None = None) -> None:
    """One line of the worker's progress: frames (of a video file's total, with ETA), faces
    and alerts with their rates, and the frames dropped when it falls behind."""
    rates = stats.rates()
    print(
        f"lfr worker {camera_id}: {_frames(stats.frames, total, rates['frames_per_s'])}, "
        f"{stats.faces_seen} faces ({rates['faces_per_s']:.1f}/s), "
        f"{stats.alerts} alerts ({rates['alerts_per_s']:.2f}/s)"
        + (
            f", {stats.frames_dropped} frames dropped: falling behind"
            if stats.frames_dropped
            else ""
        ),
        file=sys.stderr,
        flush=True,
    )


def _frames(done: int, total: int | None, rate: float) -> str:
    if not total:
        return f"{done} frames ({rate:.1f}/s)"
    left = str(timedelta(seconds=round(max(total - done, 0) / rate))) if rate > 0 else "?"
    return f"{done}/{total} frames ({100 * done / total:.0f}%, {rate:.1f}/s, ETA {left})"


def open_source(source: str) -> Any:
    """The video source, or a one-line user error saying why it cannot be read."""
    try:
        return VideoSource(source)
    except SourceError as error:
        raise UserError(str(error)) from error


def recognise(
    settings: Settings,
    provider: Any,
    sink: Any,
    deployment_id: str,
    source: Any,
    camera_id: str = "camera-1",
    engine: Any = None,
    heartbeat: Any = None,
) -> Any:
    """Run the worker over `source` (a path, URL or `VideoSource`) until it ends or the
    deployment ends; returns the `WorkerStats`. `lfr demo` calls this with its
    in-process broker's sink and its own provider.
    """
    engine = engine or load_engine_or_fail(settings)
    video = open_source(source) if isinstance(source, str) else source
    config = WorkerConfig(deployment_id=deployment_id, camera_id=camera_id)
    gate = QualityGate(quality_policy(settings))

    total = getattr(video, "total_frames", None)

    def progress(stats: Any) -> None:
        print_progress(stats, camera_id, total)
        if heartbeat is not None:  # written from the frame loop: stale when frames stop
            heartbeat.beat({"frames": stats.frames, "frames_dropped": stats.frames_dropped})

    worker = RecognitionWorker(engine, provider, sink, config, gate, progress=progress)
    try:
        return worker.run(video)
    except SourceError as error:
        raise UserError(str(error)) from error
