"""The ledger as the rest of the system uses it: checkpoints, proofs, verification, export.

ledger = open_ledger(settings, app.recorder)
checkpoint = ledger.checkpoint()           # sign, store and publish
report = ledger.verify()                   # report.ok, report.first_bad, report.summary()
proof = ledger.prove_inclusion(notification_id)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.checkpoint import (
    Checkpoint,
    PublicKey,
    Signature,
    SigningKey,
    Witness,
    read_checkpoint,
)
from ledger.leaf import StoredRow
from ledger.merkle import EMPTY_ROOT, consistency_ranges, inclusion_ranges, verify_consistency
from ledger.nodes import build_nodes, range_hashes
from ledger.proofs import ConsistencyProof, InclusionProof
from ledger.source import LeafRecord
from ledger.verify import VerificationReport, verify_source


class LedgerError(Exception):
    """A request the ledger cannot answer (unknown entry, bad sizes, refused checkpoint)."""


class _Overlay:
    """A store seen as if the node cache already held nodes not yet written."""

    def __init__(self, store: Any, added: Sequence[tuple[int, int, bytes]], size: int) -> None:
        self.store, self.size = store, size
        self.added = {(level, idx): digest for level, idx, digest in added}

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]:
        return self.store.leaf_hashes(indexes)  # type: ignore[no-any-return]

    def leaf_hash_range(self, start: int, end: int) -> list[bytes]:
        return self.store.leaf_hash_range(start, end)  # type: ignore[no-any-return]

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {key: self.added[key] for key in keys if key in self.added}
        found.update(self.store.nodes([key for key in keys if key not in found]))
        return found

    def built_size(self) -> int:
        return self.size


class Ledger:
    """The tamper-evident ledger of one event store.

    `store` is the ledger's storage (a SQL or in-memory ledger store), `key` the log's
    signing key (None: read-only, e.g. an auditor), `trusted` the public keys whose
    signatures verification accepts (the log's own key is added), `published_dir` the
    folder checkpoints are published to and read back from when verifying.
    """

    def __init__(
        self,
        store: Any,
        origin: str,
        key: SigningKey | None = None,
        trusted: Sequence[PublicKey] = (),
        published_dir: Path | None = None,
        log_key: PublicKey | None = None,
    ) -> None:
        self.store, self.origin, self.key = store, origin, key
        self.log_key = key.public if key is not None else log_key
        self.trusted = [*trusted, *([self.log_key] if self.log_key else [])]
        self.published_dir = published_dir

    def close(self) -> None:
        """Release the store's connections when the ledger opened them itself."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of every entry now in the ledger, store it and publish it.

        Refused (`LedgerError`) when the ledger does not extend the latest published
        checkpoint: the store was rolled back or rewritten since.
        """
        if self.key is None:
            raise LedgerError("no signing key: this ledger is read-only")
        size = self.store.size()
        added = build_nodes(self.store, size)
        view = _Overlay(self.store, added, size)
        root = range_hashes(view, [(0, size)])[0] if size else EMPTY_ROOT
        self._check_extends_published(view, size, root)
        now = datetime.now(UTC)
        when = now.replace(microsecond=now.microsecond // 1000 * 1000)
        checkpoint = Checkpoint(self.origin, size, root, when).signed_by(self.key)
        signatures = json.dumps([s.to_json() for s in checkpoint.signatures])
        self.store.add_checkpoint(size, checkpoint.body().decode(), signatures, added)
        self._publish(checkpoint)
        return checkpoint

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint that can be read, oldest first (verify() checks them)."""
        result = []
        for row in self.store.stored_checkpoints():
            signatures = [Signature.from_json(s) for s in json.loads(row.signatures)]
            result.append(Checkpoint.from_body(row.body, signatures))
        return result

    def latest_checkpoint(self) -> Checkpoint | None:
        """The most recent checkpoint, or None before the first."""
        checkpoints = self.checkpoints()
        return checkpoints[-1] if checkpoints else None

    def published(self) -> list[Checkpoint]:
        """The checkpoints published to `published_dir`, smallest first."""
        if self.published_dir is None or not self.published_dir.is_dir():
            return []
        found = [read_checkpoint(path) for path in self.published_dir.glob("checkpoint-*.json")]
        return sorted(found, key=lambda c: (c.tree_size, c.timestamp))

    def cosign(self, witness: Witness) -> Checkpoint:
        """Have `witness` co-sign the latest checkpoint, proving it extends the last it signed."""
        latest = self.latest_checkpoint()
        if latest is None:
            raise LedgerError("no checkpoint to co-sign yet")
        proof: tuple[bytes, ...] = ()
        if witness.last is not None and 0 < witness.last.tree_size <= latest.tree_size:
            proof = self.prove_consistency(witness.last.tree_size, latest.tree_size).path
        signed = witness.cosign(latest, proof)
        rows = self.store.stored_checkpoints()
        seq = next(r.seq for r in rows if r.body == latest.body().decode())
        self.store.set_signatures(seq, json.dumps([s.to_json() for s in signed.signatures]))
        self._publish(signed)
        return signed

    def _check_extends_published(self, view: _Overlay, size: int, root: bytes) -> None:
        published = self.published()
        if not published:
            return
        last = published[-1]
        if last.tree_size > size:
            raise LedgerError(
                f"the ledger holds {size} entries but a checkpoint of {last.tree_size} was "
                "published: the store was rolled back"
            )
        path = (
            range_hashes(view, consistency_ranges(last.tree_size, size)) if last.tree_size else []
        )
        if last.tree_size and not verify_consistency(
            last.tree_size, size, last.root_hash, root, path
        ):
            raise LedgerError(
                f"the ledger does not extend the published checkpoint of size {last.tree_size}: "
                "the store was rewritten"
            )

    def _publish(self, checkpoint: Checkpoint) -> None:
        if self.published_dir is None:
            return
        self.published_dir.mkdir(parents=True, exist_ok=True)
        path = self.published_dir / f"checkpoint-{checkpoint.tree_size:012d}.json"
        path.write_text(json.dumps(checkpoint.to_json(), indent=2) + "\n")

    # -- proofs ------------------------------------------------------------------------------

    def entry(self, notification_id: int, log: str | None = None) -> LeafRecord:
        """The ledger entry of the event with this notification id (in `log` if several)."""
        entries = [e for e in self.store.entries_for(notification_id) if log in (None, e.log)]
        if not entries:
            raise LedgerError(f"no event with notification id {notification_id} in the ledger")
        if len(entries) > 1:
            logs = ", ".join(e.log for e in entries)
            raise LedgerError(f"notification id {notification_id} is in several logs ({logs})")
        return entries[0]  # type: ignore[no-any-return]

    def stored_row(self, entry: LeafRecord) -> StoredRow:
        """The stored event an entry records (its leaf, exactly as stored)."""
        rows = list(self.store.stored_events(entry.log, entry.notification_id - 1, 1))
        if not rows or rows[0].notification_id != entry.notification_id:
            raise LedgerError(f"the event of entry {entry.position} is missing from the store")
        return rows[0]

    def _proof_size(self, tree_size: int | None) -> int:
        if tree_size is not None:
            if not 0 < tree_size <= self.store.size():
                raise LedgerError(f"the ledger has no tree of size {tree_size}")
            return tree_size
        built = int(self.store.built_size())
        if not built:
            raise LedgerError("no checkpoint yet: make one with `lfr ledger checkpoint`")
        return built

    def prove_inclusion(
        self, notification_id: int, tree_size: int | None = None, log: str | None = None
    ) -> tuple[InclusionProof, StoredRow]:
        """The inclusion proof of an event in the tree of `tree_size` (default: the latest
        checkpoint's), and the stored event whose canonical bytes are the leaf."""
        entry = self.entry(notification_id, log)
        size = self._proof_size(tree_size)
        if entry.position >= size:
            raise LedgerError(
                f"notification id {notification_id} is entry {entry.position}, after the tree of "
                f"{size} entries: make a new checkpoint first"
            )
        path = range_hashes(self.store, inclusion_ranges(entry.position, size))
        return InclusionProof(entry.position, size, tuple(path)), self.stored_row(entry)

    def prove_consistency(self, old: int, new: int) -> ConsistencyProof:
        """The proof that the tree of `new` entries extends the tree of `old` entries."""
        if not 0 < old <= new:
            raise LedgerError(
                f"no consistency proof from size {old} to size {new}: need 0 < OLD <= NEW"
            )
        if new > self.store.size():
            raise LedgerError(f"the ledger holds only {self.store.size()} entries, not {new}")
        path = range_hashes(self.store, consistency_ranges(old, new))
        return ConsistencyProof(old, new, tuple(path))

    # -- verification and export ------------------------------------------------------------

    def verify(self, extra_published: Sequence[Checkpoint] = ()) -> VerificationReport:
        """Recompute the whole tree from the stored events; check every checkpoint, including
        the published ones (and `extra_published`, e.g. one an auditor holds)."""
        log_key_id = self.log_key.key_id if self.log_key else None
        published = [*self.published(), *extra_published]
        return verify_source(self.store, self.trusted, log_key_id, published)

    def export_parquet(self, path: Path) -> dict[str, int]:
        """Write the events with their leaf hashes, and the checkpoints, as Parquet files."""
        from ledger.export import export_parquet

        return export_parquet(self.store, path)
