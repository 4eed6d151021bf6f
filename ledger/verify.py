"""Full verification: recompute the tree from the stored events and check every checkpoint.

One streaming pass pairs every leaf record with its stored event (see `source.aligned`),
recomputes each leaf hash from the event exactly as stored, and compares it with the
hash the ledger recorded when the event was appended. The recomputed tree's root at
each checkpoint's size must equal the signed root. Published checkpoints (copies kept
outside the database) are checked the same way, which catches a rollback of the
whole database, checkpoints included. The cached subtree hashes are compared with the
recomputed ones, and the latest checkpoint must carry the required witnesses' cosignatures.

The database may have been edited by an attacker: rows of the wrong type, missing or renamed
tables and a truncated file are reported as problems at the entry where they start, never as
a crash. When an event and its leaf hash were rewritten together only the signed roots can
tell, and the report then gives the exact range of entries between the last checkpoint that
still matches and the first that does not, not a single entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.leaf import StoredRow, row_leaf_hash
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX, CompactTree, fold_parts, perfect_parts
from ledger.nodes import CACHED_LEVEL
from ledger.note import PublicKey
from ledger.source import LeafRecord, LedgerSource, StoredCheckpoint, aligned

BLOCK = 1 << CACHED_LEVEL


@dataclass
class EntryProblem:
    """The first ledger entry that does not verify, and why; when only signed roots can tell,
    `index` is None and the entry is somewhere in `first`..`last`."""

    index: int | None
    notification_id: int | None
    log: str | None
    reason: str
    first: int | None = None
    last: int | None = None

    def where(self) -> str:
        if self.index is None:
            return f"an entry in {self.first}..{self.last}"
        where = f"entry {self.index}"
        if self.notification_id is not None:
            where += f" (notification {self.notification_id} of {self.log})"
        return where


@dataclass
class CheckpointCheck:
    """The result for one checkpoint (from the store, or a published copy)."""

    tree_size: int
    ok: bool
    reason: str
    seq: int | None = None
    published: bool = False
    witnessed_by: list[str] = field(default_factory=list)


@dataclass
class VerificationReport:
    """What verification found: `ok` only if every entry, every checkpoint and the node
    cache verified and nothing stopped the pass."""

    size: int
    root_hash: str
    first_bad: EntryProblem | None = None
    problems: int = 0
    checkpoints: list[CheckpointCheck] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_bad is None and not self.errors and all(c.ok for c in self.checkpoints)

    def fail(self, reason: str) -> None:
        """Record a problem that is not one entry's (unreadable table, corrupt cache)."""
        self.errors.append(reason)

    def summary(self) -> str:
        """One line for people."""
        if self.ok:
            stored = sum(1 for c in self.checkpoints if not c.published)
            published = len(self.checkpoints) - stored
            return (
                f"ledger verified: {self.size} entries, {stored} checkpoints, "
                f"{published} published copies"
            )
        if self.first_bad is not None:
            return f"ledger does NOT verify: {self.first_bad.where()}: {self.first_bad.reason}"
        failed = next((c for c in self.checkpoints if not c.ok), None)
        if failed is not None and not self.errors:
            return f"ledger does NOT verify: checkpoint of size {failed.tree_size}: {failed.reason}"
        return f"ledger does NOT verify: {self.errors[0]}"

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.summary(), **asdict(self)}


