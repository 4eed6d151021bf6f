"""The public register of deployments (DOMAIN.md §d): an allow-listed schema, no personal data.

A register row is built from named fields of named events only, into the fixed columns
of `REGISTER_COLUMNS`; nothing of an event is copied wholesale, so names, references,
notes and images in events cannot reach it.

Counts follow the adjudication of each alert (DOMAIN.md §d):
- adjudicated `false_alert` (no engagement)            -> false alert, unconfirmed
- `engage`, then engagement `confirmed_true`           -> true alert, confirmed
- `engage`, then engagement `confirmed_false`          -> false alert, confirmed
- `engage`, then engagement `not_stopped`              -> true alert, unconfirmed
Engagements count people stopped and spoken to (confirmed true or confirmed false).
The false alert rate is published both ways: false alerts / faces seen (the MPS metric)
and false alerts / alerts.
"""

from __future__ import annotations

from datetime import datetime

from projections.base import Batch, ReadModelProjection
from projections.recorded import Recorded
from projections.tables import Row, Table

COUNTS = (
    "faces_seen",
    "alerts",
    "true_alerts_confirmed",
    "true_alerts_unconfirmed",
    "false_alerts_confirmed",
    "false_alerts_unconfirmed",
    "engagements",
    "arrests",
    "other_disposals",
)
REGISTER_TABLE = Table(
    "rm_register",
    {
        "deployment_id": "text",
        "date": "text",
        "location": "text",
        "borough": "text",
        "use_case": "text",
        "starts_at": "text",
        "ends_at": "text",
        "started_at": "text",
        "ended_at": "text",
        "duration_minutes": "real",
        "watchlist_size": "int",
        "threshold": "real",
        "status": "text",
        **{c: "int" for c in COUNTS},
        "true_alerts": "int",
        "false_alerts": "int",
        "false_alert_rate_per_faces": "real",
        "false_alert_rate_per_alerts": "real",
        "notification_ids": "json",
    },
    key=("deployment_id",),
    indexes=(("date",), ("borough",), ("use_case",)),
)
#: The public schema: every register row and export has exactly these keys, in this order.
REGISTER_COLUMNS: tuple[str, ...] = tuple(REGISTER_TABLE.columns)

_ALERT_EVENTS = {"AlertRaised", "AlertAdjudicated", "EngagementConcluded", "OutcomeRecorded"}
_DEPLOYMENT_EVENTS = {
    "DeploymentPlanned",
    "WatchlistImported",
    "ThresholdApplied",
    "DeploymentStarted",
    "DeploymentPaused",
    "DeploymentResumed",
    "DeploymentEnded",
    "CancellationReportSubmitted",
    "RegisterEntryPublished",
}
_STATUS = {
    "DeploymentStarted": "live",
    "DeploymentPaused": "paused",
    "DeploymentResumed": "live",
    "DeploymentEnded": "ended",
    "CancellationReportSubmitted": "reported",
    "RegisterEntryPublished": "published",
}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def finish(row: Row) -> Row:
    """Derived columns: totals, rates and duration."""
    row["true_alerts"] = row["true_alerts_confirmed"] + row["true_alerts_unconfirmed"]
    row["false_alerts"] = row["false_alerts_confirmed"] + row["false_alerts_unconfirmed"]
    row["false_alert_rate_per_faces"] = _ratio(row["false_alerts"], row["faces_seen"])
    row["false_alert_rate_per_alerts"] = _ratio(row["false_alerts"], row["alerts"])
    if row["started_at"] and row["ended_at"]:
        span = datetime.fromisoformat(row["ended_at"]) - datetime.fromisoformat(row["started_at"])
        row["duration_minutes"] = round(span.total_seconds() / 60, 1)
    return row


def _planned_row(event: Recorded) -> Row:
    location = event["location"]
    return {
        "deployment_id": event.originator_id,
        "date": event["starts_at"][:10],  # the date part of its ISO text
        "location": str(location.get("name", "")),
        "borough": str(location.get("borough", "")),
        "use_case": str(event["use_case"]),
        "starts_at": event.get("starts_at"),
        "ends_at": event.get("ends_at"),
        "started_at": None,
        "ended_at": None,
        "duration_minutes": None,
        "watchlist_size": None,
        "threshold": None,
        "status": "planned",
        **dict.fromkeys(COUNTS, 0),
        "notification_ids": [],
    }


class RegisterProjection(ReadModelProjection):
    """One row per deployment, kept current as its events arrive."""

    name = "register"
    tables = (REGISTER_TABLE,)
    events = frozenset(_ALERT_EVENTS | _DEPLOYMENT_EVENTS | {"FacesSeenCounted"})

    def apply(self, event: Recorded, batch: Batch) -> None:
        kind = event.name
        row: Row | None
        if kind == "DeploymentPlanned":
            batch.put(REGISTER_TABLE, row := _planned_row(event))
        else:
            row = batch.edit(REGISTER_TABLE, (self._deployment_of(kind, event),))
        if row is None:
            return  # an event of a deployment this register never saw planned
        self._count(kind, event, row)
        row["notification_ids"].append(event.notification_id)  # in place: long lists stay cheap

    def settle(self, batch: Batch) -> None:
        for row in batch.changes.puts.get(REGISTER_TABLE.name, {}).values():
            if isinstance(row, dict):  # always: the register puts dicts
                finish(row)  # in place: the row cached for the next batch is finished too

    @staticmethod
    def _deployment_of(kind: str, event: Recorded) -> str:
        if kind in _DEPLOYMENT_EVENTS:
            return event.originator_id
        if kind == "FacesSeenCounted":
            return str(event["deployment_id"])
        audit = event.audit
        return str(audit["deployment_id"] if audit else "")

    @staticmethod
    def _count(kind: str, event: Recorded, row: Row) -> None:
        if kind in _STATUS:
            row["status"] = _STATUS[kind]
        if kind == "DeploymentStarted":
            row["started_at"] = event.at
            row["date"] = event.at[:10]
        elif kind == "DeploymentEnded":
            row["ended_at"] = event.at
        elif kind == "WatchlistImported":
            row["watchlist_size"] = int(event["size"])
            row["threshold"] = float(event["threshold"])
        elif kind == "ThresholdApplied":
            row["threshold"] = float(event["threshold"])
        elif kind == "FacesSeenCounted":
            row["faces_seen"] += int(event["faces_seen"])
        elif kind == "AlertRaised":
            row["alerts"] += 1
        elif kind == "AlertAdjudicated" and event["decision"] == "false_alert":
            row["false_alerts_unconfirmed"] += 1
        elif kind == "EngagementConcluded":
            outcome = event["outcome"]
            column = {
                "confirmed_true": "true_alerts_confirmed",
                "confirmed_false": "false_alerts_confirmed",
                "not_stopped": "true_alerts_unconfirmed",
            }[outcome]
            row[column] += 1
            row["engagements"] += outcome != "not_stopped"
        elif kind == "OutcomeRecorded" and event["disposal"] in ("arrest", "other_disposal"):
            row["arrests" if event["disposal"] == "arrest" else "other_disposals"] += 1
