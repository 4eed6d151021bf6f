"""The cancellation report (Form 1 Part 3) of a deployment, from its events, as HTML.

Its figures are the deployment's register row; its timeline is the audit timeline; its
plots (PNG, embedded) show alerts over time, the scores against the threshold, and the
delays from alert to adjudication. No image of any person appears in it.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any
from uuid import UUID

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from jinja2 import Environment  # noqa: E402

from domain.errors import NotFound  # noqa: E402
from projections.thresholds import thresholds_in_force  # noqa: E402

TEMPLATE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Cancellation report: {{ row.location }} {{ row.date }}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}
td,th{border:1px solid #999;padding:2px 6px;text-align:left}img{max-width:100%}</style></head>
<body><h1>Cancellation report (Form 1 Part 3)</h1>
<p>Deployment {{ row.deployment_id }}: {{ row.location }}, {{ row.borough }}, {{ row.use_case }}</p>
<h2>Figures</h2><table>{% for name, value in figures %}
<tr><th>{{ name }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<h2>Thresholds in force</h2><table><tr><th>threshold</th><th>from</th><th>until</th>
<th>alerts raised at it</th></tr>{% for p in thresholds %}<tr><td>{{ p.threshold }}</td>
<td>{{ p["from"] }}</td><td>{{ p.until or "the end" }}</td><td>{{ p.alerts }}</td></tr>
{% endfor %}</table>
<h2>Plots</h2>{% for title, png in plots %}
<figure><img alt="{{ title }}" src="data:image/png;base64,{{ png }}"><figcaption>{{ title }}
</figcaption></figure>{% endfor %}
<h2>Timeline</h2><table><tr><th>#</th><th>time</th><th>event</th><th>actor</th><th>role</th>
<th>justification</th></tr>{% for e in timeline %}<tr><td>{{ e.notification_id }}</td>
<td>{{ e.at }}</td><td>{{ e.event }}</td><td>{{ e.actor_id }}</td><td>{{ e.actor_role }}</td>
<td>{{ e.justification }}</td></tr>{% endfor %}</table></body></html>
""")


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _plot(title: str, xlabel: str) -> tuple[Any, Any]:
    figure, axes = plt.subplots(figsize=(7, 2.8))
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    return figure, axes


def plots(alerts: list[dict[str, Any]], threshold: float | None) -> list[tuple[str, str]]:
    """(title, base64 PNG) for each of the three plots."""
    times = [datetime.fromisoformat(a["observed_at"]) for a in alerts]
    scores = [a["score"] for a in alerts]
    delays = [a["adjudication_delay_s"] for a in alerts if a["adjudication_delay_s"] is not None]
    figure, axes = _plot("Alerts over time", "time (UTC)")
    if times:
        axes.hist(times, bins=min(24, max(1, len(times))))
    figure.autofmt_xdate()
    result = [("Alerts over time", _png(figure))]
    figure, axes = _plot("Scores against the threshold", "similarity score")
    if scores:
        axes.hist(scores, bins=20)
    if threshold is not None:
        axes.axvline(threshold, color="red", label=f"threshold {threshold}")
        axes.legend()
    result.append(("Scores against the threshold", _png(figure)))
    figure, axes = _plot("Time from alert to adjudication", "seconds")
    if delays:
        axes.hist(delays, bins=20)
    result.append(("Time from alert to adjudication", _png(figure)))
    return result


def cancellation_report_html(read_models: Any, deployment_id: UUID | str) -> str:
    """The report as one HTML document; `read_models` is a `projections.ReadModels`
    (caught up by the caller). Raises `NotFound` for an unknown deployment."""
    row = read_models.register_row(deployment_id)
    if row is None:
        raise NotFound(f"no deployment {deployment_id} in the register")
    alerts = read_models.alerts(deployment_id)
    timeline = read_models.timeline(deployment_id)
    figures = [(k.replace("_", " "), v) for k, v in row.items() if k != "notification_ids"]
    # An alert pending at the end is shown as such, and can still be adjudicated afterwards.
    figures.append(("alerts not adjudicated", sum(a["state"] == "pending" for a in alerts)))
    return TEMPLATE.render(
        row=row,
        figures=figures,
        thresholds=thresholds_in_force(timeline, alerts),
        plots=plots(alerts, row["threshold"]),
        timeline=timeline,
    )