class _Checker:
    """Checks one checkpoint's signatures and size before the pass; its root after."""

    def __init__(self, trusted: Sequence[PublicKey], log_key_id: str | None) -> None:
        self.trusted, self.log_key_id = trusted, log_key_id

    def stored(self, row: StoredCheckpoint) -> tuple[CheckpointCheck, Checkpoint | None]:
        size = row.tree_size if isinstance(row.tree_size, int) else -1
        check = CheckpointCheck(size, True, "", seq=row.seq)
        if isinstance(row.signatures, str) and row.signatures.lstrip().startswith("["):
            return self._fail(check, "stored in an earlier format: `lfr ledger checkpoint` "
                              "signs it again as a signed note"), None  # fmt: skip
        try:
            checkpoint = Checkpoint.from_stored(row.body, row.signatures)
        except (CheckpointError, TypeError, AttributeError) as error:
            return self._fail(check, f"unreadable, edited checkpoint: {error}"), None
        if checkpoint.tree_size != row.tree_size:
            return self._fail(check, "its tree size does not match its signed body (edited)"), None
        return self._signatures(check, checkpoint), checkpoint

    def published(self, checkpoint: Checkpoint, stored: Iterable[Checkpoint]) -> CheckpointCheck:
        check = CheckpointCheck(checkpoint.tree_size, True, "", published=True)
        self._signatures(check, checkpoint)
        if check.ok and checkpoint.body() not in {c.body() for c in stored}:
            self._fail(check, "this published checkpoint is missing from the store (rolled back?)")
        return check

    def _signatures(self, check: CheckpointCheck, checkpoint: Checkpoint) -> CheckpointCheck:
        problems = checkpoint.signature_problems(self.trusted, self.log_key_id)
        return self._fail(check, "; ".join(problems)) if problems else check

    @staticmethod
    def _fail(check: CheckpointCheck, reason: str) -> CheckpointCheck:
        if check.ok:
            check.ok, check.reason = False, reason
        return check


def verify_source(
    source: LedgerSource,
    trusted: Sequence[PublicKey],
    log_key_id: str | None,
    published: Sequence[Checkpoint] = (),
    *,
    witnesses: Sequence[PublicKey] = (),
    quorum: int = 0,
) -> VerificationReport:
    """Verify every entry and every checkpoint of `source` (see the module's docstring)."""
    checker = _Checker(trusted, log_key_id)
    try:
        unreadable = _unreadable_logs(source)
        with source.snapshot():
            rows = source.stored_checkpoints()
            parsed = [checker.stored(row) for row in rows]
            stored = [c for _, c in parsed if c is not None]
            targets = [(check, c) for check, c in parsed if c is not None and check.ok]
            targets += [(checker.published(c, stored), c) for c in published]
            built = _built_size(source)
            sizes = sorted({c.tree_size for _, c in targets})
            report, roots, blocks = _recompute(source, sizes, unreadable)
            _check_nodes(source, report, blocks, built)
    except Exception as error:  # an edited database must give a report, never a traceback
        report = VerificationReport(0, "")
        report.fail(f"the ledger cannot be read: {_reason(error)}")
        return report
    report.checkpoints = [check for check, _ in parsed]
    report.checkpoints += [check for check, c in targets if check.published]
    _check_roots(report, targets, roots)
    _check_quorum(report, parsed, witnesses, quorum)
    return report


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _unreadable_logs(source: Any) -> dict[str, str]:
    """The logs whose events table cannot be read at all (missing, renamed), each probed on
    its own before the pass: inside one snapshot, PostgreSQL would abort the whole pass at
    the first failed read."""
    found = {}
    for log in source.log_names():
        try:
            list(source.stored_events(log, 0, 1))
        except TypeError:  # a source without paging (an export) is read in the pass
            continue
        except Exception as error:
            found[log] = _reason(error)
    return found


def _built_size(source: Any) -> int:
    built = getattr(source, "built_size", None)
    return int(built()) if built is not None else 0


