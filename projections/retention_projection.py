"""The retention projection: every item of personal data and what happened to it, as rows.

One row per item (a watchlist entry's face image and template, an alert's probe crop) with
when it was collected, its legal hold, when a hold was lifted and its erasure, and one row
per deployment with when it ended and its faces-seen count. Rules and deadlines are not
stored: they depend on the settings and the time asked about, so
`services.retention.RetentionState.view(rules, now)` judges the rows when read.

No personal data enters these tables: an item is named by its id only, and the sealed
image, template, crop, names and notes stay in the events. Another table holds the seal
(`projections.retention_seal`) that lets a reader check the rows against the events before
any retention decision is taken from them. Erased items move to a table of their own, sealed
apart, so a sweep reads only the items it may still erase.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.utils import get_topic

from domain.alert import Alert
from domain.deployment import Deployment
from domain.records import FacesSeenTally
from domain.watchlist import WatchlistEntry
from projections.base import Batch, ReadModelProjection
from projections.recorded import Recorded
from projections.retention_seal import SEAL_KEY, SEAL_TABLE, ZERO, Sealing, digests, xor
from projections.tables import Row, Table, Values

ITEM_COLUMNS: dict[str, Any] = {
    "item_id": "text",
    # The version of the item's aggregate after the last event applied: the sweeper's
    # erasure is the event at the next version, refused if the item changed since.
    "version": "int",
    "notification_id": "int",  # of the event that collected it: the view's order
    "kind": "text",  # "watchlist_entry" or "alert"
    "deployment_id": "text",
    "data": "json",  # which personal data: ["face_image", "template"] or ["probe_image"]
    "collected_at": "text",
    "hold": "json",  # {} or basis, requested_by, approved_by, review_on, review_due
    "hold_lifted_at": "text",
    "erasure": "json",  # {} or rule, by, role, at, notification_id
}
# The items not erased. "_v3": erased items moved to a table of their own, so a sweep reads
# and checks only what it may still erase, however long the system has run. A store whose
# rows were made before finds these tables (and the seal's) empty while its tracking
# position says events were applied: the check fails, and the view is rebuilt from the
# events at its first read (`services.retention.retention_view`).
ITEMS_TABLE = Table(
    "rm_retention_items_v3", ITEM_COLUMNS, key=("item_id",), indexes=(("notification_id",),)
)
# The items erased: final, never changed again.
ERASED_TABLE = Table(
    "rm_retention_erased_items",
    ITEM_COLUMNS,
    key=("item_id",),
    indexes=(("notification_id",),),
)
DEPLOYMENTS_TABLE = Table(
    "rm_retention_deployments",
    {"deployment_id": "text", "ended_at": "text", "faces_seen": "int"},
    key=("deployment_id",),
)

# Every event of the items' aggregates (each moves the item's version), the deployments'
# ends and the faces-seen tallies. A new event of an alert or an entry must be added here.
EVENTS = {
    WatchlistEntry: ("WatchlistEntryAdded", "AoRationaleRecorded", "WatchlistEntryErased"),
    Deployment: ("DeploymentEnded",),
    Alert: (
        "AlertRaised",
        "AlertAdjudicated",
        "AdjudicationCorrected",
        "EngagementConcluded",
        "OutcomeRecorded",
        "OutcomeAmended",
        "LegalHoldPlaced",
        "LegalHoldApproved",
        "LegalHoldReviewDue",
        "LegalHoldRenewed",
        "LegalHoldLifted",
        "AlertDataErased",
    ),
    FacesSeenTally: ("FacesSeenCounted",),
}
TOPICS = frozenset(f"{get_topic(cls)}.{name}" for cls, names in EVENTS.items() for name in names)


def _collected(event: Recorded, kind: str, data: str, at: str) -> Values:
    """A new item's row, as `Values` (in `ITEMS_TABLE` column order, JSON as text)."""
    return (
        event.originator_id,  # item_id
        event.originator_version,
        event.notification_id,
        kind,
        event["deployment_id"],
        data,
        at,  # collected_at
        "{}",  # hold
        None,  # hold_lifted_at
        "{}",  # erasure
    )


# The `data` column of each kind of item, as stored (JSON text).
ENTRY_DATA = orjson.dumps(["face_image", "template"]).decode()
PROBE_DATA = orjson.dumps(["probe_image"]).decode()


