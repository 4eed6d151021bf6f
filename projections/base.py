"""The projection base and the projector that feeds it, batch by batch, exactly once.

Writing a projection (the retention view in `services/retention.py` does this):

    from projections.base import Batch, ReadModelProjection
    from projections.recorded import Recorded
    from projections.tables import Table

    DUE = Table("rm_due", {"alert_id": "text", "observed_at": "text"}, key=("alert_id",))

    class DueProjection(ReadModelProjection):
        name = "due"                          # its tracking record is "projection:due"
        tables = (DUE,)
        events = frozenset({"AlertRaised", "AlertDataErased"})   # optional filter

        def apply(self, event: Recorded, batch: Batch) -> None:
            if event.name == "AlertRaised":
                batch.put(DUE, {"alert_id": event.originator_id,
                                "observed_at": event["observed_at"]})

    # Queries: ReadModels.view("due").select(DUE, where={...}, order_by=(...))

`apply` sees each stored event once, in notification order, decoded to plain data
(`projections.recorded.Recorded`: no domain event objects are built, which halves the
cost of a rebuild), and changes rows only through the `batch`: get/put/delete, `insert`
for a row whose key is new (copied in on PostgreSQL), `add` for a new row never read
again (the timeline's). Rows a projection makes by the thousand can be given as
`Values` (a tuple in column order, JSON columns as text) instead of dicts. The projector
writes a whole page of notifications' row changes and the projection's new position in
one transaction; `lfr project --rebuild` drops the tables and replays from zero as a bulk
load (`View.bulk_load`: secondary indexes made at the end). Add a projection to
`projections.readmodels.CORE_PROJECTIONS` to have it built.
"""

from __future__ import annotations

import gc
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import Any, ClassVar, NamedTuple, Protocol

from eventsourcing.persistence import IntegrityError, Tracking

from projections.failures import TRANSIENT, record_first_failure, retry_failed
from projections.reading import decode, notification_rows
from projections.recorded import Recorded, topic_parts
from projections.tables import Changes, Key, Row, Table, Values
from projections.views import View

# Rows kept between batches so updates need no read; cleared whenever a write fails.
ROW_CACHE_LIMIT = 200_000
# Notifications per read and per transaction: fewer, larger transactions rebuild faster.
PAGE_SIZE = 10_000


class EventSource(Protocol):
    """Where the projections read events from: an application's recorder, mapper and
    repository (`services.lfr.LfrService`)."""

    @property
    def recorder(self) -> Any: ...
    @property
    def mapper(self) -> Any: ...
    @property
    def repository(self) -> Any: ...


class Batch:
    """The rows one batch reads and changes; reads see the batch's own changes first."""

    def __init__(self, view: View, cache: dict[tuple[str, Key], Row | Values | None]) -> None:
        self.view = view
        self.changes = Changes()
        self._cache = cache

    def get(self, table: Table, key: Key) -> Row | None:
        """The row as it stands in this batch (a copy: change it, then `put` it)."""
        slot = (table.name, key)
        try:
            row = self._cache[slot]
        except KeyError:
            row = self._cache[slot] = self.view.get(table, key)
        if row is None:
            return None
        return table.decode(row) if isinstance(row, tuple) else dict(row)

    def edit(self, table: Table, key: Key) -> Row | None:
        """The row to change in place, already among this batch's changes (no `put`
        needed after): for rows changed by event after event (the register's)."""
        puts = self.changes.puts.get(table.name)
        row = puts.get(key) if puts is not None else None
        if isinstance(row, dict):
            return row
        row = self.get(table, key)
        if row is not None:
            self.put(table, row)
        return row

    def put(self, table: Table, row: Row | Values) -> None:
        """Inserts or replaces a row: a dict of every column, or `Values` (the columns'
        values in order, JSON columns as text) for rows made in bulk."""
        key = table.key_of_values(row) if type(row) is tuple else table.key_of(row)
        self.changes.put(table, row, key)
        self._cache[(table.name, key)] = row

    def insert(self, table: Table, row: Row | Values) -> None:
        """Puts a row whose key is not in the table yet (an alert raised, an item
        collected); later events may read and change it. PostgreSQL copies new rows in
        (COPY), which refuses a key already there: a projection error, not a race."""
        key = table.key_of_values(row) if type(row) is tuple else table.key_of(row)
        self.changes.insert(table, row, key)
        self._cache[(table.name, key)] = row

    def add(self, table: Table, row: Row | Values) -> None:
        """Inserts a new row that this projection will not read, change or delete again
        (the timeline's, one per event): written, but neither cached nor matched against
        the batch's other changes."""
        self.changes.add(table, row)

    def delete(self, table: Table, key: Key) -> None:
        self.changes.delete(table, key)
        self._cache[(table.name, tuple(key))] = None


