"""The register of deployments (DOMAIN.md §d): an allow-listed schema, no personal data.

Two tables with the same columns (`REGISTER_COLUMNS`):
- the working register (`RegisterProjection`): each deployment's figures, kept current
  from named fields of named events (nothing of an event is copied wholesale, so names,
  references, notes and images cannot reach it). Officers read it, and it is what a
  register entry publishes.
- the public register (`PublicRegisterProjection`): published data only. A row appears with
  the deployment's public notice and is, at every moment, exactly the payload of its latest
  public event (notice, results, amendment; `domain.publication`); its `notification_ids`
  are those public events, whose inclusion proofs are all the public is served.

A change to the working figures of a published deployment (an arrest recorded after
publication) is published as an amendment by `ReadModels.catch_up`, never in place.

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
from typing import Any

from domain.publication import COUNTS, ENDING_WORDS, PUBLIC_COLUMNS, derive
from domain.values import DeploymentStatus, Ending
from projections.base import Batch, ReadModelProjection
from projections.recorded import ALERT_OUTCOME_EVENTS, Recorded
from projections.tables import ColumnType, Row, Table

_TYPES: dict[str, ColumnType] = {
    "duration_minutes": "real",
    "watchlist_size": "int",
    "threshold": "real",
    **{c: "int" for c in (*COUNTS, "true_alerts", "false_alerts")},
    "false_alert_rate_per_faces": "real",
    "false_alert_rate_per_alerts": "real",
}
_COLUMNS: dict[str, ColumnType] = {
    **{c: _TYPES.get(c, "text") for c in PUBLIC_COLUMNS},
    "notification_ids": "json",
}
_INDEXES = (("date",), ("borough",), ("use_case",))
#: The working register: every deployment's figures as its events arrive. Officers, the
#: cancellation report and publishing read it; the public never does.
REGISTER_TABLE = Table("rm_register", _COLUMNS, key=("deployment_id",), indexes=_INDEXES)
#: The public register: each row exactly the payload of the deployment's latest public
#: event (`domain.publication`), with the notification ids of its public events.
PUBLIC_REGISTER_TABLE = Table(
    "rm_public_register", _COLUMNS, key=("deployment_id",), indexes=_INDEXES
)
#: The notification id of the latest public event: the public register changes only with it.
PUBLIC_HEAD_TABLE = Table(
    "rm_public_head", {"name": "text", "notification_id": "int"}, key=("name",)
)
#: The public schema: every register row and export has exactly these keys, in this order.
REGISTER_COLUMNS: tuple[str, ...] = tuple(REGISTER_TABLE.columns)

_DISPOSAL_COLUMNS = {"arrest": "arrests", "other_disposal": "other_disposals"}
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
    "DeploymentStarted": DeploymentStatus.LIVE.value,
    "DeploymentPaused": DeploymentStatus.PAUSED.value,
    "DeploymentResumed": DeploymentStatus.LIVE.value,
    "DeploymentEnded": DeploymentStatus.ENDED.value,
    "CancellationReportSubmitted": DeploymentStatus.REPORTED.value,
    "RegisterEntryPublished": DeploymentStatus.PUBLISHED.value,
}
PUBLIC_EVENTS = frozenset(
    {"PublicNoticePublished", "ResultsPublished", "ResultsAmended", "EndingPublished"}
)


def counts_of(row: Row) -> dict[str, int]:
    """The figures of a working register row that a register entry publishes."""
    return {c: int(row[c] or 0) for c in COUNTS}


def finish(row: Row) -> Row:
    """Derived columns: totals, rates and duration."""
    derive(row)
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
        "thresholds": None,  # in words on the public row, from the periods when published
        "status": "planned",
        "ending": None,
        **dict.fromkeys(COUNTS, 0),
        "notification_ids": [],
    }


class RegisterProjection(ReadModelProjection):
    """One row per deployment, kept current as its events arrive."""

    name = "register"
    tables = (REGISTER_TABLE,)
    events = frozenset(ALERT_OUTCOME_EVENTS | _DEPLOYMENT_EVENTS | {"FacesSeenCounted"})

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        # Published deployments whose figures changed since `changed_since_publication`
        # was last taken: their public rows may need an amendment.
        self._changed_published: set[str] = set()

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
        if row["status"] == "published" and kind != "RegisterEntryPublished":
            self._changed_published.add(row["deployment_id"])

    def changed_since_publication(self) -> set[str]:
        """The published deployments whose figures changed since the last call."""
        changed, self._changed_published = self._changed_published, set()
        return changed

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
            row["ending"] = ENDING_WORDS[Ending(event.get("ending") or Ending.BY_COMMAND.value)]
        elif kind == "WatchlistImported":
            row["watchlist_size"] = int(event["size"])
            row["threshold"] = float(event["threshold"])
        elif kind == "ThresholdApplied":
            row["threshold"] = float(event["threshold"])
        elif kind == "FacesSeenCounted":
            row["faces_seen"] += int(event["faces_seen"])
        elif kind == "AlertRaised":
            row["alerts"] += 1
            row["unadjudicated"] += 1
        elif kind == "AlertAdjudicated":
            row["unadjudicated"] -= 1
            row["false_alerts_unconfirmed"] += event["decision"] == "false_alert"
        elif kind == "EngagementConcluded":
            outcome = event["outcome"]
            column = {
                "confirmed_true": "true_alerts_confirmed",
                "confirmed_false": "false_alerts_confirmed",
                "not_stopped": "true_alerts_unconfirmed",
            }[outcome]
            row[column] += 1
            row["engagements"] += outcome != "not_stopped"
        elif kind == "OutcomeRecorded" and event["disposal"] in _DISPOSAL_COLUMNS:
            row[_DISPOSAL_COLUMNS[event["disposal"]]] += 1
        elif kind == "AdjudicationCorrected":  # before any engagement: only this count moves
            row["false_alerts_unconfirmed"] += (event["decision"] == "false_alert") - (
                event["previous"] == "false_alert"
            )
        elif kind == "OutcomeAmended":
            for disposal, step in ((event["previous"], -1), (event["disposal"], 1)):
                if disposal in _DISPOSAL_COLUMNS:
                    row[_DISPOSAL_COLUMNS[disposal]] += step


class PublicRegisterProjection(ReadModelProjection):
    """The public register: each row the payload of its deployment's latest public event."""

    name = "public_register"
    tables = (PUBLIC_REGISTER_TABLE, PUBLIC_HEAD_TABLE)
    events = PUBLIC_EVENTS

    def apply(self, event: Recorded, batch: Batch) -> None:
        published = {c: event["row"].get(c) for c in PUBLIC_COLUMNS}
        key = (published["deployment_id"],)
        before = batch.get(PUBLIC_REGISTER_TABLE, key)
        ids = before["notification_ids"] if before else []
        batch.put(
            PUBLIC_REGISTER_TABLE,
            {**published, "notification_ids": [*ids, event.notification_id]},
        )
        batch.put(PUBLIC_HEAD_TABLE, {"name": "head", "notification_id": event.notification_id})
