"""The tamper-evident audit ledger: RFC 9162 Merkle tree over the stored events.

Public API:
- `Ledger` (ledger.service: checkpoint, verify, proofs, export), opened from the settings by
  the composition root (`runtime.ledger_wiring.open_ledger`, `Services.ledger()`);
- `Checkpoint`, `SigningKey`, `PublicKey`, `Witness` (ledger.checkpoint);
- `check_inclusion`, `check_consistency` (ledger.proofs): stand-alone proof verifiers;
- `ParquetSource` + `verify_source` (ledger.export, ledger.verify): verify an export.
The persistence modules under `adapters.persistence` attach the ledger to the event store.
"""
