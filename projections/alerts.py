"""Alerts as the operator sees them: score, threshold, camera, time, entry, adjudication.

No image, name or note ever enters this view: the probe crop, the watchlist entry's
reference and the officers' notes stay sealed in the events, read only through an s.62
consultation. The entry's category is kept beside the alert for the operator. The delay
from the alert to its adjudication feeds the metrics and the report.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from projections.base import Batch, ReadModelProjection
from projections.recorded import ALERT_OUTCOME_EVENTS, Recorded
from projections.tables import Row, Table, Values

ALERTS_TABLE = Table(
    "rm_alerts",
    {
        "alert_id": "text",
        "deployment_id": "text",
        "notification_id": "int",
        "entry_id": "text",
        "camera_id": "text",
        "track_id": "text",
        "observed_at": "text",
        "raised_at": "text",
        "score": "real",
        "threshold": "real",
        "model": "json",
        "watchlist_version": "text",
        "state": "text",
        "decision": "text",
        "adjudicated_at": "text",
        "adjudicated_by": "text",
        "adjudicated_role": "text",
        "adjudication_delay_s": "real",
        "engagement_outcome": "text",
        "engagement_duration_s": "real",
        "disposal": "text",
        "legal_hold": "int",
        "erased": "int",
    },
    key=("alert_id",),
    indexes=(("deployment_id", "observed_at"), ("state",)),
)
ENTRIES_TABLE = Table(
    "rm_watchlist_entries",
    {"entry_id": "text", "deployment_id": "text", "category": "text", "erased": "int"},
    key=("entry_id",),
)

# The states of an alert, in order: the queue shows `pending`.
PENDING, ADJUDICATED, CONCLUDED, DISPOSED = "pending", "adjudicated", "concluded", "disposed"


def _raised(event: Recorded) -> Values:
    """The row of a raised alert, as `Values` (in `ALERTS_TABLE` column order)."""
    state = event.state
    return (
        event.originator_id,  # alert_id
        event["deployment_id"],
        event.notification_id,
        event["entry_id"],
        state["camera_id"],
        state["track_id"],
        event["observed_at"],
        event.at,  # raised_at
        float(state["score"]),
        float(state["threshold"]),
        orjson.dumps(state["model"], option=orjson.OPT_SORT_KEYS).decode(),
        state["watchlist_version"],
        PENDING,  # state
        None,  # decision
        None,  # adjudicated_at
        None,  # adjudicated_by
        None,  # adjudicated_role
        None,  # adjudication_delay_s
        None,  # engagement_outcome
        None,  # engagement_duration_s
        None,  # disposal
        0,  # legal_hold
        0,  # erased
    )


class AlertsProjection(ReadModelProjection):
    """One row per alert, and the categories of watchlist entries for the queue."""

    name = "alerts"
    tables = (ALERTS_TABLE, ENTRIES_TABLE)
    events = ALERT_OUTCOME_EVENTS | frozenset(
        {
            "LegalHoldPlaced",
            "LegalHoldLifted",
            "AlertDataErased",
            "WatchlistEntryAdded",
            "WatchlistEntryErased",
        }
    )

    def apply(self, event: Recorded, batch: Batch) -> None:
        kind = event.name
        if kind == "WatchlistEntryAdded":
            batch.put(
                ENTRIES_TABLE,
                {
                    "entry_id": event.originator_id,
                    "deployment_id": event["deployment_id"],
                    "category": event["category"],
                    "erased": 0,
                },
            )
            return
        if kind == "WatchlistEntryErased":
            entry = batch.get(ENTRIES_TABLE, (event.originator_id,))
            if entry is not None:
                batch.put(ENTRIES_TABLE, {**entry, "erased": 1})
            return
        if kind == "AlertRaised":
            batch.insert(ALERTS_TABLE, _raised(event))
            return
        row = batch.get(ALERTS_TABLE, (event.originator_id,))
        if row is not None:
            self._update(kind, event, row)
            batch.put(ALERTS_TABLE, row)

    @staticmethod
    def _update(kind: str, event: Recorded, row: Row) -> None:
        if kind == "AlertAdjudicated":
            audit = event.audit or {}
            row.update(
                state=ADJUDICATED,
                decision=event["decision"],
                adjudicated_at=event.at,
                adjudicated_by=audit.get("actor_id"),
                adjudicated_role=audit.get("actor_role"),
            )
            delay = datetime.fromisoformat(event.at) - datetime.fromisoformat(row["raised_at"])
            row["adjudication_delay_s"] = delay.total_seconds()
            if event["decision"] == "false_alert":
                row["state"] = CONCLUDED
        elif kind == "EngagementConcluded":
            row.update(
                state=CONCLUDED,
                engagement_outcome=event["outcome"],
                engagement_duration_s=float(event["duration_s"]),
            )
        elif kind == "OutcomeRecorded":
            row.update(state=DISPOSED, disposal=event["disposal"])
        elif kind == "AdjudicationCorrected":  # only before any engagement (domain rule)
            false_alert = event["decision"] == "false_alert"
            row.update(decision=event["decision"], state=CONCLUDED if false_alert else ADJUDICATED)
        elif kind == "OutcomeAmended":
            row["disposal"] = event["disposal"]
        elif kind in ("LegalHoldPlaced", "LegalHoldLifted"):
            row["legal_hold"] = int(kind == "LegalHoldPlaced")
        elif kind == "AlertDataErased":
            row["erased"] = 1
