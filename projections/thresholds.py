"""Every face-match threshold in force during a deployment, and the alerts raised at each.

A deployment's threshold is set when its watchlist is imported and changes only by an
authorised change applied to it (`WatchlistImported`, `ThresholdApplied`); each alert records
the threshold it was raised at. The register and the cancellation report show every period,
so a figure is never read against a threshold that was not the one in force.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

THRESHOLD_EVENTS = ("WatchlistImported", "ThresholdApplied")


def thresholds_in_force(
    timeline: Iterable[Mapping[str, Any]], alerts: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """[{threshold, from, until, alerts}] in time order, from the deployment's timeline rows
    (event, at, detail) and its alert rows (threshold, observed_at)."""
    periods: list[dict[str, Any]] = []
    for entry in timeline:
        if entry["event"] not in THRESHOLD_EVENTS:
            continue
        detail = entry["detail"]
        threshold = (json.loads(detail) if isinstance(detail, str) else detail)["threshold"]
        if periods:
            periods[-1]["until"] = entry["at"]
        periods.append({"threshold": threshold, "from": entry["at"], "until": None, "alerts": 0})
    for alert in alerts:
        period = _period_of(periods, float(alert["threshold"]), str(alert["observed_at"]))
        if period is not None:
            period["alerts"] += 1
    return periods


def _period_of(
    periods: list[dict[str, Any]], threshold: float, observed_at: str
) -> dict[str, Any] | None:
    """The latest period at this threshold that began before the alert was observed (or the
    first at it: a worker's clock may run slightly ahead of the change's record)."""
    at = datetime.fromisoformat(observed_at)
    same = [p for p in periods if p["threshold"] == threshold]
    started = [p for p in same if datetime.fromisoformat(p["from"]) <= at]
    if started:
        return started[-1]
    return same[0] if same else None
