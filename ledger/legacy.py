"""The checkpoints of earlier versions, moved to signed notes.

Earlier checkpoints were a four-line body (origin, size, base64 root, ISO time) with
signatures as JSON (`signer`, `key_id` = SHA-256(public key)[:8] in hex, `signature`), and
were published as `checkpoint-<size>.json`. With the log's key at hand, each one whose log
signature still verifies is signed again as a C2SP checkpoint of the same size and root under
the installation's origin; one that does not verify is left as it is, so verification reports
it. Witness signatures of the old form cannot be carried over.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any

from ledger.checkpoint import Checkpoint
from ledger.note import PublicKey, SigningKey


def is_legacy(signatures: str) -> bool:
    """Whether a stored checkpoint's signatures are the old JSON list."""
    return signatures.lstrip().startswith("[")


def legacy_to_note(body: str, signatures: Any, origin: str, key: SigningKey) -> Checkpoint | None:
    """The legacy checkpoint signed again as a C2SP checkpoint, if its log signature verifies."""
    try:
        lines = body.split("\n")
        size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
        listed = json.loads(signatures) if isinstance(signatures, str) else signatures
        public = key.public
        old_id = hashlib.sha256(public.raw).digest()[:8].hex()
        mine = [s for s in listed if s.get("key_id") == old_id]
        good = any(_verifies(public, s["signature"], body) for s in mine)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, binascii.Error):
        return None
    if not good or len(lines) != 5 or len(root) != 32:
        return None
    return Checkpoint(origin, size, root).signed_by(key)


def _verifies(public: PublicKey, signature: str, body: str) -> bool:
    return public.verifies(base64.b64decode(signature), body.encode())


def migrate_store(store: Any, origin: str, key: SigningKey) -> int:
    """Re-sign the store's legacy checkpoints; returns how many were moved."""
    latest = store.latest_stored_checkpoint()
    if latest is None or not is_legacy(latest.signatures):
        return 0
    moved = 0
    for row in store.stored_checkpoints():
        if not is_legacy(row.signatures):
            continue
        checkpoint = legacy_to_note(row.body, row.signatures, origin, key)
        if checkpoint is not None:
            store.replace_checkpoint(row.seq, checkpoint.body(), checkpoint.signature_lines())
            moved += 1
    return moved


def legacy_published(folder: Path, origin: str, key: SigningKey) -> list[Checkpoint]:
    """The legacy `checkpoint-*.json` files in `folder` that verify, re-signed; the files are
    removed once read (their replacements are published by the caller)."""
    found = []
    for path in sorted(folder.glob("checkpoint-*.json")):
        try:
            data = json.loads(path.read_text())
            checkpoint = legacy_to_note(data["body"], data["signatures"], origin, key)
        except (OSError, ValueError, KeyError, TypeError):
            checkpoint = None
        if checkpoint is not None:
            found.append(checkpoint)
            path.unlink()
    return found
