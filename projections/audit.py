"""The audit views: every event of a deployment in order, and any aggregate as it was.

The timeline holds, per event: its notification id, aggregate, version, event name, actor,
role, time, justification and s.62 operation, plus a few named decision fields (reason,
rationale, outcome...). Sealed bytes are never copied. Events of an application before its
deployment exists (the policing need) belong to the deployment its authority will plan,
so a deployment's timeline starts at the need that led to it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from domain.deployment import Deployment
from domain.errors import NotFound
from projections.base import Batch, ReadModelProjection
from projections.recorded import Recorded
from projections.tables import Table

TIMELINE_TABLE = Table(
    "rm_timeline",
    {
        "notification_id": "int",
        "deployment_id": "text",
        "aggregate_id": "text",
        "aggregate_type": "text",
        "version": "int",
        "event": "text",
        "actor_id": "text",
        "actor_role": "text",
        "at": "text",
        "justification": "text",
        "s62_operation": "text",
        "detail": "json",
    },
    key=("notification_id",),
    indexes=(("deployment_id", "notification_id"), ("aggregate_id", "version")),
)
# Decision fields worth showing an auditor; anything else (and any bytes) stays in the event.
DETAIL_FIELDS = (
    "decision",
    "outcome",
    "disposal",
    "reason",
    "reasons",
    "rationale",
    "notes",
    "rule",
    "check",
    "medium",
    "threshold",
    "size",
    "urgency",
    "data_class",
    "item_id",
    "approver",
    "review_on",
    "duration_s",
    "use_case",
    "objective",
)


def _planned_from(application_id: str, known: dict[str, str]) -> str:
    """The id of the deployment an application's authority plans (a uuid5, so cached)."""
    deployment = known.get(application_id)
    if deployment is None:
        deployment = known[application_id] = str(Deployment.create_id(UUID(application_id)))
    return deployment


_DETAIL = frozenset(DETAIL_FIELDS)


def _detail(state: dict[str, Any]) -> dict[str, Any]:
    # Transcoded values (times, ids, bytes) are dicts in the stored JSON: never shown.
    return {
        name: value
        for name in _DETAIL.intersection(state)
        if isinstance(value := state[name], str | int | float)
    }


class TimelineProjection(ReadModelProjection):
    """Every event, one row each, indexed by deployment and by aggregate."""

    name = "timeline"
    tables = (TIMELINE_TABLE,)

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self._deployments: dict[str, str] = {}

    def apply(self, event: Recorded, batch: Batch) -> None:
        audit = event.audit or {}
        batch.add(
            TIMELINE_TABLE,
            {
                "notification_id": event.notification_id,
                "deployment_id": self._deployment_of(event, audit),
                "aggregate_id": event.originator_id,
                "aggregate_type": event.aggregate_type,
                "version": event.originator_version,
                "event": event.name,
                "actor_id": audit.get("actor_id"),
                "actor_role": audit.get("actor_role"),
                "at": event.at,
                "justification": audit.get("justification"),
                "s62_operation": audit.get("s62_operation"),
                "detail": _detail(event.state),
            },
        )

    def _deployment_of(self, event: Recorded, audit: dict[str, Any]) -> str:
        if audit.get("deployment_id"):
            return str(audit["deployment_id"])
        if event.aggregate_type == "DeploymentApplication":
            return _planned_from(event.originator_id, self._deployments)
        if event.aggregate_type == "Deployment":
            return event.originator_id
        return str(event.get("deployment_id") or "")


def _plain(value: Any) -> Any:
    """An aggregate attribute as JSON-able data; sealed bytes shown only by their size."""
    if isinstance(value, bytes):
        return {"sealed_bytes": len(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def aggregate_as_of(
    app: Application[Any],
    aggregate_id: UUID,
    version: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The aggregate's state as of a version, or as of a time (the last event at or before it).

    Raises `NotFound` when the aggregate does not exist or did not exist yet at `at`."""
    if at is not None:
        version = _version_at(app, aggregate_id, at, version)
    try:
        aggregate: Any = app.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        raise NotFound(f"no aggregate {aggregate_id} at version {version}") from None
    state = {
        k.lstrip("_"): _plain(v)
        for k, v in vars(aggregate).items()
        if k not in ("_pending_events",)
    }
    return {
        "aggregate_id": str(aggregate_id),
        "type": type(aggregate).__name__,
        "version": aggregate.version,
        "state": state,
    }


def _version_at(app: Application[Any], aggregate_id: UUID, at: datetime, upper: int | None) -> int:
    found = None
    for stored in app.recorder.select_events(aggregate_id, lte=upper):
        event: Any = app.mapper.to_domain_event(stored)
        audit = getattr(event, "audit", None)
        moment = audit.at if audit is not None else event.timestamp
        if moment > at:
            break
        found = event.originator_version
    if found is None:
        raise NotFound(f"aggregate {aggregate_id} did not exist at {at.isoformat()}")
    return found
