"""How each cost that grows with the life of the system scales: it must stay flat.

    python -m bench.growth [--smoke] [--seconds 10] [--clients 50] [--skip-register]

Three tables, each against the count that grows:

1. Checkpoints stored and published (1, 100, 1,000, 10,000): reading the latest checkpoint
   and signing and publishing a new one after one append (`bench.ledger.bench_latest`).
2. Deployments in the public register (10, 1,000, 10,000): register reads
   `GET /public/register/{id}` by `wrk` (50 connections, cycling over every row) against
   `lfr api` as its own process on PostgreSQL: the first read of every row (each built
   once) and the steady reads, p50/p95/p99 and requests/s. One deployment goes through the
   whole process (application to published results, through the domain); the others are
   its public record re-keyed and saved as the publication commands save it (a notice and
   its results: the only events the public register reads), so 10,000 rows take seconds.
3. Watchlist entries on the alert path (10, 1,000, 10,000, 100,000): what each alert pays
   for the watchlist's size, beside what it paid before in the same run: the index's
   version (once per change of the index, against hashing it on every alert) and the copy
   of the deployment the repository hands each alert command, with the entry ids shared
   (`domain.deployment.EntryIds`) against a plain list.

4. Items already erased in the retention history (0, 1,000, 10,000), beside 100 alerts not
   yet due, on SQLite: a sweep with nothing to erase, as a process's first sweep reads it
   (every item, checked against its seal) and as every later sweep reads it (the items not
   erased only).

`--smoke` runs each table at two small sizes in seconds (a check that it runs, not a figure).
PostgreSQL: LFR_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import POSTGRES_URL, machine, postgres_schema


def checkpoint_growth(stops: list[int]) -> None:
    import psycopg

    from bench import ledger as bench_ledger

    bench_ledger.URL = POSTGRES_URL
    bench_ledger.drop("bench_latest")
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA bench_latest")
    try:
        print("checkpoints | latest_checkpoint() ms | checkpoint() after one append ms")
        for count, latest, publish in bench_ledger.bench_latest(stops):
            print(f"{count:>11,} | {latest:>22.3f} | {publish:>32.1f}", flush=True)
    finally:
        bench_ledger.drop("bench_latest")


def seed_register(settings: Any, deployments: int) -> list[str]:
    """One deployment through the whole process, then its public record re-keyed."""
    from datetime import UTC, datetime, timedelta

    from domain.publication import NOTICE_COLUMNS, RESULT_COLUMNS, PublicRecord, PublicStatus
    from runtime.bootstrap import open_services
    from tests.scenario import GOLD, Clock, Scenario

    clock = Clock(datetime.now(UTC) - timedelta(hours=1, minutes=10))
    services = open_services(settings, clock=clock)
    s = Scenario(services.lfr, clock).live()
    for k in range(3):
        s.alert(0, track=f"t{k}")
    services.lfr.end_deployment(GOLD, s.deployment, "planned end")
    services.lfr.submit_cancellation_report(
        GOLD, s.deployment, {"evaluation": "ok", "learning": "none"}
    )
    services.lfr.publish_register_entry(GOLD, s.deployment, {"alerts": 3})
    model = services.lfr.repository.get(PublicRecord.id_for(s.deployment))
    notice = {
        **{c: model.row[c] for c in NOTICE_COLUMNS},
        **dict.fromkeys(RESULT_COLUMNS),
        "status": PublicStatus.ANNOUNCED.value,
    }
    published = [str(s.deployment)]
    for start in range(1, deployments, 500):
        records = []
        for _ in range(start, min(deployments, start + 500)):
            deployment_id = str(uuid.uuid4())
            record = PublicRecord(row={**notice, "deployment_id": deployment_id})
            record._results_published(row={**model.row, "deployment_id": deployment_id})
            records.append(record)
            published.append(deployment_id)
        services.lfr.save(*records)
    services.lfr.close()
    return published


def register_reads(deployments: int, clients: int, seconds: int) -> dict[str, Any]:
    from bench.api import hammer, serve, wrk_reads
    from runtime.settings import Settings

    with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=url, data_dir=Path(folder))
        started = time.perf_counter()
        published = seed_register(settings, deployments)
        seeded_s = time.perf_counter() - started
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "LFR_DATABASE_URL": url, "LFR_DATA_DIR": folder}
        process = serve(env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            paths = [f"/public/register/{d}" for d in published]
            # Every row read once: each answer built (row, proofs, checkpoint) on first read.
            first = asyncio.run(hammer(base, [("GET", p, None) for p in paths], {}, clients))
            assert first["statuses"] == {200: len(paths)}, first["statuses"]
            if shutil.which("wrk"):
                steady = wrk_reads(base, paths, clients, seconds)
            else:  # httpx: the client's own cost weighs on the figures
                reads = [("GET", paths[i % len(paths)], None) for i in range(clients * 40)]
                steady = asyncio.run(hammer(base, reads, {}, clients))
        finally:
            process.terminate()
            process.wait(20)
    return {"deployments": deployments, "seeded_s": seeded_s, "first": first, "steady": steady}


def register_growth(sizes: list[int], clients: int, seconds: int) -> None:
    print(
        f"deployments | first read of each row p95 ms | register read p95 ms at {clients} "
        "clients | p50 ms | p99 ms | requests/s | client"
    )
    for size in sizes:
        r = register_reads(size, clients, seconds)
        s = r["steady"]
        print(
            f"{size:>11,} | {r['first']['p95_ms']:>28.1f} | {s['p95_ms']:>35.1f} | "
            f"{s['p50_ms']:>6.1f} | {s['p99_ms']:>6.1f} | {s['throughput_rps']:>10,.0f} | "
            f"{s.get('client', 'httpx')}",
            flush=True,
        )


def _median_us(action: Any, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def deployment_copy_us(deployment: Any, ids: list[str], repeats: int) -> tuple[float, float]:
    """Per alert: the repository's copy of the deployment and the check that the alert's
    entry is on its watchlist; entry ids shared (now) and as a plain list (before)."""
    from domain.deployment import EntryIds

    member = ids[len(ids) // 2]
    shared, plain = copy.copy(deployment), copy.copy(deployment)
    shared.watchlist = {"entry_ids": EntryIds(ids), "version": "v"}
    plain.watchlist = {"entry_ids": list(ids), "version": "v"}

    def alert(d: Any) -> bool:
        return member in copy.deepcopy(d).watchlist["entry_ids"]

    return (
        _median_us(lambda: alert(shared), repeats),
        _median_us(lambda: alert(plain), max(5, repeats // 10)),
    )


def alert_path_growth(sizes: list[int]) -> None:
    import numpy as np

    from domain.deployment import Deployment
    from recognition.index import Template, WatchlistIndex
    from runtime.bootstrap import open_services
    from runtime.settings import Settings
    from tests.scenario import Scenario, start_clock

    clock = start_clock()
    with tempfile.TemporaryDirectory() as folder:
        services = open_services(Settings(database_url="memory:", data_dir=Path(folder)), clock)
        scenario = Scenario(services.lfr, clock).live()
        deployment = services.lfr.load(Deployment, scenario.deployment)
    print(
        "entries | index version per alert us | hashing it per alert us (before) | "
        "deployment copy per alert us | with a plain list (before)"
    )
    rng = np.random.default_rng(7)
    for size in sizes:
        ids = [str(uuid.uuid4()) for _ in range(size)]
        index = WatchlistIndex("bench-model", 128)
        vectors = rng.standard_normal((size, 128)).astype(np.float32)
        index.add([Template(i, "bench-model", v) for i, v in zip(ids, vectors, strict=True)])
        index.version  # noqa: B018 - computed once, when the index changed

        def rehash(index: WatchlistIndex = index) -> str:
            index._version = None  # what every alert paid before: the whole hash again
            return index.version

        repeats = max(5, min(2000, 200_000 // size))
        cached_us = _median_us(lambda index=index: index.version, repeats)
        rehash_us = _median_us(rehash, max(5, repeats // 10))
        shared_us, plain_us = deployment_copy_us(deployment, ids, repeats)
        print(
            f"{size:>7,} | {cached_us:>26.2f} | {rehash_us:>32.1f} | {shared_us:>28.1f} | "
            f"{plain_us:>26.1f}",
            flush=True,
        )


def retention_growth(sizes: list[int]) -> None:
    from bench.retention import raise_alerts
    from runtime.bootstrap import open_services
    from runtime.settings import Settings
    from services import sweeper
    from tests.scenario import Scenario, start_clock

    print("erased items | first sweep of a process ms | later sweep ms")
    for size in sizes:
        clock = start_clock()
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'lfr.db'}"
            services = open_services(Settings(database_url=url, data_dir=Path(folder)), clock)
            scenario = Scenario(services.lfr, clock).live()
            raise_alerts(services, scenario, size)
            clock.advance(days=32)
            assert len(sweeper.sweep(services).erased) == size
            later = Scenario(services.lfr, clock).live()
            for n in range(100):  # live, not due
                later.alert(track=f"later-{n}")
            sweeper.sweep(services)  # the projection has caught up with them

            def first(services: Any = services) -> Any:
                sweeper._SWEPT_WHOLE.pop(services.lfr, None)  # as a process starting
                return sweeper.sweep(services)

            first_ms = _median_us(first, 5) / 1000
            later_ms = _median_us(lambda services=services: sweeper.sweep(services), 5) / 1000
        print(f"{size:>12,} | {first_ms:>27.1f} | {later_ms:>14.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="two small sizes each: seconds")
    parser.add_argument("--seconds", type=int, default=10, help="how long wrk reads, per size")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--skip-register", action="store_true", help="no API, no wrk")
    args = parser.parse_args()
    checkpoints = [1, 100] if args.smoke else [1, 100, 1_000, 10_000]
    deployments = [10, 100] if args.smoke else [10, 1_000, 10_000]
    entries = [10, 1_000] if args.smoke else [10, 1_000, 10_000, 100_000]
    seconds = 2 if args.smoke else args.seconds
    print(f"machine: {machine()}, load {os.getloadavg()[0]:.2f}", flush=True)
    checkpoint_growth(checkpoints)
    if not args.skip_register:
        register_growth(deployments, args.clients, seconds)
    alert_path_growth(entries)
    retention_growth([0, 1_000] if args.smoke else [0, 1_000, 10_000])
    print(f"load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
