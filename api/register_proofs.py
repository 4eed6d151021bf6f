"""Inclusion proofs for the public register: each row's public events (its notice, entry
and amendments, nothing else) against the latest signed checkpoint, so anyone can check a
row with the ledger's stand-alone verifier or in the browser.

A proof against a given tree size never changes, so proofs are cached by (event, size),
for the newest size asked for only (older ones are dropped when a newer checkpoint is
used: the cache never grows with the number of checkpoints); a row whose events came after
the latest checkpoint triggers one new checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from typing import Any

from ledger.proofs import inclusion_document


def key_fingerprint(key: Any) -> str:
    """The fingerprint of the log's public key (a `ledger.checkpoint.PublicKey`): SHA-256 of
    its 32 raw bytes, in hex, in groups of four. The browser computes the same to check that
    the key it verifies with is the one printed on the page and published by the police."""
    digest = hashlib.sha256(key.raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def source_ids(row: dict[str, Any]) -> list[int]:
    """The notification ids a register row was built from (a list, or its JSON text)."""
    ids = row.get("notification_ids") or []
    if isinstance(ids, str):
        ids = json.loads(ids)
    return [int(n) for n in ids]


class RegisterProofs:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._lock = threading.Lock()
        self._index: dict[int, int] = {}
        self._proofs: dict[tuple[int, int], dict[str, Any]] = {}
        self._newest = 0  # the largest tree size proofs were made against

    def index_of(self, notification_id: int) -> int:
        if notification_id not in self._index:
            self._index[notification_id] = int(self.ledger.entry(notification_id).position)
        return self._index[notification_id]

    def checkpoint_covering(self, notification_ids: Iterable[int]) -> Any:
        """The latest signed checkpoint, signing a new one if it misses any of these events."""
        needed = max((self.index_of(n) + 1 for n in notification_ids), default=0)
        latest = self.ledger.latest_checkpoint()
        if latest is not None and latest.tree_size >= needed and latest.tree_size > 0:
            return latest
        with self._lock:  # one signer at a time; the others then find it covered
            latest = self.ledger.latest_checkpoint()
            if latest is None or latest.tree_size < needed or latest.tree_size == 0:
                latest = self.ledger.checkpoint()
            return latest

    def proof(self, notification_id: int, tree_size: int) -> dict[str, Any]:
        key = (notification_id, tree_size)
        if key not in self._proofs:
            if tree_size > self._newest:  # a newer checkpoint: the older proofs go
                self._proofs, self._newest = {}, tree_size
            proof, row = self.ledger.prove_inclusion(notification_id, tree_size)
            # The checkpoint is given once for all the rows (`PublishedRegister.checkpoint`).
            self._proofs[key] = inclusion_document(proof, row)
        return self._proofs[key]

    def attach(self, rows: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
        """The checkpoint and the rows, each with `proofs` of its `notification_ids`."""
        ids = [n for row in rows for n in source_ids(row)]
        checkpoint = self.checkpoint_covering(ids)
        proved = []
        for row in rows:
            proofs = [self.proof(n, checkpoint.tree_size) for n in source_ids(row)]
            proved.append({**row, "proofs": proofs})
        return checkpoint, proved
