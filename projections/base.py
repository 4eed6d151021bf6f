"""The projection base and the projector that feeds it, batch by batch, exactly once.

Writing a projection (the retention view in `projections/retention.py` does this):

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
cost of a rebuild), and changes rows only through the `batch` (get/put/delete). The
projector writes a whole page of notifications' row changes and the projection's new
position in one transaction; `lfr project --rebuild` drops the tables and replays from
zero. Add a projection to `projections.readmodels.CORE_PROJECTIONS` to have it built.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking

from projections.reading import decode, notification_rows
from projections.recorded import Recorded, topic_parts
from projections.tables import Changes, Key, Row, Table, Values
from projections.views import View

# Rows kept between batches so updates need no read; cleared whenever a write fails.
ROW_CACHE_LIMIT = 200_000
# Notifications per read and per transaction: fewer, larger transactions rebuild faster.
PAGE_SIZE = 10_000


def event_name(event: Recorded) -> str:
    """`AlertRaised` for an event of topic `domain.alert:Alert.AlertRaised`."""
    return event.name


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

    def put(self, table: Table, row: Row | Values) -> None:
        """Inserts or replaces a row: a dict of every column, or `Values` (the columns'
        values in order, JSON columns as text) for rows made in bulk."""
        key = table.key_of(row)
        self.changes.put(table, row, key)
        self._cache[(table.name, key)] = row

    def add(self, table: Table, row: Row | Values) -> None:
        """Puts a row that this projection never reads back (the timeline's): it is written
        but not kept in the row cache."""
        self.changes.put(table, row, table.key_of(row))

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
        if len(self.cache) > ROW_CACHE_LIMIT or after != self._cached_at:
            self.cache.clear()  # someone else moved the view on: cached rows are stale
        return Batch(self.view, self.cache)

    def commit(self, batch: Batch, notification_id: int, after: int) -> None:
        """Writes the batch's rows and moves the position from `after`, in one transaction."""
        try:
            self.view.write(batch.changes, Tracking(self.tracking_name, notification_id), after)
        except Exception:
            self.cache.clear()  # another writer may have moved on: reread from the view
            self._cached_at = None
            raise
        self._cached_at = notification_id

    def reset(self) -> None:
        self.cache.clear()
        self._cached_at = None
        self.view.reset(self.tracking_name)


class Projector:
    """Feeds the application's notifications to projections, in pages, exactly once each."""

    def __init__(
        self,
        app: Application[Any],
        projections: Sequence[ReadModelProjection],
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.page_size = page_size
        self._lock = threading.Lock()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Processes every notification recorded so far; returns how many it read."""
        with self._lock:
            return self._catch_up(progress)

    def _catch_up(self, progress: Callable[[int], None] | None) -> int:
        read = 0
        positions = {p.name: p.position() for p in self.projections}
        while True:
            # From the projection furthest behind: one that lost a page to another
            # projector may have been moved on less far than the page reached.
            start = min(positions.values(), default=0)
            rows = notification_rows(self.app.recorder, start + 1, self.page_size)
            if not rows:
                return read
            # Each event decoded once, for every projection (the timeline reads them all).
            self._process_page(decode(rows), positions)
            read += len(rows)
            if progress:
                progress(read)

    def _process_page(self, events: Sequence[Recorded], positions: dict[str, int]) -> None:
        last = events[-1].notification_id
        topics = {e.topic for e in events}
        for projection in self.projections:
            after = positions[projection.name]
            if last <= after:
                continue
            wanted = {t for t in topics if projection.wants(t)}
            mine = [
                e
                for e in events
                if e.topic in wanted and (after == 0 or e.notification_id > after)
            ]
            batch = projection.new_batch(after)
            apply = projection.apply
            for event in mine:
                apply(event, batch)
            projection.settle(batch)
            try:
                projection.commit(batch, last, after)
            except IntegrityError:
                # Another process projected this page first: take its position and go on.
                positions[projection.name] = projection.position()
                continue
            positions[projection.name] = last

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
