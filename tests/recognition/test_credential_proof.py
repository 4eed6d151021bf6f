"""A message's proof is checked over exactly the fields it carries, whatever their text."""

from __future__ import annotations

import json
import uuid

import pytest

from recognition.credential import CredentialRefused, CredentialVerifier
from tests.support.credentials import UNCHECKED_SECRET, worker_credential

VERIFIER = CredentialVerifier(UNCHECKED_SECRET)


@pytest.mark.parametrize(
    "fields",
    [
        {"camera_id": "camera-1", "score": 0.8, "track_id": "t-1"},
        {"camera_id": "caméra-nord", "note": "\u2603 \U0001f600", "track_id": "t-é"},
        {"score": 1e-07, "threshold": 1e16, "big": 12345678901234567, "neg": -0.0},
    ],
    ids=["ascii", "non-ascii text", "numbers written differently by other encoders"],
)
def test_a_genuine_message_verifies_and_an_altered_one_is_refused(fields: dict) -> None:
    wire = worker_credential(None, uuid.uuid4()).attest(fields)
    _, read = VERIFIER.verify(wire)
    assert {k: read[k] for k in fields} == fields

    altered = json.loads(wire) | {"track_id": "another"}
    with pytest.raises(CredentialRefused):
        VERIFIER.verify(json.dumps(altered))
