"""The ingest benchmark still runs: its smoke size, through the real broker into PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_the_ingest_benchmark_runs_at_its_smoke_size_and_prints_its_figures(
    postgres_url: str,  # PostgreSQL is reachable (else skipped locally, failed on CI)
) -> None:
    env = {**os.environ, "LFR_BENCH_POSTGRES": POSTGRES_URL, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--smoke"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = [line for line in done.stdout.splitlines() if line.startswith("postgres+ledger")]
    assert len(summary) == 1 and "plain read" in summary[0] and "ingest" in summary[0]
