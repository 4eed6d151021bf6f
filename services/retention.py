"""The DPO's retention view: every item of personal data, its rule, deadline and status.

Items are watchlist entries (face image and template) and alerts (probe crop). What the
events say about each item is kept by a projection (`projections.retention_projection`,
tables with a tracking position like every read model, rebuilt by `lfr project
--rebuild`); `retention_view` catches that projection up with every stored event, then
`RetentionState.view(rules, now)` says for each item whether it is live, due, overdue,
held or erased (DOMAIN.md §c):

- an alert's deadline is `alert_retention` after it was observed; under a legal hold it has
  none; once the hold is lifted it is erased then at the latest (the deadline is never before
  the lift plus the margin);
- a watchlist entry's deadline is `watchlist_retention` after its deployment ended (none while
  the deployment has not ended);
- an item is *due* `margin` before its deadline (the sweeper erases it then, so the legal limit
  is met even if a sweep is late by less than the margin) and *overdue* once the deadline has
  passed unerased: that is a breach, which the report raises as an alarm.
"""

from __future__ import annotations

import heapq
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from operator import itemgetter
from typing import Any, Protocol

from eventsourcing.application import Application

from domain.errors import NotFound
from ledger.proofs import check_row_inclusion, inclusion_document
from ledger.service import Ledger, LedgerError
from projections.base import Projector
from projections.retention_projection import (
    DEPLOYMENTS_TABLE,
    ERASED_TABLE,
    ITEMS_TABLE,
    TOPICS,
    RetentionProjection,
)
from projections.retention_seal import SEAL_KEY, SEAL_TABLE, SealCheck, check
from projections.tables import Row
from projections.views import View, view_beside

__all__ = [
    "Item",
    "RetentionProjection",
    "RetentionRules",
    "RetentionState",
    "RetentionView",
    "erasure_proof",
    "load_state",
    "prove_erasures",
    "retention_view",
    "rules_from",
]

log = logging.getLogger(__name__)
ITEM_TABLES = (ITEMS_TABLE, ERASED_TABLE)


class RetentionSettings(Protocol):
    """The settings the rules are read from (`runtime.settings.Settings`)."""

    @property
    def alert_retention_days(self) -> int: ...
    @property
    def watchlist_retention_hours(self) -> int: ...
    @property
    def retention_margin_minutes(self) -> int: ...


class ItemStatus(StrEnum):
    """Where an item of personal data stands against its retention rule (DOMAIN.md §c)."""

    LIVE = "live"  # kept: its deadline is ahead, or none yet
    DUE = "due"  # within the margin of its deadline: the sweeper erases it now
    OVERDUE = "overdue"  # its deadline passed unerased: a breach
    HELD = "held"  # under a legal hold: no deadline while held
    ERASED = "erased"


STATUSES = tuple(status.value for status in ItemStatus)


@dataclass(frozen=True)
class RetentionRules:
    """The retention periods (from the settings; MPS defaults in DOMAIN.md §c)."""

    alert_retention: timedelta = timedelta(days=31)
    watchlist_retention: timedelta = timedelta(hours=24)
    margin: timedelta = timedelta(hours=1)

    @cached_property  # read for every item judged
    def alert_rule(self) -> str:
        return f"alert-data-{_span(self.alert_retention)}-after-alert"

    @cached_property
    def watchlist_rule(self) -> str:
        return f"watchlist-{_span(self.watchlist_retention)}-after-deployment-end"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours % 24 == 0:
        return f"{int(hours // 24)}d"
    return f"{hours:g}h"


@dataclass
class Item:
    """One data subject's personal data: a watchlist entry or an alert's probe crop."""

    kind: str  # "watchlist_entry" or "alert"
    item_id: str
    deployment_id: str
    data: tuple[str, ...]
    collected_at: datetime
    version: int = 0  # of its aggregate, as last seen
    rule: str = ""
    deadline: datetime | None = None
    due_at: datetime | None = None
    status: ItemStatus = ItemStatus.LIVE
    hold: dict[str, str] = field(default_factory=dict)
    hold_lifted_at: datetime | None = None
    erasure: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("collected_at", "deadline", "due_at", "hold_lifted_at"):
            data[name] = data[name].isoformat() if data[name] else None
        data["data"] = list(self.data)
        return data


