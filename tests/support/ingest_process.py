"""What the tests of `lfr ingest` on the real broker share: publishing a world's matches,
the alerts they raised, and the ingest started as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from recognition.transport import KafkaSink
from tests.projections.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def publish(world: World, bootstrap: str, count: int, prefix: str, pause_s: float = 0.0) -> None:
    """`count` of the world's matches, as its worker sends them (`pause_s` apart)."""
    sink = KafkaSink(bootstrap, world.ingest.probe_keys.sealer, world.worker_credential())
    for n in range(count):
        sink.send(world.match_event(n % 2, track=f"{prefix}-{n}"))
        if pause_s:
            sink.flush()
            time.sleep(pause_s)
    sink.flush()
    sink.close()


def alerts_raised(world: World) -> list[str]:
    notifications = world.services.lfr.recorder.select_notifications(1, 1_000_000)
    return [str(n.originator_id) for n in notifications if n.topic.endswith("AlertRaised")]


def start_ingest(
    world: World,
    bootstrap: str,
    data_dir: Path,
    stderr: Any = subprocess.DEVNULL,
    args: tuple[str, ...] = (),
    **env: str,
) -> subprocess.Popen[str]:
    """`lfr ingest [args]` on the world's store, its settings overridden by `env` (LFR_...),
    in a session of its own (so its processes can be killed together)."""
    environment = {
        **os.environ,
        "LFR_DATABASE_URL": world.settings.database_url,
        "LFR_KAFKA_BOOTSTRAP": bootstrap,
        "LFR_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", *args],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
