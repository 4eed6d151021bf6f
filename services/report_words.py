"""The cancellation report in words people read: field names, times, events and roles.

Times are shown in London time (the Metropolitan Police's), to the second, with the zone
(GMT or BST) named; a field or event without a label of its own is put into words from its
name, so no snake_case or class name reaches a reader.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")

#: The report's figures: (register column, label), in the order shown.
FIGURE_LABELS: tuple[tuple[str, str], ...] = (
    ("location", "Location"),
    ("borough", "Borough"),
    ("use_case", "Use case"),
    ("starts_at", "Authorised from"),
    ("ends_at", "Authorised until"),
    ("started_at", "Started"),
    ("ended_at", "Ended"),
    ("ending", "How it ended"),
    ("duration_minutes", "Duration (minutes)"),
    ("watchlist_size", "Watchlist size (people)"),
    ("threshold", "Threshold at the end"),
    ("faces_seen", "Faces seen (people who passed)"),
    ("alerts", "Alerts"),
    ("true_alerts", "True alerts"),
    ("true_alerts_confirmed", "True alerts, confirmed by a stop"),
    ("true_alerts_unconfirmed", "True alerts, person not stopped"),
    ("false_alerts", "False alerts"),
    ("false_alerts_confirmed", "False alerts, found on a stop"),
    ("false_alerts_unconfirmed", "False alerts, seen by the operator"),
    ("unadjudicated", "Alerts not adjudicated"),
    ("false_alert_rate_per_faces", "False alert rate (false alerts per faces seen)"),
    ("false_alert_rate_per_alerts", "False alerts as a share of alerts"),
    ("engagements", "People stopped and spoken to"),
    ("arrests", "Arrests"),
    ("other_disposals", "Other outcomes"),
)
#: Gold's own text, by the report's field, in the order shown.
GOLDS_PARTS: tuple[tuple[str, str], ...] = (
    ("evaluation", "Evaluation"),
    ("learning", "Learning"),
    ("algorithm_assurance", "Algorithm assurance"),
    ("notes", "Notes"),
)
_TIMES = frozenset({"starts_at", "ends_at", "started_at", "ended_at"})
#: Decision fields whose name alone would not read well.
_DETAIL_LABELS = {"duration_s": "Duration (seconds)", "item_id": "Item", "data_class": "Data"}
_ACRONYMS = {"ao": "AO", "dpo": "DPO", "pso": "PSO", "cni": "CNI", "s62": "s.62", "id": "ID"}


def words(name: str) -> str:
    """`false_alert` -> `False alert`, `AlertAdjudicated` -> `Alert adjudicated`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name)).replace("_", " ")
    parts = [_ACRONYMS.get(w.lower(), w.lower()) for w in spaced.split()]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


def local_time(iso: str | None, with_day: bool = True) -> str:
    """`2026-11-26T10:05:00.123456+00:00` -> `Thu 26 Nov 2026, 10:05:00 GMT`."""
    if not iso:
        return "–"
    at = datetime.fromisoformat(str(iso)).astimezone(LOCAL)
    clock = at.strftime("%H:%M:%S %Z")
    return f"{at:%a} {at.day} {at:%b %Y}, {clock}" if with_day else clock


def number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 10 else f"{value:g}"
    return str(value)


def rate(value: float | None, per_faces: bool) -> str:
    if value is None:
        return "–"
    if per_faces:
        return "none" if value == 0 else f"1 in {round(1 / value):,} ({value:.4%})"
    return f"{value:.1%}"


def figure_value(column: str, value: Any) -> str:
    if column in _TIMES:
        return local_time(value)
    if column.startswith("false_alert_rate"):
        return rate(value, column.endswith("faces"))
    if column == "use_case" or isinstance(value, str):
        return str(value) if value else "–"
    return number(value)


def figures(row: dict[str, Any], unadjudicated: int) -> list[tuple[str, str]]:
    """(label, value) of each figure the report shows."""
    values = {**row, "unadjudicated": unadjudicated}
    return [(label, figure_value(c, values.get(c))) for c, label in FIGURE_LABELS if c in values]


def detail_words(detail: dict[str, Any]) -> str:
    """An event's decision fields: `{"decision": "false_alert"}` -> `Decision: false alert`."""
    shown = []
    for name, value in sorted(detail.items()):
        text = words(value).lower() if isinstance(value, str) and "_" in value else value
        label = _DETAIL_LABELS.get(name) or words(name)
        shown.append(f"{label}: {number(text) if not isinstance(text, str) else text}")
    return "; ".join(shown)


def timeline(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The timeline's rows in words."""
    return [
        {
            "at": local_time(row.get("at")),
            "event": words(row.get("event", "")),
            "who": row.get("actor_id") or "–",
            "role": words(row.get("actor_role") or "") or "–",
            "why": row.get("justification") or "",
            "detail": detail_words(row.get("detail") or {}),
        }
        for row in rows
    ]
