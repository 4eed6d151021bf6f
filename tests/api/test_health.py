"""/health/ready: the API's own readiness check of the parts it needs."""

from __future__ import annotations

import socket
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_api_is_ready_when_its_store_answers_and_no_broker_is_used(client: TestClient) -> None:
    answer = client.get("/health/ready")
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"database": "ok", "broker": "not used"}
    assert client.get("/health/live").json() == {"status": "live"}


def test_api_is_not_ready_when_its_broker_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lfr.db'}",
        data_dir=tmp_path,
        kafka_bootstrap=f"127.0.0.1:{closed_port()}",
    )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    assert answer.json()["detail"] == "broker unreachable"
