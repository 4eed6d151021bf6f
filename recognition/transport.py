"""Where the worker's events go: Kafka in production and tests, an in-process broker
in the embedded default. Both are keyed by deployment id."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Protocol

from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, MatchEvent

Event = MatchEvent | FacesSeenCount


def topic_of(event: Event) -> str:
    """The topic an event belongs on."""
    return MATCHES_TOPIC if isinstance(event, MatchEvent) else FACES_SEEN_TOPIC


class EventSink(Protocol):
    """Accepts the worker's events; `flush` returns once every event is delivered."""

    def send(self, event: Event) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class KafkaSink:
    """Kafka producer: idempotent, acks=all, keyed by deployment id."""

    def __init__(self, bootstrap: str, timeout_s: float = 10.0) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        config: dict[str, object] = {"bootstrap_servers": bootstrap, "acks": "all"}
        # Idempotence stops a retried send from writing the message twice.
        if "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG:
            config["enable_idempotence"] = True
        try:
            self._producer = KafkaProducer(**config, request_timeout_ms=int(timeout_s * 1000))
        except KafkaError as error:
            raise ConnectionError(f"cannot reach Kafka at {bootstrap}: {error}") from error
        self._timeout = timeout_s

    def send(self, event: Event) -> None:
        self._producer.send(
            topic_of(event), key=event.deployment_id.encode(), value=event.to_json()
        )

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

    def __init__(self, maxsize: int = 10_000) -> None:
        self._queue: queue.Queue[Delivered] = queue.Queue(maxsize=maxsize)

    def publish(self, event: Event, timeout_s: float = 5.0) -> None:
        """Enqueue one event; raises `queue.Full` when nobody reads for `timeout_s`."""
        message = Delivered(topic_of(event), event.deployment_id.encode(), event.to_json())
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


def sink_from_settings(kafka_bootstrap: str, broker: InProcessBroker | None = None) -> EventSink:
    """Kafka when a bootstrap address is configured, else the given in-process broker."""
    if kafka_bootstrap:
        return KafkaSink(kafka_bootstrap)
    if broker is None:
        raise ValueError("no Kafka bootstrap configured and no in-process broker given")
    return broker.sink()
