"""`lfr ingest`: read the worker's topics from Kafka and store them through `ingest_batch`.

Partitions are assigned explicitly (no consumer group: offsets live in the database, in
the same transaction as the events, and group joins are slow on some brokers). On start
each partition is positioned just after the offset the database holds for it.

The ingest creates the topics it reads when they are missing (partitions and retention
from the settings), and before trusting stored offsets it checks that the broker's log is
the one they came from (services/broker_log.py); it checks again whenever the broker
reports another topic id or an offset out of range while it runs, so a reset broker's new
messages are never skipped silently.

Several ingest processes share the partitions (`Share`): process i of n reads the partitions p
with p % n == i, so each partition, and so each message, has one reader; as the offsets of a
partition are stored with its events, the processes need no coordination beyond the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import ConcurrentChange
from recognition.transport import TOPICS, TopicPlan, create_topics
from services.broker_log import LogView, ResetPolicy, bind
from services.ingest import IngestReport, IngestService, Message, ingest_batch
from services.outages import database_unavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Share:
    """Which partitions one of several ingest processes reads: p % count == index."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"share {self.index}/{self.count}: not a share of {self.count}")

    @classmethod
    def parse(cls, text: str) -> Share:
        """`I/N`: the I-th (from 0) of N processes."""
        index, slash, count = text.partition("/")
        try:
            return cls(int(index), int(count))
        except ValueError:
            raise ValueError(f"{text!r} is not I/N with 0 <= I < N") from None

    def covers(self, partition: int) -> bool:
        return partition % self.count == self.index


class LogChanged(Exception):
    """The broker's log changed under a running ingest: positions must be checked again."""


