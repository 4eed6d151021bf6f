"""The projection base and the projector that feeds it, batch by batch, exactly once.

Writing a projection (the retention view in `projections/retention.py` does this):

    from projections.base import Batch, ReadModelProjection, event_name
    from projections.tables import Table

    DUE = Table("rm_retention", {"alert_id": "text", "due_at": "text"}, key=("alert_id",))

    class RetentionProjection(ReadModelProjection):
        name = "retention"                    # its tracking record is "projection:retention"
        tables = (DUE,)
        events = frozenset({"AlertRaised", "AlertDataErased"})   # optional filter

        def apply(self, event, notification_id, batch):
            if event_name(event) == "AlertRaised":
                batch.put(DUE, {"alert_id": str(event.originator_id), "due_at": ...})

    # Queries: ReadModels.view("retention").select(DUE, where={...}, order_by=(...))

`apply` sees each domain event once, in notification order, and changes rows only through
the `batch` (get/put/delete). The projector writes a whole batch of notifications' row
changes and the projection's new position in one transaction; `lfr project --rebuild`
drops the tables and replays from zero. `ReadModels` picks up
`projections.retention.RetentionProjection` by itself when that module exists.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.projection import Projection

from projections.tables import Changes, Key, Row, Table
from projections.views import View

# Rows kept between batches so updates need no read; cleared whenever a write fails.
ROW_CACHE_LIMIT = 200_000


def event_name(event: Any) -> str:
    """`AlertRaised` for an event of topic `domain.alert:Alert.AlertRaised`."""
    return type(event).__name__


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
        self.changes.put(table, row)
        self._cache[(table.name, table.key_of(row))] = row

    def delete(self, table: Table, key: Key) -> None:
        self.changes.delete(table, key)
        self._cache[(table.name, tuple(key))] = None


class ReadModelProjection(Projection[Any]):
    """A projection whose view is a set of tables (see the module docstring)."""

    name: str = ""
    tables: ClassVar[tuple[Table, ...]] = ()
    events: ClassVar[frozenset[str] | None] = None  # event class names it reads; None: all

    def __init__(self, view: View) -> None:
        super().__init__(view)
        self.cache: dict[tuple[str, Key], Row | None] = {}
        self._cached_at: int | None = None  # the position the cached rows are valid at
        view.ensure_position(self.tracking_name)

    @property
    def tracking_name(self) -> str:
        return f"projection:{self.name}"

    def position(self) -> int:
        return self.view.max_tracking_id(self.tracking_name) or 0

    def wants(self, topic: str) -> bool:
        return self.events is None or topic.rpartition(".")[2] in self.events

    @abstractmethod
    def apply(self, event: Any, notification_id: int, batch: Batch) -> None:
        """Change rows for one domain event, through `batch` only."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        """The library's one-event entry point: apply and track in one transaction."""
        after = self.position()
        if tracking.notification_id <= after:
            return  # already projected
        batch = self.new_batch(after)
        self.apply(domain_event, tracking.notification_id, batch)
        self.commit(batch, tracking.notification_id, after)

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
        page_size: int = 5000,
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
            start = min(positions.values(), default=0)
            while True:
                page = self.app.recorder.select_notifications(start=start + 1, limit=self.page_size)
                if not page:
                    return read
                self._process_page(page, positions)
                start = page[-1].id
                read += len(page)
                if progress:
                    progress(read)

    def _process_page(self, page: Sequence[Notification], positions: dict[str, int]) -> None:
        decoded: dict[int, Any] = {}
        for projection in self.projections:
            after = positions[projection.name]
            if page[-1].id <= after:
                continue
            batch = projection.new_batch(after)
            for notification in page:
                if notification.id > after and projection.wants(notification.topic):
                    event = decoded.get(notification.id)
                    if event is None:
                        event = decoded[notification.id] = self.app.mapper.to_domain_event(
                            notification
                        )
                    projection.apply(event, notification.id, batch)
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