class _Pass:
    """The state of the streaming pass. The tree is kept as the hashes of complete blocks
    of 16 leaves (a compact tree over them) and the leaves of the block being filled, so
    every block hash is computed once and serves both the roots and the node-cache check."""

    def __init__(self, sizes: list[int]) -> None:
        self.size, self.upper, self.roots = 0, CompactTree(), {0: EMPTY_ROOT}
        self.wanted = iter(s for s in sizes if s > 0)
        self.next_size = next(self.wanted, -1)
        self.report = VerificationReport(0, "")
        self.block: list[bytes] = []
        self.blocks: list[bytes] = []  # the hashes of every complete 16-leaf block
        self.unreadable: dict[str, str] = {}

    def bad(self, index: int, nid: int | None, log: str | None, reason: str) -> None:
        self.report.problems += 1
        if self.report.first_bad is None:
            self.report.first_bad = EntryProblem(index, nid, log, reason)

    def append(self, digest: bytes) -> None:
        block = self.block
        block.append(digest)
        self.size += 1
        if len(block) == BLOCK:
            folded = _fold(block)
            self.blocks.append(folded)
            self.upper.append(folded)
            block.clear()
        self.reached()

    def reached(self) -> None:
        """Note the root when the tree has a size a checkpoint signed."""
        while self.size == self.next_size:
            self.roots[self.size] = self.root()
            self.next_size = next(self.wanted, -1)

    def root(self) -> bytes:
        """The root of the leaves appended so far."""
        parts = list(self.upper._stack)
        start = 0
        for start, end in perfect_parts(0, len(self.block)):
            parts.append(_fold(self.block[start:end]))
        return fold_parts(parts) if parts else EMPTY_ROOT

    def events(self, source: LedgerSource, log: str) -> Iterator[StoredRow]:
        """One log's events; reading stops (and is noted) where the table cannot be read."""
        try:
            for row in source.stored_events(log):
                if type(row.notification_id) is not int:
                    raise TypeError(f"notification id {row.notification_id!r} is not a number")
                yield row
        except Exception as error:
            self.unreadable[log] = _reason(error)

    def leaves(self, source: LedgerSource) -> Iterator[LeafRecord]:
        """The leaf records; a malformed one is passed on with a notification id of -1 so it
        pairs with no event, and a read error ends the pass where it happened."""
        try:
            for leaf in source.leaf_records():
                _, _, nid, digest = leaf
                if type(nid) is int and type(digest) is bytes and len(digest) == HASH_SIZE:
                    yield leaf  # checked inline: this runs once per entry
                elif type(leaf.position) is not int:
                    raise TypeError(f"ledger index {leaf.position!r} is not a number")
                else:
                    yield leaf._replace(notification_id=-1)
        except Exception as error:
            reason = f"the ledger cannot be read from this entry on ({_reason(error)})"
            self.bad(self.size, None, None, reason)


def _fold(level: list[bytes]) -> bytes:
    sha = hashlib.sha256
    while len(level) > 1:
        level = [
            sha(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)
        ]
    return level[0]


def _recompute(
    source: LedgerSource, sizes: list[int], unreadable: dict[str, str]
) -> tuple[VerificationReport, dict[int, bytes], list[bytes]]:
    """The streaming pass: leaf by leaf, noting the first bad entry and roots at `sizes`."""
    state = _Pass(sizes)
    state.unreadable.update(unreadable)
    streams = {
        log: state.events(source, log) if log not in unreadable else iter(())
        for log in source.log_names()
    }
    block, blocks, upper_append = state.block, state.blocks, state.upper.append
    size, next_size = 0, state.next_size
    for leaf, event in aligned(state.leaves(source), streams):
        # The common case inline (a million times); anything unusual in `_one`.
        if leaf is not None and event is not None and leaf.position == size:
            try:
                digest = row_leaf_hash(event)
            except Exception:
                digest = b""
            if digest == leaf.leaf_hash:
                block.append(digest)
                size += 1
                if len(block) == BLOCK:
                    folded = _fold(block)
                    blocks.append(folded)
                    upper_append(folded)
                    block.clear()
                if size == next_size:
                    state.size = size
                    state.reached()
                    next_size = state.next_size
                continue
        state.size = size
        _one(state, leaf, event)
        size, next_size = state.size, state.next_size
    state.size = size
    report = state.report
    report.size, report.root_hash = state.size, state.root().hex()
    return report, state.roots, state.blocks


