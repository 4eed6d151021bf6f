"""InsightFace model packs (e.g. buffalo_l): SCRFD detector and ArcFace recogniser,
run with onnxruntime from a folder the operator provides (`LFR_MODEL_DIR`).

The pack folder holds ONNX files; the detector is the model with nine outputs (scores,
box distances and landmark distances at strides 8, 16, 32), the recogniser the one
taking 112x112 input. InsightFace's pretrained packs are licensed for non-commercial
research only: production use needs a commercial licence from their authors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recognition.engines.alignment import align_112
from recognition.engines.base import (
    EngineUnavailable,
    Face,
    FaceEngine,
    Image,
    ScoreScale,
    Vector,
    file_digest,
)

SCALE = ScoreScale(low=0.0, high=1.0)  # ArcFace cosine is already spread over 0..1
STRIDES = (8, 16, 32)
ANCHORS_PER_CELL = 2


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors
        raise EngineUnavailable(f"cannot load ONNX model {path}: {error}") from error


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        x1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        y1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        x2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        y2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        overlap = inter / (area[i] + area[order[1:]] - inter + 1e-9)
        order = order[1:][overlap <= iou]
    return keep


class ScrfdDetector:
    """SCRFD with keypoints: letterboxed 640x640 input, anchor-free distance outputs."""

    def __init__(self, path: Path, score_threshold: float = 0.5, input_size: int = 640) -> None:
        self._session = _session(path)
        self._input = self._session.get_inputs()[0].name
        if len(self._session.get_outputs()) != 9:
            raise EngineUnavailable(f"{path.name} is not an SCRFD detector with keypoints")
        self.threshold = score_threshold
        self.size = input_size
        self._centres = {s: self._anchor_centres(s) for s in STRIDES}

    def _anchor_centres(self, stride: int) -> np.ndarray:
        cells = self.size // stride
        ys, xs = np.mgrid[:cells, :cells]
        centres = (np.stack([xs, ys], axis=-1).reshape(-1, 2) * stride).astype(np.float32)
        return np.repeat(centres, ANCHORS_PER_CELL, axis=0)

    def detect(self, image: Image) -> list[Face]:
        factor = self.size / max(image.shape[:2])
        resized = cv2.resize(image, None, fx=factor, fy=factor)
        canvas = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        blob = cv2.dnn.blobFromImage(canvas, 1 / 128, (self.size, self.size), (127.5,) * 3, True)
        outputs = self._session.run(None, {self._input: blob})
        boxes, scores, marks = self._decode(outputs)
        keep = _nms(boxes, scores, 0.4)
        return [self._face(boxes[i] / factor, scores[i], marks[i] / factor) for i in keep]

    def _decode(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        all_boxes, all_scores, all_marks = [], [], []
        for level, stride in enumerate(STRIDES):
            scores = outputs[level].reshape(-1)
            distances = outputs[level + 3].reshape(-1, 4) * stride
            kps = outputs[level + 6].reshape(-1, 10) * stride
            hit = scores >= self.threshold
            centres = self._centres[stride][hit]
            d = distances[hit]
            all_boxes.append(np.hstack([centres - d[:, :2], centres + d[:, 2:]]))
            all_marks.append(np.tile(centres, 5) + kps[hit])
            all_scores.append(scores[hit])
        return np.vstack(all_boxes), np.concatenate(all_scores), np.vstack(all_marks)

    @staticmethod
    def _face(box: np.ndarray, score: float, marks: np.ndarray) -> Face:
        x1, y1, x2, y2 = (float(v) for v in box)
        landmarks = marks.reshape(5, 2).astype(np.float32)
        return Face(box=(x1, y1, x2 - x1, y2 - y1), score=float(score), landmarks=landmarks)


class ArcFaceEmbedder:
    """ArcFace: 5-point aligned 112x112 RGB, (x - 127.5) / 127.5, NCHW."""

    def __init__(self, path: Path) -> None:
        self._session = _session(path)
        self._input = self._session.get_inputs()[0].name
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def embed(self, image: Image, face: Face) -> Vector:
        if face.landmarks is None or len(face.landmarks) < 5:
            raise ValueError("ArcFace needs five landmarks (use the SCRFD or YuNet detector)")
        aligned = align_112(image, face.landmarks)
        blob = cv2.dnn.blobFromImage(aligned, 1 / 127.5, (112, 112), (127.5,) * 3, True)
        return np.asarray(self._session.run(None, {self._input: blob})[0], np.float32).reshape(-1)


def _input_side(path: Path) -> int | None:
    shape = _session(path).get_inputs()[0].shape
    return shape[-1] if isinstance(shape[-1], int) else None


def find_pack(model_dir: Path | None) -> Path:
    """The pack folder: `model_dir` itself, or the first folder under `model_dir/insightface`."""
    if model_dir is None:
        raise EngineUnavailable("LFR_MODEL_DIR is not set: the InsightFace pack lives there")
    candidates = [model_dir] + sorted((model_dir / "insightface").glob("*"))
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.onnx")):
            return folder
    raise EngineUnavailable(
        f"no InsightFace pack (*.onnx) in {model_dir} or {model_dir}/insightface/*"
    )


def load_insightface_engine(model_dir: Path | None, detect_width: int = 1280) -> FaceEngine:
    """SCRFD + ArcFace from the pack in `model_dir`; other models in the pack are ignored."""
    pack = find_pack(model_dir)
    detector_path = recogniser_path = None
    for path in sorted(pack.glob("*.onnx")):
        if len(_session(path).get_outputs()) == 9:
            detector_path = detector_path or path
        elif _input_side(path) == 112:
            recogniser_path = recogniser_path or path
    if detector_path is None or recogniser_path is None:
        raise EngineUnavailable(f"{pack} lacks an SCRFD detector or a 112x112 recogniser")
    return FaceEngine(
        model_id=f"insightface-{pack.name}-{recogniser_path.stem}",
        model_version=f"{file_digest(detector_path, recogniser_path)}+{SCALE.describe()}",
        detector=ScrfdDetector(detector_path),
        embedder=ArcFaceEmbedder(recogniser_path),
        scale=SCALE,
        detect_width=detect_width,
    )
