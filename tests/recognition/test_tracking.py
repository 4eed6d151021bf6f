from __future__ import annotations

from recognition.engines.base import Face
from recognition.tracking import Tracker


def _face(x: float, y: float = 100, size: float = 100) -> Face:
    return Face(box=(x, y, size, size), score=1.0)


def test_a_face_moving_across_frames_keeps_one_track() -> None:
    tracker = Tracker("s", ttl_s=1.0)
    ids = {tracker.update([_face(10 + 15 * i)], now=i * 0.1)[0].track_id for i in range(30)}
    assert len(ids) == 1


def test_two_people_passing_at_once_get_two_tracks() -> None:
    tracker = Tracker("s", ttl_s=1.0)
    for i in range(10):
        tracks = tracker.update([_face(10 + 10 * i, 0), _face(500 - 10 * i, 300)], now=i * 0.1)
    assert len({t.track_id for t in tracks}) == 2


def test_a_person_who_leaves_and_comes_back_later_gets_a_new_track() -> None:
    tracker = Tracker("s", ttl_s=1.0)
    first = tracker.update([_face(100)], now=0.0)[0].track_id
    assert tracker.update([_face(102)], now=0.5)[0].track_id == first
    assert tracker.update([_face(100)], now=3.0)[0].track_id != first


def test_a_frame_where_the_face_is_missed_does_not_split_the_track() -> None:
    tracker = Tracker("s", ttl_s=1.0)
    first = tracker.update([_face(100)], now=0.0)[0].track_id
    tracker.update([], now=0.1)
    assert tracker.update([_face(160)], now=0.2)[0].track_id == first


def test_a_small_face_moving_more_than_its_width_each_frame_keeps_one_track() -> None:
    # 40 px face, 70 px a frame (a brisk walk seen at 5 frames/s): no overlap frame to frame.
    tracker = Tracker("s", ttl_s=1.0)
    ids = {
        tracker.update([_face(10 + 70 * i, size=40)], now=i * 0.2)[0].track_id for i in range(15)
    }
    assert len(ids) == 1


def test_a_near_and_a_far_person_crossing_keep_their_own_tracks() -> None:
    tracker = Tracker("s", ttl_s=1.0)
    near, far = set(), set()
    for i in range(20):
        big, small = _face(100 + 30 * i, y=100, size=150), _face(800 - 30 * i, y=120, size=45)
        tracks = tracker.update([big, small], now=i * 0.1)
        near.add(tracks[0].track_id)
        far.add(tracks[1].track_id)
    assert len(near) == 1 and len(far) == 1 and near != far
