"""Rendered public answers, rebuilt once per change of the public register.

The register is public and read by many at once, and it changes only when a public event
is recorded (a notice, a register entry, an amendment). So every answer is kept with the
position of the latest public event it was built at (`head`). One check of the head, by
one thread and at most every `interval_s`, decides for all answers at once: while the head
is unchanged, readers are answered from memory, whatever the number of rows and keys; when
it moves, each answer is rebuilt by the first reader that asks for it, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Answers kept at most (one per row and per filter asked for): past it, all are dropped.
MAX_ANSWERS = 20_000


class PublicCache:
    def __init__(self, head: Callable[[], int], interval_s: float) -> None:
        self._read_head = head
        self.interval_s = interval_s
        self._head: int | None = None
        self._checked_at = float("-inf")
        self._answers: dict[str, tuple[int, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._head_lock = threading.Lock()
        self._checking = False

    def peek(self, key: str) -> bytes | None:
        """The answer for `key` if it is current, without waiting (for the event loop).

        When the head is due a check, one background thread checks it (one for all keys)
        and this reader gets the answer as it stands: at most `interval_s` plus one check old."""
        if time.monotonic() - self._checked_at >= self.interval_s:
            self._check_head_in_background()
        hit = self._answers.get(key)
        if hit is None or self._head is None or hit[0] != self._head:
            return None
        return hit[1]

    def get(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The answer for `key`, built now if it is missing or older than the head (one
        builder per key; the others wait for its answer)."""
        head = self.head()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._answers.get(key)
            if hit is not None and hit[0] >= head:
                return hit[1]
            answer = build()
            self._answers[key] = (head, answer)
            return answer

    def head(self) -> int:
        """The head, read again if it was last read `interval_s` ago or more."""
        if self._head is None or time.monotonic() - self._checked_at >= self.interval_s:
            with self._head_lock:
                if self._head is None or time.monotonic() - self._checked_at >= self.interval_s:
                    self._update_head()
        assert self._head is not None
        return self._head

    def _update_head(self) -> None:
        head = self._read_head()
        if head != self._head or len(self._answers) > MAX_ANSWERS:
            self._answers = {}  # all built at an older head (or too many filters asked for)
        self._head = head
        self._checked_at = time.monotonic()

    def _check_head_in_background(self) -> None:
        with self._guard:
            if self._checking:
                return
            self._checking = True

        def check() -> None:
            try:
                self.head()
            except Exception:  # noqa: BLE001 - a failed check keeps the answers; the next retries
                pass
            finally:
                with self._guard:
                    self._checking = False

        threading.Thread(target=check, name="public register head", daemon=True).start()
