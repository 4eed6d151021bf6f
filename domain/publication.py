"""What the public sees of a deployment (DOMAIN.md §a rows 6 and 17, §d).

A `PublicRecord` holds the public row of one deployment. Each change of it is an event
whose only payload is the whole row (`PUBLIC_COLUMNS`): the public notice first (where,
when, why), then the results once the register entry is published, then an amendment for
each later change (an arrest recorded after publication). A published row is never
changed in place.

These events carry no audit record on purpose: they and their ledger proofs are served to
anyone, so they hold no officer id, no free text, no watchlist entry and no image. Who
published is recorded on the deployment (`RegisterEntryPublished`, with its audit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.deployment import Deployment
from domain.rules import require
from domain.values import Ending

#: The figures counted from the deployment's alerts (the register projection counts them).
COUNTS: tuple[str, ...] = (
    "faces_seen",
    "alerts",
    "true_alerts_confirmed",
    "true_alerts_unconfirmed",
    "false_alerts_confirmed",
    "false_alerts_unconfirmed",
    "engagements",
    "arrests",
    "other_disposals",
    "unadjudicated",  # alerts no officer has adjudicated (yet: they still can be)
)
NOTICE_COLUMNS: tuple[str, ...] = (
    "deployment_id",
    "date",
    "location",
    "borough",
    "use_case",
    "starts_at",
    "ends_at",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "started_at",
    "ended_at",
    "duration_minutes",
    "watchlist_size",
    "threshold",
    "thresholds",  # every threshold in force, with the alerts raised at each, in words
    "status",
    "ending",  # how the deployment ended, in words
    *COUNTS,
    "true_alerts",
    "false_alerts",
    "false_alert_rate_per_faces",
    "false_alert_rate_per_alerts",
)
#: Every public row has exactly these keys, in this order (the register's columns).
PUBLIC_COLUMNS: tuple[str, ...] = (*NOTICE_COLUMNS, *RESULT_COLUMNS)


class PublicStatus(StrEnum):
    """How far the public record has gone."""

    ANNOUNCED = "announced"  # the public notice only: no results yet
    PUBLISHED = "published"
    AMENDED = "amended"  # published, then changed by a later event
    CLOSED = "closed"  # ended before it started: no results will follow


#: How each ending reads on the public register (the officer's reason is never public).
ENDING_WORDS: dict[Ending, str] = {
    Ending.BY_COMMAND: "ended by the Gold team",
    Ending.WINDOW_ENDED: "ended when its authorised time ran out",
    Ending.URGENT_AUTHORITY_LAPSED: "ended: its urgent authority was not confirmed",
    Ending.AUTHORITY_REVOKED: "authority revoked",
    Ending.WITHDRAWN: "withdrawn before it started",
    Ending.CANCELLED: "cancelled before it started",
    Ending.EXPIRED_UNUSED: "authority expired unused",
}


def ending_words(deployment: Deployment) -> str | None:
    """How the deployment ended, in words; None while it has not."""
    if not deployment.ending:
        return None
    words = ENDING_WORDS[Ending(deployment.ending)]
    never_ran = deployment.started_at is None
    if never_ran and Ending(deployment.ending) is Ending.AUTHORITY_REVOKED:
        return f"{words} before it started"
    return words


def thresholds_words(
    deployment: Deployment, periods: Sequence[Mapping[str, Any]] | None
) -> str | None:
    """Every threshold the deployment ran at, from its own history, with the alerts raised
    at each (`periods`, one per change, from the alerts): `0.64: 3 alerts; 0.7 from 10:38
    UTC: 1 alert`. None before a threshold was set."""
    history = deployment.threshold_history
    if not history:
        return None
    counts = [p.get("alerts") for p in periods or []]
    require(
        not counts or len(counts) == len(history),
        f"the thresholds in force are {len(history)} periods, not {len(counts)}",
    )
    parts = []
    for n, period in enumerate(history):
        text = f"{period['threshold']:g}"
        if n:
            text += f" from {datetime.fromisoformat(period['from']):%H:%M} UTC"
        if counts:
            alerts = counts[n]
            require(
                type(alerts) is int and 0 <= alerts < 2**53,
                f"the alerts at a threshold must be a whole number, not {alerts!r}",
            )
            text += f": {alerts} alert{'' if alerts == 1 else 's'}"
        parts.append(text)
    return "; ".join(parts)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def derive(row: dict[str, Any]) -> dict[str, Any]:
    """The derived figures of a row with its counts: totals and both false alert rates
    (per faces seen, the MPS measure, and per alert; DOMAIN.md §d). In place."""
    row["true_alerts"] = row["true_alerts_confirmed"] + row["true_alerts_unconfirmed"]
    row["false_alerts"] = row["false_alerts_confirmed"] + row["false_alerts_unconfirmed"]
    row["false_alert_rate_per_faces"] = _ratio(row["false_alerts"], row["faces_seen"])
    row["false_alert_rate_per_alerts"] = _ratio(row["false_alerts"], row["alerts"])
    return row


def notice_row(deployment: Deployment) -> dict[str, Any]:
    """The public row of an announced deployment: where, when and why; no results."""
    started = deployment.started_at
    row: dict[str, Any] = {
        "deployment_id": str(deployment.id),
        "date": (started or deployment.starts_at).date().isoformat(),
        "location": str(deployment.location.get("name", "")),
        "borough": str(deployment.location.get("borough", "")),
        "use_case": str(deployment.use_case),
        "starts_at": deployment.starts_at.isoformat(),
        "ends_at": deployment.ends_at.isoformat(),
    }
    row.update(dict.fromkeys(RESULT_COLUMNS))
    row["status"] = PublicStatus.ANNOUNCED.value
    return row


def results_row(
    deployment: Deployment,
    counts: Mapping[str, Any],
    status: PublicStatus,
    periods: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The public row with the deployment's results: its own times, watchlist size,
    thresholds and ending, and the counts given (each a whole number; an omitted count is
    0); `periods` count the alerts raised at each threshold in force."""
    unknown = sorted(set(counts) - set(COUNTS))
    require(not unknown, f"a register entry has no figures {unknown}; it has {list(COUNTS)}")
    for name, value in counts.items():
        require(
            type(value) is int and 0 <= value < 2**53,
            f"the register's {name} must be a whole number from 0, not {value!r}",
        )
    row = notice_row(deployment)
    started, ended = deployment.started_at, deployment.ended_at
    row.update(
        started_at=started.isoformat() if started else None,
        ended_at=ended.isoformat() if ended else None,
        duration_minutes=(
            round((ended - started).total_seconds() / 60, 1) if started and ended else None
        ),
        watchlist_size=deployment.watchlist.get("size"),
        threshold=deployment.threshold or None,
        thresholds=thresholds_words(deployment, periods),
        status=status.value,
        ending=ending_words(deployment),
        **{name: int(counts.get(name, 0)) for name in COUNTS},
    )
    return derive(row)


