"""Signed checkpoints: signing, co-signing by witnesses, unknown keys, edits."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    PublicKey,
    SigningKey,
    Witness,
    WitnessRefused,
)
from ledger.merkle import consistency_ranges, root_of, subtree_hash

LOG = SigningKey("lfr-ledger", b"L" * 32)
DPO = SigningKey("dpo", b"D" * 32)
STRANGER = SigningKey("lfr-ledger", b"S" * 32)
WHEN = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def hashes(n: int, salt: str = "") -> list[bytes]:
    return [hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(n)]


def checkpoint_of(leaves: list[bytes], key: SigningKey = LOG) -> Checkpoint:
    return Checkpoint("lfr-ledger", len(leaves), root_of(leaves), WHEN).signed_by(key)


def consistency(leaves: list[bytes], old: int) -> list[bytes]:
    return [
        subtree_hash(s, e, lambda a, b: root_of(leaves[a:b]))
        for s, e in consistency_ranges(old, len(leaves))
    ]


def test_a_signed_checkpoint_verifies_under_the_log_key() -> None:
    checkpoint = checkpoint_of(hashes(10))
    assert checkpoint.signature_problems([LOG.public], LOG.public.key_id) == []


def test_the_body_round_trips_through_its_canonical_text_and_json() -> None:
    checkpoint = checkpoint_of(hashes(7))
    assert Checkpoint.from_body(checkpoint.body(), checkpoint.signatures) == checkpoint
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint


def test_an_edited_checkpoint_no_longer_verifies() -> None:
    checkpoint = checkpoint_of(hashes(10))
    edited = Checkpoint(checkpoint.origin, 11, checkpoint.root_hash, WHEN, checkpoint.signatures)
    problems = edited.signature_problems([LOG.public], LOG.public.key_id)
    assert problems and "does not match" in problems[0]


def test_a_checkpoint_document_whose_fields_disagree_with_its_body_is_refused() -> None:
    document = checkpoint_of(hashes(10)).to_json()
    document["tree_size"] = 99
    with pytest.raises(CheckpointError, match="tree_size"):
        Checkpoint.from_json(document)


def test_a_checkpoint_signed_by_an_unknown_key_is_reported() -> None:
    forged = checkpoint_of(hashes(10), STRANGER)
    problems = forged.signature_problems([LOG.public], LOG.public.key_id)
    assert any("unknown key" in p for p in problems)
    assert any("not signed by the log's key" in p for p in problems)


def test_a_witness_co_signs_and_both_signatures_verify(tmp_path: Path) -> None:
    witness = Witness(DPO, [LOG.public], tmp_path / "dpo.json")
    cosigned = witness.cosign(checkpoint_of(hashes(10)))
    assert [s.signer for s in cosigned.signatures] == ["lfr-ledger", "dpo"]
    assert cosigned.signature_problems([LOG.public, DPO.public], LOG.public.key_id) == []
    assert Witness(DPO, [LOG.public], tmp_path / "dpo.json").last == cosigned


def test_a_witness_co_signs_a_checkpoint_that_extends_the_last_it_signed() -> None:
    leaves = hashes(40)
    witness = Witness(DPO, [LOG.public])
    witness.cosign(checkpoint_of(leaves[:13]))
    later = witness.cosign(checkpoint_of(leaves), consistency(leaves, 13))
    assert later.tree_size == 40


def test_a_witness_refuses_a_checkpoint_inconsistent_with_the_last_it_signed() -> None:
    witness = Witness(DPO, [LOG.public])
    witness.cosign(checkpoint_of(hashes(13)))
    rewritten = hashes(40, salt="fork")
    with pytest.raises(WitnessRefused, match="not consistent"):
        witness.cosign(checkpoint_of(rewritten), consistency(rewritten, 13))


def test_a_witness_refuses_a_smaller_tree_a_rollback() -> None:
    witness = Witness(DPO, [LOG.public])
    witness.cosign(checkpoint_of(hashes(20)))
    with pytest.raises(WitnessRefused, match="rollback"):
        witness.cosign(checkpoint_of(hashes(10)))


def test_a_witness_refuses_a_checkpoint_the_log_did_not_sign() -> None:
    witness = Witness(DPO, [LOG.public])
    with pytest.raises(WitnessRefused, match="no valid signature"):
        witness.cosign(checkpoint_of(hashes(10), STRANGER))


def test_public_keys_read_from_settings_text() -> None:
    text = str(DPO.public)
    assert PublicKey.parse(text) == DPO.public
    with pytest.raises(ValueError):
        PublicKey.parse("no-key-here")
