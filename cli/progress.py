"""Progress of long work, on standard error: a bar with totals and ETA on a terminal (rich),
plain lines with totals, percentage and ETA otherwise (a log, a pipe, CI)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol, TextIO


class Advance(Protocol):
    """Reports how much is done, and the total once it is known."""

    def __call__(self, done: int, total: int | None = None) -> None: ...


PLAIN_INTERVAL_S = 2.0  # plain lines at most this often (and at the end)


@contextmanager
def progress(
    what: str, total: int | None = None, stream: TextIO | None = None
) -> Iterator[Advance]:
    """Yields `advance(done, total=None)`; the total may be learnt on the way."""
    out = stream or sys.stderr
    if out.isatty():
        with _bar(what, total, out) as advance:
            yield advance
    else:
        with _lines(what, total, out) as advance:
            yield advance


@contextmanager
def _bar(what: str, total: int | None, out: TextIO) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=out), transient=False) as bar:
        task = bar.add_task(what, total=total)

        def advance(done: int, total: int | None = None) -> None:
            bar.update(task, completed=done, total=total)  # rich keeps the total on None

        yield advance


class _Lines:
    """Plain lines: at most one per PLAIN_INTERVAL_S, one when done, one at the end."""

    def __init__(self, what: str, total: int | None, out: TextIO) -> None:
        self.what, self.total, self.out = what, total, out
        self.started = time.monotonic()
        self.last = 0.0
        self.done = 0
        self.said = -1

    def advance(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        finished = self.total is not None and done >= self.total
        if finished or time.monotonic() - self.last >= PLAIN_INTERVAL_S:
            self.say()

    def say(self) -> None:
        if self.said == self.done:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = str(timedelta(seconds=round(left))) if left is not None else "?"
            share = 100 * self.done / self.total
            text = f"{self.done}/{self.total} ({share:.0f}%, {rate:,.1f}/s, ETA {eta})"
        else:
            text = f"{self.done} ({rate:,.1f}/s)"
        print(f"{self.what}: {text}", file=self.out, flush=True)
        self.last, self.said = time.monotonic(), self.done


@contextmanager
def _lines(what: str, total: int | None, out: TextIO) -> Iterator[Advance]:
    lines = _Lines(what, total, out)
    yield lines.advance
    lines.say()
