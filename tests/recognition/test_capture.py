from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from recognition.capture import SourceError, VideoSource
from tests.support.broker import free_port
from tests.support.video import Walk, corrupt_frame, write_video


def _plain_video(path: Path, frames: int = 20) -> Path:
    patch = np.full((60, 60, 3), 200, np.uint8)
    return write_video(path, [Walk(patch, 50, 0, frames)], frames, size=(320, 240))


def test_a_missing_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        VideoSource(str(tmp_path / "nowhere.avi"))


def test_a_file_that_is_not_a_video_is_refused_as_corrupt(tmp_path: Path) -> None:
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"this is not a video" * 200)
    with pytest.raises(SourceError, match="corrupt"):
        VideoSource(str(junk))


def test_an_unreachable_stream_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unreachable"):
        VideoSource(f"rtsp://127.0.0.1:{free_port()}/camera")
    with pytest.raises(SourceError, match="unreachable"):
        VideoSource(f"http://127.0.0.1:{free_port()}/camera.mjpg")


def test_a_corrupt_frame_mid_stream_is_skipped_and_counted(tmp_path: Path) -> None:
    video = _plain_video(tmp_path / "walk.avi")
    corrupt_frame(video, 10)
    source = VideoSource(str(video))
    indices = [frame.index for frame in source.frames()]
    assert source.stats.frames_corrupt == 1
    assert 10 not in indices and len(indices) == 19
    assert indices[-1] == 19


def test_every_frame_of_a_good_file_is_read_in_order(tmp_path: Path) -> None:
    source = VideoSource(str(_plain_video(tmp_path / "walk.avi")))
    frames = list(source.frames())
    assert [f.index for f in frames] == list(range(20))
    assert frames[10].time_s == pytest.approx(1.0)


@pytest.mark.parametrize("kind", ["missing", "corrupt", "unreachable"])
def test_the_worker_command_ends_with_a_one_line_reason_and_status_two_on_a_bad_source(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 4096)
    source = {
        "missing": str(tmp_path / "missing.mp4"),
        "corrupt": str(junk),
        "unreachable": f"rtsp://127.0.0.1:{free_port()}/x",
    }[kind]
    assert main(["worker", "--deployment", str(uuid.uuid4()), "--source", source]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("lfr: video") and source in error


def test_a_files_frame_count_gives_the_workers_progress_its_total_and_eta(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from runtime.worker import print_progress

    source = VideoSource(str(_plain_video(tmp_path / "v.avi", frames=20)))
    assert source.total_frames == 20

    class Stats:
        frames, faces_seen, alerts, frames_dropped = 5, 2, 0, 0

        def rates(self) -> dict[str, float]:
            return {"frames_per_s": 5.0, "faces_per_s": 2.0, "alerts_per_s": 0.0}

    print_progress(Stats(), "camera-1", source.total_frames)
    line = capsys.readouterr().err.strip()
    assert line.startswith("lfr worker camera-1: 5/20 frames (25%, 5.0/s, ETA 0:00:03)"), line
