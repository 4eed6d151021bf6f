"""The retention benchmark still runs on both stores: its smoke size, printing every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def run_smoke(store: str) -> str:
    env = {**os.environ, "LFR_BENCH_POSTGRES": POSTGRES_URL, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.retention", "--smoke", "--store", store],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_retention_benchmark_runs_at_its_smoke_size_on_sqlite() -> None:
    out = run_smoke("sqlite")
    assert "items: 200" in out and "ratio erasure/delete time" in out


@pytest.mark.postgres
def test_the_retention_benchmark_deletes_plainly_from_the_postgres_events_table(
    postgres_url: str,  # PostgreSQL is reachable (else skipped locally, failed on CI)
) -> None:
    out = run_smoke("postgres")
    assert "plain DELETE of the same rows" in out and "ratio erasure/delete time" in out
