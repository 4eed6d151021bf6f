"""`lfr ledger verify [--export DIR] | checkpoint | prove SEQ | consistency OLD NEW
| export --out DIR | key [--vkey] | witness serve | witness vkey` (`witness` in its own module)."""

from __future__ import annotations

import json
from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.register_proofs import key_fingerprint
from ledger.checkpoint import Checkpoint, CheckpointError, read_checkpoint
from ledger.export import ParquetSource
from ledger.proofs import consistency_document, inclusion_document
from ledger.service import Ledger, LedgerError
from ledger.verify import VerificationReport, verify_source
from runtime.ledger_wiring import ledger_keys, open_ledger
from runtime.settings import Settings
from services.errors import UserError


@contextmanager
def _ledger(settings: Settings, *, read_only: bool = True) -> Iterator[Ledger]:
    """The configured store's ledger; its errors become one-line user errors."""
    ledger: Ledger | None = None
    try:
        ledger = open_ledger(settings, read_only=read_only)
        yield ledger
    except (LedgerError, CheckpointError) as error:
        raise UserError(str(error)) from None
    finally:
        if ledger is not None:
            ledger.close()


def _emit(args: Namespace, document: dict[str, Any], lines: list[str]) -> None:
    print(json.dumps(document, indent=2) if getattr(args, "json", False) else "\n".join(lines))


def _checkpoint_lines(checkpoint: Checkpoint) -> list[str]:
    signers = ", ".join(f"{s.name} ({s.key_id.hex()})" for s in checkpoint.signatures)
    return [
        f"checkpoint of {checkpoint.origin}: {checkpoint.tree_size} entries",
        f"  root hash  {checkpoint.root_hash.hex()}",
        f"  signed by  {signers}",
    ]


def verify(args: Namespace, settings: Settings) -> int:
    """Recompute the ledger (or an export) and check every checkpoint; exit 1 if it fails."""
    extra = [_read(Path(args.checkpoint))] if args.checkpoint else []
    if args.export:
        report = _verify_export(Path(args.export), settings, extra)
    else:
        try:
            ledger = open_ledger(settings, read_only=True)
        except LedgerError as error:  # an unreadable store does not verify
            report = VerificationReport(0, "")
            report.fail(str(error))
        else:
            try:
                report = ledger.verify(extra)
            finally:
                ledger.close()
    _emit(args, report.to_json(), [report.summary()])
    return 0 if report.ok else 1


def _verify_export(folder: Path, settings: Settings, extra: list[Checkpoint]) -> Any:

    try:
        source = ParquetSource(folder)
    except (FileNotFoundError, OSError) as error:
        raise UserError(str(error)) from None

    _, trusted, log_key = ledger_keys(settings, read_only=True)
    keys = [*trusted, *([log_key] if log_key else [])]
    return verify_source(source, keys, log_key.key_id if log_key else None, extra)


def _read(path: Path) -> Checkpoint:
    try:
        return read_checkpoint(path)
    except CheckpointError as error:
        raise UserError(str(error)) from None


def checkpoint(args: Namespace, settings: Settings) -> int:
    """Sign, store and publish a checkpoint of every entry now in the ledger."""
    with _ledger(settings, read_only=False) as ledger:
        made = ledger.checkpoint()
        witnesses = ledger.witnesses
        refused = [
            f"  not co-signed by {name}: {why}" for name, why in ledger.witness_errors.items()
        ]
    _emit(args, made.to_json(witnesses), [*_checkpoint_lines(made), *refused])
    return 0


def prove(args: Namespace, settings: Settings) -> int:
    """The inclusion proof of the event with notification id SEQ in the latest checkpoint."""

    with _ledger(settings) as ledger:
        proof, row = ledger.prove_inclusion(args.seq)
        checkpoint = ledger.checkpoint_of_size(proof.tree_size)
        document = inclusion_document(proof, row, checkpoint, ledger.witnesses)
    lines = [
        f"notification {row.notification_id} of {row.log} is entry {proof.index} "
        f"of the tree of {proof.tree_size} entries",
        *[f"  {step.hex()}" for step in proof.path],
        *_checkpoint_lines(checkpoint),
    ]
    _emit(args, document, lines)
    return 0


def consistency(args: Namespace, settings: Settings) -> int:
    """The proof that the tree of NEW entries extends the tree of OLD entries."""
    with _ledger(settings) as ledger:
        proof = ledger.prove_consistency(args.old, args.new)
        document = consistency_document(ledger, proof)
    lines = [
        f"the tree of {proof.new_size} entries extends the tree of {proof.old_size}",
        *[f"  {step.hex()}" for step in proof.path],
    ]
    _emit(args, document, lines)
    return 0


def export(args: Namespace, settings: Settings) -> int:
    """Write the events with their leaf hashes, and the checkpoints, to a Parquet folder."""
    if not args.out:
        raise UserError("ledger export needs --out DIR, the folder to write")
    folder = Path(args.out)
    with _ledger(settings) as ledger:
        counts = ledger.export_parquet(folder)
    _emit(
        args,
        {"out": str(folder), **counts},
        [f"exported {counts['events']} events and {counts['checkpoints']} checkpoints to {folder}"],
    )
    return 0


def key(args: Namespace, settings: Settings) -> int:
    """The log's public key and its fingerprint: publish the fingerprint where the public
    can read it apart from this system (the public register page prints the same, and its
    Verify accepts only signatures by that key). With --vkey only the C2SP verifier key, to
    give to verifiers and witnesses (what `lfr ledger vkey` printed)."""

    _, _, log_key = ledger_keys(settings, read_only=True)
    if log_key is None:
        raise UserError("no log key: set LFR_LEDGER_SIGNING_KEY (or trust a key named as the log)")
    if args.vkey:
        print(log_key.vkey)
        return 0
    fingerprint = key_fingerprint(log_key)
    _emit(
        args,
        {"log_public_key": str(log_key), "fingerprint": fingerprint},
        [f"log key      {log_key}", f"fingerprint  {fingerprint}"],
    )
    return 0
