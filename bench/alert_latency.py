"""Alert latency: from the frame in which the sought person's face is processed to the alert
appearing in the operator's queue, p50 and p95 (target p95 < 1 s).

Production shape on one machine: the recognition worker (this process) sends match events to
the Kafka-protocol broker (Tansu, loopback), `lfr ingest` (its own process) stores them in
PostgreSQL with the ledger, and the operator's queue (the read models the API serves) is
polled every 50 ms. Real faces: the sought person walks past the camera N times.

    python -m bench.alert_latency [--passages 10] [--faces ../shared/faces/dev] [--smoke]

`--smoke` walks two passages: a check that the whole path runs, in seconds, not a figure.
PostgreSQL: LFR_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.common import machine, postgres_schema
from cli.sample import walk_past_video
from domain.alert import Alert
from recognition.events import MatchEvent
from recognition.transport import KafkaSink
from recognition.worker import RecognitionWorker
from runtime.bootstrap import open_services
from runtime.probe_keys import worker_sealer
from runtime.settings import Settings
from runtime.worker import recognise
from runtime.worker_token import worker_credential
from services.worker_link import DomainWatchlistProvider
from tests.support.broker import Broker
from tests.support.faces import photos
from tests.support.live import PEOPLE, live_deployment

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces" / "dev"


class TimedSink:
    """Records, per match, when the worker began processing the frame that produced it."""

    def __init__(self, inner: KafkaSink) -> None:
        self.inner = inner
        self.frame_started: dict[str, float] = {}
        self.current_frame_start = 0.0

    def send(self, event: Any) -> None:
        if isinstance(event, MatchEvent):
            self.frame_started[str(Alert.create_id(match_id=event.event_id))] = (
                self.current_frame_start
            )
        self.inner.send(event)
        if isinstance(event, MatchEvent):
            self.inner.flush()  # a camera's worker sends each alert at once

    def flush(self) -> None:
        self.inner.flush()

    def close(self) -> None:
        self.inner.close()


def watch_queue(
    models: Any, deployment: UUID, seen: dict[str, float], stop: threading.Event
) -> None:
    while not stop.is_set():
        models.catch_up()
        now = time.perf_counter()
        for row in models.alert_queue(deployment, pending_only=False):
            seen.setdefault(str(row["alert_id"]), now)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10)
    parser.add_argument("--faces", type=Path, default=FACES)
    parser.add_argument("--smoke", action="store_true", help="2 passages: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.passages = 2
    from runtime.bootstrap import open_read_models

    broker = Broker().start()
    broker.create_topics("lfr.matches", "lfr.faces-seen")
    with postgres_schema() as url, tempfile.TemporaryDirectory() as scratch:
        settings = Settings(database_url=url, data_dir=Path(scratch))
        services = open_services(settings)
        deployment = live_deployment(services, args.faces)
        video = walk_past_video(
            Path(scratch) / "walk.avi", [photos(args.faces, PEOPLE[0])[1]] * args.passages
        )
        env = {
            **os.environ,
            "LFR_DATABASE_URL": url,
            "LFR_DATA_DIR": scratch,
            "LFR_KAFKA_BOOTSTRAP": broker.bootstrap,
        }
        ingest = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "ingest"], env=env, stderr=subprocess.DEVNULL
        )
        models = open_read_models(settings, services)
        seen: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch_queue, args=(models, deployment, seen, stop))
        watcher.start()
        credential = worker_credential(settings, str(deployment), "camera-1")
        sink = TimedSink(KafkaSink(broker.bootstrap, worker_sealer(settings), credential))
        process = RecognitionWorker.process

        def timed_process(worker: RecognitionWorker, frame: Any) -> None:
            sink.current_frame_start = time.perf_counter()
            process(worker, frame)

        RecognitionWorker.process = timed_process  # type: ignore[method-assign]
        try:
            recognise(
                settings, DomainWatchlistProvider(services.lfr), sink, str(deployment), str(video)
            )
            deadline = time.perf_counter() + 30
            while set(sink.frame_started) - set(seen) and time.perf_counter() < deadline:
                time.sleep(0.05)
        finally:
            RecognitionWorker.process = process  # type: ignore[method-assign]
            stop.set()
            watcher.join()
            ingest.terminate()
            ingest.wait(20)
            sink.close()
            broker.stop()
    latencies = sorted(seen[a] - t for a, t in sink.frame_started.items() if a in seen)
    missing = len(sink.frame_started) - len(latencies)
    print(f"machine: {machine()}")
    print(f"alerts: {len(sink.frame_started)} raised by the worker, {missing} not in the queue")
    if len(latencies) >= 2:
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
        print(
            f"frame to operator's queue: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
