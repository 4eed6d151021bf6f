"""Retention: erasing N alerts' data (erasure events with the ledger, keys destroyed and purged)
beside a plain DELETE of the same rows, in the same run on the same store.

    python -m bench.retention [--items 100000] [--store sqlite|postgres] [--json] [--smoke]

`--smoke` erases 200 items: a check that it runs, in seconds, not a figure.

Setup (not timed) raises N alerts on one live deployment, each sealed under its own key, and
catches the retention view up with them. Then the sweeper erases them all (timed, as `lfr
retention sweep` does it), and finally the rows the
alerts were stored in, and their keys, are deleted with plain SQL (timed): what a system without
accountability would do instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import machine, postgres_schema
from domain.alert import Alert
from domain.deployment import Deployment
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from services.retention import retention_view
from services.sweeper import rules_from, sweep
from tests.scenario import WORKER, Scenario, start_clock

BATCH = 1_000


def raise_alerts(services: Services, scenario: Scenario, count: int) -> list[str]:
    """N alerts saved in batches (the ingest's path, minus Kafka), each with its own key."""
    lfr = services.lfr
    deployment = lfr.load(Deployment, scenario.deployment)
    ids: list[str] = []
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, count)):
            match = scenario.match(n % 2, track=f"t{n}")
            alert_id = Alert.create_id(match_id=match.match_id)
            batch.append(
                Alert.raise_alert(
                    lfr.audit(WORKER),
                    deployment,
                    match,
                    services.vault.seal(str(alert_id), b"\xff\xd8probe%d" % n),
                )
            )
        lfr.save(*batch)
        ids += [str(a.id) for a in batch]
        print(
            f"  setup: {len(ids):,} alerts ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            end="\r",
        )
    print(file=sys.stderr)
    return ids


def plain_delete(services: Services, ids: list[str]) -> float:
    """DELETE the alerts' event rows and key rows in one transaction; seconds taken."""
    location = services.settings.store
    schema = location.parts.get("schema")
    # The library names the events table `stored_events` on SQLite and after the
    # application (`lfrservice_events`) on PostgreSQL.
    events = "stored_events" if location.kind == "sqlite" else "lfrservice_events"
    keys = "lfr_data_keys"
    if schema:
        events, keys = f'"{schema}".{events}', f'"{schema}".{keys}'
    started = time.perf_counter()
    if location.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(location.parts["path"]) as conn:
            conn.executemany(
                f"DELETE FROM {events} WHERE originator_id = ?",
                [(i.replace("-", ""),) for i in ids],
            )
            conn.executemany(f"DELETE FROM {keys} WHERE subject_id = ?", [(i,) for i in ids])
    else:
        import psycopg

        p = location.parts
        with psycopg.connect(
            host=p["host"], port=p["port"], user=p["user"], dbname=p["dbname"]
        ) as conn:
            conn.execute(f"DELETE FROM {events} WHERE originator_id = ANY(%s::uuid[])", (ids,))
            conn.execute(f"DELETE FROM {keys} WHERE subject_id = ANY(%s)", (ids,))
    return time.perf_counter() - started


def run(items: int, store: str) -> dict[str, Any]:
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = (
            stack.enter_context(postgres_schema())
            if store == "postgres"
            else f"sqlite:///{data_dir / 'lfr.db'}"
        )
        clock = start_clock()
        services = open_services(Settings(database_url=url, data_dir=data_dir), clock=clock)
        scenario = Scenario(services.lfr, clock).live()
        ids = raise_alerts(services, scenario, items)
        clock.advance(days=32)
        # The retention view is kept current as alerts arrive (every sweep and every DPO
        # read catches it up); projecting the raised alerts is not the erasure's work.
        retention_view(services.lfr, rules_from(services.settings), clock())
        started = time.perf_counter()
        result = sweep(services)
        erase_s = time.perf_counter() - started
        assert len(result.erased) == items, result.to_json()
        delete_s = plain_delete(services, ids)
    return {
        "store": store,
        "items": items,
        "erase_s": erase_s,
        "erase_per_s": items / erase_s,
        "plain_delete_s": delete_s,
        "plain_delete_per_s": items / delete_s,
        "ratio_erase_to_delete": erase_s / delete_s,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="200 items: runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.items = 200
    figures = run(args.items, args.store)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"machine: {figures['machine']}; store: {args.store}; items: {args.items:,}")
    print(
        f"erasure (events, ledger, keys): {figures['erase_s']:8.1f} s "
        f"{figures['erase_per_s']:10,.0f} items/s"
    )
    print(
        f"plain DELETE of the same rows: {figures['plain_delete_s']:8.1f} s "
        f"{figures['plain_delete_per_s']:10,.0f} items/s"
    )
    print(f"ratio erasure/delete time: {figures['ratio_erase_to_delete']:.1f}x")


if __name__ == "__main__":
    main()
