"""OpenCV's YuNet detector and SFace recogniser (ONNX files from `LFR_MODEL_DIR`).

Expected files: `yunet/face_detection_yunet_2023mar.onnx` (MIT) and
`sface/face_recognition_sface_2021dec.onnx` (Apache-2.0) under the model folder.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from recognition.engines.base import (
    EngineUnavailable,
    Face,
    FaceEngine,
    Image,
    ScoreScale,
    Vector,
    file_digest,
)

MODEL_ID = "opencv-sface"
# Not calibrated here (no SFace file was available): raw cosine, clipped at 0.
SCALE = ScoreScale(low=0.0, high=1.0)


def find_model(model_dir: Path | None, folder: str, pattern: str) -> Path:
    """The first file matching `pattern` in `model_dir/folder` or `model_dir` itself."""
    if model_dir is None:
        raise EngineUnavailable("LFR_MODEL_DIR is not set: the engine's ONNX files live there")
    for place in (model_dir / folder, model_dir):
        found = sorted(place.glob(pattern)) if place.is_dir() else []
        if found:
            return found[0]
    raise EngineUnavailable(f"no {pattern} in {model_dir / folder} or {model_dir}")


class YuNetDetector:
    """YuNet: boxes and five landmarks (eyes, nose tip, mouth corners)."""

    detector_id = "yunet-2023mar"
    # Measured on the crowd benchmark: detecting on 60% of a 1280x720 frame (40 px faces at
    # 24 px) finds the same faces as full resolution at three times the speed; at 50% it
    # starts to lose the 40 px ones.
    smallest_face_px = 24

    def __init__(self, path: Path, score_threshold: float = 0.6) -> None:
        try:
            self._net = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold)
        except cv2.error as error:
            raise EngineUnavailable(f"cannot load YuNet from {path}: {error}") from error
        self._size = (320, 320)

    def detect(self, image: Image) -> list[Face]:
        size = (image.shape[1], image.shape[0])
        if size != self._size:  # resizing the network's input costs; frames keep their size
            self._net.setInputSize(size)
            self._size = size
        _, rows = self._net.detect(image)
        if rows is None:
            return []
        # YuNet's "right eye" is the person's right, i.e. the image-left one, as we order them.
        return [
            Face(
                box=(float(r[0]), float(r[1]), float(r[2]), float(r[3])),
                score=float(r[14]),
                landmarks=np.asarray(r[4:14], dtype=np.float32).reshape(5, 2),
            )
            for r in rows
        ]


class SFaceEmbedder:
    """SFace: 5-point aligned 112x112 crop to a 128-d feature."""

    dimension = 128

    def __init__(self, path: Path) -> None:
        try:
            self._net = cv2.FaceRecognizerSF.create(str(path), "")
        except cv2.error as error:
            raise EngineUnavailable(f"cannot load SFace from {path}: {error}") from error

    def embed(self, image: Image, face: Face) -> Vector:
        if face.landmarks is None or len(face.landmarks) < 5:
            raise ValueError("SFace needs five landmarks (use the YuNet detector)")
        row = np.concatenate([face.box, face.landmarks.reshape(-1), [face.score]])
        aligned = self._net.alignCrop(image, row.astype(np.float32).reshape(1, -1))
        return np.asarray(self._net.feature(aligned), dtype=np.float32).reshape(-1)


def find_yunet(model_dir: Path | None) -> Path:
    """The YuNet detector file under `model_dir` (`yunet/face_detection_yunet*.onnx`)."""
    return find_model(model_dir, "yunet", "face_detection_yunet*.onnx")


def load_opencv_engine(model_dir: Path | None, detect_width: int = 0) -> FaceEngine:
    """YuNet and SFace from `model_dir`; a clear error names any missing file."""
    yunet = find_yunet(model_dir)
    sface = find_model(model_dir, "sface", "face_recognition_sface*.onnx")
    return FaceEngine(
        model_id=MODEL_ID,
        model_version=f"{file_digest(yunet, sface)}+{SCALE.describe()}",
        detector=YuNetDetector(yunet),
        embedder=SFaceEmbedder(sface),
        scale=SCALE,
        detect_width=detect_width,
        detector_id=YuNetDetector.detector_id,
    )
