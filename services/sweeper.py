"""The retention sweeper: erases what the rules of DOMAIN.md §c make due, through the domain.

First it ends every deployment whose authority no longer covers it (the window closed, an
urgent authority lapsed unconfirmed), so the watchlist's clock starts. Then it finds what is
due from the stored events (`services.retention`), erases each item with the actor
`retention-sweeper` (role system) and the rule's name, and destroys the data keys in the
transactions that store the erasures (in batches after them where the keys live elsewhere).
Alerts are erased as the retention view saw them (version and hold: `Alert.erasure`), not
loaded and decoded one by one; an alert changed since is a conflict, retried one by one.
It is idempotent and safe to run in several processes at once: an item another sweeper erased
first is refused by the domain (already erased, or a concurrent-change conflict) and counted as
already done. It also repairs an erasure whose key outlived its event (a crash between the
two, where they cannot commit together; see `sweep`), closes the watchlist record of a
deployment whose entries are all erased, and purges destroyed keys from the database files
(see `adapters.vault`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.alert import Alert, SeenAlert
from domain.deployment import Deployment
from domain.errors import ConcurrentChange, DomainError
from domain.values import Actor, Audit, Role
from domain.watchlist import WatchlistEntry
from projections.base import collector_paused
from services.lfr import LfrService
from services.outages import database_unavailable, first_line
from services.retention import (
    Item,
    RetentionSettings,
    RetentionView,
    retention_view,
    rules_from,
)


class SweepSettings(RetentionSettings, Protocol):
    @property
    def deployment_clock_s(self) -> float: ...
    @property
    def retention_sweep_interval_s(self) -> float: ...


class Keys(Protocol):
    """What the sweeper needs of the vault (`adapters.vault.Vault`)."""

    def deferred_destruction(self) -> AbstractContextManager[list[str]]: ...
    def destroy_many(self, subject_ids: Sequence[str]) -> int: ...
    def live_among(self, subject_ids: Sequence[str]) -> list[str]: ...
    def purge(self) -> int: ...


class Services(Protocol):
    """The parts of the running system the sweeper works on (`runtime.bootstrap.Services`)."""

    @property
    def settings(self) -> SweepSettings: ...
    @property
    def lfr(self) -> LfrService: ...
    @property
    def vault(self) -> Keys: ...


SWEEPER = Actor("retention-sweeper", Role.SYSTEM)
# Measured on 2 cores with PostgreSQL beside (bench.retention, 20,000 items): 1,000 to a
# transaction with three in flight erased fastest against 500 with two or three.
BATCH = 1000
IN_FLIGHT = 3
log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did."""

    as_of: datetime
    erased: list[str] = field(default_factory=list)
    already_done: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    watchlists_closed: list[str] = field(default_factory=list)
    deployments_ended: dict[str, str] = field(default_factory=dict)
    keys_repaired: int = 0
    keys_purged: int = 0
    hold_reviews: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "erased": len(self.erased),
            "erased_ids": self.erased,
            "already_done": self.already_done,
            "refused": self.refused,
            "watchlists_closed": self.watchlists_closed,
            "deployments_ended": self.deployments_ended,
            "keys_repaired": self.keys_repaired,
            "keys_purged": self.keys_purged,
            "hold_reviews": self.hold_reviews,
        }


@dataclass
class SweepPlan:
    """What a sweep would do now, without doing it (`lfr retention sweep --dry-run`)."""

    as_of: datetime
    deployments_to_end: dict[str, str]
    due: list[Item]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": True,
            "deployments_to_end": self.deployments_to_end,
            "to_erase": len(self.due),
            "to_erase_items": [
                {"kind": i.kind, "item_id": i.item_id, "rule": i.rule} for i in self.due
            ],
        }


def plan(services: Services, as_of: datetime | None = None) -> SweepPlan:
    """What `sweep` would end and erase as of `as_of`; changes nothing. (A deployment due to
    end is not ended here, so its watchlist's clock has not started: entries it would make due
    are due only at a later sweep in the real run too.)"""
    now = as_of or services.lfr.clock()
    to_end: dict[str, str] = {}
    for deployment_id in services.lfr.open_deployments():
        ending = services.lfr.ending_due(deployment_id, now)
        if ending is not None:
            to_end[str(deployment_id)] = ending.value
    view = retention_view(services.lfr, rules_from(services.settings), now)
    return SweepPlan(now, to_end, view.due())


