"""Checkpoints as C2SP signed notes: the log's signature, witnesses' cosignatures, vkeys,
unknown keys and edits."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.merkle import EMPTY_ROOT, root_of
from ledger.note import KeyType, NoteError, NoteSignature, PublicKey, SigningKey, split_note

ORIGIN = "ledger.example.org/lfr"
LOG = SigningKey(ORIGIN, b"L" * 32)
STRANGER = SigningKey(ORIGIN, b"S" * 32)
DPO = SigningKey("dpo.example.org/w1", b"D" * 32, KeyType.COSIGNATURE_V1)

# The signed-note example of golang.org/x/mod/sumdb/note (its documentation): a key, a text
# and the signed note it gives. Ed25519 is deterministic, so ours must be byte-identical.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_LINE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def hashes(n: int, salt: str = "") -> list[bytes]:
    return [hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(n)]


def checkpoint_of(leaves: list[bytes], key: SigningKey = LOG) -> Checkpoint:
    return Checkpoint(ORIGIN, len(leaves), root_of(leaves)).signed_by(key)


def test_our_note_signatures_and_vkeys_are_byte_identical_to_the_go_reference() -> None:
    key = SigningKey("PeterNeumann", GO_SEED)
    assert key.public.vkey == GO_VKEY
    assert key.sign_note(GO_TEXT).line() == GO_LINE
    assert PublicKey.parse(GO_VKEY) == key.public


def test_a_checkpoint_is_three_lines_and_a_signature_line_with_no_time() -> None:
    checkpoint = checkpoint_of(hashes(10))
    note = checkpoint.note()
    body, signatures = split_note(note)
    assert body == f"{ORIGIN}\n10\n{base64.b64encode(root_of(hashes(10))).decode()}\n"
    assert [s.name for s in signatures] == [ORIGIN]
    assert signatures[0].key_id == LOG.public.id_bytes
    assert Checkpoint.from_note(note) == checkpoint
    assert checkpoint.signature_problems([LOG.public], LOG.public.key_id) == []


def test_the_empty_tree_is_a_valid_checkpoint() -> None:
    empty = checkpoint_of([])
    assert empty.body().split("\n")[1] == "0"
    assert empty.root_hash == EMPTY_ROOT
    assert Checkpoint.from_note(empty.note()).signature_problems([LOG.public], None) == []


def test_a_standard_checkpoint_from_the_c2sp_example_is_read() -> None:
    text = (
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URY"
        "N7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    checkpoint = Checkpoint.from_note(text)
    assert (checkpoint.origin, checkpoint.tree_size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.note() == text


@pytest.mark.parametrize(
    "body",
    [
        "o\n10\nAAAA\n",  # root too short
        "o\n010\n" + base64.b64encode(bytes(32)).decode() + "\n",  # leading zero
        "o\n10\n" + base64.b64encode(bytes(32)).decode() + "\n2025-01-01T00:00:00\n",  # time line
        "o o\n10\n" + base64.b64encode(bytes(32)).decode() + "\n",  # space in origin
    ],
)
def test_a_malformed_checkpoint_body_is_refused(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_body(body)


def test_an_edited_checkpoint_no_longer_verifies() -> None:
    checkpoint = checkpoint_of(hashes(10))
    edited = Checkpoint(ORIGIN, 11, checkpoint.root_hash, checkpoint.signatures)
    problems = edited.signature_problems([LOG.public], LOG.public.key_id)
    assert problems and "does not match" in problems[0]


def test_a_checkpoint_document_whose_fields_disagree_with_its_note_is_refused() -> None:
    document = checkpoint_of(hashes(10)).to_json()
    document["tree_size"] = 99
    with pytest.raises(CheckpointError, match="tree_size"):
        Checkpoint.from_json(document)


def test_a_checkpoint_signed_under_the_log_name_by_another_key_is_reported() -> None:
    forged = checkpoint_of(hashes(10), STRANGER)
    problems = forged.signature_problems([LOG.public], LOG.public.key_id)
    assert any("unknown key" in p for p in problems)
    assert any("not signed by the log's key" in p for p in problems)


def test_a_witness_cosignature_covers_its_time_and_the_body() -> None:
    checkpoint = checkpoint_of(hashes(10)).signed_by(DPO, timestamp=1_700_000_000)
    seen = checkpoint.cosignatures([DPO.public])
    assert [(c.witness, c.timestamp) for c in seen] == [("dpo.example.org/w1", 1_700_000_000)]
    line = checkpoint.signatures[-1]
    later = NoteSignature(
        line.name, line.key_id, (1_700_000_001).to_bytes(8, "big") + line.value[8:]
    )
    moved = Checkpoint(ORIGIN, 10, checkpoint.root_hash, (checkpoint.signatures[0], later))
    assert moved.cosignatures([DPO.public]) == []
    assert "does not match" in moved.signature_problems([LOG.public, DPO.public], None)[0]


def test_verifier_keys_are_read_from_settings_text_and_checked() -> None:
    assert PublicKey.parse(DPO.public.vkey) == DPO.public
    assert (
        DPO.public.vkey.split("+")[1]
        == hashlib.sha256(DPO.name.encode() + b"\n\x04" + DPO.public.raw).hexdigest()[:8]
    )
    wrong_id = DPO.public.vkey.replace(DPO.public.key_id, "00000000")
    for text in ("no-key-here", wrong_id, "a+b+c"):
        with pytest.raises(NoteError):
            PublicKey.parse(text)


def test_the_example_in_the_format_document_verifies() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "ledger-format.md").read_text()
    blocks = text.split("Example (a development log")[1].split("```")
    checkpoint = Checkpoint.from_note(blocks[1].lstrip("\n"))
    log_key, witness = (PublicKey.parse(line) for line in blocks[3].split())
    assert checkpoint.signature_problems([log_key, witness], log_key.key_id) == []
    assert [c.timestamp for c in checkpoint.cosignatures([witness])] == [1764547200]
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(15)]
    assert checkpoint.root_hash == root_of(leaves)
