"""Rule 11: the equality duty is continuing. Reviews are periodic and recorded, follow on
without gaps, and one not made by its due date is overdue. On every store."""

from __future__ import annotations

from datetime import date

import pytest

from domain.equality import EqualityReview
from domain.errors import NotPermitted, RuleViolation
from tests.scenario import AO, DPO, GOLD, Scenario

FINDINGS = "42 alerts, 2 false; no imbalance by ethnicity or sex at 0.64 (NPL method)"


def review(start: date, end: date) -> EqualityReview:
    return EqualityReview(start, end, FINDINGS, "None needed: threshold kept at 0.64")


def test_equality_review_is_overdue_until_recorded_and_a_period_after_the_last(
    stored: Scenario,
) -> None:
    s, clock = stored.service, stored.clock  # the clock starts on 26 Nov 2026
    status = s.equality_review_status()
    assert status.overdue and "no equality review has been recorded" in status.warning
    s.record_equality_review(DPO, review(date(2026, 8, 1), date(2026, 10, 31)))
    status = s.equality_review_status()
    assert not status.overdue and status.due_by == date(2027, 5, 1)
    clock.advance(days=157)  # 2 May 2027
    status = s.equality_review_status()
    assert status.overdue and status.warning == ("the equality review due by 2027-05-01 is overdue")
    s.record_equality_review(AO, review(date(2026, 10, 31), date(2027, 1, 30)))
    assert not s.equality_review_status().overdue


def test_equality_review_refuses_gaps_open_periods_empty_findings_and_other_roles(
    stored: Scenario,
) -> None:
    s = stored.service
    with pytest.raises(NotPermitted, match="dpo or authorising_officer"):
        s.record_equality_review(GOLD, review(date(2026, 8, 1), date(2026, 10, 31)))
    with pytest.raises(RuleViolation, match="period that has ended"):
        s.record_equality_review(DPO, review(date(2026, 10, 1), date(2026, 12, 31)))
    with pytest.raises(RuleViolation, match="findings must be given"):
        s.record_equality_review(
            DPO, EqualityReview(date(2026, 8, 1), date(2026, 10, 31), " ", "none")
        )
    s.record_equality_review(DPO, review(date(2026, 8, 1), date(2026, 10, 31)))
    with pytest.raises(RuleViolation, match="without a gap"):
        s.record_equality_review(DPO, review(date(2026, 11, 5), date(2026, 11, 20)))
    with pytest.raises(RuleViolation, match="already reviewed"):
        s.record_equality_review(DPO, review(date(2026, 9, 1), date(2026, 10, 1)))
