"""One `lfr worker` for several cameras of a deployment: a worker per camera, side by side,
each passage alerting once on the camera that saw it, frames reported per camera."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.support.live import live_deployment, sought_walks_past

pytestmark = pytest.mark.slow


def test_one_worker_process_watches_two_cameras_and_each_passage_alerts_on_its_camera(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    database = f"sqlite:///{tmp_path / 'lfr.db'}"
    monkeypatch.setenv("LFR_DATABASE_URL", database)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    settings = Settings(database_url=database, data_dir=tmp_path)
    services = open_services(settings)
    faces = shared_dir / "faces" / "dev"
    deployment = live_deployment(services, faces, cameras=("camera-1", "camera-2"))
    first = sought_walks_past(faces, tmp_path / "one.avi", photo=1)
    second = sought_walks_past(faces, tmp_path / "two.avi", photo=2)

    status = main(
        ["worker", "--deployment", str(deployment), "--json"]
        + ["--source", str(first), "--camera", "camera-1"]
        + ["--source", str(second), "--camera", "camera-2"]
    )

    assert status == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cameras = {each["camera_id"]: each for each in summary["cameras"]}
    assert set(cameras) == {"camera-1", "camera-2"}
    for each in cameras.values():
        assert each["alerts"] == 1 and each["frames"] > 0 and each["frames_per_s"] > 0
    from cli.demo import alert_ids_of

    stored = [services.lfr.repository.get(a) for a in alert_ids_of(services, deployment)]
    assert sorted(a.camera_id for a in stored) == ["camera-1", "camera-2"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--source", "b.avi"], "2 --source and 0 --camera"),
        (["--camera", "c1", "--source", "b.avi", "--camera", "c1"], "each camera may be given"),
    ],
)
def test_several_sources_need_one_camera_each(
    extra: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    argv = ["worker", "--deployment", "6a0b4f8e-8a83-4df0-9a8e-3c1d3b6a9f10", "--source", "a.avi"]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err
