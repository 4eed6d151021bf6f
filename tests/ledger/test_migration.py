"""Checkpoints stored and published by earlier versions (a JSON wrapper with a time line) keep
working: opening the ledger with its key signs them again as C2SP signed notes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from ledger.merkle import root_of
from ledger.note import SigningKey
from runtime.ledger_wiring import open_ledger
from runtime.settings import Settings
from tests.ledger.notebook import notebook_for


def legacy_checkpoint(key: SigningKey, size: int, root: bytes) -> tuple[str, str]:
    """A checkpoint as earlier versions stored it: body with a time, signatures as JSON."""
    body = f"lfr-ledger\n{size}\n{base64.b64encode(root).decode()}\n2025-03-01T12:00:00.000+00:00\n"
    signature = {
        "signer": "lfr-ledger",
        "key_id": hashlib.sha256(key.public.raw).digest()[:8].hex(),
        "signature": base64.b64encode(key.sign_note(body).value).decode(),
    }
    return body, json.dumps([signature])


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_legacy_checkpoints_are_signed_again_as_notes_and_still_verify(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgres":
        request.applymarker(pytest.mark.postgres)
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    settings = Settings(database_url=url, data_dir=tmp_path / "data")
    app = notebook_for(url)
    try:
        for i in range(7):
            app.write(f"note {i}")
        store = app.recorder.ledger_store
        key = SigningKey("lfr-ledger", settings.secret("ledger_signing_key"))
        root = root_of(store.leaf_hash_range(0, 7))
        body, signatures = legacy_checkpoint(key, 7, root)
        store.add_checkpoint(7, body, signatures, [])
        published = tmp_path / "data" / "ledger" / "published"
        published.mkdir(parents=True)
        (published / "checkpoint-000000000007.json").write_text(
            json.dumps({"body": body, "signatures": json.loads(signatures)})
        )
        forged_body, forged = legacy_checkpoint(SigningKey("lfr-ledger", b"F" * 32), 7, root)
        store.add_checkpoint(7, forged_body, forged, [])

        ledger = open_ledger(settings, app.recorder)
        rows = store.stored_checkpoints()
        migrated = ledger.checkpoints()
        assert [c.tree_size for c in migrated] == [7]  # the forged one stays as it was
        assert migrated[0].origin == ledger.origin and migrated[0].root_hash == root
        assert rows[1].signatures.startswith("[")
        assert not list(published.glob("*.json"))
        assert (published / "checkpoints" / "7").is_file()
        report = ledger.verify()
        assert not report.ok and "earlier format" in report.checkpoints[1].reason
        store.replace_checkpoint(rows[1].seq, migrated[0].body(), migrated[0].signature_lines())
        app.write("after the move")
        assert ledger.checkpoint().tree_size == 8
        assert ledger.verify().ok, ledger.verify().summary()
    finally:
        app.close()