@dataclass
class RetentionView:
    """The items as of one moment, with the faces-seen figures for the non-match policy."""

    as_of: datetime
    rules: RetentionRules
    items: list[Item]
    faces_seen: int
    alerts_raised: int
    # Whether the rows passed their check against the events, or were rebuilt from them.
    integrity: dict[str, Any] = field(default_factory=dict)

    def by_status(self, status: str) -> list[Item]:
        return [item for item in self.items if item.status == status]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for item in self.items:
            counts[str(item.status)] += 1
        return counts

    def due(self) -> list[Item]:
        """What the sweeper must erase now: due and overdue items."""
        return [item for item in self.items if item.status in (ItemStatus.DUE, ItemStatus.OVERDUE)]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "rules": {
                "alert": self.rules.alert_rule,
                "watchlist": self.rules.watchlist_rule,
                "margin_s": self.rules.margin.total_seconds(),
            },
            "counts": self.counts(),
            "integrity": self.integrity,
            "non_matching_faces": {
                "faces_seen": self.faces_seen,
                "stored": 0,
                "alerts_stored_encrypted": self.alerts_raised,
            },
            "items": [item.to_json() for item in self.items],
        }


class RetentionState:
    """What the events say about every item of personal data, as the projection holds it."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        self.deployment_ended: dict[str, datetime] = {}
        self.faces_seen = 0
        self.position = 0

    def view(self, rules: RetentionRules, now: datetime) -> RetentionView:
        """Each item's rule, deadline and status as of `now`."""
        for item in self.items.values():
            self._judge(item, rules, now)
        alerts = sum(1 for item in self.items.values() if item.kind == "alert")
        return RetentionView(now, rules, list(self.items.values()), self.faces_seen, alerts)

    def _judge(self, item: Item, rules: RetentionRules, now: datetime) -> None:
        item.deadline = item.due_at = None
        if item.kind == "alert":
            item.rule = rules.alert_rule
            if not item.hold:
                item.deadline = item.collected_at + rules.alert_retention
                if item.hold_lifted_at is not None:
                    item.deadline = max(item.deadline, item.hold_lifted_at + rules.margin)
        else:
            item.rule = rules.watchlist_rule
            ended = self.deployment_ended.get(item.deployment_id)
            if ended is not None:
                item.deadline = ended + rules.watchlist_retention
        if item.deadline is not None:
            item.due_at = item.deadline - rules.margin
        item.status = _status(item, now)


def _status(item: Item, now: datetime) -> ItemStatus:
    if item.erasure:
        return ItemStatus.ERASED
    if item.hold:
        return ItemStatus.HELD
    if item.deadline is None or item.due_at is None or now < item.due_at:
        return ItemStatus.LIVE
    return ItemStatus.OVERDUE if now >= item.deadline else ItemStatus.DUE


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _item(row: Row) -> Item:
    return Item(
        row["kind"],
        row["item_id"],
        row["deployment_id"],
        tuple(row["data"]),
        datetime.fromisoformat(row["collected_at"]),
        int(row["version"]),
        hold=row["hold"] or {},
        hold_lifted_at=_moment(row["hold_lifted_at"]),
        erasure=row["erasure"] or {},
    )


def load_state(view: View, position: int = 0) -> RetentionState:
    """The state the retention projection's tables hold (items in the order collected),
    unchecked: decisions use `retention_view`, which checks the rows first."""
    items, erased = (view.select(t, order_by=("notification_id",)) for t in ITEM_TABLES)
    return _state_of(items, erased, view.select(DEPLOYMENTS_TABLE), position)


def _state_of(
    items: list[Row], erased: list[Row], deployments: list[Row], position: int
) -> RetentionState:
    state = RetentionState()
    state.position = position
    for row in heapq.merge(items, erased, key=itemgetter("notification_id")):
        state.items[row["item_id"]] = _item(row)
    for row in deployments:
        state.faces_seen += int(row["faces_seen"])
        ended = _moment(row["ended_at"])
        if ended is not None:
            state.deployment_ended[row["deployment_id"]] = ended
    return state


# One retention projection per application (and so per store), made on first use.
_PROJECTIONS: weakref.WeakKeyDictionary[Application[Any], tuple[Projector, RetentionProjection]]
_PROJECTIONS = weakref.WeakKeyDictionary()
_MADE = threading.Lock()


def _projection_of(app: Application[Any]) -> tuple[Projector, RetentionProjection]:
    with _MADE:
        made = _PROJECTIONS.get(app)
        if made is None:
            view = view_beside(app.recorder, RetentionProjection.tables)
            projection = RetentionProjection.for_app(app, view)
            made = _PROJECTIONS[app] = (Projector(app, [projection]), projection)
        return made


