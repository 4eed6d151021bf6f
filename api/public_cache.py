"""Rendered public answers: the register is public and read by many at once, and a row
changes only when its deployment does. Each answer is rebuilt at most once per `ttl_s`, in the
background: readers get the last rendering at once (never older than `ttl_s` plus one build),
and only the very first reader of a key waits for its build."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PublicCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._answers: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._refreshing: set[str] = set()
        self._guard = threading.Lock()

    def peek(self, key: str, build: Callable[[], bytes]) -> bytes | None:
        """The last rendering of `key`, refreshed in the background when it is stale."""
        hit = self._answers.get(key)
        if hit is None:
            return None
        if time.monotonic() - hit[0] >= self.ttl_s:
            self._refresh_in_background(key, build)
        return hit[1]

    def get(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The answer for `key`, building it now if there is none (one builder per key)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._answers.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
            answer = build()
            self._answers[key] = (time.monotonic(), answer)
            return answer

    def _refresh_in_background(self, key: str, build: Callable[[], bytes]) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def refresh() -> None:
            try:
                self.get(key, build)
            except Exception:  # noqa: BLE001 - a failed refresh keeps the last answer
                pass
            finally:
                with self._guard:
                    self._refreshing.discard(key)

        threading.Thread(target=refresh, name=f"refresh {key}", daemon=True).start()
