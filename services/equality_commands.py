"""Rule 11: the periodic equality review, and whether one is overdue."""

from __future__ import annotations

from domain.equality import MONITORING_ID, EqualityMonitoring, EqualityReview, ReviewStatus
from domain.values import Actor
from services.base import ServiceBase


class EqualityCommands(ServiceBase):
    """Rule 11: the periodic equality review, and whether one is overdue."""

    def record_equality_review(self, actor: Actor, review: EqualityReview) -> None:
        audit = self.audit(actor)
        if self.exists(MONITORING_ID):
            monitoring = self.load(EqualityMonitoring, MONITORING_ID)
        else:
            monitoring = EqualityMonitoring.open(audit, self.policy.equality_review_interval)
        monitoring.record(audit, review)
        self.commit(monitoring)

    def equality_review_status(self) -> ReviewStatus:
        """Overdue when no review was ever recorded, or the next is past its due date."""
        if not self.exists(MONITORING_ID):
            return ReviewStatus(None, None, overdue=True)
        return self.load(EqualityMonitoring, MONITORING_ID).status(self.clock())
