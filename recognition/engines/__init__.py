"""Face engines behind two small interfaces (`Detector`, `Embedder`), chosen by settings.

`dlib` (default) runs offline from PyPI packages; `insightface` and `opencv` load
ONNX files from `LFR_MODEL_DIR`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from recognition.engines.base import (
    Detector,
    Embedder,
    EngineUnavailable,
    Face,
    FaceEngine,
    Image,
    ScoreScale,
    Vector,
    normalise,
)


class EngineSettings(Protocol):
    """The settings `load_engine` reads (a subset of `runtime.settings.Settings`)."""

    @property
    def face_engine(self) -> str: ...

    @property
    def model_dir(self) -> Path | None: ...


def load_engine(settings: EngineSettings, detect_width: int | None = None) -> FaceEngine:
    """The engine `settings.face_engine` names; `EngineUnavailable` says what is missing.

    `detect_width` 0 (the default) detects on frames shrunk only as far as the quality
    gate's smallest face (`quality_min_face_px`) allows (`FaceEngine.detection_width`)."""
    engine = _load(settings, detect_width)
    engine.min_face_px = int(getattr(settings, "quality_min_face_px", 0) or 0)
    return engine


def _load(settings: EngineSettings, detect_width: int | None) -> FaceEngine:
    width = int(detect_width if detect_width is not None else getattr(settings, "detect_width", 0))
    if settings.face_engine == "dlib":
        from recognition.engines.dlib_engine import load_dlib_engine

        detector: Any = getattr(settings, "detector", "auto")
        if detector not in ("auto", "yunet", "hog"):
            raise EngineUnavailable(f"unknown face detector {detector!r}")
        return load_dlib_engine(width, model_dir=settings.model_dir, detector=detector)
    if settings.face_engine == "insightface":
        from recognition.engines.insightface import load_insightface_engine

        return load_insightface_engine(settings.model_dir, detect_width=width)
    if settings.face_engine == "opencv":
        from recognition.engines.opencv_engine import load_opencv_engine

        return load_opencv_engine(settings.model_dir, detect_width=width)
    raise EngineUnavailable(f"unknown face engine {settings.face_engine!r}")


__all__ = [
    "Detector",
    "Embedder",
    "EngineSettings",
    "EngineUnavailable",
    "Face",
    "FaceEngine",
    "Image",
    "ScoreScale",
    "Vector",
    "load_engine",
    "normalise",
]
