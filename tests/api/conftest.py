"""The API in-process on the in-memory store, with a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from tests.api.process import tokens


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="memory:", data_dir=tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def headers(settings: Settings) -> dict[str, dict[str, str]]:
    return tokens(settings.secret("token_secret"))


@pytest.fixture(scope="session")
def watchlist_upload() -> bytes:
    from tests.api.process import watchlist_zip
    from tests.conftest import SHARED

    if not SHARED.exists():
        pytest.skip("shared data folder not present")
    return watchlist_zip(SHARED / "faces" / "dev")