class RetentionProjection(ReadModelProjection):
    """The rows `services.retention.retention_view` judges (see the module docstring)."""

    name = "retention"
    tables = (ITEMS_TABLE, ERASED_TABLE, DEPLOYMENTS_TABLE, SEAL_TABLE)
    events = frozenset(name for names in EVENTS.values() for name in names)

    def __init__(self, view: Any, sealing: Sealing | None = None) -> None:
        super().__init__(view)
        # Without the installation's key (a bare projection in a test) the seal still
        # tracks the rows, but anyone could recompute it.
        self.sealing = sealing or Sealing(b"lfr:retention-seal:unkeyed")
        self._live, self._erased, self._last = ZERO, ZERO, 0

    @classmethod
    def for_app(cls, app: Any, view: Any) -> RetentionProjection:
        """The projection keyed from the app's vault (its key-encryption key)."""
        derive = getattr(getattr(app, "sealer", None), "derived_key", None)
        return cls(view, Sealing(derive("retention-seal")) if derive else None)

    def wants(self, topic: str) -> bool:
        return topic in TOPICS  # these aggregates' events only, whatever others are named

    def apply(self, event: Recorded, batch: Batch) -> None:
        self._last = event.notification_id
        name = event.name
        if name == "WatchlistEntryAdded":
            self._insert(batch, _collected(event, "watchlist_entry", ENTRY_DATA, event.at))
        elif name == "AlertRaised":
            self._insert(batch, _collected(event, "alert", PROBE_DATA, event["observed_at"]))
        elif name in ("DeploymentEnded", "FacesSeenCounted"):
            self._deployment(event, batch)
        else:
            item = batch.get(ITEMS_TABLE, (event.originator_id,))
            if item is not None:  # an erased item has no more events
                self._rehash(ITEMS_TABLE, item)
                item["version"] = event.originator_version
                self._change(item, event)
                table = ERASED_TABLE if item["erasure"] else ITEMS_TABLE
                if table is ERASED_TABLE:
                    batch.delete(ITEMS_TABLE, (event.originator_id,))
                self._rehash(table, item)
                batch.put(table, item)

    def _insert(self, batch: Batch, values: Values) -> None:
        batch.insert(ITEMS_TABLE, values)
        self._rehash(ITEMS_TABLE, ITEMS_TABLE.decode(values))

    def _rehash(self, table: Table, row: Row) -> None:
        """Folds a row into the batch's change of its part of the seal, the erased items' or
        the rest's (once out as it was, once in as it is: XOR makes the pair a
        replacement)."""
        if table is ERASED_TABLE:
            self._erased = xor(self._erased, self.sealing.row_hash(table, row))
        else:
            self._live = xor(self._live, self.sealing.row_hash(table, row))

    def settle(self, batch: Batch) -> None:
        if self._last:
            live, erased = digests(batch.get(SEAL_TABLE, SEAL_KEY))
            sealed = self.sealing.seal_row(
                xor(live, self._live), xor(erased, self._erased), self._last
            )
            batch.put(SEAL_TABLE, sealed)
        self._live, self._erased, self._last = ZERO, ZERO, 0

    def forget(self) -> None:
        super().forget()
        self._live, self._erased, self._last = ZERO, ZERO, 0

    def _deployment(self, event: Recorded, batch: Batch) -> None:
        ended = event.name == "DeploymentEnded"
        deployment_id = event.originator_id if ended else event["deployment_id"]
        row = batch.edit(DEPLOYMENTS_TABLE, (deployment_id,))
        if row is None:
            row = {"deployment_id": deployment_id, "ended_at": None, "faces_seen": 0}
            batch.put(DEPLOYMENTS_TABLE, row)
        else:
            self._rehash(DEPLOYMENTS_TABLE, row)
        if ended:
            row["ended_at"] = event.at
        else:
            row["faces_seen"] += int(event["faces_seen"])
        self._rehash(DEPLOYMENTS_TABLE, row)

    @staticmethod
    def _change(item: Row, event: Recorded) -> None:
        audit = event.audit or {}
        if event.name == "LegalHoldPlaced":  # the reason is sealed: it stays in the event
            item["hold"] = {
                "basis": event["basis"],
                "requested_by": audit.get("actor_id"),
                "approved_by": "",
                "review_on": event["review_on"],
                "review_due": "",
            }
        elif event.name == "LegalHoldApproved":
            item["hold"] = {**item["hold"], "approved_by": audit.get("actor_id")}
        elif event.name == "LegalHoldReviewDue":
            item["hold"] = {**item["hold"], "review_due": event["review_on"]}
        elif event.name == "LegalHoldRenewed":
            item["hold"] = {**item["hold"], "review_on": event["review_on"], "review_due": ""}
        elif event.name == "LegalHoldLifted":
            item["hold"], item["hold_lifted_at"] = {}, event.at
        elif event.name in ("AlertDataErased", "WatchlistEntryErased"):
            item["erasure"] = {
                "rule": event["rule"],
                "by": audit.get("actor_id"),
                "role": audit.get("actor_role"),
                "at": event.at,
                "notification_id": event.notification_id,
            }
