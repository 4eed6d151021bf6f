"""Full verification: recompute the tree from the stored events and check every checkpoint.

One streaming pass pairs every leaf record with its stored event (see `source.aligned`),
recomputes each leaf hash from the event exactly as stored, and compares it with the
hash the ledger recorded when the event was appended. The recomputed tree's root at
each checkpoint's size must equal the signed root. Published checkpoints (copies kept
outside the database) are checked the same way, which catches a rollback of the
whole database, checkpoints included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ledger.checkpoint import Checkpoint, CheckpointError, PublicKey, Signature
from ledger.leaf import row_leaf_hash
from ledger.merkle import CompactTree
from ledger.source import LedgerSource, StoredCheckpoint, aligned


@dataclass
class EntryProblem:
    """The first ledger entry that does not verify, and why."""

    index: int
    notification_id: int | None
    log: str | None
    reason: str


@dataclass
class CheckpointCheck:
    """The result for one checkpoint (from the store, or a published copy)."""

    tree_size: int
    ok: bool
    reason: str
    seq: int | None = None
    published: bool = False


@dataclass
class VerificationReport:
    """What verification found: `ok` only if every entry and every checkpoint verified."""

    size: int
    root_hash: str
    first_bad: EntryProblem | None = None
    problems: int = 0
    checkpoints: list[CheckpointCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_bad is None and all(c.ok for c in self.checkpoints)

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
            bad = self.first_bad
            where = f"entry {bad.index}"
            if bad.notification_id is not None:
                where += f" (notification {bad.notification_id} of {bad.log})"
            return f"ledger does NOT verify: {where}: {bad.reason}"
        failed = next(c for c in self.checkpoints if not c.ok)
        return f"ledger does NOT verify: checkpoint of size {failed.tree_size}: {failed.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.summary(), **asdict(self)}


class _Checker:
    """Checks one checkpoint's signatures and size before the pass; its root after."""

    def __init__(self, trusted: Sequence[PublicKey], log_key_id: str | None) -> None:
        self.trusted, self.log_key_id = trusted, log_key_id

    def stored(self, row: StoredCheckpoint) -> tuple[CheckpointCheck, Checkpoint | None]:
        check = CheckpointCheck(row.tree_size, True, "", seq=row.seq)
        try:
            signatures = [Signature.from_json(s) for s in json.loads(row.signatures)]
            checkpoint = Checkpoint.from_body(row.body, signatures)
        except (CheckpointError, ValueError, KeyError, TypeError) as error:
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
) -> VerificationReport:
    """Verify every entry and every checkpoint of `source` (see the module's docstring)."""
    checker = _Checker(trusted, log_key_id)
    with source.snapshot():
        parsed = [checker.stored(row) for row in source.stored_checkpoints()]
        stored = [c for _, c in parsed if c is not None]
        targets = [(check, c) for check, c in parsed if c is not None and check.ok]
        targets += [(checker.published(c, stored), c) for c in published]
        sizes = sorted({c.tree_size for _, c in targets})
        report, roots = _recompute(source, sizes)
    report.checkpoints = [check for check, _ in parsed]
    report.checkpoints += [check for check, c in targets if check.published]
    for check, checkpoint in targets:
        _check_root(report, check, checkpoint, roots)
    return report


def _recompute(
    source: LedgerSource, sizes: list[int]
) -> tuple[VerificationReport, dict[int, bytes]]:
    """The streaming pass: leaf by leaf, noting the first bad entry and roots at `sizes`."""
    streams = {log: source.stored_events(log) for log in source.log_names()}
    tree, roots, wanted = CompactTree(), {}, iter(sizes)
    next_size = next(wanted, -1)
    report = VerificationReport(0, "")

    def bad(index: int, nid: int | None, log: str | None, reason: str) -> None:
        report.problems += 1
        if report.first_bad is None:
            report.first_bad = EntryProblem(index, nid, log, reason)

    for leaf, event in aligned(source.leaf_records(), streams):
        if leaf is None:
            assert event is not None
            bad(tree.size, event.notification_id, event.log,
                "the store holds an event the ledger never recorded (inserted)")  # fmt: skip
            continue
        if leaf.position != tree.size:
            bad(tree.size, None, None, f"the ledger's entry {tree.size} is missing (deleted)")
        if event is None:
            bad(leaf.position, leaf.notification_id, leaf.log,
                "the event the ledger recorded is missing from the store (deleted)")  # fmt: skip
            digest = leaf.leaf_hash
        else:
            digest = row_leaf_hash(event)
            if digest != leaf.leaf_hash:
                bad(leaf.position, leaf.notification_id, leaf.log,
                    "the stored event differs from the event the ledger recorded "
                    "(edited or moved)")  # fmt: skip
        tree.append(digest)
        while tree.size == next_size:
            roots[next_size] = tree.root()
            next_size = next(wanted, -1)
    report.size, report.root_hash = tree.size, tree.root().hex()
    return report, roots


def _check_root(
    report: VerificationReport,
    check: CheckpointCheck,
    checkpoint: Checkpoint,
    roots: dict[int, bytes],
) -> None:
    if not check.ok:
        return
    size = checkpoint.tree_size
    first_bad = report.first_bad
    if size > report.size:
        check.ok = False
        check.reason = (
            f"it covers {size} entries but the ledger holds only {report.size} "
            "(the store was rolled back or truncated)"
        )
    elif roots.get(size, b"") != checkpoint.root_hash:
        check.ok = False
        check.reason = "its root differs from the tree recomputed from the stored events"
        if first_bad is None:
            earlier = [s for s in roots if s < size and _matches(s, roots, report)]
            low = max(earlier, default=0)
            report.first_bad = EntryProblem(
                low, None, None,
                f"an entry in {low}..{size - 1} differs from what the checkpoint of size "
                f"{size} signed (events and ledger hashes both changed)",
            )  # fmt: skip
    elif first_bad is not None and first_bad.index < size:
        check.ok = False
        check.reason = f"it covers entry {first_bad.index}, which does not verify"


def _matches(size: int, roots: dict[int, bytes], report: VerificationReport) -> bool:
    return any(c.ok and c.tree_size == size for c in report.checkpoints)
