"""Fixtures for the recognition tests: the dlib engine, real faces from the shared set."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.engines.base import FaceEngine


@pytest.fixture(scope="session")
def dlib_engine() -> FaceEngine:
    from recognition.engines.dlib_engine import load_dlib_engine

    return load_dlib_engine()


@pytest.fixture
def faces_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "faces" / "dev"
    if not folder.is_dir():
        pytest.skip("the development faces are not present")
    return folder
