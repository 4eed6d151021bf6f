"""Five-point similarity alignment to the 112x112 ArcFace template."""

from __future__ import annotations

import cv2
import numpy as np

from recognition.engines.base import Image

# Image-left eye, image-right eye, nose tip, image-left and image-right mouth corners.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


def align_112(image: Image, landmarks: np.ndarray, size: int = 112) -> Image:
    """The face warped so its five points sit on the ArcFace template."""
    target = ARCFACE_TEMPLATE * (size / 112.0)
    matrix, _ = cv2.estimateAffinePartial2D(
        landmarks[:5].astype(np.float32), target, method=cv2.LMEDS
    )
    if matrix is None:
        raise ValueError("landmarks do not define a similarity transform")
    return cv2.warpAffine(image, matrix, (size, size), borderValue=0.0)  # type: ignore[return-value]