def sweep(services: Services, as_of: datetime | None = None) -> SweepResult:
    """Erase everything due as of `as_of` (default: the service's clock).

    A process's first sweep, and the one after a sweep that failed, read every item: they
    destroy keys that outlived their erasure (a crash between the two, where the key store
    cannot commit with the events) and close watchlists whose entries were all erased before.
    The others read only the items not erased yet, so a sweep's cost does not grow with
    everything ever erased."""
    now = as_of or services.lfr.clock()
    result = SweepResult(as_of=now)
    everything = not _SWEPT_WHOLE.pop(services.lfr, False)  # set again once this one succeeds
    result.deployments_ended = end_due_deployments(services.lfr)
    # Reading the view and erasing make a few objects per item, without cycles: the
    # collections they would set off, each walking every object, took a third of the time.
    with collector_paused():
        rules = rules_from(services.settings)
        view = retention_view(services.lfr, rules, now, erased=everything)
        _erase_due(services, view.due(), result)
    if everything:
        erased_before = [item.item_id for item in view.by_status("erased")]
        live = services.vault.live_among(erased_before)
        result.keys_repaired = services.vault.destroy_many(live)
    _close_watchlists(services, view, result)
    _raise_hold_reviews(services, view, result)
    result.keys_purged = services.vault.purge()
    _SWEPT_WHOLE[services.lfr] = True
    return result


# Per running system: whether a sweep has read every item and completed since it started.
_SWEPT_WHOLE: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _erase_due(services: Services, due: list[Item], result: SweepResult) -> None:
    with services.vault.deferred_destruction():
        for (kind, rule, deployment_id), items in _groups(due).items():
            if kind == "alert":
                erase_seen_alerts(services, UUID(deployment_id), items, rule, result)
                continue
            ids = [UUID(i.item_id) for i in items]
            for start in range(0, len(ids), BATCH):
                _erase_entries(services, ids[start : start + BATCH], rule, result)


def _groups(due: list[Item]) -> dict[tuple[str, str, str], list[Item]]:
    """The due items by kind, rule and deployment."""
    groups: dict[tuple[str, str, str], list[Item]] = {}
    for item in due:
        groups.setdefault((item.kind, item.rule, item.deployment_id), []).append(item)
    return groups


def erase_seen_alerts(
    services: Services, deployment_id: UUID, items: list[Item], rule: str, result: SweepResult
) -> None:
    """Erases a deployment's alerts as the retention view saw them, without loading each one,
    BATCH to a transaction, each batch's keys destroyed with its erasures; a batch
    with an alert changed since (a hold placed, erased by another sweeper) is retried one by
    one, loading each.

    IN_FLIGHT batches at once: while the database stores one (under the ledger's
    lock, so they still go in one at a time), the next ones are decided and encoded here."""
    audit = services.lfr.erasure_audit(SWEEPER, deployment_id)
    batches = [items[start : start + BATCH] for start in range(0, len(items), BATCH)]

    def erase(batch: list[Item]) -> SweepResult:
        done = SweepResult(as_of=result.as_of)
        with services.vault.deferred_destruction():
            _erase_seen_batch(services, audit, batch, rule, done)
        return done

    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="retention-erasure") as pool:
        for done in pool.map(erase, batches):
            result.erased += done.erased
            result.already_done += done.already_done
            result.refused |= done.refused


def _erase_seen_batch(
    services: Services, audit: Audit, batch: list[Item], rule: str, result: SweepResult
) -> None:
    seen = [SeenAlert(UUID(i.item_id), i.version, i.hold, bool(i.erasure)) for i in batch]
    try:
        erased = services.lfr.erase_seen_alerts(audit, seen, rule)
    except ConcurrentChange:
        for alert in seen:
            _erase_one(services, "alert", alert.alert_id, rule, result)
        return
    result.erased += erased
    result.already_done += len(seen) - len(erased)


def _erase_entries(services: Services, ids: list[UUID], rule: str, result: SweepResult) -> None:
    try:
        erased = services.lfr.erase_watchlist_entries_batch(SWEEPER, ids, rule)
    except ConcurrentChange:  # someone else got there first: one by one, to see which
        for item_id in ids:
            _erase_one(services, "watchlist_entry", item_id, rule, result)
        return
    result.erased += [str(i) for i in erased]
    result.already_done += len(ids) - len(erased)


def _erase_one(
    services: Services, kind: str, item_id: UUID, rule: str, result: SweepResult
) -> None:
    lfr = services.lfr
    erase = lfr.erase_alert_data if kind == "alert" else lfr.erase_watchlist_entry
    try:
        erase(SWEEPER, item_id, rule)
        result.erased.append(str(item_id))
    except DomainError as refusal:
        if _is_erased(services, kind, item_id):
            result.already_done += 1
        else:  # e.g. a legal hold placed since the view was read
            result.refused[str(item_id)] = str(refusal)


