"""Metrics over deployments and time, computed from the register and alert views.

Grouped per month (of the deployment's date), per use case or per borough: deployments,
faces seen, alerts, true and false alerts (confirmed and unconfirmed), both false alert
rates, engagements, arrests, other disposals, and the time from alert to adjudication
(median, 95th percentile and mean seconds, over adjudicated alerts).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from projections.register import COUNTS

Grouping = Literal["month", "use_case", "borough"]
GROUPINGS: tuple[str, ...] = ("month", "use_case", "borough")
METRIC_COLUMNS: tuple[str, ...] = (
    "group",
    "deployments",
    *COUNTS,
    "true_alerts",
    "false_alerts",
    "false_alert_rate_per_faces",
    "false_alert_rate_per_alerts",
    "adjudicated_alerts",
    "adjudication_delay_median_s",
    "adjudication_delay_p95_s",
    "adjudication_delay_mean_s",
)


def _group_of(row: dict[str, Any], by: str) -> str:
    if by == "month":
        return str(row["date"])[:7]
    return str(row[by])


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def metrics(
    register: Iterable[dict[str, Any]], alerts: Iterable[dict[str, Any]], by: str
) -> list[dict[str, Any]]:
    """One row per group, sorted by group, with `METRIC_COLUMNS`."""
    if by not in GROUPINGS:
        raise ValueError(f"metrics are grouped by one of {', '.join(GROUPINGS)}, not {by!r}")
    groups: dict[str, dict[str, Any]] = {}
    group_of_deployment: dict[str, str] = {}
    for row in register:
        group = _group_of(row, by)
        group_of_deployment[row["deployment_id"]] = group
        totals = groups.setdefault(
            group, {"group": group, "deployments": 0, **dict.fromkeys(COUNTS, 0)}
        )
        totals["deployments"] += 1
        for column in COUNTS:
            totals[column] += row[column] or 0
    delays: dict[str, list[float]] = defaultdict(list)
    for alert in alerts:
        alert_group = group_of_deployment.get(alert["deployment_id"])
        if alert_group is not None and alert["adjudication_delay_s"] is not None:
            delays[alert_group].append(float(alert["adjudication_delay_s"]))
    return [_finish(groups[g], delays.get(g, [])) for g in sorted(groups)]


def _finish(totals: dict[str, Any], delays: list[float]) -> dict[str, Any]:
    totals["true_alerts"] = totals["true_alerts_confirmed"] + totals["true_alerts_unconfirmed"]
    totals["false_alerts"] = totals["false_alerts_confirmed"] + totals["false_alerts_unconfirmed"]
    faces, alerts, false = totals["faces_seen"], totals["alerts"], totals["false_alerts"]
    totals["false_alert_rate_per_faces"] = false / faces if faces else None
    totals["false_alert_rate_per_alerts"] = false / alerts if alerts else None
    totals["adjudicated_alerts"] = len(delays)
    totals["adjudication_delay_median_s"] = statistics.median(delays) if delays else None
    totals["adjudication_delay_p95_s"] = _p95(delays) if delays else None
    totals["adjudication_delay_mean_s"] = statistics.fmean(delays) if delays else None
    return {c: totals[c] for c in METRIC_COLUMNS}