class ReadModelProjection(ABC):
    """A projection whose view is a set of tables (see the module docstring)."""

    name: str = ""
    tables: ClassVar[tuple[Table, ...]] = ()
    events: ClassVar[frozenset[str] | None] = None  # event class names it reads; None: all

    def __init__(self, view: View) -> None:
        self.view = view
        self.cache: dict[tuple[str, Key], Row | Values | None] = {}
        self._cached_at: int | None = None  # the position the cached rows are valid at
        self._wanted: dict[str, bool] = {}
        view.ensure_position(self.tracking_name)

    @property
    def tracking_name(self) -> str:
        return f"projection:{self.name}"

    def position(self) -> int:
        return self.view.max_tracking_id(self.tracking_name) or 0

    def wants(self, topic: str) -> bool:
        wanted = self._wanted.get(topic)
        if wanted is None:
            wanted = self._wanted[topic] = (
                self.events is None or topic_parts(topic)[1] in self.events
            )
        return wanted

    @abstractmethod
    def apply(self, event: Recorded, batch: Batch) -> None:
        """Change rows for one stored event, through `batch` only."""

    def settle(self, batch: Batch) -> None:
        """Called once per batch before it is written: derive what need not be derived
        after every event (the register's rates and totals). Nothing by default."""
        return None

    def new_batch(self, after: int) -> Batch:
        """A batch of the events after position `after`."""
        if after != self._cached_at:
            self.forget()  # someone else moved the view on: cached rows are stale
        return Batch(self.view, self.cache)

    def forget(self) -> None:
        """Drops the cached rows: the next batch reads them from the view."""
        self.cache.clear()
        self._cached_at = None

    def commit(self, batch: Batch, notification_id: int, after: int) -> None:
        """Writes the batch's rows and moves the position from `after`, in one transaction."""
        self.write(self.prepare(batch, notification_id), notification_id, after)

    def prepare(self, batch: Batch, notification_id: int) -> Any:
        """The batch's rows encoded for its view; from here on the cache holds the rows
        as they are at `notification_id`."""
        prepared = self.view.prepare(batch.changes)
        self._cached_at = notification_id
        return prepared

    def write(self, prepared: Any, notification_id: int, after: int) -> None:
        """Writes prepared rows with the position in one transaction (any thread)."""
        self.view.write_prepared(prepared, Tracking(self.tracking_name, notification_id), after)

    def reset(self) -> None:
        self.forget()
        self.view.reset(self.tracking_name)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a page is projected: a page makes hundreds of
    thousands of short-lived dicts and tuples (no cycles), and the collections they set
    off, each walking every object the process holds, took a sixth of a rebuild. It runs
    again between pages; nested or concurrent pauses leave it running in the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _InlineWriter:
    """Runs each write at once, in the calling thread (an executor's `submit`)."""

    def __enter__(self) -> _InlineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, write: Callable[..., None], *args: Any) -> Future[None]:
        done: Future[None] = Future()
        try:
            write(*args)
            done.set_result(None)
        except Exception as error:
            done.set_exception(error)
        return done


class _Writing(NamedTuple):
    """A projection's batch being written."""

    projection: ReadModelProjection
    future: Future[None]