def _is_erased(services: Services, kind: str, item_id: UUID) -> bool:

    cls: Any = Alert if kind == "alert" else WatchlistEntry
    return bool(services.lfr.load(cls, item_id).erased)


def _close_watchlists(services: Services, view: RetentionView, result: SweepResult) -> None:
    """Record the whole watchlist erased once every entry of an ended deployment is."""

    entries: dict[str, list[Item]] = {}
    for item in view.items:
        if item.kind == "watchlist_entry" and item.deadline is not None:
            entries.setdefault(item.deployment_id, []).append(item)
    erased = set(result.erased)
    for deployment_id, items in entries.items():
        if not all(i.status == "erased" or i.item_id in erased for i in items):
            continue
        deployment = services.lfr.load(Deployment, UUID(deployment_id))
        if deployment.watchlist_state == "erased":
            continue
        try:
            services.lfr.erase_watchlist(SWEEPER, deployment.id, items[0].rule)
            result.watchlists_closed.append(deployment_id)
        except DomainError:
            result.already_done += 1  # closed by a concurrent sweeper


def end_due_deployments(lfr: LfrService) -> dict[str, str]:
    """Ends, with the recorded reason, every deployment whose authorised window has closed or
    whose urgent authority lapsed unconfirmed (DOMAIN.md §b.1); returns id -> ending. Each
    ending starts the watchlist's 24-hour clock. Another process ending one first is fine."""
    ended: dict[str, str] = {}
    for deployment_id in lfr.open_deployments():
        try:
            ending = lfr.end_deployment_if_due(SWEEPER, deployment_id)
        except ConcurrentChange:
            continue  # ended (or changed) by another process at the same moment
        if ending is not None:
            ended[str(deployment_id)] = ending.value
            log.info("deployment %s ended: %s", deployment_id, ending.value)
    return ended


def _raise_hold_reviews(services: Services, view: RetentionView, result: SweepResult) -> None:
    """A task for the DPO (a recorded event) for each hold whose review date has come."""
    today = view.as_of.date().isoformat()
    for item in view.by_status("held"):
        if item.hold.get("review_due") or item.hold.get("review_on", today) > today:
            continue
        try:
            services.lfr.raise_hold_review(SWEEPER, UUID(item.item_id))
            result.hold_reviews.append(item.item_id)
        except DomainError:
            result.already_done += 1  # raised by a concurrent sweeper, or the hold lifted


def run_periodically(
    services: Services,
    interval_s: float,
    stop: threading.Event,
    on_result: Callable[[SweepResult], None] | None = None,
) -> None:
    """Sweep every `interval_s` seconds until `stop` is set; a failed sweep is logged and
    retried at the next interval, never fatal to the service running it."""
    while not stop.is_set():
        try:
            result = sweep(services)
            if on_result is not None:
                on_result(result)
            if result.erased or result.refused:
                log.info(
                    "retention sweep: %d erased, %d refused",
                    len(result.erased),
                    len(result.refused),
                )
        except Exception as error:
            _log_failure("retention sweep", error, interval_s)
        stop.wait(interval_s)


def run_deployment_clock(lfr: LfrService, interval_s: float, stop: threading.Event) -> None:
    """End due deployments every `interval_s` seconds, so an authority's end takes effect
    within seconds, not at the next retention sweep; failures are logged and retried."""
    while not stop.wait(interval_s):
        try:
            end_due_deployments(lfr)
        except Exception as error:
            _log_failure("ending due deployments", error, interval_s)


def _log_failure(work: str, error: Exception, interval_s: float) -> None:
    """The database away is one line each round (it recovers by itself); anything else is a
    defect, logged with where it happened."""
    if database_unavailable(error):
        log.warning(
            "%s: the database is not available (%s); retrying in %.0f s",
            work,
            first_line(error),
            interval_s,
        )
    else:
        log.exception("%s failed; retrying in %.0f s", work, interval_s)


def start_deployment_clock(
    services: Services, interval_s: float | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run `run_deployment_clock` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    interval = interval_s if interval_s is not None else services.settings.deployment_clock_s
    thread = threading.Thread(
        target=run_deployment_clock,
        args=(services.lfr, interval, stop),
        name="deployment-clock",
        daemon=True,
    )
    thread.start()
    return thread, stop


def start_sweeper(
    services: Services,
    interval_s: float | None = None,
) -> tuple[threading.Thread, threading.Event]:
    """Run `run_periodically` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    interval = (
        interval_s if interval_s is not None else services.settings.retention_sweep_interval_s
    )
    thread = threading.Thread(
        target=run_periodically,
        args=(services, interval, stop),
        name="retention-sweeper",
        daemon=True,
    )
    thread.start()
    return thread, stop
