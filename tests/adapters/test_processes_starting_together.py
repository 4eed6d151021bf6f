"""Processes starting together on one PostgreSQL schema (several ingest processes, the API
beside them) each make the tables they need, one after the other, and all start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# Each process opens the domain services and the ingest (every table and the key store) at
# the same instant, given as a time to wait for, and says how it went.
OPEN_AT = """
import sys, time
from pathlib import Path
from runtime.bootstrap import open_ingest, open_services
from runtime.settings import Settings
url, at, data = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
time.sleep(max(0.0, at - time.time()))
settings = Settings(database_url=url, data_dir=data)
open_ingest(settings, open_services(settings))
print("started")
"""
ROOT = Path(__file__).resolve().parents[2]


def start_together(url: str, count: int, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    at = time.time() + 4  # every interpreter is up and waiting by then
    env = {**os.environ, "LFR_ENV": "development", "PYTHONPATH": str(ROOT)}
    processes = []
    for n in range(count):
        data = tmp_path / f"process-{n}"
        data.mkdir(parents=True)
        command = [sys.executable, "-c", OPEN_AT, url, str(at), str(data)]
        processes.append(
            subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return [subprocess.CompletedProcess(p.args, p.wait(60), *p.communicate()) for p in processes]


def test_processes_starting_together_on_a_new_schema_all_start(
    postgres_url: str, tmp_path: Path
) -> None:
    for run in ("new schema", "tables made"):  # the first start, then a restart of them all
        outcomes = start_together(postgres_url, 4, tmp_path / run.replace(" ", "-"))
        failures = [o.stderr.strip().splitlines()[-1:] for o in outcomes if o.returncode]
        assert failures == [], f"{run}: {failures}"
        assert all(o.stdout.strip() == "started" for o in outcomes)
