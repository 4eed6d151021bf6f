"""InsightFace model packs (e.g. buffalo_l) through the `insightface` package: its model zoo
loads the pack's SCRFD detector and ArcFace recogniser from a folder the operator provides
(`LFR_MODEL_DIR`), and its `face_align` aligns each face on its five landmarks.

The zoo tells the models apart by their shape (a detector has five or more outputs, a
recogniser a square input of 112 px or more); other models in the pack are ignored. Nothing
is downloaded: a pack that is not on disk is refused. InsightFace's pretrained packs are
licensed for non-commercial research only: production use needs a commercial licence from
their authors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

SCALE = ScoreScale(low=0.0, high=1.0)  # ArcFace cosine is already spread over 0..1
DETECTOR_INPUT = (640, 640)
CPU = ["CPUExecutionProvider"]


def _zoo_model(path: Path) -> Any:
    """The zoo's model for one ONNX file (a detector, a recogniser, or None for others)."""
    try:
        from insightface.model_zoo import get_model
    except ImportError as error:
        raise EngineUnavailable(
            f"the insightface engine needs the insightface package ({error}): "
            "pip install 'lfr[insightface]'"
        ) from error
    try:
        return get_model(str(path), providers=CPU)
    except Exception as error:  # the zoo and onnxruntime raise their own untyped errors
        raise EngineUnavailable(f"cannot load ONNX model {path}: {error}") from error


class ScrfdDetector:
    """The zoo's SCRFD: boxes with five keypoints, at a fixed 640x640 input."""

    detector_id = "insightface-scrfd"
    smallest_face_px = 16  # SCRFD's finest stride is 8 px, with anchors of 16 and 32

    def __init__(self, model: Any, score_threshold: float = 0.5) -> None:
        if not getattr(model, "use_kps", False):
            raise EngineUnavailable(f"{model.model_file} is not an SCRFD detector with keypoints")
        model.prepare(-1, input_size=DETECTOR_INPUT, det_thresh=score_threshold, nms_thresh=0.4)
        self._model = model

    def detect(self, image: Image) -> list[Face]:
        boxes, keypoints = self._model.detect(image, input_size=DETECTOR_INPUT)
        return [
            Face(
                box=(float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])),
                score=float(b[4]),
                landmarks=np.asarray(k, np.float32).reshape(5, 2),
            )
            for b, k in zip(boxes, keypoints, strict=True)
        ]


class ArcFaceEmbedder:
    """The zoo's ArcFace on the face aligned by InsightFace's `norm_crop`."""

    def __init__(self, model: Any) -> None:
        model.prepare(-1)
        self._model = model
        self.side = int(model.input_size[0])
        self.dimension = int(model.output_shape[-1])

    def embed(self, image: Image, face: Face) -> Vector:
        from insightface.utils import face_align

        if face.landmarks is None or len(face.landmarks) < 5:
            raise ValueError("ArcFace needs five landmarks (use the SCRFD or YuNet detector)")
        aligned = face_align.norm_crop(image, landmark=face.landmarks, image_size=self.side)
        return np.asarray(self._model.get_feat(aligned), np.float32).reshape(-1)


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


def load_insightface_engine(model_dir: Path | None, detect_width: int = 0) -> FaceEngine:
    """SCRFD + ArcFace from the pack in `model_dir`, as InsightFace's model zoo routes them."""
    from insightface.model_zoo import SCRFD, ArcFaceONNX

    pack = find_pack(model_dir)
    detector: tuple[Path, Any] | None = None
    recogniser: tuple[Path, Any] | None = None
    for path in sorted(pack.glob("*.onnx")):
        model = _zoo_model(path)
        if isinstance(model, SCRFD) and detector is None:
            detector = (path, model)
        elif isinstance(model, ArcFaceONNX) and recogniser is None:
            recogniser = (path, model)
    if detector is None or recogniser is None:
        raise EngineUnavailable(f"{pack} lacks an SCRFD detector or an ArcFace recogniser")
    return FaceEngine(
        model_id=f"insightface-{pack.name}-{recogniser[0].stem}",
        model_version=f"{file_digest(detector[0], recogniser[0])}+{SCALE.describe()}",
        detector=ScrfdDetector(detector[1]),
        embedder=ArcFaceEmbedder(recogniser[1]),
        scale=SCALE,
        detect_width=detect_width,
        detector_id=ScrfdDetector.detector_id,
    )
