"""Stored events as the projections read them: decoded straight from their JSON.

Rebuilding the read models reads every stored event. Turning each into the library's
domain event object (JSON, then the transcodings, then the event class) cost as much as
projecting it, and a projection needs only a few named fields. A `Recorded` is the
notification's topic, aggregate, version and its state parsed by orjson, with the
library's transcoded values (`{"_type_": ..., "_data_": ...}`) given as plain text:

- `uuid_hex` -> the UUID's canonical text (`str(UUID)`),
- `datetime_iso`, `date_iso`, `decimal_str` -> their ISO / decimal text,
- `audit` (`services.transcodings.AuditAsDict`) -> its dict, `at` in ISO text,
- `b64` (sealed bytes) -> the base64 text, which no projection copies.

    event = Recorded.from_notification(notification)
    event.name            # "AlertRaised" for topic "domain.alert:Alert.AlertRaised"
    event.aggregate_type  # "Alert"
    event["entry_id"]     # "3f0c...-..." (a field of the event, plain)
    event.audit           # {"actor_id": ..., "actor_role": ..., "at": "2026-...", ...} or None
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import Notification

# topic -> (aggregate class name, event class name); topics are few, events many.
_TOPIC_PARTS: dict[str, tuple[str, str]] = {}


def topic_parts(topic: str) -> tuple[str, str]:
    """("Alert", "AlertRaised") for "domain.alert:Alert.AlertRaised"."""
    parts = _TOPIC_PARTS.get(topic)
    if parts is None:
        qualname = topic.partition(":")[2] or topic
        aggregate, _, name = qualname.rpartition(".")
        parts = _TOPIC_PARTS[topic] = (aggregate.split(".")[0] or name, name)
    return parts


def canonical_uuid(hex_digits: str) -> str:
    """The canonical text of a UUID given as 32 hex digits (what `str(UUID)` gives)."""
    h = hex_digits.lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# UUID text by hex digits, for ids inside events: the same deployment and entry ids recur
# in event after event. Bounded: past the limit, ids are converted without keeping them.
_UUID_TEXT: dict[str, str] = {}
_UUID_TEXT_LIMIT = 100_000


def uuid_text(hex_digits: str) -> str:
    """`canonical_uuid`, remembered."""
    text = _UUID_TEXT.get(hex_digits)
    if text is None:
        text = canonical_uuid(hex_digits)
        if len(_UUID_TEXT) < _UUID_TEXT_LIMIT:
            _UUID_TEXT[hex_digits] = text
    return text


def plain(value: Any) -> Any:
    """A stored value with the library's transcoding unwrapped (see the module docstring)."""
    if type(value) is dict and "_type_" in value:
        data = value["_data_"]
        return uuid_text(data) if value["_type_"] == "uuid_hex" else data
    return value


class Recorded:
    """One stored event, decoded to plain data (see the module docstring)."""

    __slots__ = (
        "aggregate_type",
        "at",
        "audit",
        "name",
        "notification_id",
        "originator_id",
        "originator_version",
        "state",
        "topic",
    )

    def __init__(
        self,
        notification_id: int,
        topic: str,
        originator_id: str,
        originator_version: int,
        state: dict[str, Any],
    ) -> None:
        self.notification_id = notification_id
        self.topic = topic
        self.aggregate_type, self.name = topic_parts(topic)
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.state = state
        audit = state.get("audit")
        # The event's audit record as a dict (None for an event without one), and when it
        # happened: the audit's time, else the event's timestamp (ISO text).
        self.audit: dict[str, Any] | None = audit["_data_"] if audit is not None else None
        self.at: str = self.audit["at"] if self.audit is not None else plain(state["timestamp"])

    @classmethod
    def from_notification(cls, notification: Notification) -> Recorded:
        return cls(
            notification.id,
            notification.topic,
            str(notification.originator_id),
            int(notification.originator_version),
            orjson.loads(notification.state),
        )

    def __getitem__(self, field: str) -> Any:
        value = self.state[field]
        if type(value) is dict and "_type_" in value:  # `plain`, inline: it is called a lot
            data = value["_data_"]
            return uuid_text(data) if value["_type_"] == "uuid_hex" else data
        return value

    def get(self, field: str, default: Any = None) -> Any:
        value = self.state.get(field)
        return default if value is None else plain(value)


#: The events that change what an alert is and how it ended (raised, adjudicated, engaged,
#: its outcome and their corrections): the register's figures and the alert queue read them.
ALERT_OUTCOME_EVENTS = frozenset(
    {
        "AlertRaised",
        "AlertAdjudicated",
        "EngagementConcluded",
        "OutcomeRecorded",
        "AdjudicationCorrected",
        "OutcomeAmended",
    }
)
