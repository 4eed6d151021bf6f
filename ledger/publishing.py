"""Checkpoints published outside the database, so a rollback of the database shows.

The folder holds, as plain files a web server can serve as they are:
- `checkpoint`: the latest signed checkpoint (C2SP tlog-tiles' name for it);
- `checkpoints/<tree size>`: every checkpoint, with the cosignatures it gathered;
- `log.vkey`: the log's verifier key.
Publishing writes each file atomically and reads only the latest checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.checkpoint import Checkpoint, CheckpointError, read_checkpoint
from ledger.note import PublicKey


def write_atomically(path: Path, text: str) -> None:
    """Write a file so a reader sees the old content or the new, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class Publisher:
    """The published copy of the log's checkpoints (nothing when `folder` is None)."""

    def __init__(self, folder: Path | None, log_key: PublicKey | None) -> None:
        self.folder, self.log_key = folder, log_key

    def publish(self, checkpoint: Checkpoint) -> None:
        if self.folder is None:
            return
        note = checkpoint.note()
        write_atomically(self.folder / "checkpoints" / str(checkpoint.tree_size), note)
        latest = self.latest()
        if latest is None or latest.tree_size <= checkpoint.tree_size:
            write_atomically(self.folder / "checkpoint", note)
        vkey = self.folder / "log.vkey"
        if self.log_key is not None and not vkey.exists():
            write_atomically(vkey, self.log_key.vkey + "\n")

    def latest(self) -> Checkpoint | None:
        """The latest published checkpoint (one file read)."""
        if self.folder is None or not (self.folder / "checkpoint").is_file():
            return None
        return read_checkpoint(self.folder / "checkpoint")

    def history(self) -> list[Checkpoint]:
        """Every published checkpoint, smallest first (verification reads them all)."""
        if self.folder is None:
            return []
        folder = self.folder / "checkpoints"
        paths = sorted(folder.glob("[0-9]*"), key=lambda p: int(p.name)) if folder.is_dir() else []
        found = [read_checkpoint(path) for path in paths if path.name.isdigit()]
        latest = self.latest()
        if latest is not None and all(c.body() != latest.body() for c in found):
            found.append(latest)
        return sorted(found, key=lambda c: c.tree_size)


__all__ = ["CheckpointError", "Publisher", "write_atomically"]
