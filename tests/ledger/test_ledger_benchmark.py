"""The ledger benchmark still runs: its smoke size, on PostgreSQL, printing every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_the_ledger_benchmark_runs_at_its_smoke_size_and_prints_its_figures(
    postgres_url: str,  # PostgreSQL is reachable (else skipped locally, failed on CI)
) -> None:
    env = {**os.environ, "LFR_TEST_POSTGRES": POSTGRES_URL, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.ledger", "--smoke"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for figure in ("append", "full verification", "with two witnesses", "full tiles served"):
        assert figure in out, out
    table = out.split("checkpoint() after one append ms\n")[1].strip().splitlines()
    assert [int(line.split("|")[0].replace(",", "")) for line in table] == [1, 10, 100]
