"""Events a projection could not project: recorded, skipped, shown and retried.

No stored event may stop the read models (a text PostgreSQL cannot hold, a payload a
projection does not expect). When a page of events cannot be written, the projector
steps through that projection's next events one at a time; the first that fails is
recorded in the projection's failures table (`rm_failed_<name>`), in the same transaction
that moves the projection past it, and the projection goes on. Operators see the failures
(`lfr project --once`, the API's `/operations/projection-failures`); after a fix,
`retry_failed` projects each one again and clears it when it goes through (a rebuild
also starts the record afresh).

Outages are not failures: an error reaching the database is raised, never recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from projections.reading import decode, notification_rows
from projections.recorded import Recorded
from projections.sql import RowRefused
from projections.tables import Row, Table

# Errors of reaching the database: the event is not at fault, the write is retried later.
TRANSIENT: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    TimeoutError,
    ConnectionError,
)
# ... and another projector having moved the position first: start again from there.
RETRY_LATER: tuple[type[Exception], ...] = (IntegrityError, *TRANSIENT)


@cache
def failures_table(projection_name: str) -> Table:
    """The table of one projection's failed events (in the projection's own view)."""
    return Table(
        f"rm_failed_{projection_name}",
        {"notification_id": "int", "topic": "text", "error": "text", "failed_at": "text"},
        key=("notification_id",),
    )


def describe(error: BaseException) -> str:
    """What went wrong, without the values involved (they may be personal data): a
    database's primary message has none; other errors give their kind only."""
    if isinstance(error, RowRefused):  # the constraint's name, no values
        return f"RowRefused: {error}"[:300]
    if isinstance(error, psycopg.Error):  # the first line, without DETAIL (the row's values)
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
    cause = error.__cause__
    if cause is not None and cause is not error:
        return describe(cause)
    return type(error).__name__


def record_first_failure(app: Any, projection: Any, page_size: int) -> bool:
    """Projects `projection`'s next events one per transaction until one fails, records
    that one as failed (moving the position past it) and gives True; False when none of
    the next page fails (the error was elsewhere)."""
    table = failures_table(projection.name)
    if table.name not in projection.view.tables:
        return False
    projection.forget()
    after = projection.position()
    for event in decode(notification_rows(app.recorder, after + 1, page_size)):
        project = partial(_apply_wanted, projection, event)
        if not _write_or_record(projection, table, event, project, after, event.notification_id):
            return True
        after = event.notification_id
    return False


def _apply_wanted(projection: Any, event: Recorded, batch: Any) -> None:
    if projection.wants(event.topic):
        projection.apply(event, batch)


def _apply_and_clear(projection: Any, table: Table, event: Recorded, batch: Any) -> None:
    """Projects a failed event again and clears its failure record."""
    projection.apply(event, batch)
    batch.delete(table, (event.notification_id,))


def _write_or_record(
    projection: Any,
    table: Table,
    event: Recorded,
    project: Callable[[Any], None],
    after: int,
    position: int,
) -> bool:
    """Writes what `project` puts in a new batch, moving the position from `after` to
    `position`; if projecting fails, writes the event's failure record instead (the
    position moves all the same). True if the event went through."""
    batch = projection.new_batch(after)
    try:
        project(batch)
        projection.settle(batch)
        projection.write(projection.prepare(batch, position), position, after)
        return True
    except RETRY_LATER:
        projection.forget()
        raise
    except Exception as error:
        projection.forget()
        failed = projection.new_batch(after)
        failed.put(table, _failure(event, error))
        projection.write(projection.prepare(failed, position), position, after)
        return False


def _failure(event: Recorded, error: BaseException) -> Row:
    return {
        "notification_id": event.notification_id,
        "topic": event.topic,
        "error": describe(error),
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def failed_events(projections: Sequence[Any]) -> list[Row]:
    """Every recorded failure, by projection and notification id."""
    rows = []
    for projection in projections:
        table = failures_table(projection.name)
        if table.name in projection.view.tables:
            for row in projection.view.select(table, order_by=("notification_id",)):
                rows.append({"projection": projection.name, **row})
    return rows


def retry_failed(app: Any, projections: Sequence[Any]) -> tuple[int, int]:
    """Projects each failed event again on the projection's rows as they are now; one
    that goes through is cleared, one that fails again keeps its record (with the new
    error). Gives (cleared, still failing)."""
    cleared = failing = 0
    for projection in projections:
        table = failures_table(projection.name)
        for row in failed_events([projection]):
            nid = int(row["notification_id"])
            (event,) = decode(notification_rows(app.recorder, nid, 1))
            projection.forget()
            position = projection.position()
            project = partial(_apply_and_clear, projection, table, event)
            if _write_or_record(projection, table, event, project, position, position):
                cleared += 1
            else:
                failing += 1
    return cleared, failing