def _one(state: _Pass, leaf: LeafRecord | None, event: StoredRow | None) -> None:
    if leaf is None:
        assert event is not None
        state.bad(state.size, event.notification_id, event.log,
                  "the store holds an event the ledger never recorded (inserted)")  # fmt: skip
        return
    size = state.size
    if leaf.position != size:
        state.bad(size, None, None, f"the ledger's entry {size} is missing (deleted)")
    if leaf.notification_id == -1:
        state.bad(leaf.position, None, leaf.log,
                  "the ledger's record of this entry is malformed (edited)")  # fmt: skip
        state.append(bytes(HASH_SIZE))
        return
    recorded = bytes(leaf.leaf_hash)
    if event is None:
        unreadable = state.unreadable.get(leaf.log)
        reason = (
            f"the event cannot be read from the store ({unreadable})"
            if unreadable
            else "the event the ledger recorded is missing from the store (deleted)"
        )
        state.bad(leaf.position, leaf.notification_id, leaf.log, reason)
        state.append(recorded)
        return
    try:
        digest = row_leaf_hash(event)
    except Exception:
        digest = b""
    if digest != recorded:
        state.bad(leaf.position, leaf.notification_id, leaf.log,
                  "the stored event differs from the event the ledger recorded "
                  "(edited or moved)")  # fmt: skip
    state.append(digest or recorded)


def _check_nodes(source: Any, report: VerificationReport, blocks: list[bytes], built: int) -> None:
    """Compare the cached subtree hashes (up to `built` entries) with the recomputed ones."""
    nodes = getattr(source, "nodes", None)
    if nodes is None or not built or built > report.size:
        return
    expected: dict[tuple[int, int], bytes] = {}
    level, height = blocks[: built >> CACHED_LEVEL], CACHED_LEVEL
    while level:
        expected.update(((height, i), digest) for i, digest in enumerate(level))
        level = [_fold(level[i : i + 2]) for i in range(0, len(level) - 1, 2)]
        height += 1
    stored = nodes(list(expected))
    wrong = [key for key, digest in expected.items() if stored.get(key) != digest]
    if wrong:
        height, index = min(wrong, key=lambda k: (k[1] << k[0], k[0]))
        first, last = index << height, ((index + 1) << height) - 1
        report.fail(
            f"the node cache differs from the leaves for entries {first}..{last} (edited "
            "cache; the next checkpoint rebuilds it)"
        )


def _check_roots(
    report: VerificationReport,
    targets: list[tuple[CheckpointCheck, Checkpoint]],
    roots: dict[int, bytes],
) -> None:
    first_bad = report.first_bad
    differs: list[int] = []
    for check, checkpoint in targets:
        if not check.ok:
            continue
        size = checkpoint.tree_size
        if size > report.size:
            check.ok = False
            check.reason = (
                f"it covers {size} entries but the ledger holds only {report.size} "
                "(the store was rolled back or truncated)"
            )
        elif roots.get(size, b"") != checkpoint.root_hash:
            check.ok = False
            check.reason = "its root differs from the tree recomputed from the stored events"
            differs.append(size)
        elif first_bad is not None and first_bad.index is not None and first_bad.index < size:
            check.ok = False
            check.reason = f"it covers entry {first_bad.index}, which does not verify"
    if first_bad is None and differs:
        high = min(differs)
        matching = [c.tree_size for c, _ in targets if c.ok and c.tree_size < high]
        low = max(matching, default=0)
        report.first_bad = EntryProblem(
            None, None, None,
            f"it differs from what the checkpoint of size {high} signed "
            "(events and ledger hashes both changed)",
            first=low, last=high - 1,
        )  # fmt: skip


def _check_quorum(
    report: VerificationReport,
    parsed: list[tuple[CheckpointCheck, Checkpoint | None]],
    witnesses: Sequence[PublicKey],
    quorum: int,
) -> None:
    """Note who witnessed each checkpoint; the latest must have `quorum` of `witnesses`."""
    for check, checkpoint in parsed:
        if checkpoint is not None:
            check.witnessed_by = [c.witness for c in checkpoint.cosignatures(witnesses)]
    if quorum <= 0 or not parsed:
        return
    check, _ = parsed[-1]
    if check.ok and len(check.witnessed_by) < quorum:
        check.ok = False
        check.reason = (
            f"witnessed by {len(check.witnessed_by)} of the {quorum} witnesses required "
            f"(of {len(witnesses)} configured)"
        )
