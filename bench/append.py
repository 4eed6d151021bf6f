"""Events appended per second to PostgreSQL through the domain, beside the plain library.

Both sides append the same number of one-event transactions to the same PostgreSQL server,
alternating every 25 events: the domain raises alerts on a live deployment (load the deployment,
check the rules, seal the probe under the alert's new data key, store the event, its ledger leaf
and the key in one transaction), the baseline saves a bare aggregate with the plain eventsourcing
PostgreSQL recorder. Prints the medians and the ratio.

    python -m bench.append [--events N] [--rounds R] [--smoke]

`--smoke` appends 50 events in one round: a check that it runs, in seconds, not a figure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import machine, median, postgres_schema
from runtime.bootstrap import open_services
from runtime.settings import Settings, StoreLocation
from tests.scenario import Scenario, start_clock

CHUNK = 25  # events per side between switches


class Tally(Aggregate):
    @event("Counted")
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload


def domain_appender(url: str, data_dir: Path) -> Callable[[int], None]:
    """Raises one alert per call: load the live deployment, check the rules, seal the probe
    under the alert's new key, store the event with its leaf and the key in one transaction."""
    clock = start_clock()
    services = open_services(Settings(database_url=url, data_dir=data_dir), clock)
    scenario = Scenario(services.lfr, clock).live()
    return lambda n: None if scenario.alert(track=f"bench-{time.time_ns()}-{n}") else None


def plain_appender(url: str) -> Callable[[int], None]:
    """Saves one bare aggregate per call with the plain library's PostgreSQL recorder."""
    env = {
        **StoreLocation.parse(url).eventsourcing_env(),
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "CREATE_TABLE": "y",
    }
    app: Application = Application(env)
    payload = {"probe": "x" * 400, "score": 0.9, "camera": "camera-1"}
    return lambda n: None if app.save(Tally(payload=payload)) else None


def timed(append: Callable[[int], None], start: int, count: int) -> float:
    """Seconds per event over `count` appends."""
    began = time.perf_counter()
    for n in range(start, start + count):
        append(n)
    return (time.perf_counter() - began) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500, help="events per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="50 events, 1 round: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.rounds = 50, 1
    chunks = max(1, args.events // CHUNK) * args.rounds
    plain, domain = [], []
    with (
        tempfile.TemporaryDirectory() as data_dir,
        postgres_schema() as plain_url,
        postgres_schema() as domain_url,
    ):
        plain_append = plain_appender(plain_url)
        domain_append = domain_appender(domain_url, Path(data_dir))
        for chunk in range(chunks):  # alternating, so a busy moment slows both sides alike
            plain.append(timed(plain_append, chunk * CHUNK, CHUNK))
            domain.append(timed(domain_append, chunk * CHUNK, CHUNK))
    print(f"machine: {machine()}")
    label = f"median of {chunks} alternating runs of {CHUNK}"
    print(f"plain eventsourcing append: {1 / median(plain):8.0f} events/s ({label})")
    print(f"domain append (alerts):     {1 / median(domain):8.0f} events/s ({label})")
    print(f"ratio domain/plain time:    {median(domain) / median(plain):8.2f}x")


if __name__ == "__main__":
    main()
