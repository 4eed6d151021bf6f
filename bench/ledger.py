"""Ledger benchmark: append overhead, verification, proofs, checkpoints, witnesses, tiles
(PostgreSQL).

    python bench/ledger.py [--events 1000000] [--appends 2000] [--rounds 5] [--smoke]
                           [--only append]

`--smoke` runs every part at a small size in seconds (CI runs it so the benchmark cannot rot);
`--only append` runs part 1 alone.

Uses PostgreSQL at LFR_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test),
in schemas of its own that it drops afterwards. Prints its figures.

1. Append: the same stored events, one per transaction (as a command saves them),
   appended through the library's plain PostgreSQL recorder and through the ledgered
   one, in alternating rounds; medians per append and their ratio. Both pools check their
   connections before use alike (without a round trip, as the ledgered store's pool
   does), so the ratio is the ledger's cost alone.
2. Verification of N events: N synthetic stored events and their leaves bulk-loaded
   with COPY (appending a million one by one would take most of an hour), one
   checkpoint, then a full `Ledger.verify()`.
3. Proofs at N entries: inclusion and consistency proof generation (median of 101).
4. Checkpoints at N entries: signing, storing and publishing one after an append, without
   and with two witnesses (C2SP tlog-witness over HTTP on this machine).
5. Tiles at N entries: full hash tiles of levels 0 and 1 served per second (`Ledger.tile`).
6. The cost of the latest checkpoint and of publishing, with 1 to 10,000 checkpoints stored
   and published: both must stay flat.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from eventsourcing.persistence import InfrastructureFactory, StoredEvent  # noqa: E402
from eventsourcing.utils import Environment  # noqa: E402

from adapters.persistence.liveness import check_pooled_connections_locally  # noqa: E402
from ledger.checkpoint import Checkpoint, SigningKey  # noqa: E402
from ledger.leaf import StoredRow, row_leaf_hash  # noqa: E402
from ledger.merkle import CompactTree  # noqa: E402
from ledger.nodes import build_nodes  # noqa: E402
from ledger.note import KeyType  # noqa: E402
from ledger.proofs import check_consistency, check_row_inclusion  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.tiles import Tile  # noqa: E402

URL = os.environ.get("LFR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
KEY = SigningKey("bench", b"B" * 32)
STATE = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2025-01-01T00:00:00+00:00"},' + b"x" * 160


def env_for(schema: str, module: str) -> Environment:
    from runtime.settings import StoreLocation

    env = StoreLocation.parse(f"{URL}?schema={schema}").eventsourcing_env()
    return Environment("bench", {**env, "PERSISTENCE_MODULE": module})


def recorder_for(schema: str, module: str) -> tuple[Any, Any]:
    factory = InfrastructureFactory.construct(env_for(schema, module))
    return factory, factory.application_recorder()


def events(n: int) -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, "bench:Happened", STATE) for _ in range(n)]


def bench_append(appends: int, rounds: int) -> dict[str, float]:
    plain_f, plain = recorder_for("bench_plain", "eventsourcing.postgres")
    check_pooled_connections_locally(plain_f.datastore)
    led_f, ledgered = recorder_for("bench_ledger", "adapters.persistence.postgres")
    for recorder in (plain, ledgered):  # warm up connections and prepared statements
        for event in events(200):
            recorder.insert_events([event])
    # Alternate plain and ledgered appends event by event, so drift and noise on this
    # shared machine fall on both alike; one figure per round.
    timings: dict[str, list[float]] = {"plain": [], "ledger": []}
    for _ in range(rounds):
        spent = {"plain": 0.0, "ledger": 0.0}
        for one, other in zip(events(appends), events(appends), strict=True):
            for name, recorder, event in (("plain", plain, one), ("ledger", ledgered, other)):
                start = time.perf_counter()
                recorder.insert_events([event])
                spent[name] += time.perf_counter() - start
        for name in spent:
            timings[name].append(spent[name] / appends)
    plain_f.close()
    led_f.close()
    ratios = [b / a for a, b in zip(timings["plain"], timings["ledger"], strict=True)]
    return {
        "plain_ms": statistics.median(timings["plain"]) * 1000,
        "ledger_ms": statistics.median(timings["ledger"]) * 1000,
        "ratio": statistics.median(ratios),
    }


def bulk_load(schema: str, n: int) -> tuple[Ledger, Any, Any]:
    factory, recorder = recorder_for(schema, "adapters.persistence.postgres")
    store = recorder.ledger_store
    log_id = store.log_id(recorder.events_table_name)
    table = store.table(recorder.events_table_name)
    log = recorder.events_table_name
    # One COPY per connection at a time: events on one, leaves on another.
    with (
        psycopg.connect(URL, autocommit=True) as conn,
        psycopg.connect(URL, autocommit=True) as conn2,
        conn.cursor() as curs,
    ):
        with (
            curs.copy(
                f"COPY {table} (originator_id, originator_version, topic, state, notification_id) "
                "FROM STDIN"
            ) as events_copy,
            conn2.cursor().copy(
                f"COPY {store.table('ledger_leaves')} (idx, log_id, notification_id, leaf_hash) "
                "FROM STDIN"
            ) as leaves_copy,
        ):
            for i in range(n):
                oid = uuid.uuid4()
                row = StoredRow(log, i + 1, str(oid), 1, "bench:Happened", STATE)
                events_copy.write_row((oid, 1, "bench:Happened", STATE, i + 1))
                leaves_copy.write_row((i, log_id, i + 1, row_leaf_hash(row)))
        curs.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), %s)", (n,)
        )
        curs.execute(f"ANALYZE {table}")
        curs.execute(f"ANALYZE {store.table('ledger_leaves')}")
    ledger = Ledger(store, "bench", KEY)
    return ledger, recorder, factory


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_proofs(ledger: Ledger, n: int) -> dict[str, float]:
    rng = random.Random(7)
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None
    inclusion, consistency, checks = [], [], []
    for _ in range(101):
        nid = rng.randint(1, n)
        start = time.perf_counter()
        proof, row = ledger.prove_inclusion(nid)
        inclusion.append(time.perf_counter() - start)
        start = time.perf_counter()
        check_row_inclusion(proof, row, checkpoint, [KEY.public])
        checks.append(time.perf_counter() - start)
        old = rng.randint(1, n - 1)
        start = time.perf_counter()
        ledger.prove_consistency(old, n)
        consistency.append(time.perf_counter() - start)
    # One consistency proof checked end to end against two signed checkpoints.
    first = ledger.checkpoints()[0]
    proof = ledger.prove_consistency(first.tree_size, n)
    check_consistency(proof, first, checkpoint, [KEY.public])
    return {
        "inclusion_ms": median_ms(inclusion),
        "consistency_ms": median_ms(consistency),
        "inclusion_check_ms": median_ms(checks),
    }


def drop(*schemas: str) -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def bench_checkpoints(ledger: Ledger, recorder: Any, rounds: int) -> dict[str, float]:
    """Sign + store + publish after one append; then the same with two witnesses."""
    import tempfile
    import threading

    from ledger.witness import Witness
    from ledger.witness_http import WitnessEndpoint, witness_server

    plain = []
    for _ in range(rounds):
        recorder.insert_events(events(1))
        start = time.perf_counter()
        ledger.checkpoint()
        plain.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as folder:
        servers, endpoints = [], []
        for name in ("w1.bench", "w2.bench"):
            key = SigningKey(name, name.encode().ljust(32, b"w"), KeyType.COSIGNATURE_V1)
            server = witness_server(
                Witness(key, [ledger.log_key], Path(folder) / name), "127.0.0.1", 0
            )  # type: ignore[list-item]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            endpoints.append(
                WitnessEndpoint.parse(
                    f"{key.public.vkey} http://127.0.0.1:{server.server_address[1]}"
                )
            )
        witnessed = Ledger(ledger.store, ledger.origin, KEY, witnesses=endpoints)
        timings = []
        for _ in range(rounds + 1):
            recorder.insert_events(events(1))
            start = time.perf_counter()
            made = witnessed.checkpoint()
            timings.append(time.perf_counter() - start)
            assert len(made.cosignatures(witnessed.witnesses)) == 2, witnessed.witness_errors
        for server in servers:
            server.shutdown()
            server.server_close()
    return {"sign_ms": median_ms(plain), "witnessed_ms": median_ms(timings[1:])}


def bench_tiles(ledger: Ledger, seconds: float) -> dict[str, float]:
    """Full tiles served per second: read from the store (cold), and kept in memory (warm:
    the same 64 tiles again)."""
    size = ledger.latest_checkpoint().tree_size  # type: ignore[union-attr]
    rates = {}
    for level in (0, 1):
        count = (size >> (8 * level)) // 256
        if not count:
            continue
        for kind in ("cold", "warm"):
            rng, served, start = random.Random(level), 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                if kind == "cold":
                    ledger._full_tiles.clear()
                index = rng.randrange(count if kind == "cold" else min(count, 64))
                assert len(ledger.tile(Tile(level, index, 256))) == 8192
                served += 1
            rates[f"level {level} {kind}"] = served / (time.perf_counter() - start)
    return rates


def bench_latest(stops: list[int]) -> list[tuple[int, float, float]]:
    """(checkpoints stored and published, latest_checkpoint ms, checkpoint() ms after one
    append): both must stay flat as checkpoints accumulate."""
    import tempfile

    factory, recorder = recorder_for("bench_latest", "adapters.persistence.postgres")
    store = recorder.ledger_store
    rows: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store, "bench", KEY, published_dir=Path(folder))
        tree, made, count = CompactTree(), 0, 0
        for stop in stops:
            # Add checkpoints in bulk, one per tree size as the services make them (an entry
            # each), stored in one transaction and published to the same folder.
            new = stop - count
            recorder.insert_events(events(new))
            added = []
            for digest in store.leaf_hash_range(made, made + new):
                tree.append(digest)
                made += 1
                added.append(Checkpoint("bench", made, tree.root()).signed_by(KEY))
            nodes = build_nodes(store, made)
            with store.writing() as curs:
                store.insert_nodes(curs, nodes)
                curs.executemany(
                    f"INSERT INTO {store.table('ledger_checkpoints')} "
                    "(seq, tree_size, body, signatures) VALUES (%s, %s, %s, %s)",
                    [(count + i + 1, c.tree_size, c.body(), c.signature_lines())
                     for i, c in enumerate(added)],
                )  # fmt: skip
            for checkpoint in added:
                ledger.publisher.publish(checkpoint)
            count = stop
            latest = []
            for _ in range(51):
                start = time.perf_counter()
                ledger.latest_checkpoint()
                latest.append(time.perf_counter() - start)
            signing = []
            for _ in range(5):
                recorder.insert_events(events(1))
                tree.append(store.leaf_hash_range(made, made + 1)[0])
                made += 1
                start = time.perf_counter()
                ledger.checkpoint()
                signing.append(time.perf_counter() - start)
            count += 5
            rows.append((stop, median_ms(latest), median_ms(signing)))
    factory.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="every part, small, in seconds")
    parser.add_argument("--only", choices=["append"], help="run only this part")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.appends, args.rounds = 5_000, 50, 1
    stops = [1, 10, 100] if args.smoke else [1, 10, 100, 1_000, 10_000]
    schemas = ("bench_plain", "bench_ledger", "bench_verify", "bench_latest")
    drop(*schemas)
    with psycopg.connect(URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"CREATE SCHEMA {schema}")
    try:
        print(f"machine: {os.cpu_count()} CPU cores; PostgreSQL at {URL.split('@')[-1]}")
        a = bench_append(args.appends, args.rounds)
        print(
            f"append, 1 event per transaction, median of {args.rounds} rounds x {args.appends}: "
            f"plain {a['plain_ms']:.3f} ms, ledger {a['ledger_ms']:.3f} ms, "
            f"ratio {a['ratio']:.3f} (target <= 1.15)"
        )
        if args.only == "append":
            return
        n = args.events
        start = time.perf_counter()
        ledger, recorder, factory = bulk_load("bench_verify", n - 1000)
        print(
            f"bulk load of {n - 1000} events and leaves (COPY): {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        ledger.checkpoint()
        took = time.perf_counter() - start
        print(f"checkpoint building the node cache for {n - 1000}: {took:.2f} s")
        for _ in range(10):  # the last 1000 through the ledgered recorder, 100 per transaction
            recorder.insert_events(events(100))
        start = time.perf_counter()
        ledger.checkpoint()
        print(f"checkpoint after 1000 more (incremental): {time.perf_counter() - start:.3f} s")
        start = time.perf_counter()
        report = ledger.verify()
        elapsed = time.perf_counter() - start
        assert report.ok, report.summary()
        print(f"full verification of {report.size} events: {elapsed:.2f} s (target < 10 s)")
        p = bench_proofs(ledger, n)
        print(
            f"proofs at {n} entries, median of 101: inclusion {p['inclusion_ms']:.2f} ms, "
            f"consistency {p['consistency_ms']:.2f} ms (target < 10 ms); "
            f"checking an inclusion proof {p['inclusion_check_ms']:.3f} ms"
        )
        c = bench_checkpoints(ledger, recorder, max(3, args.rounds * 4))
        print(
            f"checkpoint after one append at {n} entries (sign, store, publish), median: "
            f"{c['sign_ms']:.1f} ms; with two witnesses co-signing over HTTP: "
            f"{c['witnessed_ms']:.1f} ms"
        )
        t = bench_tiles(ledger, 0.5 if args.smoke else 3.0)
        print(
            "full tiles served (Ledger.tile, 8 KiB each): "
            + ", ".join(f"{k} {v:,.0f}/s" for k, v in t.items())
        )
        factory.close()
        print("checkpoints | latest_checkpoint() ms | checkpoint() after one append ms")
        for count, latest, publish in bench_latest(stops):
            print(f"{count:>11,} | {latest:>22.3f} | {publish:>8.1f}")
    finally:
        drop(*schemas)


if __name__ == "__main__":
    main()
