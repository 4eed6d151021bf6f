"""Public register answers are rebuilt once per change of the public register, however many
rows and readers there are; a due check of the register is one thread, not one per row.

Unit tests of `api.public_cache` with a head the test moves; the register served over HTTP,
its rows changing when an amendment is published, is in `test_public_register_served`."""

from __future__ import annotations

import threading
import time

from api.public_cache import PublicCache


class Register:
    """A public register's head the test moves, counting how often it is read."""

    def __init__(self) -> None:
        self.head = 1
        self.reads = 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self) -> int:
        self.reads += 1
        self.gate.wait(10)
        return self.head


def _builder(counts: dict[str, int], key: str) -> bytes:
    counts[key] = counts.get(key, 0) + 1
    return f"{key}@{counts[key]}".encode()


def test_each_answer_is_built_once_while_the_public_register_is_unchanged() -> None:
    register = Register()
    cache = PublicCache(register, interval_s=0.05)
    builds: dict[str, int] = {}
    for _ in range(5):
        for row in range(200):
            key = f"row:{row}"
            assert cache.get(key, lambda k=key: _builder(builds, k)) == f"{key}@1".encode()
        time.sleep(0.06)  # the head is checked again, and found unchanged
    assert set(builds.values()) == {1}, "no row rebuilt while the register did not change"
    assert register.reads <= 6, "the head is read once per interval, not per row or request"


def test_every_answer_is_rebuilt_once_after_the_public_register_changes() -> None:
    register = Register()
    cache = PublicCache(register, interval_s=0.05)
    builds: dict[str, int] = {}
    keys = [f"row:{n}" for n in range(50)]
    for key in keys:
        cache.get(key, lambda k=key: _builder(builds, k))
    register.head = 2  # a register entry was published
    time.sleep(0.06)
    for _ in range(3):
        for key in keys:
            assert cache.get(key, lambda k=key: _builder(builds, k)) == f"{key}@2".encode()
    assert set(builds.values()) == {2}


def test_readers_are_answered_from_memory_and_one_thread_checks_the_register() -> None:
    register = Register()
    cache = PublicCache(register, interval_s=0.01)
    builds: dict[str, int] = {}
    for n in range(1000):
        cache.get(f"row:{n}", lambda k=f"row:{n}": _builder(builds, k))
    time.sleep(0.02)  # every answer is now due a check of the register
    register.gate.clear()  # and that check takes a while
    before = threading.active_count()
    answers = [cache.peek(f"row:{n}") for n in range(1000)]
    assert all(a is not None for a in answers), "readers are not kept waiting"
    assert threading.active_count() - before <= 1, "one check for all rows, not a thread each"
    register.head = 2
    register.gate.set()
    deadline = time.monotonic() + 5
    while cache.peek("row:0") is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.peek("row:0") is None, "after the change, the old answer is not served"
    assert cache.get("row:0", lambda: _builder(builds, "row:0")) == b"row:0@2"


def test_a_failed_check_keeps_the_answers_and_is_tried_again() -> None:
    calls = {"n": 0}

    def flaky() -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("database restarting")
        return 1

    cache = PublicCache(flaky, interval_s=0.01)
    assert cache.get("row", lambda: b"answer") == b"answer"
    time.sleep(0.02)
    assert cache.peek("row") == b"answer"  # the background check fails
    time.sleep(0.05)
    assert cache.peek("row") == b"answer"
    deadline = time.monotonic() + 5
    while calls["n"] < 3 and time.monotonic() < deadline:
        cache.peek("row")
        time.sleep(0.01)
    assert calls["n"] >= 3