def retention_view(
    app: Application[Any], rules: RetentionRules, now: datetime, *, erased: bool = True
) -> RetentionView:
    """The DPO's view of `app`'s store as of `now`, with every event stored so far; without
    the erased items if not `erased` (what a sweep reads: its cost stays with the items it
    may still erase, not with everything ever erased).

    Its rows are checked against their seal first (`projections.retention_seal`); rows that
    fail are rebuilt from the events before anything is decided from them, and the view says
    so (`integrity`), so an edited table can neither stop nor hasten an erasure."""
    projector, projection = _projection_of(app)
    projector.catch_up()
    state, checked = checked_state(app, projection, erased=erased)
    integrity = {**checked.to_json(), "rebuilt_from_events": False}
    if not checked.verified:
        log.warning("retention rows failed their check (%s); rebuilt from the events", checked)
        projector.rebuild()
        state, again = checked_state(app, projection, erased=erased)
        integrity = {**checked.to_json(), "rebuilt_from_events": True, "now": again.to_json()}
    view = state.view(rules, now)
    view.integrity = integrity
    return view


def checked_state(
    app: Application[Any], projection: RetentionProjection, *, erased: bool = True
) -> tuple[RetentionState, SealCheck]:
    """The projection's state (without the erased items if not `erased`), and whether its
    rows are the ones the events made."""
    view, position = projection.view, projection.position()
    items = view.select(ITEMS_TABLE, order_by=("notification_id",))
    erased_items = view.select(ERASED_TABLE, order_by=("notification_id",)) if erased else []
    deployments = view.select(DEPLOYMENTS_TABLE)
    seal = view.get(SEAL_TABLE, SEAL_KEY)

    def events_after(last_applied: int) -> bool:
        if position <= last_applied:
            return False
        found = app.recorder.select_notifications(
            start=last_applied + 1, limit=1, stop=position, topics=sorted(TOPICS)
        )
        return bool(found)

    rows = [(ITEMS_TABLE, r) for r in items] + [(DEPLOYMENTS_TABLE, r) for r in deployments]
    erased_rows = [(ERASED_TABLE, r) for r in erased_items] if erased else None
    checked = check(projection.sealing, seal, rows, erased_rows, events_after)
    return _state_of(items, erased_items, deployments, position), checked


def prove_erasures(open_ledger: Callable[[], Ledger], erased: list[Item]) -> dict[str, Any]:
    """For each erased item, the inclusion proof of its erasure event in a signed checkpoint
    (one is made when the latest does not yet cover the event), checked before it is given.
    The ledger is opened only when there is an erasure to prove."""
    if not erased:
        return {}
    try:
        ledger = open_ledger()
        latest = ledger.latest_checkpoint()
        newest = max(int(i.erasure["notification_id"]) for i in erased)
        if latest is None or latest.tree_size < newest:
            latest = ledger.checkpoint()
    except LedgerError as error:
        return {i.item_id: {"error": str(error)} for i in erased}
    proofs: dict[str, Any] = {}
    for item in erased:
        try:
            proof, row = ledger.prove_inclusion(
                int(item.erasure["notification_id"]), latest.tree_size
            )
            check_row_inclusion(proof, row, latest, ledger.trusted)
            proofs[item.item_id] = {
                **inclusion_document(proof, row, latest, ledger.witnesses),
                "verified": True,
            }
        except Exception as error:  # shown as an unproven erasure, never hidden
            proofs[item.item_id] = {"error": f"{type(error).__name__}: {error}"}
    return proofs


def erasure_proof(
    lfr: Any,
    vault: Any,
    rules: RetentionRules,
    open_ledger: Callable[[], Ledger],
    subject_id: Any,
) -> dict[str, Any]:
    """One item's retention record with, once erased, the ledger proof of its erasure event and
    whether its data key is destroyed."""
    view = retention_view(lfr, rules, lfr.clock())
    item = next((i for i in view.items if i.item_id == str(subject_id)), None)
    if item is None:
        raise NotFound(f"no personal data is recorded under {subject_id}")
    document = item.to_json()
    document["key_destroyed"] = vault.is_destroyed(item.item_id)
    erased = [item] if item.erasure else []  # an item not erased yet has nothing to prove
    document["erasure_proof"] = prove_erasures(open_ledger, erased).get(item.item_id)
    return document


def rules_from(settings: RetentionSettings) -> RetentionRules:
    return RetentionRules(
        alert_retention=timedelta(days=settings.alert_retention_days),
        watchlist_retention=timedelta(hours=settings.watchlist_retention_hours),
        margin=timedelta(minutes=settings.retention_margin_minutes),
    )
