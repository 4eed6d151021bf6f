"""Rendered public answers, kept for `PUBLIC_STALENESS_S`: the register is public and read
by many at once, and a row changes only when its deployment does, so each answer is built
once per second at most (one builder per key; the others wait for its result)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PublicCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._answers: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, build: Callable[[], bytes]) -> bytes:
        hit = self._answers.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._answers.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
            answer = build()
            self._answers[key] = (time.monotonic(), answer)
            return answer
