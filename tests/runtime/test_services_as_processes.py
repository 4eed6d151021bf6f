"""The services as processes, as in production: `lfr worker` sends to the real broker and
`lfr ingest` stores the alerts in real PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.support.live import live_deployment, sought_walks_past

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.kafka]


def lfr(*args: str, env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def test_worker_and_ingest_processes_raise_one_alert_per_passage(
    postgres_url: str, kafka_bootstrap: str, shared_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path / "data")
    services = open_services(settings)
    faces = shared_dir / "faces" / "dev"
    deployment = live_deployment(services, faces)
    video = sought_walks_past(faces, tmp_path / "walk.avi", photo=1)
    env = {
        **os.environ,
        "LFR_DATABASE_URL": postgres_url,
        "LFR_DATA_DIR": str(settings.data_dir),
        "LFR_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    ingest = subprocess.Popen(lfr("ingest", env=env), env=env, stderr=subprocess.DEVNULL)
    try:
        worker = subprocess.run(
            lfr(
                "worker", "--deployment", str(deployment), "--source", str(video), "--json", env=env
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert json.loads(worker.stdout.strip().splitlines()[-1])["alerts"] == 1
        alerts = wait_for_alerts(services, deployment, expected=1)
        # The container's readiness check: the running ingest reports and keeps up.
        # (The lag is behind every message on the topics, earlier tests' on a shared broker.)
        health = ingest_health(env, until=lambda out: " 0 stored" not in out)
        assert re.fullmatch(r"ready: lag \d+", health), health
    finally:
        ingest.terminate()
        ingest.wait(20)
    assert len(alerts) == 1
    alert = services.lfr.repository.get(alerts[0])
    assert alert.score >= alert.threshold and alert.camera_id == "camera-1"


def ingest_health(env: dict[str, str], until, timeout_s: float = 20) -> str:  # type: ignore[no-untyped-def]
    """`lfr health ingest`'s line once `until` holds for it (it reports every few seconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        health = subprocess.run(
            lfr("health", "ingest", env=env), env=env, capture_output=True, text=True, timeout=60
        )
        assert health.returncode == 0, health.stderr
        if until(health.stdout) or time.monotonic() > deadline:
            return health.stdout.split(",")[0]
        time.sleep(1)


def wait_for_alerts(services, deployment, expected: int, timeout_s: float = 60) -> list:  # type: ignore[no-untyped-def]
    from cli.demo import alert_ids_of

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = alert_ids_of(services, deployment)
        if len(found) >= expected:
            time.sleep(1)  # a duplicate, were there one, would arrive with it
            return alert_ids_of(services, deployment)
        time.sleep(0.5)
    return alert_ids_of(services, deployment)


def test_worker_refuses_a_deployment_id_that_is_not_one(tmp_path: Path) -> None:
    video = tmp_path / "v.avi"
    video.write_bytes(b"not a video")
    env = {**os.environ, "LFR_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        lfr("worker", "--deployment", "x", "--source", str(video), env=env),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a deployment id" in result.stderr