class Projector:
    """Feeds the application's notifications to projections, in pages, exactly once each."""

    def __init__(
        self,
        app: EventSource,
        projections: Sequence[ReadModelProjection],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.page_size = page_size
        self._lock = threading.Lock()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Processes every notification recorded so far; returns how many it read.

        An event a projection cannot project is recorded as failed and skipped
        (`projections.failures`): no stored event stops the read models."""

        with self._lock:
            while True:
                try:
                    return self._catch_up(progress)
                except TRANSIENT:
                    raise
                except Exception:
                    found = [
                        record_first_failure(self.app, p, self.page_size) for p in self.projections
                    ]
                    if not any(found):
                        raise

    def retry_failed(self) -> tuple[int, int]:
        """Projects the recorded failed events again: (cleared, still failing)."""

        with self._lock:
            return retry_failed(self.app, self.projections)

    def _catch_up(self, progress: Callable[[int], None] | None) -> int:
        read = 0
        positions = {p.name: p.position() for p in self.projections}
        # Where the views gain by it (`_writer`), one thread writes a page's batches while
        # this one reads and projects the next: the database's work and ours overlap.
        # Positions move on when a page is handed over; a write that fails is noticed
        # before the next page is handed over (see `_settle`).
        with self._writer() as writer:
            in_flight: list[_Writing] = []
            try:
                while True:
                    # From the projection furthest behind: one that lost a page to another
                    # projector may have been moved on less far than the page reached.
                    start = min(positions.values(), default=0)
                    with collector_paused():
                        rows = notification_rows(self.app.recorder, start + 1, self.page_size)
                        # Each event decoded once, for every projection (the timeline
                        # reads them all).
                        batches = self._project(decode(rows), positions) if rows else []
                    lost = self._settle(in_flight, positions)
                    in_flight = [
                        _Writing(projection, writer.submit(projection.write, *write))
                        for projection, write in batches
                        if projection not in lost
                    ]
                    if not rows:
                        if lost:
                            continue  # from where the others left those projections
                        break
                    if any(len(p.cache) > ROW_CACHE_LIMIT for p in self.projections):
                        self._settle(in_flight, positions)  # none may be read from the view
                        in_flight = []  # while a write of it is under way
                        for projection in self.projections:
                            projection.forget()
                    read += len(rows)
                    if progress:
                        progress(read)
            except BaseException:
                wait([w.future for w in in_flight])
                for projection in self.projections:
                    projection.forget()  # it may hold rows of pages never written
                raise
        return read

    def _writer(self) -> Any:
        """The thread that writes batches: its own where every view gains by it (on
        PostgreSQL the server works while this process projects the next page; SQLite
        lets go of the GIL for each row only, and the two threads would take turns)."""
        if all(getattr(p.view, "overlaps_writes", False) for p in self.projections):
            return ThreadPoolExecutor(1, thread_name_prefix="projector-writer")
        return _InlineWriter()

    def _project(
        self, events: Sequence[Recorded], positions: dict[str, int]
    ) -> list[tuple[ReadModelProjection, tuple[Any, int, int]]]:
        """Applies a page to every projection not past it; gives each one's prepared
        write: (rows, new position, position it moves from)."""
        last = events[-1].notification_id
        topics = {e.topic for e in events}
        writes = []
        for projection in self.projections:
            after = positions[projection.name]
            if last <= after:
                continue
            wanted = {t for t in topics if projection.wants(t)}
            batch = projection.new_batch(after)
            apply = projection.apply
            for event in events:
                if event.topic in wanted and event.notification_id > after:
                    apply(event, batch)
            projection.settle(batch)
            writes.append((projection, (projection.prepare(batch, last), last, after)))
            positions[projection.name] = last
        return writes

    @staticmethod
    def _settle(in_flight: list[_Writing], positions: dict[str, int]) -> set[ReadModelProjection]:
        """Waits for the writes under way; gives the projections whose write was refused
        because another process had projected those events first. Their positions are
        taken from their views and their cached rows dropped, so they go on from there;
        their next batch, built on the refused one, is not written."""
        lost = set()
        failure: BaseException | None = None
        for writing in in_flight:
            error = writing.future.exception()
            if error is None:
                continue
            projection = writing.projection
            projection.forget()
            if isinstance(error, IntegrityError):
                lost.add(projection)
                positions[projection.name] = projection.position()
            else:
                failure = failure or error
        if failure is not None:
            raise failure
        return lost

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drops every table and replays all events from zero, as a bulk load (each view's
        `bulk_load`: secondary indexes made at the end). Rows and position still go in one
        transaction per page, so a rebuild that stops part way is resumed by `catch_up`."""
        with self._lock, ExitStack() as loading:
            for projection in self.projections:
                projection.reset()
                loading.enter_context(projection.view.bulk_load())
            return self._catch_up(progress)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.5) -> None:
        """Catches up, then polls for new events until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            self.catch_up()
            stop.wait(max(0.0, interval_s - (time.monotonic() - started)))
