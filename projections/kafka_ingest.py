"""`lfr ingest`: read the worker's topics from Kafka and store them through `ingest_batch`.

Partitions are assigned explicitly (no consumer group: offsets live in the database, in
the same transaction as the events, and group joins are slow on some brokers). On start
each partition is positioned just after the offset the database holds for it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from projections.ingest import IngestReport, IngestService, Message, ingest_batch
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC

log = logging.getLogger(__name__)
TOPICS = (MATCHES_TOPIC, FACES_SEEN_TOPIC)


class KafkaIngest:
    """The consume-store loop over every partition of the worker's topics."""

    def __init__(
        self,
        ingest: IngestService,
        bootstrap: str,
        topics: Sequence[str] = TOPICS,
        max_records: int = 1000,
    ) -> None:
        from kafka import KafkaConsumer
        from kafka.errors import KafkaError

        self.ingest = ingest
        self._reader_error: Exception | None = None
        self.topics = tuple(topics)
        try:
            self.consumer = KafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=max_records,
                fetch_max_wait_ms=100,
                request_timeout_ms=30_000,
            )
        except KafkaError as error:
            raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {error}") from error
        self._assign()

    def _assign(self, timeout_s: float = 30.0) -> None:
        from kafka import TopicPartition

        deadline = time.monotonic() + timeout_s
        partitions: list[TopicPartition] = []
        for topic in self.topics:
            ids = self.consumer.partitions_for_topic(topic)
            while not ids and time.monotonic() < deadline:
                time.sleep(0.2)  # the topic may not exist yet: the worker creates it
                ids = self.consumer.partitions_for_topic(topic)
            if not ids:
                raise ConnectionError(f"Kafka has no topic {topic!r}")
            partitions += [TopicPartition(topic, p) for p in sorted(ids)]
        self.consumer.assign(partitions)
        for tp in partitions:
            stored = self.ingest.offset(tp.topic, tp.partition)
            if stored is None:
                self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, stored + 1)

    def read(self, timeout_ms: int = 200) -> list[Message]:
        """What is waiting on the broker (up to max_records), in offset order per partition."""
        records = self.consumer.poll(timeout_ms=timeout_ms)
        return [
            Message(r.topic, r.partition, r.offset, r.value or b"", r.key)
            for batch in records.values()
            for r in batch
        ]

    def poll_once(self, timeout_ms: int = 200) -> IngestReport:
        """Reads what is waiting and stores it; returns what it stored."""
        messages = self.read(timeout_ms)
        return ingest_batch(self.ingest, messages) if messages else IngestReport()

    def _read_ahead(self, stop: threading.Event, pages: queue.Queue[list[Message]]) -> None:
        # Reading the next batch while the last one is stored: the two costs overlap.
        # Nothing read ahead is lost on a crash: the stored offsets say where to resume.
        try:
            while not stop.is_set():
                messages = self.read()
                while messages and not stop.is_set():
                    try:
                        pages.put(messages, timeout=0.2)
                        messages = []
                    except queue.Full:
                        continue
        except Exception as error:  # the store loop reports it
            self._reader_error = error
            stop.set()

    def run(
        self,
        stop: threading.Event,
        idle_exit_s: float | None = None,
        progress: Callable[[IngestReport], Any] | None = None,
    ) -> IngestReport:
        """Consumes until `stop` is set (or nothing arrived for `idle_exit_s`)."""
        total = IngestReport()
        halt = threading.Event()
        pages: queue.Queue[list[Message]] = queue.Queue(maxsize=3)
        self._reader_error = None
        reader = threading.Thread(target=self._read_ahead, args=(halt, pages), daemon=True)
        reader.start()
        try:
            self._store_pages(stop, halt, pages, total, idle_exit_s, progress)
        finally:
            halt.set()
            reader.join()
        if self._reader_error is not None:
            raise self._reader_error
        return total

    def _store_pages(
        self,
        stop: threading.Event,
        halt: threading.Event,
        pages: queue.Queue[list[Message]],
        total: IngestReport,
        idle_exit_s: float | None,
        progress: Callable[[IngestReport], Any] | None,
    ) -> None:
        last_message = time.monotonic()
        while not stop.is_set() and not halt.is_set():
            try:
                messages = pages.get(timeout=0.2)
            except queue.Empty:
                messages = []
            report = ingest_batch(self.ingest, messages) if messages else IngestReport()
            if report.messages or report.already_stored:
                last_message = time.monotonic()
                total.add(report)
                if progress:
                    progress(total)
                for topic, partition, offset, reason in report.rejected:
                    log.warning("rejected %s[%d]@%d: %s", topic, partition, offset, reason)
            elif idle_exit_s is not None and time.monotonic() - last_message > idle_exit_s:
                break

    def close(self) -> None:
        self.consumer.close()
