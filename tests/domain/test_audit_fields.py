from __future__ import annotations

from uuid import UUID

from domain.publication import PublicRecord
from domain.values import Audit
from tests.scenario import Scenario


def test_every_event_carries_actor_role_time_and_its_deployment_and_authority(
    scenario: Scenario,
) -> None:
    scenario.live()
    scenario.alert()
    service = scenario.service
    events = [
        service.mapper.to_domain_event(n)
        for n in service.recorder.select_notifications(start=1, limit=1000)
    ]
    assert len(events) > 15
    for event in events:
        if isinstance(event, PublicRecord.Event):
            # Public events are served to anyone: they carry the public row only. Their
            # audit is the deployment's event saved with them (the public notice check).
            assert not hasattr(event, "audit")
            continue
        audit = event.audit  # type: ignore[attr-defined]
        assert isinstance(audit, Audit)
        assert audit.actor_id and audit.actor_role and audit.at.tzinfo is not None
        if type(event).__name__ != "PolicingNeedIdentified":
            assert UUID(audit.deployment_id) == scenario.deployment
            assert UUID(audit.authority_id) == scenario.application_id
