from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from recognition.engines import EngineUnavailable, FaceEngine, load_engine
from recognition.enrol import central_face
from tests.support.faces import photos
from tests.support.onnx_models import embedder_model, scrfd_model

SAME, OTHER = "Ari_Fleischer", "Arnold_Schwarzenegger"


def _cosine(engine: FaceEngine, first: Path, second: Path) -> float:
    vectors = []
    for path in (first, second):
        image = cv2.imread(str(path))
        face = central_face(image, engine.detect(image))
        assert face is not None, path
        vectors.append(engine.embed(image, face))
    return float(vectors[0] @ vectors[1])


def test_the_dlib_engine_scores_the_same_person_above_a_different_person(
    dlib_engine: FaceEngine, faces_dir: Path
) -> None:
    same = photos(faces_dir, SAME)
    other = photos(faces_dir, OTHER)
    assert _cosine(dlib_engine, same[0], same[1]) > _cosine(dlib_engine, same[0], other[0])
    assert dlib_engine.model_id == "dlib-resnet-v1"
    assert dlib_engine.embedder.dimension == 128


def test_the_dlib_engine_uses_the_five_point_landmark_model_only() -> None:
    from recognition.engines import dlib_engine

    landmarks, _ = dlib_engine._models()
    assert "5_face_landmarks" in landmarks.name


def test_yunet_from_the_shared_models_finds_the_labelled_face(
    shared_dir: Path, faces_dir: Path
) -> None:
    from recognition.engines.opencv_engine import YuNetDetector, find_model

    path = find_model(shared_dir / "models", "yunet", "face_detection_yunet*.onnx")
    image = cv2.imread(str(photos(faces_dir, SAME)[0]))
    face = central_face(image, YuNetDetector(path).detect(image))
    assert face is not None and face.landmarks is not None
    assert face.landmarks.shape == (5, 2)
    assert face.landmarks[0, 0] < face.landmarks[1, 0]  # image-left eye first
    assert abs(face.centre[0] - 125) < 30 and abs(face.centre[1] - 125) < 40


@pytest.fixture
def opencv_models(tmp_path: Path, shared_dir: Path) -> Path:
    """YuNet (real file) and an SFace-shaped model built here (no SFace file is staged)."""
    yunet = next((shared_dir / "models" / "yunet").glob("*.onnx"))
    (tmp_path / "yunet").mkdir()
    shutil.copy(yunet, tmp_path / "yunet" / yunet.name)
    embedder_model(tmp_path / "sface" / "face_recognition_sface_2021dec.onnx", 128)
    return tmp_path


