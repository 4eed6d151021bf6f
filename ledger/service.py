"""The ledger as the rest of the system uses it: checkpoints, proofs, verification, export.

ledger = services.ledger()                  # built by runtime.bootstrap, once per process
checkpoint = ledger.checkpoint()           # sign, store, publish, have witnesses co-sign
report = ledger.verify()                   # report.ok, report.first_bad, report.summary()
proof = ledger.prove_inclusion(notification_id)

Nothing that can be recomputed is trusted: the cached subtree hashes (`ledger_nodes`) are
checked against the leaves once per process before the first signature or proof (and rebuilt
if they differ), every new root must be consistent with the latest stored and published
checkpoints, and every proof is checked against the signed root before it is given out.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.checkpoint import Checkpoint, CheckpointError, read_checkpoint
from ledger.export import export_parquet
from ledger.leaf import StoredRow, leaf_bytes
from ledger.merkle import (
    EMPTY_ROOT,
    consistency_ranges,
    inclusion_ranges,
    verify_consistency,
    verify_inclusion,
)
from ledger.nodes import MissingEntries, build_nodes, range_hashes
from ledger.note import NoteSignature, PublicKey, SigningKey
from ledger.proofs import ConsistencyProof, InclusionProof
from ledger.publishing import Publisher
from ledger.source import LeafRecord
from ledger.tiles import TILE_WIDTH, Tile, TileNotFound, bundle, tile_ranges
from ledger.verify import VerificationReport, verify_source
from ledger.witness import WitnessRefused
from ledger.witness_http import Submission, WitnessEndpoint

log = logging.getLogger(__name__)
FULL_TILES_KEPT = 1024  # 8 MiB of the most recently served full tiles


class LedgerError(Exception):
    """A request the ledger cannot answer (unknown entry, bad sizes, refused checkpoint)."""


class UnknownEntry(LedgerError):
    """No event with that notification id is in the ledger (a 404 in the API)."""


class _Overlay:
    """A store seen as if its node cache held `added` and was built up to `size`; with
    `fresh`, as if it had no cache at all (everything folded from the leaves)."""

    def __init__(
        self, store: Any, added: Sequence[tuple[int, int, bytes]], size: int, fresh: bool = False
    ) -> None:
        self.store, self.size, self.fresh = store, size, fresh
        self.added = {(level, idx): digest for level, idx, digest in added}

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]:
        return self.store.leaf_hashes(indexes)

    def leaf_hash_range(self, start: int, end: int) -> list[bytes]:
        return self.store.leaf_hash_range(start, end)

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {key: self.added[key] for key in keys if key in self.added}
        if not self.fresh:
            found.update(self.store.nodes([key for key in keys if key not in found]))
        return found

    def built_size(self) -> int:
        return self.size


class Ledger:
    """The tamper-evident ledger of one event store.

    `store` is the ledger's storage (a SQL or in-memory ledger store), `origin` the log's
    name in its checkpoints, `key` the log's signing key (None: read-only, e.g. an auditor;
    the signing key is named by the origin), `trusted` further public keys, `published_dir`
    the folder checkpoints are published to, `witnesses` the witnesses that co-sign each
    new checkpoint and `quorum` how many of them verification requires.
    """

    def __init__(
        self,
        store: Any,
        origin: str,
        key: SigningKey | None = None,
        trusted: Sequence[PublicKey] = (),
        published_dir: Path | None = None,
        log_key: PublicKey | None = None,
        witnesses: Sequence[WitnessEndpoint] = (),
        quorum: int = 0,
    ) -> None:
        self.store, self.origin = store, origin
        self.key = SigningKey(origin, key.seed) if key is not None else None
        self.log_key = self.key.public if self.key is not None else log_key
        self.witnesses = [w.key for w in witnesses]
        self.trusted = [*trusted, *self.witnesses, *([self.log_key] if self.log_key else [])]
        self.quorum = quorum
        self.publisher = Publisher(published_dir, self.log_key)
        self.published_dir = published_dir
        self._submissions = [Submission(w) for w in witnesses]
        self._lock = threading.RLock()
        self._nodes_checked = False
        self.witness_errors: dict[str, str] = {}
        self._full_tiles: OrderedDict[tuple[int, int], bytes] = OrderedDict()

    def close(self) -> None:
        """Release the store's connections when the ledger opened them itself."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of every entry now in the ledger, store it, publish it, and have
        the witnesses co-sign it. With no new entry, the latest checkpoint is published again
        (and offered to witnesses that lack it) rather than signed twice.

        Refused (`LedgerError`) when the ledger does not extend the latest checkpoint: the
        store was rolled back or rewritten since.
        """
        if self.key is None:
            raise LedgerError("no signing key: this ledger is read-only")
        with self._lock:
            self._check_nodes_once()
            size = int(self.store.size())
            latest = self._latest_trusted()
            previous = [*([latest] if latest else []), *self._latest_published()]
            root, added = self._new_root(size, previous)
            if latest is not None and latest.tree_size == size:
                checkpoint = latest  # _new_root found the same root
            else:
                checkpoint = Checkpoint(self.origin, size, root).signed_by(self.key)
                self.store.add_checkpoint(
                    size, checkpoint.body(), checkpoint.signature_lines(), added
                )
            checkpoint = self._witness(checkpoint)
            self.publisher.publish(checkpoint)
            return checkpoint

    def grown(self) -> bool:
        """Whether the ledger holds entries no checkpoint covers yet (two indexed reads)."""
        latest = self.store.latest_stored_checkpoint()
        return latest is None or int(self.store.size()) > int(latest.tree_size)

    def _latest_published(self) -> list[Checkpoint]:
        """The latest published checkpoint, verified (one file read), if there is one."""
        try:
            published = self.publisher.latest()
        except CheckpointError as error:
            raise LedgerError(f"the published checkpoint cannot be read: {error}") from None
        if published is None:
            return []
        if published.signature_problems([self.log_key] if self.log_key else [], self._log_key_id()):
            raise LedgerError("the published checkpoint's signature does not verify")
        return [published]

    def _latest_trusted(self) -> Checkpoint | None:
        row = self.store.latest_stored_checkpoint()
        if row is None:
            return None
        try:
            checkpoint = Checkpoint.from_stored(row.body, row.signatures)
        except CheckpointError as error:
            raise LedgerError(
                f"the latest stored checkpoint cannot be read ({error}): run `lfr ledger verify`"
            ) from None
        problems = checkpoint.signature_problems(self.trusted, self._log_key_id())
        if problems or checkpoint.tree_size != row.tree_size:
            raise LedgerError(
                "the latest stored checkpoint does not verify ("
                + "; ".join(problems or ["its size column was edited"])
                + "): run `lfr ledger verify`"
            )
        return checkpoint

    def _new_root(
        self, size: int, previous: Sequence[Checkpoint]
    ) -> tuple[bytes, list[tuple[int, int, bytes]]]:
        """The root of `size` entries and the cache nodes to add, consistent with `previous`."""
        for top in previous:
            if top.tree_size > size:
                raise LedgerError(
                    f"the ledger holds {size} entries but a checkpoint of {top.tree_size} was "
                    "signed: the store was rolled back"
                )
        try:
            added = build_nodes(self.store, size)
            view = _Overlay(self.store, added, size)
            root = range_hashes(view, [(0, size)])[0] if size else EMPTY_ROOT
            if all(self._extends(view, top, size, root) for top in previous):
                return root, added
        except MissingEntries:  # cached nodes deleted: rebuilt below
            pass
        # The cached nodes may be what differs: recompute everything from the leaves.
        try:
            fresh = self._rebuilt_nodes(size)
            view = _Overlay(self.store, fresh, size, fresh=True)
            root = range_hashes(view, [(0, size)])[0] if size else EMPTY_ROOT
        except MissingEntries as error:
            raise LedgerError(f"the ledger lacks entries: {error}") from None
        for top in previous:
            if not self._extends(view, top, size, root):
                raise LedgerError(
                    f"the ledger does not extend the checkpoint of size {top.tree_size}: "
                    "the store was rewritten (run `lfr ledger verify`)"
                )
        log.warning("the ledger's node cache differed from its leaves: rebuilt")
        self.store.replace_nodes(fresh)
        return root, []

    @staticmethod
    def _extends(view: _Overlay, old: Checkpoint, size: int, root: bytes) -> bool:
        if old.tree_size == 0:
            return old.root_hash == EMPTY_ROOT
        if old.tree_size == size:
            return old.root_hash == root
        path = range_hashes(view, consistency_ranges(old.tree_size, size))
        return verify_consistency(old.tree_size, size, old.root_hash, root, path)

    def _rebuilt_nodes(self, size: int) -> list[tuple[int, int, bytes]]:
        """The node cache for `size` entries computed from the leaves alone."""
        return build_nodes(_Overlay(self.store, [], 0, fresh=True), size)

    def _check_nodes_once(self) -> None:
        """Compare the whole node cache with the leaves, the first time in this process."""
        if self._nodes_checked:
            return
        built = int(self.store.built_size())
        fresh = self._rebuilt_nodes(built)
        stored = self.store.nodes([(level, idx) for level, idx, _ in fresh])
        if any(stored.get((level, idx)) != digest for level, idx, digest in fresh):
            log.warning("the ledger's node cache differed from its leaves: rebuilt")
            self.store.replace_nodes(fresh)
        self._nodes_checked = True

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint that can be read, oldest first (verify() checks them)."""
        result = []
        for row in self.store.stored_checkpoints():
            try:
                result.append(Checkpoint.from_stored(row.body, row.signatures))
            except CheckpointError:
                continue
        return result

    def latest_checkpoint(self) -> Checkpoint | None:
        """The most recent checkpoint, or None before the first: one indexed read."""
        row = self.store.latest_stored_checkpoint()
        if row is None:
            return None
        try:
            return Checkpoint.from_stored(row.body, row.signatures)
        except CheckpointError as error:
            raise LedgerError(f"the latest checkpoint cannot be read: {error}") from None

    def checkpoint_of_size(self, size: int) -> Checkpoint:
        """The stored checkpoint of `size` entries."""
        row = self.store.latest_stored_checkpoint(size)
        if row is None:
            raise LedgerError(
                f"no checkpoint of size {size}: proofs are given against signed checkpoints"
            )
        try:
            return Checkpoint.from_stored(row.body, row.signatures)
        except CheckpointError as error:
            raise LedgerError(f"the checkpoint of size {size} cannot be read: {error}") from None

    def published(self) -> list[Checkpoint]:
        """The checkpoints published outside the database, smallest first."""
        return self.publisher.history()

    # -- witnesses ---------------------------------------------------------------------------

    def _witness(self, checkpoint: Checkpoint) -> Checkpoint:
        """Submit to every configured witness that has not co-signed it; store what came."""
        missing = [
            s for s in self._submissions
            if not any(s.endpoint.key.matches(line) for line in checkpoint.signatures)
        ]  # fmt: skip
        if not missing:
            return checkpoint
        lines: list[NoteSignature] = []
        for submission in missing:
            name = submission.endpoint.key.name
            try:
                lines.append(submission.submit(checkpoint, self._proof_for_witness(checkpoint)))
                self.witness_errors.pop(name, None)
            except WitnessRefused as refused:
                self.witness_errors[name] = str(refused)
                log.warning("witness %s did not co-sign size %d: %s", name,
                            checkpoint.tree_size, refused)  # fmt: skip
        if not lines:
            return checkpoint
        cosigned = checkpoint.with_signatures(lines)
        row = self.store.latest_stored_checkpoint(checkpoint.tree_size)
        if row is not None:
            self.store.set_signatures(row.seq, cosigned.signature_lines())
        return cosigned

    def _proof_for_witness(self, checkpoint: Checkpoint) -> Any:
        def proof_from(old: int) -> tuple[bytes, ...]:
            try:
                return self.prove_consistency(old, checkpoint.tree_size).path
            except LedgerError as error:
                raise WitnessRefused(409, f"cannot prove size {old}: {error}") from None

        return proof_from

    # -- proofs ------------------------------------------------------------------------------

    def entry(self, notification_id: int, log: str | None = None) -> LeafRecord:
        """The ledger entry of the event with this notification id (in `log` if several)."""
        entries = [e for e in self.store.entries_for(notification_id) if log in (None, e.log)]
        if not entries:
            raise UnknownEntry(f"no event with notification id {notification_id} in the ledger")
        if len(entries) > 1:
            logs = ", ".join(e.log for e in entries)
            raise LedgerError(f"notification id {notification_id} is in several logs ({logs})")
        return entries[0]

    def stored_row(self, entry: LeafRecord) -> StoredRow:
        """The stored event an entry records (its leaf, exactly as stored)."""
        rows = list(self.store.stored_events(entry.log, entry.notification_id - 1, 1))
        if not rows or rows[0].notification_id != entry.notification_id:
            raise LedgerError(f"the event of entry {entry.position} is missing from the store")
        return rows[0]

    def _proof_checkpoint(self, tree_size: int | None) -> Checkpoint:
        if tree_size is None:
            latest = self.latest_checkpoint()
            if latest is None or latest.tree_size == 0:
                raise LedgerError("no checkpoint yet: make one with `lfr ledger checkpoint`")
            return latest
        if not 0 < tree_size <= self.store.size():
            raise LedgerError(f"the ledger has no tree of size {tree_size}")
        return self.checkpoint_of_size(tree_size)

    def _checked_path(self, ranges: Any, valid: Any, what: str) -> tuple[bytes, ...]:
        """A proof's hashes, checked with `valid(path, view)`; a failing one is computed again
        with the node cache rebuilt from the leaves, and refused if it still fails."""
        with self._lock:
            self._check_nodes_once()
            built = int(self.store.built_size())
            for fresh in (False, True):
                try:
                    nodes = self._rebuilt_nodes(built) if fresh else []
                    view = _Overlay(self.store, nodes, built, fresh=fresh)
                    path = tuple(range_hashes(view, ranges))
                    good = valid(path, view)
                except (MissingEntries, CheckpointError) as error:
                    raise LedgerError(f"{what}: {error}") from None
                if good:
                    if fresh:
                        log.warning("the ledger's node cache differed from its leaves: rebuilt")
                        self.store.replace_nodes(nodes)
                    return path
        raise LedgerError(
            f"{what} does not verify against the signed checkpoint: the ledger was edited "
            "(run `lfr ledger verify`)"
        )

    def prove_inclusion(
        self, notification_id: int, tree_size: int | None = None, log: str | None = None
    ) -> tuple[InclusionProof, StoredRow]:
        """The inclusion proof of an event in the checkpoint of `tree_size` entries (default:
        the latest), checked against that checkpoint's signed root, and the stored event
        whose canonical bytes are the leaf."""
        entry = self.entry(notification_id, log)
        checkpoint = self._proof_checkpoint(tree_size)
        size = checkpoint.tree_size
        if entry.position >= size:
            raise LedgerError(
                f"notification id {notification_id} is entry {entry.position}, after the tree of "
                f"{size} entries: make a new checkpoint first"
            )
        path = self._checked_path(
            inclusion_ranges(entry.position, size),
            lambda p, _: verify_inclusion(
                bytes(entry.leaf_hash), entry.position, size, p, checkpoint.root_hash
            ),
            f"the proof of entry {entry.position}",
        )
        return InclusionProof(entry.position, size, path), self.stored_row(entry)

    def prove_consistency(self, old: int, new: int) -> ConsistencyProof:
        """The proof that the checkpoint of `new` entries extends the one of `old` entries."""
        if not 0 < old <= new:
            raise LedgerError(
                f"no consistency proof from size {old} to size {new}: need 0 < OLD <= NEW"
            )
        if new > self.store.size():
            raise LedgerError(f"the ledger holds only {self.store.size()} entries, not {new}")
        if old == new:
            return ConsistencyProof(old, new, ())
        last = self.checkpoint_of_size(new)
        signed_old = self.store.latest_stored_checkpoint(old)

        def valid(path: tuple[bytes, ...], view: _Overlay) -> bool:
            # The path must lead to the signed new root, from the signed old root when the
            # log signed that size, else from the old root the same nodes give.
            if signed_old is not None:
                first = Checkpoint.from_stored(signed_old.body, signed_old.signatures).root_hash
            else:
                first = range_hashes(view, [(0, old)])[0]
            return verify_consistency(old, new, first, last.root_hash, path)

        path = self._checked_path(
            consistency_ranges(old, new), valid, f"the consistency proof from {old} to {new}"
        )
        return ConsistencyProof(old, new, path)

    # -- tiles (C2SP tlog-tiles) -------------------------------------------------------------

    def tile(self, tile: Tile) -> bytes:
        """A hash tile of the latest checkpoint's tree (`TileNotFound` if it has none). Full
        tiles never change, so the most recently served are kept in memory."""
        key = (tile.level, tile.index)
        if tile.width == TILE_WIDTH and key in self._full_tiles:
            self._full_tiles.move_to_end(key)
            return self._full_tiles[key]
        data = self._tile(tile)
        if tile.width == TILE_WIDTH:
            self._full_tiles[key] = data
            if len(self._full_tiles) > FULL_TILES_KEPT:
                self._full_tiles.popitem(last=False)
        return data

    def _tile(self, tile: Tile) -> bytes:
        latest = self.latest_checkpoint()
        ranges = tile_ranges(tile, latest.tree_size if latest else 0)
        if tile.level == 0:
            start, end = ranges[0][0], ranges[-1][1]
            return b"".join(bytes(h) for h in self.store.leaf_hash_range(start, end))
        with self._lock:
            self._check_nodes_once()
            return b"".join(range_hashes(self.store, ranges))

    def entry_bundle(self, tile: Tile) -> bytes:
        """The leaves of one level-0 tile of the latest checkpoint's tree, as stored."""

        latest = self.latest_checkpoint()
        ranges = tile_ranges(Tile(0, tile.index, tile.width), latest.tree_size if latest else 0)
        first, last = ranges[0][0], ranges[-1][1]
        entries = [e for e in self.store.leaf_records_between(first, last)]
        if len(entries) != last - first:
            raise TileNotFound(f"the ledger lacks entries in {first}..{last - 1}")
        return bundle([leaf_bytes(self.stored_row(e)) for e in entries])

    # -- verification and export ------------------------------------------------------------

    def _log_key_id(self) -> str | None:
        return self.log_key.key_id if self.log_key else None

    def verify(self, extra_published: Sequence[Checkpoint] = ()) -> VerificationReport:
        """Recompute the whole tree from the stored events; check every checkpoint, including
        the published ones (and `extra_published`, e.g. one an auditor holds), the node
        cache, and the witnesses' quorum on the latest checkpoint."""
        try:
            published = [*self.published(), *extra_published]
        except CheckpointError as error:
            published = []
            broken: str | None = f"a published checkpoint cannot be read: {error}"
        else:
            broken = None
        report = verify_source(
            self.store, self.trusted, self._log_key_id(), published,
            witnesses=self.witnesses, quorum=self.quorum,
        )  # fmt: skip
        if broken:
            report.fail(broken)
        return report

    def export_parquet(self, path: Path) -> dict[str, int]:
        """Write the events with their leaf hashes, the checkpoints and the log's verifier key
        (`log.vkey`) to a folder of Parquet files."""

        counts = export_parquet(self.store, path)
        if self.log_key is not None:
            (path / "log.vkey").write_text(self.log_key.vkey + "\n")
        return counts


__all__ = ["Ledger", "LedgerError", "read_checkpoint"]
