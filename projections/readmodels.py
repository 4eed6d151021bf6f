"""The one query object the API, the web pages, the demo and the exports call.

Row shapes:
- `register_rows(filters)` / `register_row(id)`: the working register (officers, reports,
  publishing): dicts with exactly `REGISTER_COLUMNS` (`projections.register`).
  `notification_ids` lists the notification ids of the events the row was built from.
  Filters: equality on any register column, e.g. {"borough": "Westminster",
  "status": "published"}; "month": "2026-11" selects by date prefix.
- `public_register_rows(filters)` / `public_register_row(id)`: the public register, the
  same columns, published data only: each row the payload of the deployment's latest public
  event, `notification_ids` those public events. `public_head()`: the notification id of
  the latest public event (the public register changes only when it does).
- `metrics(by)`: dicts with `projections.metrics.METRIC_COLUMNS`, one per group;
  `public_metrics(by)` the same over the public register (no adjudication times).
- `alert_queue(deployment_id, pending_only)`: dicts with the `rm_alerts` columns
  (`projections.alerts.ALERTS_TABLE`) plus `entry_category` and `entry_erased`; oldest
  first; no images, names or notes.
- `timeline(deployment_id)`: dicts with the `rm_timeline` columns in notification order.
- `directory(kind, deployment_id=None)`: the ids of the applications, deployments or a
  deployment's watchlist entries, in the order they were made (`projections.directory`).
- `consultations(after, limit)`: the s.62 log, dicts with the `rm_consultations` columns,
  a page after a notification id.
- `aggregate_as_of(aggregate_id, version=None, at=None)`: {"aggregate_id", "type",
  "version", "state"} with sealed bytes shown as {"sealed_bytes": n}.

Reads return what the projections have written; call `catch_up()` first to include events
stored since (the API and the demo do, in-process; `lfr project` does it continuously).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain.values import Actor, Role
from projections import audit
from projections.alerts import ALERTS_TABLE, ENTRIES_TABLE, PENDING, AlertsProjection
from projections.audit import TIMELINE_TABLE, TimelineProjection
from projections.base import EventSource, Projector, ReadModelProjection
from projections.directory import CONSULTATIONS_TABLE, DIRECTORY_TABLE, DirectoryProjection
from projections.failures import failed_events, failures_table
from projections.metrics import metrics
from projections.register import (
    PUBLIC_HEAD_TABLE,
    PUBLIC_REGISTER_TABLE,
    REGISTER_COLUMNS,
    REGISTER_TABLE,
    PublicRegisterProjection,
    RegisterProjection,
    counts_of,
)
from projections.retention_projection import RetentionProjection
from projections.tables import Row, Table
from projections.thresholds import thresholds_in_force
from projections.views import MemoryView, View, sql_view


class Store(Protocol):
    """Where the events are stored (`runtime.settings.StoreLocation`)."""

    @property
    def kind(self) -> str: ...
    def eventsourcing_env(self) -> dict[str, str]: ...


class Application(EventSource, Protocol):
    """What the read models need of the application: its stored events, its aggregates, and
    the command that amends a published register entry."""

    def amend_register_entry(
        self,
        actor: Actor,
        deployment_id: UUID,
        counts: Mapping[str, Any],
        periods: Sequence[Mapping[str, Any]] | None = None,
    ) -> bool: ...


#: Who amends a published register entry when its figures change (the system, not an officer).
REGISTER_PUBLISHER = Actor("register-publisher", Role.SYSTEM)

CORE_PROJECTIONS: tuple[type[ReadModelProjection], ...] = (
    RegisterProjection,
    PublicRegisterProjection,
    AlertsProjection,
    TimelineProjection,
    RetentionProjection,
    DirectoryProjection,
)


def projection_classes() -> list[type[ReadModelProjection]]:
    return list(CORE_PROJECTIONS)


def _made(cls: type[ReadModelProjection], app: Any, view: View) -> ReadModelProjection:
    """A projection on `view`; one that needs the app's keys (the retention projection's
    seal) is made by its `for_app`."""
    for_app = getattr(cls, "for_app", None)
    made: ReadModelProjection = for_app(app, view) if for_app else cls(view)
    return made


class ViewFactory:
    """Makes views in the event store's own database (memory, SQLite or PostgreSQL)."""

    def __init__(self, location: Store) -> None:
        self.kind = location.kind
        self._datastore: Any = None
        if location.kind != "memory":
            env = {**location.eventsourcing_env(), "CREATE_TABLE": "y"}
            factory: Any = InfrastructureFactory.construct(Environment("lfr_views", env))
            self._datastore = factory.datastore

    def view(self, tables: Sequence[Table]) -> View:
        if self.kind == "memory":
            return MemoryView(tables)
        return sql_view(self._datastore, tables)

    def close(self) -> None:
        if self._datastore is not None:
            self._datastore.close()


