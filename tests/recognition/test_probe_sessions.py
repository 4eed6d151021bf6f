"""A worker seals its probe crops under a session key agreed with the ingest's key; the ingest
opens any session's crops, remembers a bounded number of sessions, and refuses altered ones."""

from __future__ import annotations

import base64

import pytest

from recognition import sealing
from recognition.sealing import ProbeKeyPair, ProbeSealer, SealError

CROP = b"\xff\xd8 a probe crop \xff\xd9"
CONTEXT = b"lfr.match|event-1|deployment-1"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def session_key(envelope: str) -> bytes:
    """The ephemeral public key an envelope names (its first 32 bytes)."""
    return base64.b64decode(envelope)[:32]


def nonce(envelope: str) -> bytes:
    return base64.b64decode(envelope)[32:44]


def sealer_for(keys: ProbeKeyPair, **limits: float) -> tuple[ProbeSealer, Clock]:
    clock = Clock()
    return ProbeSealer(keys.private_key.public_key(), clock=clock, **limits), clock  # type: ignore[arg-type]


def test_a_session_seals_its_crops_under_one_key_each_with_its_own_nonce() -> None:
    keys = ProbeKeyPair.generate()
    sealer, _ = sealer_for(keys, session_messages=3)
    envelopes = [sealer.seal(CROP, CONTEXT) for _ in range(3)]
    assert len({session_key(e) for e in envelopes}) == 1
    assert len({nonce(e) for e in envelopes}) == 3
    assert all(keys.open(e, CONTEXT) == CROP for e in envelopes)


def test_a_session_ends_after_its_crops_or_its_time_and_the_next_has_a_new_key() -> None:
    keys = ProbeKeyPair.generate()
    sealer, clock = sealer_for(keys, session_messages=2, session_seconds=60)
    first, second, third = (sealer.seal(CROP, CONTEXT) for _ in range(3))
    assert session_key(first) == session_key(second) != session_key(third)
    clock.now += 60
    fourth = sealer.seal(CROP, CONTEXT)
    assert session_key(fourth) != session_key(third)
    assert all(keys.open(e, CONTEXT) == CROP for e in (first, second, third, fourth))


def test_a_crop_of_a_session_the_ingest_never_saw_or_has_forgotten_still_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sealing, "MAX_SESSIONS", 2)
    keys = ProbeKeyPair.generate()
    workers = [keys.sealer for _ in range(3)]
    early = workers[0].seal(CROP, CONTEXT)
    assert keys.open(early, CONTEXT) == CROP
    for worker in workers[1:]:  # two later sessions push the first one out
        assert keys.open(worker.seal(CROP, CONTEXT), CONTEXT) == CROP
    assert session_key(early) not in keys._sessions
    assert keys.open(workers[0].seal(CROP, CONTEXT), CONTEXT) == CROP  # agreed again
    assert len(keys._sessions) == 2


def test_a_crop_sealed_under_its_own_ephemeral_key_opens_as_before() -> None:
    keys = ProbeKeyPair.generate()
    sealer, _ = sealer_for(keys, session_messages=1)
    envelopes = [sealer.seal(CROP, CONTEXT) for _ in range(2)]
    assert session_key(envelopes[0]) != session_key(envelopes[1])
    assert [keys.open(e, CONTEXT) for e in envelopes] == [CROP, CROP]


@pytest.mark.parametrize("where", [0, 32, 44, -1], ids=["session key", "nonce", "body", "tag"])
def test_an_altered_crop_of_a_known_session_is_refused_and_not_remembered(where: int) -> None:
    keys = ProbeKeyPair.generate()
    sealer = keys.sealer
    assert keys.open(sealer.seal(CROP, CONTEXT), CONTEXT) == CROP  # the session is known
    sealed = bytearray(base64.b64decode(sealer.seal(CROP, CONTEXT)))
    sealed[where] ^= 0x01
    with pytest.raises(SealError):
        keys.open(base64.b64encode(bytes(sealed)).decode(), CONTEXT)
    assert len(keys._sessions) == 1


def test_a_crop_of_a_known_session_moved_to_another_message_is_refused() -> None:
    keys = ProbeKeyPair.generate()
    envelope = keys.sealer.seal(CROP, CONTEXT)
    assert keys.open(envelope, CONTEXT) == CROP
    with pytest.raises(SealError, match="does not open"):
        keys.open(envelope, b"lfr.match|event-2|deployment-1")


def test_a_session_opens_only_with_the_key_it_was_agreed_with() -> None:
    keys, stranger = ProbeKeyPair.generate(), ProbeKeyPair.generate()
    sealer = keys.sealer
    assert keys.open(sealer.seal(CROP, CONTEXT), CONTEXT) == CROP
    with pytest.raises(SealError, match="does not open"):
        stranger.open(sealer.seal(CROP, CONTEXT), CONTEXT)


def test_an_envelope_that_is_not_base64_is_refused() -> None:
    keys = ProbeKeyPair.generate()
    envelope = keys.sealer.seal(CROP, CONTEXT)
    for bad in (envelope[:-1] + "!", "é" + envelope, envelope[:8] + " " + envelope[8:]):
        with pytest.raises(SealError, match="not base64"):
            keys.open(bad, CONTEXT)
