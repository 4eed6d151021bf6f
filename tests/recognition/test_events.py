from __future__ import annotations

import json

import pytest

from recognition.events import FacesSeenCount, MatchEvent, match_event_id


def _match(**changes: object) -> MatchEvent:
    values: dict[str, object] = dict(
        deployment_id="dep-1",
        camera_id="cam-1",
        observed_at="2025-01-01T12:00:00.000+00:00",
        entry_id="entry-7",
        score=0.71,
        threshold=0.64,
        model_id="dlib-resnet-v1",
        model_version="abc",
        watchlist_version="f00",
        track_id="s1-3",
    )
    values.update(changes)
    return MatchEvent.create(probe_jpeg=b"\xff\xd8jpeg", **values)


def test_a_match_event_survives_a_json_round_trip() -> None:
    event = _match()
    assert MatchEvent.from_json(event.to_json()) == event
    assert event.probe_bytes() == b"\xff\xd8jpeg"


def test_the_same_track_and_entry_always_get_the_same_event_id() -> None:
    assert _match().event_id == _match(score=0.9, observed_at="later").event_id
    assert _match().event_id == match_event_id("dep-1", "cam-1", "s1-3", "entry-7")
    assert _match().event_id != _match(track_id="s1-4").event_id


def test_a_faces_seen_count_carries_counts_only() -> None:
    count = FacesSeenCount("dep-1", "cam-1", "t0", "t1", faces_seen=12, faces_passed_quality=9)
    payload = json.loads(count.to_json())
    assert set(payload) == {
        "deployment_id",
        "camera_id",
        "interval_start",
        "interval_end",
        "faces_seen",
        "faces_passed_quality",
    }
    assert FacesSeenCount.from_json(count.to_json()) == count


def test_a_message_with_unknown_fields_is_refused() -> None:
    payload = json.loads(_match().to_json()) | {"embedding": [0.1]}
    with pytest.raises(ValueError, match="unknown fields"):
        MatchEvent.from_json(json.dumps(payload))
