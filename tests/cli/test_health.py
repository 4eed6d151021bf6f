"""`lfr health`: the containers' readiness checks, one line and an exit status each."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from adapters.heartbeat import Heartbeat, heartbeat_path
from cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LFR_DATABASE_URL", raising=False)
    return tmp_path


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    text = (captured.out + captured.err).strip()
    assert text.count("\n") == 0 and "Traceback" not in text
    return text


def test_worker_is_not_ready_before_it_reports_a_frame(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "worker", "--camera", "camera-1"]) != 0
    assert "camera-1 has not reported yet" in one_line(capsys)


def test_worker_is_ready_while_frames_arrive_and_not_once_they_stop(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beat = Heartbeat(heartbeat_path(data_dir, "worker-camera-1"))
    beat.beat({"frames": 120, "frames_dropped": 3})
    assert main(["health", "worker", "--camera", "camera-1"]) == 0
    assert one_line(capsys) == "ready: 120 frames, 3 dropped"

    stale = json.loads(beat.path.read_text()) | {"at": time.time() - 120}
    beat.path.write_text(json.dumps(stale))
    assert main(["health", "worker", "--camera", "camera-1", "--max-age", "30"]) != 0
    assert "last reported 120 s ago" in one_line(capsys)


def test_ingest_falling_behind_without_storing_is_not_ready(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beat = Heartbeat(heartbeat_path(data_dir, "ingest"))
    beat.beat({"lag": 50_000, "messages": 10, "stored_at": time.time() - 300})
    assert main(["health", "ingest", "--max-lag", "10000", "--max-age", "60"]) != 0
    assert "50000 messages behind" in one_line(capsys)

    beat.beat({"lag": 50_000, "messages": 900, "stored_at": time.time()}, force=True)
    assert main(["health", "ingest", "--max-lag", "10000"]) == 0  # behind, but catching up
    assert one_line(capsys) == "ready: lag 50000, 900 stored"


def test_projections_are_ready_only_after_catching_up(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "projections"]) != 0
    one_line(capsys)
    Heartbeat(heartbeat_path(data_dir, "projections")).beat({})
    assert main(["health", "projections"]) == 0
    assert one_line(capsys).startswith("ready: caught up")


def test_api_that_does_not_answer_is_not_ready(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["health", "api", "--url", "http://127.0.0.1:9", "--timeout", "2"]) != 0
    assert one_line(capsys).startswith("lfr: not ready: http://127.0.0.1:9/health/ready")


def test_readiness_with_json_prints_the_reported_status(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Heartbeat(heartbeat_path(data_dir, "worker-camera-1")).beat({"frames": 7, "frames_dropped": 0})
    assert main(["health", "worker", "--json"]) == 0
    status = json.loads(one_line(capsys))
    assert status["ready"] is True and status["frames"] == 7
