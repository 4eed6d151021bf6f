"""`lfr ingest`: the worker's Kafka topics into the store, offsets kept with the events."""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
import time
from typing import Any

from adapters.heartbeat import Heartbeat, heartbeat_path
from adapters.kafka_ingest import KafkaIngest, Share
from ledger.schedule import start_checkpointing
from recognition.transport import TopicPlan
from runtime.bootstrap import open_ingest
from runtime.ledger_wiring import open_ledger
from runtime.settings import Settings
from services.broker_log import BrokerLogChangedError, ResetPolicy
from services.errors import UserError
from services.ingest import IngestReport


def _warnings_to_stderr(prefix: str) -> None:
    """The ingest's own warnings (a broker log that changed, rejected messages), one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{prefix}: %(message)s"))
    for name in ("services.broker_log", "adapters.kafka_ingest"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def _report_health(
    consumer: Any, heartbeat: Any, stored: dict[str, float], stop: threading.Event
) -> None:
    """Every few seconds: the consumer's lag behind the topics (Kafka's own fetch metric)
    and when messages were last stored, for the container's readiness check."""
    while True:
        try:
            fetch = consumer.consumer.metrics().get("consumer-fetch-manager-metrics", {})
            lag = fetch.get("records-lag-max")
        except Exception:  # the metric is advisory; the check then goes by stored_at
            lag = None
        known = isinstance(lag, int | float) and math.isfinite(lag) and lag >= 0
        heartbeat.beat({"lag": int(lag) if known else None, **stored}, force=True)
        if stop.wait(heartbeat.every_s):
            return


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Consumes until SIGINT or SIGTERM; a restart resumes after the stored offsets.

    `--processes N` runs N processes over the partitions (cli/commands/ingest_processes.py);
    `--share I/N` is one of them."""
    if not settings.kafka_bootstrap:
        raise UserError(
            "LFR_KAFKA_BOOTSTRAP is not set: without Kafka the embedded default "
            "ingests in-process (lfr demo)"
        )
    if getattr(args, "processes", 1) > 1:
        from cli.commands.ingest_processes import supervise

        return supervise(settings, args.processes)
    share = Share(*args.share) if getattr(args, "share", None) else Share()
    return _consume(settings, share)


def _consume(settings: Settings, share: Share) -> int:
    several = share.count > 1
    prefix = f"ingest {share.index}/{share.count}" if several else "ingest"
    _warnings_to_stderr(prefix)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    ingest = open_ingest(settings)
    policy = ResetPolicy(settings.kafka_reset_policy)
    try:
        consumer = KafkaIngest(
            ingest,
            settings.kafka_bootstrap,
            plan=TopicPlan.from_settings(settings),
            policy=policy,
            security=settings.kafka_security(),
            database_wait_s=settings.ingest_database_wait_s,
            share=share,
        )
    except (ConnectionError, BrokerLogChangedError) as error:
        ingest.close()
        raise UserError(str(error)) from None

    name = f"ingest-{share.index}" if several else "ingest"
    heartbeat = Heartbeat(heartbeat_path(settings.data_dir, name))
    stored = {"messages": 0, "stored_at": time.time()}

    def progress(total: IngestReport) -> Any:
        stored.update(messages=total.messages, stored_at=time.time())
        print(
            f"{prefix}: {total.alerts} alerts, {total.tallies} tallies, "
            f"{len(total.rejected)} rejected",
            file=sys.stderr,
            flush=True,
        )

    # What is ingested is covered by a signed, published checkpoint within the interval
    # (an in-memory store lives and dies with its process: nothing to publish for it);
    # of several processes the first one publishes them.
    checkpoints = settings.store.kind != "memory" and share.index == 0
    ledger = open_ledger(settings) if checkpoints else None
    stop_checkpoints = threading.Event()
    if ledger is not None:
        _, stop_checkpoints = start_checkpointing(ledger, settings.ledger_checkpoint_interval_s)
    beating = threading.Thread(
        target=_report_health, args=(consumer, heartbeat, stored, stop), daemon=True
    )
    beating.start()
    print(f"{prefix}: reading {settings.kafka_bootstrap}", file=sys.stderr, flush=True)
    try:
        consumer.run(stop, progress=progress)
    except BrokerLogChangedError as error:
        raise UserError(str(error)) from None
    finally:
        stop_checkpoints.set()
        consumer.close()
        ingest.close()
        if ledger is not None:
            ledger.close()
    return 0
