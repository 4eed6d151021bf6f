"""Fixtures for the recognition tests: the dlib engine, real faces from the shared set."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.engines.base import FaceEngine


@pytest.fixture(scope="session")
def dlib_engine() -> FaceEngine:
    """dlib alone: the HOG detector and the ResNet embedder (what a fresh machine has)."""
    from recognition.engines.dlib_engine import load_dlib_engine

    return load_dlib_engine(detector="hog")


@pytest.fixture(scope="session")
def street_engine() -> FaceEngine:
    """The default engine where the detector file is provided: YuNet, dlib's embedder."""
    from recognition.engines.dlib_engine import load_dlib_engine
    from tests.conftest import SHARED

    models = SHARED / "models"
    if not (models / "yunet").is_dir():
        pytest.skip("the YuNet detector file is not present")
    return load_dlib_engine(model_dir=models, detector="yunet")


@pytest.fixture
def faces_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "faces" / "dev"
    if not folder.is_dir():
        pytest.skip("the development faces are not present")
    return folder
