"""Signed checkpoints (tree size, root hash, time) and witnesses that co-sign them.

A checkpoint's signed body is a short canonical text, one field per line:

    <origin>\\n<tree size>\\n<root hash, base64>\\n<time, ISO 8601 UTC>\\n

Any number of Ed25519 signatures can be attached, each naming its signer and key id,
so the log signs first and witnesses (the DPO, an oversight body) co-sign later.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.merkle import HASH_SIZE, verify_consistency


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: malformed or edited."""


class WitnessRefused(Exception):
    """A witness will not co-sign: bad signature or not consistent with what it signed."""


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key with the name of who holds it."""

    name: str
    raw: bytes

    @property
    def key_id(self) -> str:
        """A short id of the key: the first 8 bytes of SHA-256 of the raw key, in hex."""
        return hashlib.sha256(self.raw).digest()[:8].hex()

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` is this key's signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """A key written as `name:base64`, the form settings and the command line use."""
        name, _, encoded = text.strip().rpartition(":")
        raw = base64.b64decode(encoded)
        if not name or len(raw) != 32:
            raise ValueError(f"not a named Ed25519 public key (name:base64): {text!r}")
        return cls(name, raw)

    def __str__(self) -> str:
        return f"{self.name}:{base64.b64encode(self.raw).decode()}"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key (from its 32-byte seed) and its holder's name."""

    name: str
    seed: bytes = field(repr=False)

    @property
    def public(self) -> PublicKey:
        """The public half, to give to verifiers."""
        raw = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return PublicKey(self.name, raw)

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class Signature:
    """One signer's signature of a checkpoint body."""

    signer: str
    key_id: str
    value: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "signer": self.signer,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.value).decode(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Signature:
        return cls(data["signer"], data["key_id"], base64.b64decode(data["signature"]))


@dataclass(frozen=True)
class Checkpoint:
    """A commitment to the ledger's first `tree_size` entries, with its signatures."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    signatures: tuple[Signature, ...] = ()

    def body(self) -> bytes:
        """The canonical bytes every signature covers."""
        when = self.timestamp.astimezone(UTC).isoformat(timespec="milliseconds")
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n{when}\n".encode()

    @classmethod
    def from_body(cls, body: bytes | str, signatures: Iterable[Signature] = ()) -> Checkpoint:
        """Parse a body; refuses anything that is not exactly the canonical form."""
        text = body.decode() if isinstance(body, bytes) else body
        lines = text.split("\n")
        try:
            origin, size, root, when, tail = lines
            parsed = cls(
                origin, int(size), base64.b64decode(root, validate=True),
                datetime.fromisoformat(when), tuple(signatures),
            )  # fmt: skip
        except ValueError as error:
            raise CheckpointError(f"malformed checkpoint body: {error}") from None
        if tail or len(parsed.root_hash) != HASH_SIZE or parsed.body().decode() != text:
            raise CheckpointError("checkpoint body is not in canonical form")
        return parsed

    def signed_by(self, key: SigningKey) -> Checkpoint:
        """This checkpoint with `key`'s signature added (replacing an older one by that key)."""
        public = key.public
        kept = tuple(s for s in self.signatures if s.key_id != public.key_id)
        added = Signature(public.name, public.key_id, key.sign(self.body()))
        return replace(self, signatures=(*kept, added))

    def signature_problems(self, trusted: Iterable[PublicKey], required: str | None) -> list[str]:
        """Why the signatures cannot be trusted (empty when they can).

        Every signature must verify under a trusted key; `required` names a key id
        that must be among the signers (the log's own key).
        """
        keys = {key.key_id: key for key in trusted}
        problems: list[str] = []
        body = self.body()
        for signature in self.signatures:
            key = keys.get(signature.key_id)
            if key is None:
                problems.append(f"signed by an unknown key {signature.key_id} ({signature.signer})")
            elif not key.verifies(signature.value, body):
                problems.append(f"the signature of {key.name} does not match (edited checkpoint)")
        if not self.signatures:
            problems.append("not signed")
        elif required and required not in {s.key_id for s in self.signatures}:
            problems.append(f"not signed by the log's key {required}")
        return problems

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready document: the signed body plus its fields, for people to read."""
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp.astimezone(UTC).isoformat(timespec="milliseconds"),
            "body": self.body().decode(),
            "signatures": [s.to_json() for s in self.signatures],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Read a document `to_json` wrote; the readable fields must agree with the body."""
        try:
            signatures = [Signature.from_json(s) for s in data["signatures"]]
            checkpoint = cls.from_body(data["body"], signatures)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"not a checkpoint document: {error}") from None
        readable = checkpoint.to_json()
        for name in ("origin", "tree_size", "root_hash", "timestamp"):
            if name in data and data[name] != readable[name]:
                raise CheckpointError(f"the checkpoint's {name} does not match its signed body")
        return checkpoint


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint from a JSON file (a published checkpoint)."""
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError) as error:
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from None


class Witness:
    """A co-signer that remembers the last checkpoint it signed.

    It co-signs only checkpoints that carry a valid signature by a log key it trusts and
    that extend what it signed before (proved by a consistency proof), so a log cannot
    show it one history and someone else another. With `state_path` its memory survives
    restarts.
    """

    def __init__(
        self, key: SigningKey, log_keys: Sequence[PublicKey], state_path: Path | None = None
    ) -> None:
        self.key = key
        self.log_keys = list(log_keys)
        self.state_path = state_path
        self.last: Checkpoint | None = None
        if state_path is not None and state_path.exists():
            self.last = read_checkpoint(state_path)

    def cosign(self, checkpoint: Checkpoint, proof: Sequence[bytes] = ()) -> Checkpoint:
        """The checkpoint with this witness's signature added; `WitnessRefused` if not consistent.

        `proof` is the consistency proof from the last checkpoint this witness signed.
        """
        self._check_log_signature(checkpoint)
        self._check_extends(checkpoint, proof)
        signed = checkpoint.signed_by(self.key)
        self.last = signed
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            self.state_path.write_text(json.dumps(signed.to_json(), indent=2))
        return signed

    def _check_log_signature(self, checkpoint: Checkpoint) -> None:
        body = checkpoint.body()
        keys = {key.key_id: key for key in self.log_keys}
        by_log = [s for s in checkpoint.signatures if s.key_id in keys]
        if not by_log or not all(keys[s.key_id].verifies(s.value, body) for s in by_log):
            raise WitnessRefused("no valid signature by a log key this witness trusts")

    def _check_extends(self, checkpoint: Checkpoint, proof: Sequence[bytes]) -> None:
        last = self.last
        if last is None:
            return
        if checkpoint.origin != last.origin:
            raise WitnessRefused(f"checkpoint of {checkpoint.origin}, not of {last.origin}")
        if checkpoint.tree_size < last.tree_size:
            raise WitnessRefused(
                f"tree size {checkpoint.tree_size} is smaller than the {last.tree_size} "
                "already signed (rollback)"
            )
        if not verify_consistency(
            last.tree_size, checkpoint.tree_size, last.root_hash, checkpoint.root_hash, proof
        ):
            raise WitnessRefused(
                f"checkpoint of size {checkpoint.tree_size} is not consistent with the "
                f"checkpoint of size {last.tree_size} already signed"
            )
