"""A C2SP `tlog-witness`: co-signs a log's checkpoints only when they extend what it saw.

The witness (run by the DPO or an oversight body, `lfr ledger witness serve`) keeps, per log
origin, the size and root of the latest checkpoint it co-signed, in its own state file. It
answers `add-checkpoint` requests: an old size, a consistency proof from that size, and the
new signed checkpoint. It co-signs (`cosignature/v1`) only if the log's signature verifies,
the old size is the one it recorded, and the proof shows the new tree extends the recorded
one; the new state is written before it answers, under one lock, so two requests cannot roll
it back. Status codes are the protocol's: 400 malformed, 403 not signed by a known log key,
404 unknown origin, 409 old size mismatch (body: the recorded size) or same size with another
root, 422 proof does not verify.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.merkle import HASH_SIZE, verify_consistency
from ledger.note import KeyType, NoteSignature, PublicKey, SigningKey

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class WitnessRefused(Exception):
    """The witness will not co-sign; `status` is the protocol's HTTP status."""

    def __init__(self, status: int, reason: str, body: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason
        self.body = body if body is not None else reason + "\n"


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: old size, consistency proof, checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: Checkpoint

    def encode(self) -> bytes:
        proof = "".join(base64.b64encode(p).decode() + "\n" for p in self.proof)
        return f"old {self.old_size}\n{proof}\n{self.checkpoint.note()}".encode()

    @classmethod
    def decode(cls, data: bytes) -> AddCheckpoint:
        try:
            text = data.decode("utf-8")
            head, _, note = text.partition("\n\n")
            lines = head.split("\n")
            old = lines[0].removeprefix("old ")
            if not lines[0].startswith("old ") or not old.isdigit() or old != str(int(old)):
                raise ValueError("the first line is `old <size>`")
            proof = tuple(base64.b64decode(p, validate=True) for p in lines[1:])
            if len(proof) > MAX_PROOF_LINES or any(len(p) != HASH_SIZE for p in proof):
                raise ValueError("a consistency proof is at most 63 base64 SHA-256 hashes")
            return cls(int(old), proof, Checkpoint.from_note(note))
        except (UnicodeDecodeError, ValueError, binascii.Error, CheckpointError) as error:
            raise WitnessRefused(400, f"malformed add-checkpoint request: {error}") from None


class Witness:
    """A witness with its key, the log keys it trusts (by origin) and its state file."""

    def __init__(self, key: SigningKey, logs: Sequence[PublicKey], state_path: Path) -> None:
        if key.key_type is not KeyType.COSIGNATURE_V1:
            key = SigningKey(key.name, key.seed, KeyType.COSIGNATURE_V1)
        self.key, self.state_path = key, state_path
        self.logs: dict[str, list[PublicKey]] = {}
        for log in logs:
            self.logs.setdefault(log.name, []).append(log)
        self._lock = threading.Lock()

    @property
    def public(self) -> PublicKey:
        return self.key.public

    def state(self) -> dict[str, dict[str, object]]:
        """{origin: {"size": n, "root": base64}}: the latest co-signed tree of each log."""
        if not self.state_path.exists():
            return {}
        data = json.loads(self.state_path.read_text())
        return data if isinstance(data, dict) else {}

    def recorded_size(self, origin: str) -> int:
        return int(self.state().get(origin, {}).get("size", 0))  # type: ignore[call-overload]

    def add_checkpoint(self, request: AddCheckpoint, now: int | None = None) -> NoteSignature:
        """The cosignature of the request's checkpoint, or `WitnessRefused`."""
        checkpoint = request.checkpoint
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise WitnessRefused(404, f"unknown log {checkpoint.origin}")
        if not any(k.check(s, checkpoint.body()) == 0 for k in keys for s in checkpoint.signatures):
            raise WitnessRefused(403, "no valid signature by a log key this witness trusts")
        if request.old_size > checkpoint.tree_size:
            raise WitnessRefused(400, "the old size is larger than the checkpoint's size")
        with self._lock:
            state = self.state()
            seen = state.get(checkpoint.origin, {"size": 0, "root": ""})
            size, root = int(seen["size"]), base64.b64decode(str(seen["root"]))  # type: ignore[call-overload]
            self._check_extends(request, size, root)
            state[checkpoint.origin] = {
                "size": checkpoint.tree_size,
                "root": base64.b64encode(checkpoint.root_hash).decode(),
            }
            self._save(state)
        return self.key.sign_note(checkpoint.body(), int(time.time()) if now is None else now)

    @staticmethod
    def _check_extends(request: AddCheckpoint, size: int, root: bytes) -> None:
        new = request.checkpoint
        if request.old_size != size:
            raise WitnessRefused(409, f"this witness holds size {size}", f"{size}\n")
        if size == 0:
            if request.proof:
                raise WitnessRefused(422, "the proof from size 0 must be empty")
            return
        if size == new.tree_size:
            if request.proof or root != new.root_hash:
                raise WitnessRefused(409, f"another root for the size {size} already co-signed")
            return
        if not verify_consistency(size, new.tree_size, root, new.root_hash, request.proof):
            raise WitnessRefused(
                422,
                f"the checkpoint of size {new.tree_size} is not consistent with the checkpoint "
                f"of size {size} already co-signed (a forked or rewritten log)",
            )

    def _save(self, state: dict[str, dict[str, object]]) -> None:
        """Write the state atomically: a crash leaves the old file or the new one."""
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        with open(temporary, "w") as file:
            json.dump(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.state_path)
