"""Checkpoints: C2SP `tlog-checkpoint` bodies in C2SP signed notes.

A checkpoint's body is three lines, each ending in a newline:

    <origin>
    <tree size, decimal>
    <root hash, base64>

and the signed note adds a blank line and one signature line per signer: the log's Ed25519
signature (key name = origin) and witnesses' `cosignature/v1` cosignatures, which carry the
time (the checkpoint itself has none). See docs/ledger-format.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledger.merkle import HASH_SIZE
from ledger.note import (
    KeyType,
    NoteError,
    NoteSignature,
    PublicKey,
    SigningKey,
    join_note,
    split_note,
    valid_name,
)

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "KeyType",
    "NoteSignature",
    "PublicKey",
    "SigningKey",
    "read_checkpoint",
]


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: malformed or edited."""


@dataclass(frozen=True)
class Cosigned:
    """A verified witness cosignature: who, and when (POSIX seconds)."""

    witness: str
    key_id: str
    timestamp: int


@dataclass(frozen=True)
class Checkpoint:
    """A commitment to the log's first `tree_size` entries, with its signature lines."""

    origin: str
    tree_size: int
    root_hash: bytes
    signatures: tuple[NoteSignature, ...] = ()

    def body(self) -> str:
        """The checkpoint text every signature covers."""
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n"

    def note(self) -> str:
        """The signed note: the body, a blank line, the signature lines."""
        if not self.signatures:
            raise CheckpointError("an unsigned checkpoint is not a signed note")
        return join_note(self.body(), list(self.signatures))

    def signature_lines(self) -> str:
        return "".join(s.line() for s in self.signatures)

    @classmethod
    def from_body(cls, body: str, signatures: Iterable[NoteSignature] = ()) -> Checkpoint:
        """Parse a checkpoint body; refuses anything not exactly in the canonical form."""
        lines = body.split("\n")
        if len(lines) != 4 or lines[3]:
            raise CheckpointError(
                "a checkpoint body is exactly three lines: origin, tree size, root hash"
            )
        origin, size, root = lines[:3]
        if not valid_name(origin):
            raise CheckpointError(f"the origin {origin!r} is not a valid name")
        if not size.isdigit() or (size != "0" and size.startswith("0")) or not size.isascii():
            raise CheckpointError(f"the tree size {size!r} is not a decimal number")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise CheckpointError("the root hash is not base64") from None
        parsed = cls(origin, int(size), digest, tuple(signatures))
        if len(digest) != HASH_SIZE or parsed.body() != body:
            raise CheckpointError("the checkpoint body is not in canonical form")
        return parsed

    @classmethod
    def from_note(cls, text: str) -> Checkpoint:
        """A checkpoint from its signed note (signatures parsed, not yet verified)."""
        try:
            body, signatures = split_note(text)
        except NoteError as error:
            raise CheckpointError(f"not a signed checkpoint: {error}") from None
        return cls.from_body(body, signatures)

    @classmethod
    def from_stored(cls, body: str, signature_lines: str) -> Checkpoint:
        """A checkpoint as the store keeps it: its body, and its signature lines."""
        return cls.from_note(body + "\n" + signature_lines)

    def signed_by(self, key: SigningKey, timestamp: int = 0) -> Checkpoint:
        """This checkpoint with `key`'s signature line added (replacing an older one by it)."""
        public = key.public
        kept = tuple(s for s in self.signatures if not public.matches(s))
        return replace(self, signatures=(*kept, key.sign_note(self.body(), timestamp)))

    def with_signatures(self, added: Iterable[NoteSignature]) -> Checkpoint:
        """This checkpoint with more signature lines (a line already present is kept once)."""
        known = {(s.name, s.key_id) for s in self.signatures}
        extra = []
        for line in added:
            if (line.name, line.key_id) not in known:
                known.add((line.name, line.key_id))
                extra.append(line)
        return replace(self, signatures=(*self.signatures, *extra))

    def signature_problems(self, trusted: Iterable[PublicKey], required: str | None) -> list[str]:
        """Why the signatures cannot be trusted (empty when they can).

        A line by a trusted key must verify; lines by keys nobody here knows are ignored
        (C2SP signed-note), except one that takes the log's name with another key id, a
        forgery. `required` is the log key's id: its signature must be there.
        """
        keys = list(trusted)
        body = self.body()
        problems: list[str] = []
        verified: set[str] = set()
        for line in self.signatures:
            key = next((k for k in keys if k.matches(line)), None)
            if key is None:
                if line.name == self.origin:
                    problems.append(f"signed by an unknown key {line.name} ({line.key_id.hex()})")
                continue
            if key.check(line, body) is None:
                problems.append(f"the signature of {key.name} does not match (edited checkpoint)")
            else:
                verified.add(key.key_id)
        if not self.signatures:
            problems.append("not signed")
        elif required and required not in verified:
            problems.append(f"not signed by the log's key {required}")
        return problems

    def cosignatures(self, witnesses: Iterable[PublicKey]) -> list[Cosigned]:
        """The witnesses among `witnesses` whose cosignature verifies, with its time."""
        body, found = self.body(), []
        for key in witnesses:
            line = next((s for s in self.signatures if key.matches(s)), None)
            when = key.check(line, body) if line is not None else None
            if when is not None and key.key_type is KeyType.COSIGNATURE_V1:
                found.append(Cosigned(key.name, key.key_id, when))
        return found

    def to_json(self, witnesses: Sequence[PublicKey] = ()) -> dict[str, Any]:
        """A JSON-ready document: the signed note, and its fields for people to read."""
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "body": self.body(),
            "note": self.note() if self.signatures else None,
            "signatures": [
                {
                    "signer": s.name,
                    "key_id": s.key_id.hex(),
                    "signature": base64.b64encode(s.value).decode(),
                }
                for s in self.signatures
            ],
            "witnessed_by": [c.__dict__ for c in self.cosignatures(witnesses)],
            "witness_keys": [w.vkey for w in witnesses],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Read a document `to_json` wrote: its note; the readable fields must agree with it."""
        try:
            checkpoint = cls.from_note(data["note"])
        except (KeyError, TypeError, AttributeError) as error:
            raise CheckpointError(f"not a checkpoint document: {error}") from None
        readable = checkpoint.to_json()
        for name in ("origin", "tree_size", "root_hash"):
            if name in data and data[name] != readable[name]:
                raise CheckpointError(f"the checkpoint's {name} does not match its signed body")
        return checkpoint


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint from a file: a signed note, or a JSON document holding one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from None
    if text.lstrip().startswith("{"):
        try:
            return Checkpoint.from_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise CheckpointError(f"cannot read checkpoint {path}: {error}") from None
    return Checkpoint.from_note(text)
