"""Events appended per second to PostgreSQL through the domain, beside the plain library.

Both sides append the same number of one-event transactions to the same PostgreSQL server, in
alternating rounds: the domain raises alerts on a live deployment (load the deployment, check the
rules, seal the probe, save with the ledger), the baseline saves a bare aggregate with the plain
eventsourcing PostgreSQL recorder. Prints medians and the ratio.

    python -m bench.append [--events N] [--rounds R] [--smoke]

`--smoke` appends 50 events in one round: a check that it runs, in seconds, not a figure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import machine, median, postgres_schema
from runtime.bootstrap import open_services
from runtime.settings import Settings, StoreLocation
from tests.scenario import Scenario, start_clock


class Tally(Aggregate):
    @event("Counted")
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload


def domain_rate(url: str, data_dir: Path, events: int) -> float:
    clock = start_clock()
    scenario = Scenario(
        open_services(Settings(database_url=url, data_dir=data_dir), clock).lfr, clock
    ).live()
    started = time.perf_counter()
    for n in range(events):
        scenario.alert(track=f"bench-{time.time_ns()}-{n}")
    return events / (time.perf_counter() - started)


def baseline_rate(url: str, events: int) -> float:
    env = {
        **StoreLocation.parse(url).eventsourcing_env(),
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "CREATE_TABLE": "y",
    }
    app: Application = Application(env)
    payload = {"probe": "x" * 400, "score": 0.9, "camera": "camera-1"}
    started = time.perf_counter()
    for _ in range(events):
        app.save(Tally(payload=payload))
    return events / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="50 events, 1 round: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.rounds = 50, 1
    domain, plain = [], []
    with tempfile.TemporaryDirectory() as data_dir:
        for _ in range(args.rounds):
            with postgres_schema() as url:
                plain.append(baseline_rate(url, args.events))
            with postgres_schema() as url:
                domain.append(domain_rate(url, Path(data_dir), args.events))
    print(f"machine: {machine()}")
    print(f"plain eventsourcing append: {median(plain):8.0f} events/s (median of {args.rounds})")
    print(f"domain append (alerts):     {median(domain):8.0f} events/s (median of {args.rounds})")
    print(f"ratio domain/plain time:    {median(plain) / median(domain):8.2f}x")


if __name__ == "__main__":
    main()
