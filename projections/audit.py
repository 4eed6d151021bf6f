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

import orjson
from eventsourcing.application import AggregateNotFoundError

from domain.deployment import Deployment
from domain.errors import NotFound
from projections.base import Batch, EventSource, ReadModelProjection
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


# The decision fields present in events, by topic and number of fields: events of one
# class have the same fields, and intersecting every event's fields cost more than the rest
# of its timeline row.
_DETAIL_NAMES: dict[tuple[str, int], tuple[str, ...]] = {}
_SHOWN = (str, int, float)  # a tuple: `isinstance` is slower with a union


def _detail(topic: str, state: dict[str, Any]) -> str:
    """The decision fields of an event, as JSON text. Transcoded values (times, ids,
    bytes) are dicts in the stored JSON: never shown."""
    names = _DETAIL_NAMES.get((topic, len(state)))
    if names is None:
        names = _DETAIL_NAMES[(topic, len(state))] = tuple(sorted(_DETAIL.intersection(state)))
    if not names:
        return "{}"
    detail = {name: value for name in names if isinstance(value := state.get(name), _SHOWN)}
    return orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode()


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
            (  # `Values`, in TIMELINE_TABLE column order
                event.notification_id,
                self._deployment_of(event, audit),
                event.originator_id,  # aggregate_id
                event.aggregate_type,
                event.originator_version,  # version
                event.name,  # event
                audit.get("actor_id"),
                audit.get("actor_role"),
                event.at,
                audit.get("justification"),
                audit.get("s62_operation"),
                _detail(event.topic, event.state),
            ),
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
    app: EventSource,
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


def _version_at(app: EventSource, aggregate_id: UUID, at: datetime, upper: int | None) -> int:
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