class KafkaIngest:
    """The consume-store loop over every partition of the worker's topics."""

    def __init__(
        self,
        ingest: IngestService,
        bootstrap: str,
        topics: Sequence[str] = TOPICS,
        max_records: int = 1000,
        plan: TopicPlan | None = None,
        policy: ResetPolicy = ResetPolicy.EARLIEST,
        security: Mapping[str, Any] | None = None,
        database_wait_s: float = 300.0,
        share: Share | None = None,
    ) -> None:
        from kafka import KafkaConsumer
        from kafka.errors import KafkaError

        self.ingest = ingest
        self._reader_error: Exception | None = None
        self.topics = tuple(topics)
        self.bootstrap = bootstrap
        self.plan = plan or TopicPlan()
        self.policy = policy
        self.database_wait_s = database_wait_s
        self.share = share or Share()
        self._topic_ids: dict[str, str] = {}
        self.security = dict(security or {})
        try:
            self.consumer = KafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=None,
                enable_auto_commit=False,
                # Never move a position silently: an offset out of range raises, and the
                # ingest checks which log it is reading (services/broker_log.py).
                auto_offset_reset="none",
                allow_auto_create_topics=False,
                metadata_max_age_ms=5_000,  # a recreated topic's new id shows within seconds
                max_poll_records=max_records,
                fetch_max_wait_ms=100,
                # Fewer, larger fetches (a page of 1,000 alerts with their crops is 4-5 MB):
                # each fetch has a cost on the broker beyond the bytes it carries.
                max_partition_fetch_bytes=8 * 1024 * 1024,
                request_timeout_ms=30_000,
                **self.security,
            )
        except KafkaError as error:
            raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {error}") from error
        self._assign()

    def _assign(self, timeout_s: float = 30.0) -> None:
        """Creates missing topics, checks each is the log its offsets came from, seeks."""
        from kafka import TopicPartition

        create_topics(self.bootstrap, self.plan, self.topics, self.security)
        partitions: list[TopicPartition] = []
        starts: dict[TopicPartition, int] = {}
        for topic in self.topics:
            view = self._view(topic, timeout_s)
            mine = list(filter(self.share.covers, sorted(view.end)))
            try:
                resume = bind(self.ingest, view, self.policy, mine)
            except ConcurrentChange:  # another ingest bound it at the same moment: read theirs
                resume = bind(self.ingest, view, self.policy, mine)
            self._topic_ids[topic] = view.topic_id
            for partition in mine:
                tp = TopicPartition(topic, partition)
                starts[tp] = resume[partition]
                partitions.append(tp)
        self.consumer.assign(partitions)
        for tp, offset in starts.items():
            self.consumer.seek(tp, offset)

    def _view(self, topic: str, timeout_s: float) -> LogView:
        from kafka import TopicPartition

        deadline = time.monotonic() + timeout_s
        ids = self.consumer.partitions_for_topic(topic)
        while not ids and time.monotonic() < deadline:
            time.sleep(0.2)  # just created: the metadata may lag
            self.consumer._client.cluster.request_update()
            ids = self.consumer.partitions_for_topic(topic)
        if not ids:
            raise ConnectionError(f"Kafka has no topic {topic!r}")
        tps = [TopicPartition(topic, p) for p in sorted(ids)]
        first, end = self.consumer.beginning_offsets(tps), self.consumer.end_offsets(tps)
        return LogView(
            topic,
            str(getattr(self.consumer._client.cluster, "cluster_id", None) or ""),
            self._topic_id(topic),
            {tp.partition: int(first[tp]) for tp in tps},
            {tp.partition: int(end[tp]) for tp in tps},
        )

    def _topic_id(self, topic: str) -> str:
        """The topic's id from the last metadata ("" when the broker or client gives none)."""
        lookup = getattr(self.consumer._client.cluster, "topic_id", None)
        return str(lookup(topic) or "") if lookup is not None else ""

    def _log_changed(self) -> bool:
        """Whether the broker now reports another topic id (or none) for a bound topic."""
        return any(bound and self._topic_id(t) != bound for t, bound in self._topic_ids.items())

    def read(self, timeout_ms: int = 200) -> list[Message]:
        """What is waiting on the broker (up to max_records), in offset order per partition.

        Raises `LogChanged` when the broker's log is not the one the positions belong to."""
        from kafka.errors import OffsetOutOfRangeError

        try:
            records = self.consumer.poll(timeout_ms=timeout_ms)
        except OffsetOutOfRangeError as error:
            raise LogChanged(f"offset out of range: {error}") from None
        if self._log_changed():
            raise LogChanged("the broker reports another topic id")
        return [
            Message(r.topic, r.partition, r.offset, r.value or b"", r.key)
            for batch in records.values()
            for r in batch
        ]

    def recheck(self) -> None:
        """After `LogChanged`: check the logs again and resume by the policy."""
        log.warning("Kafka's log changed under the ingest: checking the topics again")
        self._assign()

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
        """Consumes until `stop` is set (or nothing arrived for `idle_exit_s`).

        When the broker's log changes under it, the pages read ahead are dropped (nothing
        of them is stored), the logs are checked again, and reading resumes by the policy."""
        total = IngestReport()
        while True:
            try:
                self._run_pages(stop, total, idle_exit_s, progress)
                return total
            except LogChanged:
                self._recheck_until_reachable(stop)

    def _recheck_until_reachable(self, stop: threading.Event) -> None:
        from kafka.errors import KafkaError

        while not stop.is_set():
            try:
                self.recheck()
                return
            except (ConnectionError, KafkaError) as error:  # the broker is still restarting
                log.warning("Kafka not ready, trying again: %s", error)
                stop.wait(1.0)

    def _run_pages(
        self,
        stop: threading.Event,
        total: IngestReport,
        idle_exit_s: float | None,
        progress: Callable[[IngestReport], Any] | None,
    ) -> None:
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
            if messages and self._log_changed():
                raise LogChanged("the broker reports another topic id")
            report = self._store(stop, messages) if messages else IngestReport()
            if report.messages or report.already_stored:
                last_message = time.monotonic()
                total.add(report)
                if progress:
                    progress(total)
                for topic, partition, offset, reason in report.rejected:
                    log.warning("rejected %s[%d]@%d: %s", topic, partition, offset, reason)
            elif idle_exit_s is not None and time.monotonic() - last_message > idle_exit_s:
                break

    def _store(self, stop: threading.Event, messages: list[Message]) -> IngestReport:
        """Stores a page; while the database is out of reach, waits with backoff and tries
        again, for up to `database_wait_s` in all, then gives up (raises).

        A retry neither loses nor duplicates: the offsets are stored in the transaction of
        the events, so what a failed call did store is skipped, and the rest is stored. On a
        stop while waiting nothing more is stored: the next start resumes from the offsets."""
        deadline, delay = time.monotonic() + self.database_wait_s, 0.5
        while True:
            try:
                return ingest_batch(self.ingest, messages)
            except Exception as error:
                left = deadline - time.monotonic()
                if not database_unavailable(error) or left <= 0:
                    raise
                reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
                log.warning(
                    "the database is not available (%s): trying again in %.1f s "
                    "(giving up in %.0f s)",
                    reason or type(error).__name__,
                    delay,
                    left,
                )
            if stop.wait(delay):
                return IngestReport()
            delay = min(delay * 2, 10.0)

    def close(self) -> None:
        self.consumer.close()
