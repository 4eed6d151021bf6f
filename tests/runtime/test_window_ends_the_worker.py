"""End to end: the authorised window closes while the worker runs on a real video; the worker
stops by itself, the deployment ends with its reason, and no alert is raised after the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.demo import alert_ids_of
from cli.sample import walk_past_video
from domain.access import worker
from domain.values import Ending
from recognition.capture import Frame, VideoSource
from runtime.bootstrap import open_services
from runtime.live import run_worker_in_process
from runtime.settings import Settings
from services.lfr import Match
from services.retention import retention_view
from services.sweeper import rules_from
from tests.scenario import WORKER
from tests.support.faces import photos
from tests.support.live import PEOPLE, live_deployment

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSAGES = 30  # 3.5 s of video each: far longer than the window left when the worker starts
WINDOW_LEFT_S = 25.0


class CameraPacedSource(VideoSource):
    """A video file delivered at its own frame rate, as a camera would deliver it."""

    def _file(self) -> Iterator[Frame]:
        started = time.monotonic()
        for frame in super()._file():
            delay = frame.time_s - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
            yield frame


def test_worker_stops_and_the_deployment_ends_when_the_authorised_window_closes(
    postgres_url: str, shared_dir: Path, tmp_path: Path
) -> None:
    faces = shared_dir / "faces" / "dev"
    video = walk_past_video(tmp_path / "walks.avi", [photos(faces, PEOPLE[0])[1]] * PASSAGES)
    settings = Settings(database_url=postgres_url, data_dir=tmp_path / "data")
    services = open_services(settings)
    ends_at = datetime.now(UTC) + timedelta(seconds=WINDOW_LEFT_S + 20)  # 20 s to set up
    deployment = live_deployment(services, faces, ends_at=ends_at)
    source = CameraPacedSource(str(video))
    total_frames = PASSAGES * 35

    summary = run_worker_in_process(services, deployment, source)

    stopped_at = datetime.now(UTC)
    record = services.lfr.repository.get(deployment)
    assert record.status == "ended"
    assert record.ending == Ending.WINDOW_ENDED.value
    assert record.end_reason == f"the authorised window closed at {ends_at.isoformat()}"
    assert ends_at <= record.ended_at <= stopped_at
    assert stopped_at - ends_at < timedelta(seconds=10), "the worker stops within seconds"
    assert summary["frames"] < total_frames, "the worker stopped before the video ended"

    alerts = [services.lfr.repository.get(a) for a in alert_ids_of(services, deployment)]
    assert alerts, "the sought person was alerted on while the window was open"
    assert all(a.observed_at < ends_at for a in alerts)
    assert len(alerts) == summary["alerts"], "every match the worker sent was a lawful alert"

    late = Match(
        match_id="late-match",
        deployment_id=deployment,
        entry_id=alerts[0].entry_id,
        camera_id="camera-1",
        observed_at=datetime.now(UTC),
        score=0.99,
        model=alerts[0].model,
        watchlist_version=alerts[0].watchlist_version,
        track_id="late",
        probe_jpeg=b"\xff\xd8late",
    )
    with pytest.raises(Exception, match="only while the deployment is live; it is ended"):
        services.lfr.raise_alert(worker(WORKER.id, deployment, ("camera-1",)), late)

    view = retention_view(services.lfr, rules_from(settings), stopped_at)
    deadlines = {i.deadline for i in view.items if i.kind == "watchlist_entry"}
    assert deadlines == {record.ended_at + timedelta(hours=24)}
