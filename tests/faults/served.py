"""`lfr api` as a separate process, as an operator runs it, for the fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from runtime.settings import Settings
from tests.api.process import tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A running `lfr api`: its process, base URL, a token per role and its log."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path, secret: bytes):
        self.process = process
        self.url = url
        self.log = log
        self.headers = tokens(secret)

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextmanager
def served_api(database_url: str, data_dir: Path, **env: str) -> Iterator[Served]:
    """`lfr api` on `database_url`, started and ready to answer; killed at the end if the
    test did not stop it."""
    settings = Settings(database_url=database_url, data_dir=data_dir)
    secret = settings.secret("token_secret")  # made here, read by the server from data_dir
    port = free_port()
    log = data_dir / "api.log"
    environment = {
        **os.environ,
        "LFR_DATABASE_URL": database_url,
        "LFR_DATA_DIR": str(data_dir),
        "LFR_ENV": "development",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "api", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, f"http://127.0.0.1:{port}", log, secret)
    try:
        _wait_ready(served)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        sys.stderr.write(served.log_text()[-3000:])


def _wait_ready(served: Served, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    with served.client(timeout=5) as client:
        while True:
            try:
                if client.get("/openapi.json").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if served.process.poll() is not None:
                raise AssertionError(f"lfr api exited: {served.log_text()}")
            if time.monotonic() > deadline:
                raise AssertionError("lfr api did not start")
            time.sleep(0.2)
