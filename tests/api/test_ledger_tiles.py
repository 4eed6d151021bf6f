"""The ledger over HTTP as C2SP tlog-tiles: the checkpoint note, the vkey and hash tiles are
public and fold into the signed root; entry bundles are for auditors; bad paths are 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger.checkpoint import Checkpoint
from ledger.merkle import root_of
from ledger.note import PublicKey


def test_a_tile_client_follows_the_log_over_http(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    for objective in ("Reduce knife crime in the West End", "Find a missing person"):
        created = client.post(
            "/applications", headers=headers["applicant"],
            json={"objective": objective, "use_case": "Crime Hotspot"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
    signed = client.post("/ledger/checkpoints", headers=headers["auditor"])
    assert signed.status_code == 201, signed.text
    note = client.get("/ledger/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    checkpoint = Checkpoint.from_note(note.text)
    key = PublicKey.parse(client.get("/ledger/log.vkey").text)
    assert checkpoint.signature_problems([key], key.key_id) == []
    size = checkpoint.tree_size
    assert 0 < size < 256
    tile = client.get(f"/ledger/tile/0/000.p/{size}")
    assert tile.status_code == 200 and tile.headers["content-type"] == "application/octet-stream"
    leaves = [tile.content[i : i + 32] for i in range(0, len(tile.content), 32)]
    assert root_of(leaves) == checkpoint.root_hash
    assert client.get(f"/ledger/tile/entries/000.p/{size}").status_code == 401
    bundle = client.get(f"/ledger/tile/entries/000.p/{size}", headers=headers["auditor"])
    assert bundle.status_code == 200 and len(bundle.content) > size * 2
    for path in ("0/001", f"0/000.p/{size + 1}", "0/abc", "99/000", "0/000.p/0"):
        answer = client.get(f"/ledger/tile/{path}")
        assert answer.status_code == 404 and answer.json()["detail"], path
