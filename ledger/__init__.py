"""The tamper-evident audit ledger: RFC 9162 Merkle tree over the stored events.

Public API:
- `open_ledger(settings, recorder=None)` -> `Ledger` (checkpoint, verify, proofs, export);
- `Checkpoint`, `SigningKey`, `PublicKey`, `Witness` (ledger.checkpoint);
- `check_inclusion`, `check_consistency` (ledger.proofs): stand-alone proof verifiers;
- `ParquetSource` + `verify_source` (ledger.export, ledger.verify): verify an export.
The persistence modules under `ledger.persistence` attach the ledger to the event store.
"""
