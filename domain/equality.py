"""The continuing equality duty (DOMAIN.md §b.11; Bridges ¶175, ¶201): bias monitoring is a
periodic, recorded review, not a one-off sign-off. One record for the installation holds
every review; a review not made by its due date is overdue, and says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.rules import require, require_role, require_text
from domain.values import Audit, Role

REVIEWERS = (Role.DPO, Role.AUTHORISING_OFFICER)
MONITORING_ID = uuid5(NAMESPACE_URL, "lfr:equality-monitoring")


@dataclass(frozen=True)
class EqualityReview:
    """One review of the period's alerts and engagements for demographic imbalance."""

    period_start: date
    period_end: date
    findings: str  # aggregate figures and what they show: never about one person
    actions: str  # what changes (e.g. the threshold), or why none


@dataclass(frozen=True)
class ReviewStatus:
    last_period_end: date | None
    due_by: date | None
    overdue: bool

    @property
    def warning(self) -> str:
        if not self.overdue:
            return ""
        if self.due_by is None:
            return "no equality review has been recorded: the continuing duty is overdue"
        return f"the equality review due by {self.due_by.isoformat()} is overdue"


class EqualityMonitoring(Aggregate):
    """Every equality review of the installation, in order."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return MONITORING_ID

    @event("EqualityMonitoringOpened")
    def __init__(self, audit: Audit, interval_days: int) -> None:
        self.interval_days = interval_days
        self.reviews: list[dict[str, str]] = []

    @classmethod
    def open(cls, audit: Audit, interval: timedelta) -> EqualityMonitoring:
        require_role(audit, *REVIEWERS, doing="open equality monitoring")
        return cls(audit=audit, interval_days=interval.days)

    def record(self, audit: Audit, review: EqualityReview) -> None:
        require_role(audit, *REVIEWERS, doing="record an equality review")
        require(review.period_start < review.period_end, "the period must end after it starts")
        require(
            review.period_end <= audit.at.date(),
            "a review covers a period that has ended, not one still running",
        )
        if self.reviews:
            last_end = date.fromisoformat(self.reviews[-1]["period_end"])
            require(
                review.period_start <= last_end,
                f"the period must follow on from the last review's (to {last_end.isoformat()}) "
                "without a gap",
            )
            require(review.period_end > last_end, "the period is already reviewed")
        require_text(review.findings, "the review's findings")
        require_text(review.actions, "the actions taken, or why none are needed")
        self._reviewed(
            audit=audit,
            period_start=review.period_start.isoformat(),
            period_end=review.period_end.isoformat(),
            findings=review.findings,
            actions=review.actions,
        )

    @event("EqualityReviewRecorded")
    def _reviewed(
        self, audit: Audit, period_start: str, period_end: str, findings: str, actions: str
    ) -> None:
        self.reviews.append(
            {
                "period_start": period_start,
                "period_end": period_end,
                "reviewer": audit.actor_id,
                "at": audit.at.isoformat(),
            }
        )

    def status(self, at: datetime) -> ReviewStatus:
        if not self.reviews:
            return ReviewStatus(None, None, overdue=True)
        last_end = date.fromisoformat(self.reviews[-1]["period_end"])
        due_by = last_end + timedelta(days=2 * self.interval_days)  # next period, then review
        return ReviewStatus(last_end, due_by, overdue=at.date() > due_by)
