"""Status files a long-running process writes for its container's readiness check.

`lfr ingest` and `lfr worker` write `<data_dir>/health/<name>.json` every few seconds with
the time and their figures (the ingest's consumer lag, the worker's last frame); `lfr health`
reads them. A file written atomically never shows a half-written state to the checker.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any


def heartbeat_path(data_dir: Path, name: str) -> Path:
    return data_dir / "health" / f"{name}.json"


class Heartbeat:
    """Writes `figures` with the wall-clock time, at most once per `every_s`."""

    def __init__(self, path: Path, every_s: float = 5.0) -> None:
        self.path = path
        self.every_s = every_s
        self._next = 0.0

    def beat(self, figures: dict[str, Any], force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + self.every_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = json.dumps({"at": time.time(), **figures})
        with tempfile.NamedTemporaryFile(
            "w", dir=self.path.parent, prefix=".beat-", delete=False
        ) as handle:
            handle.write(document)
        os.replace(handle.name, self.path)


def read_heartbeat(path: Path) -> dict[str, Any] | None:
    """The last status written, or None when the process never wrote one."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None
