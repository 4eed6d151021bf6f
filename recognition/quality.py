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
    passed: bool
    reason: str = ""


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
        turned = yaw(face)
        if turned is not None and turned > self.policy.max_yaw:
            return QualityVerdict(False, "turned away")
        if sharpness(image, face) < self.policy.min_sharpness:
            return QualityVerdict(False, "blurred")
        return QualityVerdict(True)
