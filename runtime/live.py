"""A live deployment in one process (the embedded default): the worker, the in-process broker
and the ingest draining it into the store while the frames are processed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from recognition.transport import InProcessBroker
from runtime.bootstrap import Services, open_ingest
from runtime.worker import recognise
from runtime.worker_token import worker_credential
from services.ingest import drain_broker
from services.worker_link import DomainWatchlistProvider

T = TypeVar("T")


def run_worker_in_process(
    services: Services,
    deployment: UUID,
    source: Any,
    camera_id: str = "camera-1",
    engine: Any = None,
) -> dict[str, Any]:
    """Runs the worker over `source` (a path, URL or VideoSource); its match and faces-seen
    events reach the store as they come. Returns the worker's totals."""
    return run_cameras_in_process(services, deployment, [(source, camera_id, engine)])[0]


def run_cameras_in_process(
    services: Services, deployment: UUID, cameras: Sequence[tuple[Any, str, Any]]
) -> list[dict[str, Any]]:
    """Runs one worker per `(source, camera id, engine)`, side by side in threads, into one
    in-process broker and ingest. Returns each camera's totals, in the order given."""
    ingest = open_ingest(services.settings, services)
    # In one process too, the crops the worker emits are sealed to the ingest's key.
    # ... and every message attested by the worker's token, which the ingest checks.
    credential = worker_credential(services.settings, str(deployment), [c for _, c, _ in cameras])
    broker = InProcessBroker(ingest.probe_keys.sealer, credential)
    done = threading.Event()

    def drain_until_done() -> None:
        while not done.wait(0.1):
            drain_broker(ingest, broker)
        drain_broker(ingest, broker)

    def camera(source: Any, camera_id: str, engine: Any) -> dict[str, Any]:
        stats = recognise(
            services.settings,
            DomainWatchlistProvider(services.lfr, camera_id),
            broker.sink(),
            str(deployment),
            source if not hasattr(source, "is_file") else str(source),
            camera_id,
            engine,
        )
        return dict(stats.summary())

    drainer = threading.Thread(target=drain_until_done, name="in-process-ingest", daemon=True)
    drainer.start()
    try:
        return side_by_side([partial(camera, *spec) for spec in cameras])
    finally:
        done.set()
        drainer.join()


def side_by_side(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Each job in its own thread (one per camera: detection and embedding release the GIL);
    their results in order, or the first job's error once all have stopped."""
    if len(jobs) == 1:
        return [jobs[0]()]
    with ThreadPoolExecutor(len(jobs), thread_name_prefix="camera") as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]