class PublicRecord(Aggregate):
    """The public row of one deployment, changed only by public events."""

    @staticmethod
    def id_for(deployment_id: UUID | str) -> UUID:
        return uuid5(NAMESPACE_URL, f"lfr:public-record:{deployment_id}")

    @classmethod
    def create_id(cls, row: dict[str, Any], **_: Any) -> UUID:
        return cls.id_for(row["deployment_id"])  # so the notice event holds the row only

    @event("PublicNoticePublished")
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    @classmethod
    def announce(cls, deployment: Deployment) -> PublicRecord:
        """The public notice of a deployment."""
        return cls(row=notice_row(deployment))

    @property
    def status(self) -> PublicStatus:
        return PublicStatus(self.row["status"])

    def publish_results(
        self,
        deployment: Deployment,
        counts: Mapping[str, Any],
        periods: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        require(
            self.status in {PublicStatus.ANNOUNCED, PublicStatus.CLOSED},
            "the register entry is already published; a later change is an amendment",
        )
        row = results_row(deployment, counts, PublicStatus.PUBLISHED, periods)
        self._results_published(row=row)

    @event("ResultsPublished")
    def _results_published(self, row: dict[str, Any]) -> None:
        self.row = row

    def amend(
        self,
        deployment: Deployment,
        counts: Mapping[str, Any],
        periods: Sequence[Mapping[str, Any]] | None = None,
    ) -> bool:
        """Records the changed row as an amendment; False (nothing recorded) if unchanged."""
        require(
            self.status in {PublicStatus.PUBLISHED, PublicStatus.AMENDED},
            "only a published register entry can be amended",
        )
        row = results_row(deployment, counts, PublicStatus.AMENDED, periods)
        if {**row, "status": None} == {**self.row, "status": None}:
            return False
        self._results_amended(row=row)
        return True

    @event("ResultsAmended")
    def _results_amended(self, row: dict[str, Any]) -> None:
        self.row = row

    def close(self, deployment: Deployment) -> None:
        """The deployment ended before it started: the notice says how, and when."""
        require(self.status is PublicStatus.ANNOUNCED, "only an announced deployment closes")
        require(deployment.started_at is None, "a deployment that ran publishes its results")
        ended = deployment.ended_at
        row = {
            **notice_row(deployment),
            "ended_at": ended.isoformat() if ended else None,
            "status": PublicStatus.CLOSED.value,
            "ending": ending_words(deployment),
        }
        self._ending_published(row=row)

    @event("EndingPublished")
    def _ending_published(self, row: dict[str, Any]) -> None:
        self.row = row
