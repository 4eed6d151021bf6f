"""Inclusion and consistency proofs as documents, and their stand-alone verifiers.

A verifier needs only the proof, the leaf (the stored event's canonical bytes) and a
checkpoint with the public keys it trusts: no access to the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.checkpoint import Checkpoint, PublicKey
from ledger.leaf import StoredRow, leaf_bytes
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion


class ProofRejected(Exception):
    """A proof that does not prove what it claims; the message says why."""


@dataclass(frozen=True)
class InclusionProof:
    """The audit path of one entry in the tree of `tree_size` entries."""

    index: int
    tree_size: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "path": [p.hex() for p in self.path],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InclusionProof:
        return cls(
            int(data["index"]),
            int(data["tree_size"]),
            tuple(bytes.fromhex(p) for p in data["path"]),
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """The proof that the tree of `new_size` entries extends the tree of `old_size`."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "path": [p.hex() for p in self.path],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConsistencyProof:
        path = tuple(bytes.fromhex(p) for p in data["path"])
        return cls(int(data["old_size"]), int(data["new_size"]), path)


def row_to_json(row: StoredRow) -> dict[str, Any]:
    """A stored event row as JSON (state in hex, exactly as stored)."""
    return {**row._asdict(), "state": row.state.hex()}


def inclusion_document(
    proof: InclusionProof,
    row: StoredRow,
    checkpoint: Checkpoint | None = None,
    witnesses: Sequence[PublicKey] = (),
) -> dict[str, Any]:
    """The one inclusion-proof document the API, the command line, the register and the
    erasure proofs give: the event's `notification_id`, the `event` exactly as stored (the
    leaf), the `proof` and, unless the caller gives it once for many, the `checkpoint`."""
    document: dict[str, Any] = {
        "notification_id": row.notification_id,
        "event": row_to_json(row),
        "proof": proof.to_json(),
    }
    if checkpoint is not None:
        document["checkpoint"] = checkpoint.to_json(witnesses)
    return document


def consistency_document(ledger: Any, proof: ConsistencyProof) -> dict[str, Any]:
    """The one consistency-proof document (API and command line): the `proof` and the two
    signed checkpoints it joins (`ledger` is a `ledger.service.Ledger`)."""
    old = ledger.checkpoint_of_size(proof.old_size)
    new = ledger.checkpoint_of_size(proof.new_size)
    return {
        "proof": proof.to_json(),
        "old_checkpoint": old.to_json(ledger.witnesses),
        "new_checkpoint": new.to_json(ledger.witnesses),
    }


def row_from_json(data: dict[str, Any]) -> StoredRow:
    return StoredRow(
        data["log"], int(data["notification_id"]), data["originator_id"],
        int(data["originator_version"]), data["topic"], bytes.fromhex(data["state"]),
    )  # fmt: skip


def _trusted(checkpoint: Checkpoint, keys: Sequence[PublicKey]) -> None:
    if not keys:
        raise ProofRejected("no public key to check the checkpoint with")
    problems = checkpoint.signature_problems(keys, None)
    if problems:
        raise ProofRejected("the checkpoint cannot be trusted: " + "; ".join(problems))


def check_inclusion(
    proof: InclusionProof, leaf: bytes, checkpoint: Checkpoint, keys: Sequence[PublicKey]
) -> None:
    """Raise `ProofRejected` unless `leaf` is entry `proof.index` of the signed checkpoint."""
    _trusted(checkpoint, keys)
    if proof.tree_size != checkpoint.tree_size:
        raise ProofRejected(
            f"the proof is for a tree of {proof.tree_size}, "
            f"the checkpoint has {checkpoint.tree_size}"
        )
    if not verify_inclusion(
        leaf_hash(leaf), proof.index, proof.tree_size, proof.path, checkpoint.root_hash
    ):
        raise ProofRejected(f"the leaf is not entry {proof.index} of the checkpoint's tree")


def check_row_inclusion(
    proof: InclusionProof, row: StoredRow, checkpoint: Checkpoint, keys: Sequence[PublicKey]
) -> None:
    """`check_inclusion` for a stored event row (its canonical leaf bytes)."""
    check_inclusion(proof, leaf_bytes(row), checkpoint, keys)


def check_consistency(
    proof: ConsistencyProof, old: Checkpoint, new: Checkpoint, keys: Sequence[PublicKey]
) -> None:
    """Raise `ProofRejected` unless the signed `new` checkpoint extends the signed `old` one."""
    _trusted(old, keys)
    _trusted(new, keys)
    if (proof.old_size, proof.new_size) != (old.tree_size, new.tree_size):
        raise ProofRejected("the proof is for other tree sizes than the checkpoints")
    if not verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof.path
    ):
        raise ProofRejected(
            f"the checkpoint of size {new.tree_size} does not extend "
            f"the one of size {old.tree_size}"
        )
