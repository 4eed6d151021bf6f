"""Mixed load with a database restart: `lfr api` on a PostgreSQL cluster of the benchmark's own,
restarted once in the middle of the run.

Clients keep three kinds of request going side by side for the whole run:
- register reads: the public register and one of its rows (no token);
- operator reads: the operator's alert queue;
- commands: adjudicating a pending alert (each once) and, once those are used up, an s.62
  consultation of an alert's images (each recorded as an event).

A third of the way in, the cluster is stopped (`pg_ctl stop -m fast`) and started again
`--down` seconds later. Prints the requests served, the errors by kind (503 "database not
available", other 5xx, 4xx, connection errors and timeouts), how long the API took to fail
fast once the database was gone, and how long to serve each kind again once it was back.

    python -m bench.mixed_load [--seconds 60] [--clients 8] [--down 5] [--smoke]

Needs the PostgreSQL server packages (initdb, pg_ctl), as tests/faults do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

KINDS = ("register read", "operator read", "command")


@dataclass
class Outcome:
    at: float  # seconds since the load started
    kind: str
    status: int  # the HTTP status, or 0 for a connection error or timeout
    error: str = ""
    took: float = 0.0  # seconds until the answer (or the error)


@dataclass
class Run:
    """What the clients saw, and when the database went and came back."""

    outcomes: list[Outcome] = field(default_factory=list)
    stopped_at: float | None = None
    back_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


class Requests:
    """Hands each client its next request, in turn: register, operator, command."""

    def __init__(self, published: list[str], pending: list[str], operator: dict[str, str]):
        self.published = published
        self.pending = list(pending)
        self.consultable = list(pending)
        self.operator = operator
        self.turn = 0
        self.lock = threading.Lock()

    def next(self) -> tuple[str, str, str, dict[str, Any] | None, dict[str, str]]:
        with self.lock:
            self.turn += 1
            kind = KINDS[self.turn % len(KINDS)]
            if kind == "register read":
                row = self.published[self.turn % len(self.published)]
                path = "/public/register" if self.turn % 2 else f"/public/register/{row}"
                return kind, "GET", path, None, {}
            if kind == "operator read":
                return kind, "GET", "/alerts", None, self.operator
            if self.pending:
                alert = self.pending.pop()
                body: dict[str, Any] = {"decision": "false_alert"}
                return kind, "POST", f"/alerts/{alert}/adjudication", body, self.operator
            alert = self.consultable[self.turn % len(self.consultable)]
            body = {"justification": "reviewing the adjudication under load"}
            return kind, "POST", f"/alerts/{alert}/consultation", body, self.operator


def client(base: str, requests: Requests, run: Run, started: float, until: float) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            kind, method, path, body, headers = requests.next()
            asked = time.monotonic()
            try:
                status = http.request(method, path, json=body, headers=headers).status_code
                error = ""
            except httpx.TransportError as failure:
                status, error = 0, type(failure).__name__
            now = time.monotonic()
            run.record(Outcome(now - started, kind, status, error, now - asked))


def error_kind(outcome: Outcome) -> str | None:
    if outcome.status == 0:
        return f"connection error ({outcome.error})"
    if outcome.status == 503:
        return "503 database not available"
    if outcome.status >= 500:
        return f"{outcome.status} server error"
    if outcome.status >= 400:
        return f"{outcome.status} refused"
    return None


def summarise(run: Run, seconds: float, clients: int, down: float) -> list[str]:
    served = [o for o in run.outcomes if 200 <= o.status < 300]
    errors = Counter(kind for o in run.outcomes if (kind := error_kind(o)))
    by_kind = Counter(o.kind for o in served)
    stopped, back = run.stopped_at or 0.0, run.back_at or 0.0
    failed = [o.at for o in run.outcomes if o.at >= stopped and not 200 <= o.status < 300]
    # Requests asked while it was down: answered (at) after the stop, asked before it was back.
    during = [o for o in run.outcomes if o.at >= stopped and o.at - o.took <= back]
    slowest = max((o.took for o in during), default=0.0)
    recovered = {
        kind: min((o.at for o in served if o.kind == kind and o.at >= back), default=None)
        for kind in KINDS
    }
    waits = {k: (t - back) if t is not None else None for k, t in recovered.items()}
    worst = max((w for w in waits.values() if w is not None), default=None)
    lines = [
        f"mixed load: {seconds:.0f} s, {clients} clients, PostgreSQL stopped at {stopped:.1f} s "
        f"and back at {back:.1f} s (down {back - stopped:.1f} s, asked {down:.0f} s)",
        f"requests served: {len(served)} ({len(served) / seconds:.1f}/s): "
        + ", ".join(f"{kind}s {by_kind[kind]}" for kind in KINDS),
        f"requests made: {len(run.outcomes)}",
        "errors: " + (", ".join(f"{kind} {n}" for kind, n in sorted(errors.items())) or "none"),
        (
            f"time to fail fast: {min(failed) - stopped:.2f} s after the stop"
            if failed
            else "time to fail fast: no request failed (those asked waited for the database)"
        ),
        f"slowest answer to a request asked while the database was down: {slowest:.2f} s",
        "time to recover: "
        + (f"{worst:.2f} s" if worst is not None else "not recovered")
        + " after the database was back ("
        + ", ".join(
            f"{kind} {w:.2f} s" if w is not None else f"{kind} never" for kind, w in waits.items()
        )
        + ")",
    ]
    return lines


@contextmanager
def own_cluster() -> Iterator[Any]:
    from tests.faults.pg_cluster import Cluster
    from tests.support.broker import free_port

    cluster = Cluster(free_port()).init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()


def restart(cluster: Any, run: Run, started: float, at: float, down: float) -> None:
    time.sleep(max(0.0, started + at - time.monotonic()))
    cluster.stop()
    run.stopped_at = time.monotonic() - started
    print(f"  {run.stopped_at:.1f} s: PostgreSQL stopped", file=sys.stderr, flush=True)
    time.sleep(down)
    cluster.start()
    run.back_at = time.monotonic() - started
    print(f"  {run.back_at:.1f} s: PostgreSQL back", file=sys.stderr, flush=True)


def progress(run: Run, started: float, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(10):
        elapsed = time.monotonic() - started
        print(
            f"  {elapsed:.0f}/{seconds:.0f} s, {len(run.outcomes)} requests, "
            f"ETA {max(seconds - elapsed, 0):.0f} s",
            file=sys.stderr,
            flush=True,
        )


def load(base: str, requests: Requests, cluster: Any, args: argparse.Namespace) -> Run:
    run = Run()
    started = time.monotonic()
    until = started + args.seconds
    threads = [
        threading.Thread(target=client, args=(base, requests, run, started, until))
        for _ in range(args.clients)
    ]
    restarter = threading.Thread(
        target=restart, args=(cluster, run, started, args.seconds / 3, args.down)
    )
    done = threading.Event()
    reporter = threading.Thread(target=progress, args=(run, started, args.seconds, done))
    for thread in [*threads, restarter, reporter]:
        thread.start()
    for thread in [*threads, restarter]:
        thread.join()
    done.set()
    reporter.join()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--down", type=float, default=5.0, help="seconds the database is down")
    parser.add_argument("--deployments", type=int, default=5)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, a few requests")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.clients, args.down, args.deployments, args.alerts = 9, 3, 2, 2, 20

    from api.auth import issue_token
    from bench.api import seed, serve
    from runtime.settings import Settings
    from tests.scenario import OPERATOR
    from tests.support.broker import free_port

    data_dir = Path(tempfile.mkdtemp(prefix="lfr-bench-mixed-"))
    try:
        with own_cluster() as cluster:
            settings = Settings(database_url=cluster.url(), data_dir=data_dir)
            print(
                f"seeding {args.deployments} deployments, {args.alerts} alerts...", file=sys.stderr
            )
            published, pending = seed(settings, args.deployments, args.alerts)
            port = free_port()
            env = {**os.environ, "LFR_DATABASE_URL": cluster.url(), "LFR_DATA_DIR": str(data_dir)}
            process = serve(env, port)
            try:
                token = issue_token(settings.secret("token_secret"), OPERATOR.id, ["operator"])
                operator = {"Authorization": f"Bearer {token}"}
                requests = Requests(published, pending, operator)
                run = load(f"http://127.0.0.1:{port}", requests, cluster, args)
            finally:
                process.terminate()
                process.wait(15)
        for line in summarise(run, args.seconds, args.clients, args.down):
            print(line)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
