from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognition.engines.base import Face, FaceEngine
from recognition.enrol import EnrolmentError, central_face, template_from_image
from recognition.quality import QualityGate, QualityPolicy
from tests.support.faces import photos


def _photo(faces_dir: Path) -> Path:
    return photos(faces_dir, "Ari_Fleischer")[0]


def test_enrolment_makes_a_unit_template_of_the_engines_model(
    dlib_engine: FaceEngine, faces_dir: Path
) -> None:
    template = template_from_image(dlib_engine, _photo(faces_dir).read_bytes(), entry_id="e1")
    assert template.model_id == dlib_engine.model_id and template.entry_id == "e1"
    assert float(np.linalg.norm(template.vector)) == pytest.approx(1.0, abs=1e-5)


def test_enrolment_picks_the_face_nearest_the_centre() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    side = Face((0, 0, 50, 50), 2.0)
    middle = Face((80, 80, 40, 40), 1.0)
    assert central_face(image, [side, middle]) is middle


def test_an_image_without_a_face_cannot_be_enrolled(dlib_engine: FaceEngine) -> None:
    blank = cv2.imencode(".png", np.full((200, 200, 3), 128, np.uint8))[1].tobytes()
    with pytest.raises(EnrolmentError, match="no face"):
        template_from_image(dlib_engine, blank)


def test_an_image_whose_face_fails_the_quality_gate_cannot_be_enrolled(
    dlib_engine: FaceEngine, faces_dir: Path
) -> None:
    with pytest.raises(EnrolmentError, match="too small"):
        template_from_image(dlib_engine, _photo(faces_dir), policy=QualityPolicy(min_face_px=300))


def test_bytes_that_are_not_an_image_are_refused(dlib_engine: FaceEngine) -> None:
    with pytest.raises(EnrolmentError, match="decoded"):
        template_from_image(dlib_engine, b"not an image")


def test_a_real_frontal_face_passes_and_a_blurred_copy_fails_the_gate(
    dlib_engine: FaceEngine, faces_dir: Path
) -> None:
    image = cv2.imread(str(_photo(faces_dir)))
    face = central_face(image, dlib_engine.detect(image))
    assert face is not None
    gate = QualityGate()
    assert gate.check(image, face).passed
    blurred = cv2.GaussianBlur(image, (0, 0), 6)
    assert gate.check(blurred, face).reason == "blurred"


def test_a_face_turned_away_fails_the_gate_when_landmarks_show_it() -> None:
    image = np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)
    marks = np.array([[70, 80], [130, 80], [128, 110]], np.float32)  # nose under one eye
    turned = Face((50, 50, 100, 100), 1.0, marks)
    assert QualityGate().check(image, turned).reason == "turned away"
    frontal = Face((50, 50, 100, 100), 1.0, np.array([[70, 80], [130, 80], [100, 110]], np.float32))
    assert QualityGate().check(image, frontal).passed


def test_the_quality_policy_is_recorded_as_plain_values() -> None:
    assert QualityPolicy().as_record() == {
        "min_face_px": 40,
        "min_sharpness": 20.0,
        "max_yaw": 0.35,
    }


def test_a_face_cut_off_by_the_frame_edge_fails_the_gate_and_a_whole_one_passes() -> None:
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    entering = Face(box=(-30.0, 200.0, 80.0, 80.0), score=0.9)
    whole = Face(box=(30.0, 200.0, 80.0, 80.0), score=0.9)
    assert QualityGate().check(frame, entering).reason == "cut off by the frame edge"
    verdict = QualityGate().check(frame, whole)
    assert verdict.passed and verdict.quality > 0
    bigger = QualityGate().check(frame, Face(box=(30.0, 200.0, 160.0, 160.0), score=0.9))
    assert bigger.quality > 1.5 * verdict.quality  # a nearer face is a better likeness
