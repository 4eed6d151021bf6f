"""The small interfaces every face engine implements, and the engine that joins them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]  # BGR uint8, as OpenCV reads frames
Vector = npt.NDArray[np.float32]


class EngineUnavailable(RuntimeError):
    """The engine's model files are missing or unusable (the message says which)."""


@dataclass(frozen=True)
class Face:
    """One detected face in frame pixels.

    `landmarks` is (K, 2) with K >= 3: image-left eye, image-right eye, nose tip, then
    (when the engine gives them) image-left and image-right mouth corners. None when
    the detector gives no landmarks.
    """

    box: tuple[float, float, float, float]  # x, y, width, height
    score: float
    landmarks: npt.NDArray[np.float32] | None = None

    @property
    def size(self) -> float:
        """The shorter side of the box: what a minimum face size is compared with."""
        return min(self.box[2], self.box[3])

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2

    def scaled(self, factor: float) -> Face:
        """The same face in an image `factor` times larger."""
        box = tuple(v * factor for v in self.box)
        marks = None if self.landmarks is None else self.landmarks * np.float32(factor)
        return replace(self, box=box, landmarks=marks)  # type: ignore[arg-type]


class Detector(Protocol):
    """Finds faces in a BGR image."""

    def detect(self, image: Image) -> list[Face]: ...


class Embedder(Protocol):
    """Turns one face of a BGR image into a template vector (any norm)."""

    dimension: int

    def embed(self, image: Image, face: Face) -> Vector: ...


@dataclass(frozen=True)
class ScoreScale:
    """Maps cosine similarity to the 0..1 score that thresholds are authorised in.

    score = clip((cosine - low) / (high - low), 0, 1). Each engine declares its scale so
    that a threshold such as 0.6 means a comparable false-positive rate across engines;
    `lfr eval faces` measures what a threshold gives.
    """

    low: float = 0.0
    high: float = 1.0

    def score(self, cosine: float) -> float:
        return float(np.clip((cosine - self.low) / (self.high - self.low), 0.0, 1.0))

    def describe(self) -> str:
        return f"scale[{self.low:g},{self.high:g}]"


@dataclass
class FaceEngine:
    """A detector and an embedder, with the identity of the model that makes templates.

    Frames are shrunk for detection only, never for embedding (which always uses the
    full-resolution frame): to `detect_width` when it is set (> 0), which loses faces below
    the detector's minimum size divided by the shrink factor; otherwise, when `min_face_px`
    is set (the quality gate's smallest face: nothing smaller is ever searched), just enough
    that a face of that size stays at the detector's reliable size (`smallest_face_px`).
    YuNet finds 24 px faces reliably, so a 40 px floor detects on 60% of each side: a third
    of the pixels, the same faces.
    `detector_id` names the detector for reports; templates depend on the embedder only.
    """

    model_id: str
    model_version: str
    detector: Detector
    embedder: Embedder
    scale: ScoreScale
    detect_width: int = 0
    detector_id: str = ""
    min_face_px: int = 0

    def detect(self, frame: Image) -> list[Face]:
        """Faces in `frame`, in its own pixel coordinates."""
        width = frame.shape[1]
        target = self.detection_width(width)
        if target <= 0 or width <= target:
            return self.detector.detect(frame)
        factor = target / width
        small = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        return [face.scaled(1 / factor) for face in self.detector.detect(small)]

    def detection_width(self, width: int) -> int:
        """The width frames `width` wide are detected at (0: as they are)."""
        if self.detect_width > 0:
            return self.detect_width
        reliable = int(getattr(self.detector, "smallest_face_px", 0))
        if self.min_face_px <= 0 or reliable <= 0 or reliable >= self.min_face_px:
            return 0
        return round(width * reliable / self.min_face_px)

    def embed(self, frame: Image, face: Face) -> Vector:
        """The L2-normalised template of `face`."""
        return normalise(self.embedder.embed(frame, face))

    def score(self, cosine: float) -> float:
        return self.scale.score(cosine)


def normalise(vector: npt.ArrayLike) -> Vector:
    """`vector` as float32 with unit L2 norm (unchanged direction)."""
    array = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(array))
    if norm == 0.0 or not np.isfinite(norm):
        raise ValueError("cannot normalise a zero or non-finite embedding")
    return array / np.float32(norm)


def file_digest(*paths: Path, length: int = 12) -> str:
    """Short SHA-256 over the bytes of the model files: the model version."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:length]


def crop_around(
    image: Image, box: tuple[float, float, float, float], margin: float
) -> tuple[Image, int, int]:
    """The part of `image` around `box` with `margin` (fraction of box size) each side,
    clipped to the image; also the crop's top-left corner in image pixels."""
    x, y, w, h = box
    x0 = max(int(x - margin * w), 0)
    y0 = max(int(y - margin * h), 0)
    x1 = min(int(x + w * (1 + margin)), image.shape[1])
    y1 = min(int(y + h * (1 + margin)), image.shape[0])
    return image[y0:y1, x0:x1], x0, y0
