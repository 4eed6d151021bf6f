"""Where the worker's events go: Kafka in production and tests, an in-process broker
in the embedded default. Both key a match by its deployment, camera and track, and a count
by its deployment and camera (`partition_key`), and both carry a match's probe
crop only sealed to the ingest's public key, and every message attested by the worker's
token (recognition/credential.py).

Topics are never auto-created: `create_topics` (run by the ingest at start) makes them with
the configured partitions and retention, and a `KafkaSink` refuses to start without them."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from recognition.credential import Attester
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, MatchEvent
from recognition.sealing import ProbeSealer

Event = MatchEvent | FacesSeenCount
TOPICS = (MATCHES_TOPIC, FACES_SEEN_TOPIC)


def topic_of(event: Event) -> str:
    """The topic an event belongs on."""
    return MATCHES_TOPIC if isinstance(event, MatchEvent) else FACES_SEEN_TOPIC


def partition_key(event: Event) -> bytes:
    """What Kafka partitions by: a track's matches (and a camera's counts) stay in order on one
    partition, while one deployment's tracks spread over the partitions, which several ingest
    processes then share (`lfr ingest --processes N`)."""
    parts = [event.deployment_id, event.camera_id]
    if isinstance(event, MatchEvent):
        parts.append(event.track_id)
    return ":".join(parts).encode()


def wire_form(event: Event, sealer: ProbeSealer, credential: Attester) -> bytes:
    """The bytes that leave the worker: a match's crop sealed, a count as it is, each
    attested by the worker's credential."""
    if isinstance(event, MatchEvent):
        return event.to_json(sealer, credential)
    return event.to_json(credential)


@dataclass(frozen=True)
class TopicPlan:
    """How the system's topics are made: partitions, replicas, retention."""

    partitions: int = 3
    replication: int = 1
    retention_hours: float = 24.0

    @classmethod
    def from_settings(cls, settings: Any) -> TopicPlan:
        return cls(
            settings.kafka_partitions, settings.kafka_replication, settings.kafka_retention_hours
        )

    def configs(self) -> dict[str, str]:
        # Delete (never compact) after the retention: a sealed crop is not kept for ever.
        retention_ms = int(self.retention_hours * 3600 * 1000)
        return {"retention.ms": str(retention_ms), "cleanup.policy": "delete"}


Security = Mapping[str, Any]  # kafka-python's TLS and SASL settings (Settings.kafka_security)


def _admin(bootstrap: str, security: Security | None = None) -> Any:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=10_000, **(security or {})
        )
    except KafkaError as error:
        raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {error}") from error


def missing_topics(
    bootstrap: str, topics: Sequence[str] = TOPICS, security: Security | None = None
) -> list[str]:
    """The topics not on the broker (asked without making them: a producer's metadata
    request may auto-create a topic on brokers that allow it)."""
    admin = _admin(bootstrap, security)
    try:
        present = set(admin.list_topics())
    finally:
        admin.close()
    return [t for t in topics if t not in present]


def create_topics(
    bootstrap: str,
    plan: TopicPlan,
    topics: Sequence[str] = TOPICS,
    security: Security | None = None,
) -> list[str]:
    """Creates the topics that are missing; returns the names it created."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = _admin(bootstrap, security)
    try:
        missing = [t for t in topics if t not in set(admin.list_topics())]
        created = []
        for name in missing:
            topic = NewTopic(name, plan.partitions, plan.replication, topic_configs=plan.configs())
            with contextlib.suppress(TopicAlreadyExistsError):  # another ingest made it
                admin.create_topics([topic])
                created.append(name)
        return created
    finally:
        admin.close()


class EventSink(Protocol):
    """Accepts the worker's events; `flush` returns once every event is delivered."""

    def send(self, event: Event) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class KafkaSink:
    """Kafka producer: idempotent, acks=all, keyed by `partition_key`, crops sealed."""

    def __init__(
        self,
        bootstrap: str,
        sealer: ProbeSealer,
        credential: Attester,
        timeout_s: float = 10.0,
        security: Security | None = None,
    ) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        config: dict[str, object] = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "allow_auto_create_topics": False,
            **(security or {}),
        }
        # Idempotence stops a retried send from writing the message twice.
        if "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG:
            config["enable_idempotence"] = True
        try:
            missing = missing_topics(bootstrap, security=security)
            if missing:
                raise ConnectionError(
                    f"Kafka at {bootstrap} has no topic {missing[0]!r}: start `lfr ingest`, "
                    "which creates the topics"
                )
            self._producer = KafkaProducer(**config, request_timeout_ms=int(timeout_s * 1000))
        except KafkaError as error:
            raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {error}") from error
        self._sealer = sealer
        self._credential = credential
        self._timeout = timeout_s

    def send(self, event: Event) -> None:
        value = wire_form(event, self._sealer, self._credential)
        self._producer.send(topic_of(event), key=partition_key(event), value=value)

    def flush(self) -> None:
        self._producer.flush(timeout=self._timeout)

    def close(self) -> None:
        self._producer.close(timeout=self._timeout)


@dataclass(frozen=True)
class Delivered:
    """One message as the in-process broker hands it to a reader."""

    topic: str
    key: bytes
    value: bytes


class InProcessBroker:
    """A bounded queue standing in for Kafka in the embedded default.

    `sink()` gives the worker's side; the in-process ingest calls `poll()`. When the
    queue is full the worker blocks briefly and then fails loudly rather than growing
    without bound or dropping an alert silently.
    """

    def __init__(self, sealer: ProbeSealer, credential: Attester, maxsize: int = 10_000) -> None:
        self._queue: queue.Queue[Delivered] = queue.Queue(maxsize=maxsize)
        self._sealer = sealer
        self._credential = credential

    def publish(self, event: Event, timeout_s: float = 5.0) -> None:
        """Enqueue one event; raises `queue.Full` when nobody reads for `timeout_s`."""
        value = wire_form(event, self._sealer, self._credential)
        message = Delivered(topic_of(event), partition_key(event), value)
        self._queue.put(message, timeout=timeout_s)

    def poll(self, max_messages: int = 500, timeout_s: float = 0.0) -> list[Delivered]:
        """Up to `max_messages` waiting messages, waiting up to `timeout_s` for the first."""
        messages: list[Delivered] = []
        try:
            messages.append(
                self._queue.get(timeout=timeout_s) if timeout_s else self._queue.get_nowait()
            )
            while len(messages) < max_messages:
                messages.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return messages

    def sink(self) -> InProcessSink:
        return InProcessSink(self)


class InProcessSink:
    """The worker's side of an `InProcessBroker`."""

    def __init__(self, broker: InProcessBroker) -> None:
        self.broker = broker

    def send(self, event: Event) -> None:
        self.broker.publish(event)

    def flush(self) -> None:
        """Nothing is buffered on this side."""

    def close(self) -> None:
        """The broker outlives the sink: the ingest may still be reading."""