class ReadModels:
    """The register, metrics, alert queue, timeline, directory, s.62 log and history, over
    one event store."""

    def __init__(
        self,
        app: Application,
        views: ViewFactory,
        classes: Sequence[type[ReadModelProjection]] | None = None,
    ) -> None:
        self.app = app
        self._views = views
        self.projections = {
            c.name: _made(c, app, views.view((*c.tables, failures_table(c.name))))
            for c in (classes or projection_classes())
        }
        self.projector = Projector(app, list(self.projections.values()))
        self._lock = threading.Lock()
        self._reconciled = False

    # -- processing --------------------------------------------------------------------------

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Processes every event stored so far, then publishes an amendment for each
        published deployment whose figures changed; returns how many notifications it read."""
        read = self.projector.catch_up(progress)
        if self._amend_published():
            read += self.projector.catch_up(progress)  # the amendments themselves
        return read

    def run_forever(
        self,
        stop: threading.Event,
        interval_s: float = 0.5,
        caught_up: Callable[[], object] | None = None,
    ) -> None:
        """Catches up (amendments included), then polls for new events until `stop` is set;
        `caught_up` is called after each pass (the process's readiness heartbeat)."""
        while not stop.is_set():
            started = time.monotonic()
            self.catch_up()
            if caught_up is not None:
                caught_up()
            stop.wait(max(0.0, interval_s - (time.monotonic() - started)))

    def _amend_published(self) -> bool:
        """Amends the public row of each published deployment whose working figures changed.
        On the first call every published deployment is compared (a process that stopped
        between projecting a change and amending it); then only those changed since."""
        register = self.projections.get("register")
        if not isinstance(register, RegisterProjection):
            return False
        changed = register.changed_since_publication()
        if not self._reconciled:
            changed |= self._differing_from_public()
            self._reconciled = True
        amended = False
        for deployment_id in sorted(changed):
            row = self.register_row(deployment_id)
            if row is not None:
                amended |= self.app.amend_register_entry(
                    REGISTER_PUBLISHER,
                    UUID(deployment_id),
                    counts_of(row),
                    self.threshold_periods(deployment_id),
                )
        return amended

    def _differing_from_public(self) -> set[str]:
        published = {
            r["deployment_id"]: counts_of(r)
            for r in self.view("public_register").select(PUBLIC_REGISTER_TABLE)
            if r["status"] != "announced"
        }
        return {
            r["deployment_id"]
            for r in self.view("register").select(REGISTER_TABLE, {"status": "published"})
            if published.get(r["deployment_id"]) != counts_of(r)
        }

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drops every read-model table and replays all events from zero."""
        return self.projector.rebuild(progress)

    def failed_events(self) -> list[Row]:
        """Events a projection could not project (recorded and skipped), for operators."""
        return failed_events(list(self.projections.values()))

    def retry_failed(self) -> tuple[int, int]:
        """Projects the failed events again (after a fix): (cleared, still failing)."""
        return self.projector.retry_failed()

    def view(self, projection_name: str) -> View:
        """The view of one projection, for queries on its tables (e.g. "retention")."""
        return self.projections[projection_name].view

    # -- the public register -----------------------------------------------------------------

    def register_rows(self, filters: Mapping[str, Any] | None = None) -> list[Row]:
        return self._rows(REGISTER_TABLE, "register", filters)

    def _rows(self, table: Table, view: str, filters: Mapping[str, Any] | None) -> list[Row]:
        filters = dict(filters or {})
        month = filters.pop("month", None)
        unknown = set(filters) - set(REGISTER_COLUMNS)
        if unknown:
            raise ValueError(f"the register has no columns {sorted(unknown)}")
        rows = self.view(view).select(table, filters, ("date", "deployment_id"))
        if month:
            rows = [r for r in rows if str(r["date"]).startswith(str(month))]
        return [{c: r[c] for c in REGISTER_COLUMNS} for r in rows]

    def register_row(self, deployment_id: UUID | str) -> Row | None:
        row = self.view("register").get(REGISTER_TABLE, (str(deployment_id),))
        return {c: row[c] for c in REGISTER_COLUMNS} if row else None

    def metrics(self, by: str = "month") -> list[Row]:
        alerts = self.view("alerts").select(ALERTS_TABLE)
        return metrics(self.view("register").select(REGISTER_TABLE), alerts, by)

    # -- the public register: published data only --------------------------------------------

    def public_register_rows(self, filters: Mapping[str, Any] | None = None) -> list[Row]:
        return self._rows(PUBLIC_REGISTER_TABLE, "public_register", filters)

    def public_register_row(self, deployment_id: UUID | str) -> Row | None:
        row = self.view("public_register").get(PUBLIC_REGISTER_TABLE, (str(deployment_id),))
        return {c: row[c] for c in REGISTER_COLUMNS} if row else None

    def public_metrics(self, by: str = "month") -> list[Row]:
        """Metrics over the public register: published figures only."""
        return metrics(self.view("public_register").select(PUBLIC_REGISTER_TABLE), [], by)

    def public_head(self) -> int:
        """The notification id of the latest public event (0: none yet)."""
        head = self.view("public_register").get(PUBLIC_HEAD_TABLE, ("head",))
        return int(head["notification_id"]) if head else 0

    # -- operators and auditors --------------------------------------------------------------

    def alert_queue(
        self, deployment_id: UUID | str | None = None, pending_only: bool = True
    ) -> list[Row]:
        where: dict[str, Any] = {}
        if deployment_id is not None:
            where["deployment_id"] = str(deployment_id)
        if pending_only:
            where["state"] = PENDING
        view = self.view("alerts")
        rows = view.select(ALERTS_TABLE, where, ("observed_at", "alert_id"))
        for row in rows:
            entry = view.get(ENTRIES_TABLE, (row["entry_id"],))
            row["entry_category"] = entry["category"] if entry else None
            row["entry_erased"] = bool(entry["erased"]) if entry else None
        return rows

    def alerts(self, deployment_id: UUID | str) -> list[Row]:
        """Every alert of a deployment, in time order (the cancellation report uses it)."""
        return self.alert_queue(deployment_id, pending_only=False)

    def threshold_periods(self, deployment_id: UUID | str) -> list[Row]:
        """Every threshold in force during the deployment, with the alerts raised at each."""
        return thresholds_in_force(self.timeline(deployment_id), self.alerts(deployment_id))

    def timeline(self, deployment_id: UUID | str) -> list[Row]:
        return self.view("timeline").select(
            TIMELINE_TABLE, {"deployment_id": str(deployment_id)}, ("notification_id",)
        )

    # -- what exists, for the pages; the s.62 log --------------------------------------------

    def directory(self, kind: str, deployment_id: UUID | str | None = None) -> list[UUID]:
        """The ids of the applications, deployments or watchlist entries (`kind`, as in
        `projections.directory`; entries of one deployment), in the order they were made."""
        where = {"kind": kind}
        if deployment_id is not None:
            where["deployment_id"] = str(deployment_id)
        rows = self.view("directory").select(DIRECTORY_TABLE, where, ("notification_id",))
        return [UUID(r["aggregate_id"]) for r in rows]

    def consultations(self, after: int = 0, limit: int = 100) -> list[Row]:
        """The s.62 log: up to `limit` reads of personal data after notification id `after`."""
        view = self.view("directory")
        return view.select_after(CONSULTATIONS_TABLE, "notification_id", after, limit)

    def aggregate_as_of(
        self, aggregate_id: UUID | str, version: int | None = None, at: datetime | None = None
    ) -> dict[str, Any]:
        return audit.aggregate_as_of(self.app, UUID(str(aggregate_id)), version, at)

    def close(self) -> None:
        self._views.close()