def test_the_opencv_engine_aligns_and_embeds_with_an_sface_shaped_model(
    opencv_models: Path, faces_dir: Path
) -> None:
    engine = load_engine(SimpleNamespace(face_engine="opencv", model_dir=opencv_models))
    image = cv2.imread(str(photos(faces_dir, SAME)[0]))
    face = central_face(image, engine.detect(image))
    assert face is not None
    vector = engine.embed(image, face)
    assert vector.shape == (128,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(vector, engine.embed(image, face))


@pytest.fixture
def insightface_pack(tmp_path: Path) -> Path:
    """A pack folder laid out like InsightFace's: a detector and a recogniser."""
    pack = tmp_path / "insightface" / "tiny_pack"
    scrfd_model(pack / "det_tiny.onnx")
    embedder_model(pack / "w600k_tiny.onnx", 512)
    return tmp_path


def test_the_insightface_detector_decodes_boxes_where_the_model_fires(
    insightface_pack: Path,
) -> None:
    engine = load_engine(SimpleNamespace(face_engine="insightface", model_dir=insightface_pack))
    image = np.zeros((960, 1280, 3), np.uint8)
    image[320:448, 640:768] = 255  # the tiny detector fires on bright cells
    faces = engine.detect(image)
    best = max(faces, key=lambda f: f.score)
    assert best.score > 0.9
    assert abs(best.centre[0] - 704) <= 64 and abs(best.centre[1] - 384) <= 64
    assert best.landmarks is not None and best.landmarks.shape == (5, 2)
    assert engine.model_id == "insightface-tiny_pack-w600k_tiny"


def test_the_insightface_recogniser_embeds_an_aligned_face(
    insightface_pack: Path, faces_dir: Path, shared_dir: Path
) -> None:
    from recognition.engines.opencv_engine import YuNetDetector, find_model

    engine = load_engine(SimpleNamespace(face_engine="insightface", model_dir=insightface_pack))
    detector = YuNetDetector(find_model(shared_dir / "models", "yunet", "*.onnx"))
    image = cv2.imread(str(photos(faces_dir, SAME)[0]))
    face = central_face(image, detector.detect(image))
    assert face is not None
    vector = engine.embed(image, face)
    assert vector.shape == (512,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


def test_a_real_insightface_pack_when_present_matches_the_same_person(
    shared_dir: Path, faces_dir: Path
) -> None:
    models = shared_dir / "models"
    if not any((models / "insightface").glob("*/*.onnx")):
        pytest.skip("no InsightFace pack in the shared models (none can be downloaded)")
    engine = load_engine(SimpleNamespace(face_engine="insightface", model_dir=models))
    same = photos(faces_dir, SAME)
    assert _cosine(engine, same[0], same[1]) > _cosine(engine, same[0], photos(faces_dir, OTHER)[0])


@pytest.mark.parametrize("engine", ["insightface", "opencv"])
def test_an_engine_without_its_model_files_says_what_is_missing(
    engine: str, tmp_path: Path
) -> None:
    with pytest.raises(EngineUnavailable, match="onnx"):
        load_engine(SimpleNamespace(face_engine=engine, model_dir=tmp_path))
    with pytest.raises(EngineUnavailable, match="LFR_MODEL_DIR"):
        load_engine(SimpleNamespace(face_engine=engine, model_dir=None))


def test_the_default_engine_detects_with_yunet_when_its_file_is_in_the_model_folder(
    shared_dir: Path,
) -> None:
    engine = load_engine(SimpleNamespace(face_engine="dlib", model_dir=shared_dir / "models"))
    assert engine.detector_id == "yunet-2023mar"
    assert engine.model_id == "dlib-resnet-v1"
    assert engine.detect_width == 0  # full resolution


def test_without_the_yunet_file_the_default_engine_falls_back_to_hog_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="lfr.recognition"):
        engine = load_engine(SimpleNamespace(face_engine="dlib", model_dir=tmp_path))
    assert engine.detector_id == "dlib-hog"
    assert "YuNet not found" in caplog.text and "80 px" in caplog.text
    with caplog.at_level("WARNING", logger="lfr.recognition"):
        assert load_engine(SimpleNamespace(face_engine="dlib", model_dir=None)).detector_id


def test_requiring_yunet_without_its_file_is_refused_with_the_place_it_was_looked_for(
    tmp_path: Path,
) -> None:
    settings = SimpleNamespace(face_engine="dlib", model_dir=tmp_path, detector="yunet")
    with pytest.raises(EngineUnavailable, match="face_detection_yunet"):
        load_engine(settings)
    with pytest.raises(EngineUnavailable, match="unknown face detector"):
        load_engine(SimpleNamespace(face_engine="dlib", model_dir=tmp_path, detector="x"))


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_street_frame_at_full_resolution_shows_every_face_down_to_40_px(
    street_engine: FaceEngine, faces_dir: Path, size: tuple[int, int]
) -> None:
    assert_every_face_down_to_40_px_found(street_engine, faces_dir, size)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_worker_detects_on_a_shrunken_frame_and_still_sees_every_face_down_to_40_px(
    faces_dir: Path, size: tuple[int, int]
) -> None:
    from types import SimpleNamespace

    from recognition.engines import load_engine
    from tests.conftest import SHARED

    settings = SimpleNamespace(
        face_engine="dlib", model_dir=SHARED / "models", detector="yunet", quality_min_face_px=40
    )
    engine = load_engine(settings)
    assert engine.detection_width(size[0]) == round(size[0] * 0.6)  # 40 px faces at 24 px
    assert_every_face_down_to_40_px_found(engine, faces_dir, size)


def assert_every_face_down_to_40_px_found(
    engine: FaceEngine, faces_dir: Path, size: tuple[int, int]
) -> None:
    from tests.support.crowd import FACE_OF_PATCH
    from tests.support.video import face_patch

    width, height = size
    frame = np.full((height, width, 3), 115, np.uint8)
    names = sorted(p.name for p in faces_dir.iterdir() if not p.name.startswith("_"))[:12]
    placed = []
    for n, name in enumerate(names):
        face_px = (40, 48, 60)[n % 3]
        patch = face_patch(photos(faces_dir, name)[0], int(face_px / FACE_OF_PATCH))
        x, y = 60 + (n % 6) * (width // 6), 80 + (n // 6) * (height // 2)
        frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
        placed.append((x + patch.shape[1] / 2, y + patch.shape[0] / 2, face_px))
    faces = engine.detect(frame)
    for cx, cy, face_px in placed:
        found = [f for f in faces if abs(f.centre[0] - cx) < 20 and abs(f.centre[1] - cy) < 25]
        assert len(found) == 1, (cx, cy, face_px)
        assert 0.7 * face_px < found[0].box[2] < 1.4 * face_px
    assert len(faces) == len(placed)  # and nothing in the empty street


def test_the_hog_detector_is_never_shrunk_below_the_faces_it_needs() -> None:
    from recognition.engines.base import FaceEngine as Engine

    hog = SimpleHog()
    engine = Engine("m", "v", hog, None, None, min_face_px=40)  # type: ignore[arg-type]
    assert engine.detection_width(1280) == 0


class SimpleHog:
    smallest_face_px = 80

    def detect(self, image: object) -> list[object]:
        return []


def test_yunet_faces_embed_like_the_faces_dlib_frames_itself(
    street_engine: FaceEngine, dlib_engine: FaceEngine, faces_dir: Path
) -> None:
    for name in (SAME, OTHER):
        image = cv2.imread(str(photos(faces_dir, name)[1]))
        by_yunet = central_face(image, street_engine.detect(image))
        by_hog = central_face(image, dlib_engine.detect(image))
        assert by_yunet is not None and by_hog is not None
        cosine = street_engine.embed(image, by_yunet) @ dlib_engine.embed(image, by_hog)
        assert cosine > 0.97
