"""The directory: which applications, deployments and watchlist entries exist, and the
s.62 consultation log, so the pages and the DPO read them by index instead of scanning
the event store on every request.

- `rm_directory`: one row per application opened, deployment planned and watchlist entry
  added (its kind, aggregate id, deployment, and the notification id that made it);
- `rm_consultations`: one row per read of personal data (who, when, why, what), in
  notification order: the DPO's log pages through it by notification id.

Only ids, roles, times and the justification officers typed are copied; the entries'
details stay in their aggregates (sealed where personal).
"""

from __future__ import annotations

from typing import Any

from projections.base import Batch, ReadModelProjection
from projections.recorded import Recorded
from projections.tables import Table

DIRECTORY_TABLE = Table(
    "rm_directory",
    {
        "notification_id": "int",
        "kind": "text",
        "aggregate_id": "text",
        "deployment_id": "text",
    },
    key=("notification_id",),
    indexes=(("kind", "notification_id"), ("kind", "deployment_id")),
)
CONSULTATIONS_TABLE = Table(
    "rm_consultations",
    {
        "notification_id": "int",
        "at": "text",
        "actor_id": "text",
        "actor_role": "text",
        "justification": "text",
        "operation": "text",
        "data_class": "text",
        "item_id": "text",
        "deployment_id": "text",
    },
    key=("notification_id",),
)

APPLICATION, DEPLOYMENT, WATCHLIST_ENTRY = "application", "deployment", "watchlist_entry"
# (aggregate, event) -> the directory's kind: the event that makes each.
_KINDS = {
    ("DeploymentApplication", "PolicingNeedIdentified"): APPLICATION,
    ("Deployment", "DeploymentPlanned"): DEPLOYMENT,
    ("WatchlistEntry", "WatchlistEntryAdded"): WATCHLIST_ENTRY,
}
_CONSULTED = ("Consultation", "PersonalDataConsulted")


class DirectoryProjection(ReadModelProjection):
    """The directory and the consultation log (see the module docstring)."""

    name = "directory"
    tables = (DIRECTORY_TABLE, CONSULTATIONS_TABLE)
    events = frozenset({name for _, name in (*_KINDS, _CONSULTED)})

    def apply(self, event: Recorded, batch: Batch) -> None:
        made = (event.aggregate_type, event.name)
        if made == _CONSULTED:
            batch.insert(CONSULTATIONS_TABLE, _consultation(event))
            return
        kind = _KINDS.get(made)
        if kind is not None:
            deployment = event["deployment_id"] if kind == WATCHLIST_ENTRY else None
            batch.insert(
                DIRECTORY_TABLE,
                {
                    "notification_id": event.notification_id,
                    "kind": kind,
                    "aggregate_id": event.originator_id,
                    "deployment_id": deployment,
                },
            )


def _consultation(event: Recorded) -> dict[str, Any]:
    audit = event.audit or {}
    return {
        "notification_id": event.notification_id,
        "at": event.at,
        "actor_id": audit.get("actor_id"),
        "actor_role": audit.get("actor_role"),
        "justification": audit.get("justification"),
        "operation": audit.get("s62_operation"),
        "data_class": event["data_class"],
        "item_id": event["item_id"],
        "deployment_id": audit.get("deployment_id"),
    }
