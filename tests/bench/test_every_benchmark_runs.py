"""Every benchmark under bench/ still runs: each at its smoke size, exiting 0 and printing its
figures, so a benchmark the code has broken fails CI instead of rotting unseen.

The smoke sizes are checks that the whole path runs (seconds each), not figures; the full
sizes are for bench/RESULTS.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, SHARED

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

# benchmark -> (arguments after --smoke, what its output must show, what it needs)
BENCHMARKS: dict[str, tuple[list[str], list[str], set[str]]] = {
    "append": ([], ["plain eventsourcing append", "domain append (alerts)", "ratio"], {"pg"}),
    "projections": ([], ["sqlite ", "postgres ", "rebuild", "plain read"], {"pg"}),
    "alert_latency": ([], ["raised by the worker, 0 not in the queue", "p95"], {"pg", "faces"}),
    "api": ([], ['"register_reads"', '"adjudication_writes"', '"p95_ms"'], {"pg"}),
    "recognition": ([], ["frames/s", "search"], {"faces"}),
    "ledger": (
        [],
        ["full verification", "with two witnesses", "full tiles served", "latest_checkpoint()"],
        {"pg"},
    ),
    "ingest": ([], ["postgres+ledger", "plain read", "ingest", "ratio"], {"pg", "kafka"}),
    "retention": (
        ["--store", "sqlite"],
        ["items: 200", "plain DELETE of the same rows", "ratio erasure/delete time"],
        set(),
    ),
    "retention_postgres": (
        ["--store", "postgres"],
        ["store: postgres", "plain DELETE of the same rows", "ratio erasure/delete time"],
        {"pg"},
    ),
    "mixed_load": ([], ["requests served", "errors:", "time to recover"], {"pg"}),
    "public_page": ([], ["first load", "warm load", "page size"], {"browser"}),
    "growth": (
        [],
        ["latest_checkpoint()", "register read p95", "index version per alert", "copy"],
        {"pg"},
    ),
}


def module_of(name: str) -> str:
    return name.removesuffix("_postgres")


def test_every_benchmark_under_bench_is_run_here() -> None:
    found = {p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in ("__init__", "common")}
    assert found == {module_of(name) for name in BENCHMARKS}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.postgres] if "pg" in needs else [])
        for name, (_, _, needs) in BENCHMARKS.items()
    ],
)
def test_the_benchmark_runs_at_its_smoke_size_and_prints_its_figures(
    name: str, request: pytest.FixtureRequest
) -> None:
    arguments, figures, needs = BENCHMARKS[name]
    if "pg" in needs:
        request.getfixturevalue("postgres_url")  # reachable (else skipped locally, failed on CI)
    if "kafka" in needs:
        request.getfixturevalue("kafka_bootstrap")  # the broker can start here
    if "faces" in needs and not SHARED.exists():
        pytest.skip("the shared faces and models are not present")
    if "browser" in needs and not Path("/usr/bin/chromedriver").exists():
        message = "chromium and chromium-driver are not installed (.ci/browsers installs them)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    env = {
        **os.environ,
        "LFR_BENCH_POSTGRES": POSTGRES_URL,
        "LFR_TEST_POSTGRES": POSTGRES_URL,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module_of(name)}", "--smoke", *arguments],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in figures:
        assert figure in done.stdout, done.stdout[-3000:]
