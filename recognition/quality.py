"""The quality gate a face passes before it is embedded and searched.

Small, blurred or turned faces give unreliable scores; they are counted as seen but
never searched. The policy is recorded (`as_record`) with the deployment's settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from recognition.engines.base import Face, Image, crop_around


@dataclass(frozen=True)
class QualityPolicy:
    """Thresholds of the gate. `max_yaw` applies only when the engine gives landmarks.

    - min_face_px: shorter side of the face box, in frame pixels.
    - min_sharpness: variance of the Laplacian of the face resized to 64x64 (scale-free).
    - max_yaw: |nose offset from the eye midpoint| / eye distance; 0 is frontal.
    """

    min_face_px: int = 40
    min_sharpness: float = 20.0
    max_yaw: float = 0.35

    def as_record(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class QualityVerdict:
    """Pass or fail; `quality` ranks passing faces of one track (bigger and sharper is
    better) so the worker embeds a track again only when its face clearly improves."""

    passed: bool
    reason: str = ""
    quality: float = 0.0


def sharpness(image: Image, face: Face) -> float:
    """Variance of the Laplacian over the face box, at a fixed 64x64 size."""
    crop, _, _ = crop_around(image, face.box, margin=0.0)
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    small = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def yaw(face: Face) -> float | None:
    """How far the head is turned, from eyes and nose; None without landmarks."""
    if face.landmarks is None:
        return None
    left, right, nose = face.landmarks[:3]
    eye_distance = float(np.linalg.norm(right - left))
    if eye_distance < 1e-3:
        return None
    return abs(float(nose[0] - (left[0] + right[0]) / 2)) / eye_distance


class QualityGate:
    """Applies a `QualityPolicy` to faces in a frame."""

    def __init__(self, policy: QualityPolicy | None = None) -> None:
        self.policy = policy or QualityPolicy()

    def check(self, image: Image, face: Face) -> QualityVerdict:
        """Pass, or fail with the first reason found."""
        if face.size < self.policy.min_face_px:
            return QualityVerdict(False, "too small")
        if _cut_off(image, face):
            return QualityVerdict(False, "cut off by the frame edge")
        turned = yaw(face)
        if turned is not None and turned > self.policy.max_yaw:
            return QualityVerdict(False, "turned away")
        sharp = sharpness(image, face)
        if sharp < self.policy.min_sharpness:
            return QualityVerdict(False, "blurred")
        # Size dominates (the embedder upsamples small faces to 150 px); sharpness counts
        # up to a point, past which a sharper crop is no better a likeness.
        quality = min(face.size, 200.0) * min(sharp / (4 * self.policy.min_sharpness), 1.0)
        return QualityVerdict(True, quality=quality)


def _cut_off(image: Image, face: Face, slack: float = 0.05) -> bool:
    """Whether part of the face lies outside the frame (entering or leaving it)."""
    x, y, w, h = face.box
    height, width = image.shape[:2]
    return (
        x < -slack * w or y < -slack * h or x + w > width + slack * w or y + h > height + slack * h
    )
