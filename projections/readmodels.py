"""The one query object the API, the web pages, the demo and the exports call.

Row shapes:
- `register_rows(filters)` / `register_row(id)`: dicts with exactly `REGISTER_COLUMNS`
  (`projections.register`), the public, allow-listed register. `notification_ids` lists
  the notification ids of the events the row was built from (for inclusion proofs).
  Filters: equality on any register column, e.g. {"borough": "Westminster",
  "status": "published"}; "month": "2026-11" selects by date prefix.
- `metrics(by)`: dicts with `projections.metrics.METRIC_COLUMNS`, one per group.
- `alert_queue(deployment_id, pending_only)`: dicts with the `rm_alerts` columns
  (`projections.alerts.ALERTS_TABLE`) plus `entry_reference`; oldest first; no images.
- `timeline(deployment_id)`: dicts with the `rm_timeline` columns in notification order.
- `aggregate_as_of(aggregate_id, version=None, at=None)`: {"aggregate_id", "type",
  "version", "state"} with sealed bytes shown as {"sealed_bytes": n}.

Reads return what the projections have written; call `catch_up()` first to include events
stored since (the API and the demo do, in-process; `lfr project` does it continuously).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain.service import LfrService
from projections import audit
from projections.alerts import ALERTS_TABLE, ENTRIES_TABLE, PENDING, AlertsProjection
from projections.audit import TIMELINE_TABLE, TimelineProjection
from projections.base import Projector, ReadModelProjection
from projections.metrics import metrics
from projections.register import REGISTER_COLUMNS, REGISTER_TABLE, RegisterProjection
from projections.retention_projection import RetentionProjection
from projections.tables import Row, Table
from projections.views import MemoryView, PostgresView, SQLiteView, View
from runtime.settings import StoreLocation

CORE_PROJECTIONS: tuple[type[ReadModelProjection], ...] = (
    RegisterProjection,
    AlertsProjection,
    TimelineProjection,
    RetentionProjection,
)


def projection_classes() -> list[type[ReadModelProjection]]:
    return list(CORE_PROJECTIONS)


class ViewFactory:
    """Makes views in the event store's own database (memory, SQLite or PostgreSQL)."""

    def __init__(self, location: StoreLocation) -> None:
        self.kind = location.kind
        self._datastore: Any = None
        if location.kind != "memory":
            env = {**location.eventsourcing_env(), "CREATE_TABLE": "y"}
            factory: Any = InfrastructureFactory.construct(Environment("lfr_views", env))
            self._datastore = factory.datastore

    def view(self, tables: Sequence[Table]) -> View:
        view: Any
        if self.kind == "memory":
            return MemoryView(tables)
        if self.kind == "sqlite":
            view = SQLiteView(self._datastore, tables)
        else:
            view = PostgresView(self._datastore, tables)
        view.create_table()
        return view

    def close(self) -> None:
        if self._datastore is not None:
            self._datastore.close()


class ReadModels:
    """The register, metrics, alert queue, timeline and history, over one event store."""

    def __init__(
        self,
        app: LfrService,
        views: ViewFactory,
        classes: Sequence[type[ReadModelProjection]] | None = None,
    ) -> None:
        self.app = app
        self._views = views
        self.projections = {
            c.name: c(views.view(c.tables)) for c in (classes or projection_classes())
        }
        self.projector = Projector(app, list(self.projections.values()))
        self._lock = threading.Lock()

    # -- processing --------------------------------------------------------------------------

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Processes every event stored so far; returns how many notifications it read."""
        return self.projector.catch_up(progress)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drops every read-model table and replays all events from zero."""
        return self.projector.rebuild(progress)

    def view(self, projection_name: str) -> View:
        """The view of one projection, for queries on its tables (e.g. "retention")."""
        return self.projections[projection_name].view

    # -- the public register -----------------------------------------------------------------

    def register_rows(self, filters: Mapping[str, Any] | None = None) -> list[Row]:
        filters = dict(filters or {})
        month = filters.pop("month", None)
        unknown = set(filters) - set(REGISTER_COLUMNS)
        if unknown:
            raise ValueError(f"the register has no columns {sorted(unknown)}")
        rows = self.view("register").select(REGISTER_TABLE, filters, ("date", "deployment_id"))
        if month:
            rows = [r for r in rows if str(r["date"]).startswith(str(month))]
        return [{c: r[c] for c in REGISTER_COLUMNS} for r in rows]

    def register_row(self, deployment_id: UUID | str) -> Row | None:
        row = self.view("register").get(REGISTER_TABLE, (str(deployment_id),))
        return {c: row[c] for c in REGISTER_COLUMNS} if row else None

    def metrics(self, by: str = "month") -> list[Row]:
        alerts = self.view("alerts").select(ALERTS_TABLE)
        return metrics(self.view("register").select(REGISTER_TABLE), alerts, by)

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
            row["entry_reference"] = entry["reference"] if entry else None
        return rows

    def alerts(self, deployment_id: UUID | str) -> list[Row]:
        """Every alert of a deployment, in time order (the cancellation report uses it)."""
        return self.alert_queue(deployment_id, pending_only=False)

    def timeline(self, deployment_id: UUID | str) -> list[Row]:
        return self.view("timeline").select(
            TIMELINE_TABLE, {"deployment_id": str(deployment_id)}, ("notification_id",)
        )

    def aggregate_as_of(
        self, aggregate_id: UUID | str, version: int | None = None, at: datetime | None = None
    ) -> dict[str, Any]:
        return audit.aggregate_as_of(self.app, UUID(str(aggregate_id)), version, at)

    def close(self) -> None:
        self._views.close()


def open_read_models(settings: Any, services: Any = None) -> ReadModels:
    """The read models over the configured store.

    `services` (a `runtime.bootstrap.Services`) is reused when given: in memory it is the
    only way to see the same events. Without it the domain application is opened here."""
    if services is None:
        from runtime.bootstrap import open_services

        services = open_services(settings)
    return ReadModels(services.lfr, ViewFactory(settings.store))
