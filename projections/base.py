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
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from projections.recorded import Recorded, topic_parts
from projections.tables import Changes, Key, Row, Table
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

    def __init__(self, view: View, cache: dict[tuple[str, Key], Row | None]) -> None:
        self.view = view
        self.changes = Changes()
        self._cache = cache

    def get(self, table: Table, key: Key) -> Row | None:
        """The row as it stands in this batch (a copy: change it, then `put` it)."""
        slot = (table.name, tuple(key))
        if slot not in self._cache:
            self._cache[slot] = self.view.get(table, key)
        row = self._cache[slot]
        return dict(row) if row is not None else None

    def put(self, table: Table, row: Row) -> None:
        key = table.key_of(row)
        self.changes.put(table, row, key)
        self._cache[(table.name, key)] = row

    def add(self, table: Table, row: Row) -> None:
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
        self.cache: dict[tuple[str, Key], Row | None] = {}
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
            read = 0
            positions = {p.name: p.position() for p in self.projections}
            while True:
                # From the projection furthest behind: one that lost a page to another
                # projector may have been moved on less far than the page reached.
                start = min(positions.values(), default=0)
                page = self.app.recorder.select_notifications(start=start + 1, limit=self.page_size)
                if not page:
                    return read
                self._process_page(page, positions)
                read += len(page)
                if progress:
                    progress(read)

    def _process_page(self, page: Sequence[Notification], positions: dict[str, int]) -> None:
        behind = min(positions[p.name] for p in self.projections)
        # Each event decoded once, for every projection (the timeline reads them all).
        events = [Recorded.from_notification(n) for n in page if n.id > behind]
        for projection in self.projections:
            after = positions[projection.name]
            if page[-1].id <= after:
                continue
            batch = projection.new_batch(after)
            wants, apply = projection.wants, projection.apply
            for event in events:
                if event.notification_id > after and wants(event.topic):
                    apply(event, batch)
            projection.settle(batch)
            try:
                projection.commit(batch, page[-1].id, after)
            except IntegrityError:
                # Another process projected this page first: take its position and go on.
                positions[projection.name] = projection.position()
                continue
            positions[projection.name] = page[-1].id

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drops every table and replays all events from zero."""
        with self._lock:
            for projection in self.projections:
                projection.reset()
        return self.catch_up(progress)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.5) -> None:
        """Catches up, then polls for new events until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            self.catch_up()
            stop.wait(max(0.0, interval_s - (time.monotonic() - started)))
