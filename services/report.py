"""The cancellation report (Form 1 Part 3): the document Gold submitted.

Submitting records, in the submission event itself, Gold's text and the deployment's
figures as they stood (`report_record`: the register row, the alerts left unadjudicated,
every threshold in force with the alerts raised at it, the timeline and each alert's time,
score, verdict and delay). The report is rendered from that event alone, as HTML or PDF, so
a later adjudication or projection cannot change it; an amendment is a new event with its
own figures, and every version stays readable. No image of any person appears in it.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

from jinja2 import Environment, PackageLoader, select_autoescape

from domain.errors import NotFound
from domain.values import Actor
from projections.thresholds import thresholds_in_force
from services.report_plots import png, report_figures
from services.report_words import GOLDS_PARTS, figures, local_time, timeline, words

_PAGES = Environment(loader=PackageLoader("services", "templates"), autoescape=select_autoescape())
_ADJUDICATED_TRUE = {"confirmed_true", "not_stopped"}


def _verdict(alert: dict[str, Any]) -> str:
    """true, false or pending (not adjudicated, or engaged and not yet concluded)."""
    if alert["decision"] == "false_alert" or alert["engagement_outcome"] == "confirmed_false":
        return "false"
    if alert["engagement_outcome"] in _ADJUDICATED_TRUE:
        return "true"
    return "pending"


def report_record(read_models: Any, deployment_id: UUID | str) -> dict[str, Any]:
    """What a submission records: the figures of the deployment now (read models caught up
    by the caller). Raises `NotFound` for a deployment the register does not hold."""
    row = read_models.register_row(deployment_id)
    if row is None:
        raise NotFound(f"no deployment {deployment_id} in the register")
    alerts = read_models.alerts(deployment_id)
    rows = read_models.timeline(deployment_id)
    return {
        # The register's status is left out: submitting the report changes it.
        "figures": {k: v for k, v in row.items() if k not in ("notification_ids", "status")},
        "unadjudicated": sum(a["state"] == "pending" for a in alerts),
        "thresholds": thresholds_in_force(rows, alerts),
        "timeline": [
            {
                "at": r["at"],
                "event": r["event"],
                "actor_id": r["actor_id"],
                "actor_role": r["actor_role"],
                "justification": r["justification"],
                "detail": json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"],
            }
            for r in rows
        ],
        "alerts": [
            {
                "observed_at": a["observed_at"],
                "score": a["score"],
                "threshold": a["threshold"],
                "verdict": _verdict(a),
                "delay_s": a["adjudication_delay_s"],
            }
            for a in alerts
        ],
    }


def submit_cancellation_report(
    read_models: Any, actor: Actor, deployment_id: UUID, report: dict[str, Any]
) -> None:
    """Gold submits `report` (their text) with the deployment's figures as they stand."""
    read_models.catch_up()
    record = report_record(read_models, deployment_id)
    read_models.app.submit_cancellation_report(actor, deployment_id, report, record)


def amend_cancellation_report(
    read_models: Any, actor: Actor, deployment_id: UUID, report: dict[str, Any], reason: str
) -> None:
    """Gold amends the report, with the reason; the figures are recorded as they stand now."""
    read_models.catch_up()
    record = report_record(read_models, deployment_id)
    read_models.app.amend_cancellation_report(actor, deployment_id, report, reason, record)


def report_versions(lfr: Any, deployment_id: UUID | str) -> list[dict[str, Any]]:
    """Every version of the deployment's report; `NotFound` if none was submitted."""
    versions: list[dict[str, Any]] = lfr.cancellation_reports(UUID(str(deployment_id)))
    if not versions:
        raise NotFound(f"no cancellation report has been submitted for {deployment_id}")
    return versions


def report_version(
    lfr: Any, deployment_id: UUID | str, version: int | None = None
) -> tuple[dict[str, Any], int]:
    """(the version asked for, or the latest; how many versions there are)."""
    versions = report_versions(lfr, deployment_id)
    if version is None:
        return versions[-1], len(versions)
    if not 1 <= version <= len(versions):
        raise NotFound(
            f"the cancellation report of {deployment_id} has no version {version} "
            f"(it has {len(versions)})"
        )
    return versions[version - 1], len(versions)


def report_context(
    deployment_id: UUID | str, version: dict[str, Any], count: int
) -> dict[str, Any]:
    """What both renderings show, in words."""
    record = version["record"]
    row = record.get("figures", {})
    return {
        "deployment_id": str(deployment_id),
        "place": ", ".join(str(row[k]) for k in ("location", "borough") if row.get(k)),
        "day": local_time(row.get("started_at") or row.get("starts_at")).split(",")[0],
        "version": version["version"],
        "count": count,
        "submitted": local_time(version["at"]),
        "by": version["by"],
        "reason": version["reason"],
        "golds_text": [(label, version["report"].get(k, "")) for k, label in GOLDS_PARTS],
        "recorded": bool(record),
        "figures": figures(row, int(record.get("unadjudicated", 0))),
        "thresholds": [
            {
                "threshold": f"{p['threshold']:g}",
                "from": local_time(p["from"]),
                "until": local_time(p["until"]) if p["until"] else "the end",
                "alerts": p["alerts"],
            }
            for p in record.get("thresholds", [])
        ],
        "timeline": timeline(record.get("timeline", [])),
        "plots": [(title, png(figure)) for title, figure in report_figures(record)],
        "words": words,
    }


def cancellation_report_html(
    lfr: Any, deployment_id: UUID | str, version: int | None = None
) -> str:
    """The report as one HTML document, as submitted (or as amended: `version`)."""
    chosen, count = report_version(lfr, deployment_id, version)
    context = report_context(deployment_id, chosen, count)
    context["plots"] = [(t, base64.b64encode(p).decode()) for t, p in context["plots"]]
    return _PAGES.get_template("cancellation_report.html").render(**context)


def cancellation_report_pdf(
    lfr: Any, deployment_id: UUID | str, version: int | None = None
) -> bytes:
    """The report as a PDF, the same document as the HTML."""
    from services.report_pdf import render_pdf  # reportlab loads only when a PDF is asked for

    chosen, count = report_version(lfr, deployment_id, version)
    return render_pdf(report_context(deployment_id, chosen, count))
