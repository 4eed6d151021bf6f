"""An alert's erasure decided from what a read model saw of it (id, version, hold), without
loading it: the same rules as erasing the loaded alert."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.alert import Alert, SeenAlert
from domain.errors import NotPermitted, RuleViolation
from domain.values import Audit

RULE = "alert-data-31d-after-alert"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SYSTEM = Audit("retention-sweeper", "system", NOW)
HOLD = {"basis": "investigation", "requested_by": "dpo-1", "review_on": "2027-01-01"}


def test_the_erasure_follows_the_version_seen_and_carries_the_rule_and_audit() -> None:
    seen = SeenAlert(uuid4(), version=3, legal_hold={})

    erasure: object = Alert.erasure(SYSTEM, RULE, seen)

    assert isinstance(erasure, Alert.AlertDataErased)  # type: ignore[attr-defined]
    assert (erasure.originator_id, erasure.originator_version) == (seen.alert_id, 4)
    assert (erasure.rule, erasure.audit) == (RULE, SYSTEM)


def test_an_alert_seen_under_a_legal_hold_is_not_erased() -> None:
    with pytest.raises(RuleViolation, match="under a legal hold for investigation"):
        Alert.erasure(SYSTEM, RULE, SeenAlert(uuid4(), 2, HOLD))


def test_an_alert_seen_erased_is_not_erased_again() -> None:
    with pytest.raises(RuleViolation, match="already erased"):
        Alert.erasure(SYSTEM, RULE, SeenAlert(uuid4(), 2, {}, erased=True))


def test_only_the_system_or_the_dpo_erases_and_under_a_named_rule() -> None:
    officer = Audit("officer-1", "engagement_officer", NOW)
    with pytest.raises(NotPermitted):
        Alert.erasure(officer, RULE, SeenAlert(uuid4(), 1, {}))
    with pytest.raises(RuleViolation, match="retention rule"):
        Alert.erasure(SYSTEM, " ", SeenAlert(uuid4(), 1, {}))
