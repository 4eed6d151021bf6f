"""Projection rebuild speed (target: at least 20,000 events/s), beside a plain read.

Fills a fresh store (SQLite file and a PostgreSQL schema) with one live deployment's
alerts and faces-seen counts through the ingest, then, ROUNDS times, times the plain
baseline (reading every notification, page by page) and `ReadModels.rebuild()` (drop the
tables, read, decode and project every event into all four read models: register, alerts,
timeline, retention). Prints medians.

    python -m bench.projections [--alerts 40000] [--rounds 3] [--postgres URL] [--smoke]

`--smoke` rebuilds 1,000 alerts' events once per store: a check that it runs, not a figure.
PostgreSQL: LFR_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.common import POSTGRES_URL, machine, synthetic_match
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, utc_iso
from runtime.bootstrap import open_ingest, open_read_models, open_services
from runtime.settings import Settings
from services.ingest import Message, ingest_batch
from tests.scenario import Scenario, start_clock
from tests.support.credentials import worker_credential


def fill(settings: Settings, alerts: int) -> int:
    clock = start_clock()
    services = open_services(settings, clock=clock)
    scenario = Scenario(services.lfr, clock).live()
    # Counts are of intervals already past, inside the live window: start from the start.
    live_from = clock.now
    clock.advance(hours=7, minutes=30)
    ingest = open_ingest(settings, services)
    credential = worker_credential(settings, scenario.deployment, now=clock.now)
    d, entries = str(scenario.deployment), [str(e) for e in scenario.entry_ids]
    for start in range(0, alerts, 2000):
        messages = [
            Message(
                MATCHES_TOPIC,
                0,
                n,
                synthetic_match(
                    d, entries[n % 2], f"t{n}", utc_iso(clock.now), 600, scenario.watchlist_version
                ).to_json(ingest.probe_keys.sealer, credential),
            )
            for n in range(start, min(alerts, start + 2000))
        ]
        counts = [
            Message(
                FACES_SEEN_TOPIC,
                0,
                n,
                FacesSeenCount(
                    d,
                    "camera-1",
                    utc_iso(live_from + timedelta(seconds=n / 10)),
                    utc_iso(live_from + timedelta(seconds=n / 10 + 1)),
                    15,
                    12,
                ).to_json(credential),
            )
            for n in range(start // 4, min(alerts, start + 2000) // 4)
        ]
        ingest_batch(ingest, messages + counts)
        print(f"  filled {min(alerts, start + 2000)} alerts", flush=True)
    return len(services.lfr.recorder.select_notifications(1, 10_000_000))


def measure(settings: Settings, rounds: int) -> dict[str, float]:
    services = open_services(settings)
    models = open_read_models(settings, services)
    baseline, rebuild = [], []
    total = 0
    for _ in range(rounds):
        started = time.perf_counter()
        start, total = 1, 0
        while page := services.lfr.recorder.select_notifications(start, 5000):
            total += len(page)
            start = page[-1].id + 1
        baseline.append(total / (time.perf_counter() - started))
        started = time.perf_counter()
        read = models.rebuild()
        rebuild.append(read / (time.perf_counter() - started))
    models.close()
    return {
        "events": total,
        "baseline": statistics.median(baseline),
        "rebuild": statistics.median(rebuild),
    }


def report(store: str, figures: dict[str, float]) -> None:
    ratio = figures["rebuild"] / figures["baseline"]
    print(
        f"{store:10s} {figures['events']:>8.0f} events  plain read {figures['baseline']:>9,.0f}/s"
        f"  rebuild {figures['rebuild']:>8,.0f}/s  ratio {ratio:.2f}"
        f"  target 20,000/s: {'met' if figures['rebuild'] >= 20_000 else 'NOT met'}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--smoke", action="store_true", help="1,000 alerts, 1 round: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.alerts, args.rounds = 1_000, 1
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}", data_dir=Path(folder)
        )
        print("SQLite: filling", flush=True)
        fill(sqlite, args.alerts)
        report("sqlite", measure(sqlite, args.rounds))
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            postgres = Settings(
                database_url=f"{args.postgres}?schema={schema}", data_dir=Path(folder)
            )
            print("PostgreSQL: filling", flush=True)
            fill(postgres, args.alerts)
            report("postgres", measure(postgres, args.rounds))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
