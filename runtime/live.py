"""A live deployment in one process (the embedded default): the worker, the in-process broker
and the ingest draining it into the store while the frames are processed."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from recognition.transport import InProcessBroker
from runtime.bootstrap import Services, open_ingest
from runtime.worker import recognise
from services.ingest import drain_broker
from services.worker_link import DomainWatchlistProvider


def run_worker_in_process(
    services: Services,
    deployment: UUID,
    source: Any,
    camera_id: str = "camera-1",
    engine: Any = None,
) -> dict[str, Any]:
    """Runs the worker over `source` (a path, URL or VideoSource); its match and faces-seen
    events reach the store as they come. Returns the worker's totals."""
    ingest = open_ingest(services.settings, services)
    # In one process too, the crops the worker emits are sealed to the ingest's key.
    broker = InProcessBroker(ingest.probe_keys.sealer)
    done = threading.Event()

    def drain_until_done() -> None:
        while not done.wait(0.1):
            drain_broker(ingest, broker)
        drain_broker(ingest, broker)

    drainer = threading.Thread(target=drain_until_done, name="in-process-ingest", daemon=True)
    drainer.start()
    try:
        stats = recognise(
            services.settings,
            DomainWatchlistProvider(services.lfr, camera_id),
            broker.sink(),
            str(deployment),
            source if not hasattr(source, "is_file") else str(source),
            camera_id,
            engine,
        )
    finally:
        done.set()
        drainer.join()
    return dict(stats.summary())
