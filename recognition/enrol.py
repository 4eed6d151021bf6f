"""Enrolment: one watchlist image to one template (used by the watchlist import)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from recognition.engines.base import Face, FaceEngine, Image
from recognition.index import Template
from recognition.quality import QualityGate, QualityPolicy


class EnrolmentError(ValueError):
    """The image has no usable face (the message says why)."""


def read_image(source: bytes | str | Path) -> Image:
    """Decode image bytes or read an image file (BGR)."""
    if isinstance(source, bytes | bytearray):
        image = cv2.imdecode(np.frombuffer(source, np.uint8), cv2.IMREAD_COLOR)
        name = "the image bytes"
    else:
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        name = str(source)
    if image is None:
        raise EnrolmentError(f"{name}: not an image that can be decoded")
    return image


def central_face(image: Image, faces: list[Face]) -> Face | None:
    """The face whose centre is nearest the image centre (the labelled one in a
    photo that also shows bystanders)."""
    if not faces:
        return None
    cy, cx = image.shape[0] / 2, image.shape[1] / 2
    return min(faces, key=lambda f: (f.centre[0] - cx) ** 2 + (f.centre[1] - cy) ** 2)


def template_from_image(
    engine: FaceEngine,
    image: bytes | str | Path,
    entry_id: str = "",
    policy: QualityPolicy | None = None,
) -> Template:
    """The template of the central face of `image`; `EnrolmentError` when there is no
    face or the central face fails the quality gate."""
    picture = read_image(image)
    face = central_face(picture, engine.detect(picture))
    if face is None:
        raise EnrolmentError("no face found in the image")
    verdict = QualityGate(policy).check(picture, face)
    if not verdict.passed:
        raise EnrolmentError(f"the face fails the quality gate: {verdict.reason}")
    return Template(entry_id=entry_id, model_id=engine.model_id, vector=engine.embed(picture, face))
