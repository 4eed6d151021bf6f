"""API benchmark: register reads and adjudication writes against `lfr api` as a process.

Seeds a store with deployments (through the domain service), starts `lfr api` on it, then
measures with 50 concurrent clients (wrk for the reads where it is installed, else httpx;
httpx with asyncio for the writes):
- public register reads (`GET /public/register/{id}`, each row with its inclusion proofs);
- adjudication writes (`POST /alerts/{id}/adjudication`, each on its own alert).

    python -m bench.api [--database-url URL] [--deployments 20] [--alerts 500]
                        [--reads 5000] [--clients 50] [--seconds 15] [--smoke]

Default store: a fresh schema in the test PostgreSQL (LFR_TEST_POSTGRES). Prints one JSON
document with p50/p95/p99 latencies (ms) and throughput (requests/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

POSTGRES = os.environ.get("LFR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def seed(settings: Any, deployments: int, alerts: int) -> tuple[list[str], list[str]]:
    """Published deployments for the register, and one live one with pending alerts.

    The live one is made first, live now by the server's clock (it starts 1 h 5 min after its
    application), so the served API may adjudicate its alerts; the others follow in time."""
    from datetime import UTC, datetime, timedelta

    from runtime.bootstrap import open_services
    from tests.scenario import GOLD, Clock, Scenario

    clock = Clock(datetime.now(UTC) - timedelta(hours=1, minutes=10))
    services = open_services(settings, clock=clock)
    live = Scenario(services.lfr, clock).live()
    pending = [str(live.alert(0, track=f"bench-{k}")) for k in range(alerts)]
    published = []
    for _ in range(deployments):
        s = Scenario(services.lfr, clock).live()
        for k in range(3):
            s.alert(0, track=f"t{k}")
        services.lfr.end_deployment(GOLD, s.deployment, "planned end")
        services.lfr.submit_cancellation_report(
            GOLD, s.deployment, {"evaluation": "ok", "learning": "none"}
        )
        services.lfr.publish_register_entry(GOLD, s.deployment, {"alerts": 3})
        published.append(str(s.deployment))
    return published, pending


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p95_ms": round(q[94] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
    }


async def hammer(
    base: str,
    requests: Sequence[tuple[str, str, dict[str, Any] | None]],
    headers: dict[str, str],
    clients: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[str, str, dict[str, Any] | None]] = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                method, path, body = queue.get_nowait()
                started = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(requests),
        "clients": clients,
        "statuses": statuses,
        "throughput_rps": round(len(requests) / elapsed, 1),
        **percentiles(latencies),
    }


WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%f %%f %%f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.timeout))
end
"""


def wrk_reads(base: str, paths: list[str], clients: int, seconds: int) -> dict[str, Any]:
    """Register reads by wrk (a C load generator), so the client's own cost stays small."""
    script = Path(tempfile.mkdtemp()) / "reads.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("WRK "))
    requests, duration_us, p50, p95, p99, errors = line.split()[1:]
    return {
        "client": "wrk",
        "requests": int(requests),
        "clients": clients,
        "errors": int(errors),
        "throughput_rps": round(int(requests) / (int(duration_us) / 1e6), 1),
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
    }


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "api", "--port", str(port)], env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("lfr api did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--deployments", type=int, default=20)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15, help="how long wrk reads")
    parser.add_argument("--smoke", action="store_true", help="a few rows and requests, seconds")
    args = parser.parse_args()
    if args.smoke:
        args.deployments, args.alerts, args.reads, args.clients, args.seconds = 3, 20, 200, 10, 2

    from api.auth import issue_token
    from runtime.settings import Settings

    schema = ""
    url = args.database_url
    if not url:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{POSTGRES}?schema={schema}"
    data_dir = Path(tempfile.mkdtemp(prefix="lfr-bench-api-"))
    settings = Settings(database_url=url, data_dir=data_dir)
    try:
        print(f"seeding {args.deployments} deployments, {args.alerts} alerts...", file=sys.stderr)
        published, pending = seed(settings, args.deployments, args.alerts)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "LFR_DATABASE_URL": url, "LFR_DATA_DIR": str(data_dir)}
        process = serve(env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            # Warm-up: one read per row, so proofs and the checkpoint exist before timing.
            for deployment in published:
                httpx.get(f"{base}/public/register/{deployment}", timeout=60).raise_for_status()
            reads = [
                ("GET", f"/public/register/{published[i % len(published)]}", None)
                for i in range(args.reads)
            ]
            read = (
                wrk_reads(
                    base,
                    [path for _, path, _ in reads[: len(published)]],
                    args.clients,
                    args.seconds,
                )
                if shutil.which("wrk")
                else asyncio.run(hammer(base, reads, {}, args.clients))
            )
            token = issue_token(settings.secret("token_secret"), "pc-operator", ["operator"])
            writes = [
                ("POST", f"/alerts/{a}/adjudication", {"decision": "false_alert"}) for a in pending
            ]
            write = asyncio.run(
                hammer(base, writes, {"Authorization": f"Bearer {token}"}, args.clients)
            )
        finally:
            process.terminate()
            process.wait(10)
        print(
            json.dumps(
                {
                    "store": settings.store.kind,
                    "register_reads": read,
                    "adjudication_writes": write,
                },
                indent=2,
            )
        )
    finally:
        if schema:
            import psycopg

            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
