"""The worker's messages: their schema and version, and a crop that travels only sealed."""

from __future__ import annotations

import json

import pytest

from recognition.events import FacesSeenCount, MatchEvent, UnsupportedSchema, match_event_id
from recognition.sealing import ProbeKeyPair, SealError
from tests.support.credentials import unchecked_credential

KEYS = ProbeKeyPair.generate()
CREDENTIAL = unchecked_credential()


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
    return MatchEvent.create(probe_jpeg=b"\xff\xd8\xff\xe0jpeg", **values)


def _payload(event: MatchEvent) -> dict[str, object]:
    return dict(json.loads(event.to_json(KEYS.sealer, CREDENTIAL)))


def test_a_match_event_survives_the_wire_with_its_crop_sealed() -> None:
    event = _match()
    wire = event.to_json(KEYS.sealer, CREDENTIAL)
    assert MatchEvent.from_json(wire, KEYS) == event
    assert MatchEvent.from_json(wire, KEYS).probe_bytes() == b"\xff\xd8\xff\xe0jpeg"
    payload = json.loads(wire)
    assert (payload["schema"], payload["version"]) == ("lfr.match", "1.0")
    assert "probe_jpeg" not in payload and b"jpeg" not in wire


def test_a_sealed_crop_opens_only_with_the_ingest_key_and_in_its_own_message() -> None:
    payload = _payload(_match())
    with pytest.raises(SealError, match="sealed for key"):
        MatchEvent.from_json(json.dumps(payload), ProbeKeyPair.generate())
    moved = _payload(_match(track_id="other")) | {"probe_sealed": payload["probe_sealed"]}
    with pytest.raises(SealError, match="does not open"):
        MatchEvent.from_json(json.dumps(moved), KEYS)


def test_the_same_track_and_entry_always_get_the_same_event_id() -> None:
    assert _match().event_id == _match(score=0.9, observed_at="later").event_id
    assert _match().event_id == match_event_id("dep-1", "cam-1", "s1-3", "entry-7")
    assert _match().event_id != _match(track_id="s1-4").event_id


def test_a_faces_seen_count_carries_counts_only() -> None:
    count = FacesSeenCount("dep-1", "cam-1", "t0", "t1", faces_seen=12, faces_passed_quality=9)
    payload = json.loads(count.to_json(CREDENTIAL))
    assert set(payload) == {
        "schema",
        "version",
        "deployment_id",
        "camera_id",
        "interval_start",
        "interval_end",
        "faces_seen",
        "faces_passed_quality",
        "credential",
        "proof",
    }
    assert FacesSeenCount.from_json(count.to_json(CREDENTIAL)) == count


def test_an_older_reader_accepts_a_newer_minor_version_with_an_added_optional_field() -> None:
    newer = _payload(_match()) | {"version": "1.3", "frame_quality": 0.92}
    assert MatchEvent.from_json(json.dumps(newer), KEYS) == _match()


def test_an_unknown_major_version_or_another_schema_is_refused() -> None:
    with pytest.raises(UnsupportedSchema, match=r"version 2\.0"):
        MatchEvent.from_json(json.dumps(_payload(_match()) | {"version": "2.0"}), KEYS)
    count = json.loads(FacesSeenCount("d", "c", "t0", "t1", 1, 1).to_json(CREDENTIAL))
    with pytest.raises(UnsupportedSchema, match="lfr.faces-seen"):
        MatchEvent.from_json(json.dumps(count), KEYS)
    unversioned = {k: v for k, v in count.items() if k not in {"schema", "version"}}
    with pytest.raises(UnsupportedSchema):
        FacesSeenCount.from_json(json.dumps(unversioned))


def test_a_message_without_a_required_field_is_refused() -> None:
    payload = _payload(_match())
    del payload["entry_id"]
    with pytest.raises(ValueError, match=r"missing fields \['entry_id'\]"):
        MatchEvent.from_json(json.dumps(payload), KEYS)
