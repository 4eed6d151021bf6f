"""The HTML pages. Signed-in pages are shells their scripts fill from the JSON API with the
user's token; the public register is rendered here in full, charts included."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.register_proofs import key_fingerprint
from api.state import ApiState, api_state
from api.web import charts
from domain.values import (
    Adjudication,
    ApplicationSection,
    DecisionArea,
    Disposal,
    EngagementOutcome,
    PreDeploymentCheck,
    SensitiveFlag,
    UseCase,
    WatchlistCategory,
)

HERE = Path(__file__).parent
router = APIRouter(prefix="/web", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")

# The register columns the public page shows (column, heading), in its table's order; each
# heading names its column, and Verify checks every one against the signed entry.
SHOWN_COLUMNS = (
    ("date", "Date"), ("location", "Location"), ("borough", "Borough"),
    ("use_case", "Use case"), ("status", "Status"), ("faces_seen", "Faces seen"),
    ("alerts", "Alerts"), ("false_alerts", "False alerts"), ("arrests", "Arrests"),
    ("ending", "How it ended"), ("thresholds", "Thresholds in force (alerts at each)"),
    ("unadjudicated", "Alerts not adjudicated"),
)  # fmt: skip

# Which roles each signed-in page is for: the nav and the page's script both use it.
PAGES = {
    "alerts": ("Alert queue", ["operator", "engagement_officer"]),
    "applications": ("Applications", ["authorising_officer", "applicant", "gold", "auditor"]),
    "deployments": ("Deployments", ["gold", "authorising_officer", "applicant", "auditor"]),
    "dpo": ("Data protection", ["dpo"]),
    "audit": ("Audit", ["auditor"]),
}


def _title(value: str) -> str:
    """`3_echr_and_schedule_8` -> `ECHR and Schedule 8`-like labels for people."""
    words = value.split("_")
    if words[0].isdigit() or words[0] in {"i", "ii", "iii", "iv", "v", "vi", "vii"}:
        words = words[1:]
    text = " ".join(words)
    for short in ("echr", "pso", "cni", "ao"):
        text = text.replace(short, short.upper())
    return text[:1].upper() + text[1:]


# Role names in words, for people (the API and tokens use the values).
ROLE_NAMES = {
    "applicant": "Applicant",
    "authorising_officer": "Authorising officer",
    "gold": "Gold commander",
    "operator": "Operator",
    "engagement_officer": "Engagement officer",
    "dpo": "Data protection officer",
    "auditor": "Auditor",
}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the nav's pages and the role names in words."""
    return templates.TemplateResponse(
        request,
        template,
        {"pages": PAGES, "role_names": ROLE_NAMES, **context},
        status_code=status_code,
    )




@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/web/register")


@router.get("/alerts", response_class=HTMLResponse)
def alerts(
    request: Request, deployment_id: UUID | None = None, api: ApiState = Depends(api_state)
) -> HTMLResponse:
    return render(
        request,
        "alerts.html",
        page="alerts",
        title="Alert queue",
        roles=PAGES["alerts"][1],
        deployment_id=str(deployment_id or ""),
        undo_s=api.settings.queue_undo_s,
        decisions=[a.value for a in Adjudication],
        engagement_outcomes=[(o.value, _title(o.value)) for o in EngagementOutcome],
        disposals=[(d.value, _title(d.value)) for d in Disposal],
    )


@router.get("/applications", response_class=HTMLResponse)
@router.get("/applications/{application_id}", response_class=HTMLResponse)
def applications(request: Request, application_id: UUID | None = None) -> HTMLResponse:
    return render(
        request,
        "applications.html",
        page="applications",
        title="Applications and authorities",
        roles=PAGES["applications"][1],
        application_id=str(application_id or ""),
        sections=[(s.value, _title(s.value)) for s in ApplicationSection],
        decision_areas=[(a.value, _title(a.value)) for a in DecisionArea],
        sensitive_flags=[(f.value, _title(f.value)) for f in SensitiveFlag],
        use_cases=[u.value for u in UseCase],
        categories=[(c.value, _title(c.value)) for c in WatchlistCategory],
    )


@router.get("/deployments", response_class=HTMLResponse)
@router.get("/deployments/{deployment_id}", response_class=HTMLResponse)
def deployments(request: Request, deployment_id: UUID | None = None) -> HTMLResponse:
    return render(
        request,
        "deployment.html",
        page="deployments",
        title="Deployments",
        roles=PAGES["deployments"][1],
        deployment_id=str(deployment_id or ""),
        checks=[(c.value, _title(c.value)) for c in PreDeploymentCheck],
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, deployment_id: UUID | None = None) -> HTMLResponse:
    return render(
        request,
        "audit.html",
        page="audit",
        title="Audit",
        roles=PAGES["audit"][1],
        deployment_id=str(deployment_id or ""),
    )


@router.get("/dpo", response_class=HTMLResponse)
def dpo(request: Request) -> HTMLResponse:
    return render(request, "dpo.html", page="dpo", title="Data protection", roles=PAGES["dpo"][1])


def _day(name: str, text: str) -> date | None:
    """A date filter: empty (the form's blank field) is no filter."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{name}: not a date (YYYY-MM-DD): {text!r}") from None


def _in_dates(row: dict[str, Any], since: date | None, until: date | None) -> bool:
    day = str(row["date"])
    return (since is None or day >= since.isoformat()) and (
        until is None or day <= until.isoformat()
    )


def _charts(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    months = [str(m["group"]) for m in metrics]

    def rate(m: dict[str, Any], key: str, scale: float) -> float | None:
        return None if m[key] is None else m[key] * scale

    return {
        "alerts": charts.stacked_bars(
            "Alerts per month",
            months,
            {
                "true alerts": [m["true_alerts"] for m in metrics],
                "false alerts": [m["false_alerts"] for m in metrics],
            },
        ),
        "rates": charts.lines(
            "False alerts per alert, per month",
            months,
            {
                "false alerts per alert": [
                    rate(m, "false_alert_rate_per_alerts", 100) for m in metrics
                ]
            },
            unit="%",
        ),
        "per_faces": charts.lines(
            "False alerts per 1,000 faces seen, per month",
            months,
            {"per 1,000 faces": [rate(m, "false_alert_rate_per_faces", 1000) for m in metrics]},
        ),
    }


@router.get("/register", response_class=HTMLResponse)
def register(
    request: Request,
    borough: str = Query("", max_length=200),
    use_case: str = Query("", max_length=200),
    since_text: str = Query("", alias="from", max_length=10, description="YYYY-MM-DD"),
    until_text: str = Query("", alias="to", max_length=10, description="YYYY-MM-DD"),
    api: ApiState = Depends(api_state),
) -> HTMLResponse:
    since, until = _day("from", since_text), _day("to", until_text)
    filters = {k: v for k, v in {"borough": borough, "use_case": use_case}.items() if v}

    def render() -> bytes:
        return bytes(_register_page(request, api, filters, since, until).body)

    # Rendered once per change of the public register, like the register's JSON answers.
    key = f"page:{sorted(filters.items())}:{since}:{until}"
    body = api.rendered_public_answer(key) or api.public_answer(key, render)
    return HTMLResponse(body)


def _register_page(
    request: Request,
    api: ApiState,
    filters: dict[str, str],
    since: date | None,
    until: date | None,
) -> HTMLResponse:

    models = api.read_models(public=True)
    everything = models.public_register_rows()
    rows = [
        r
        for r in everything
        if all(r[k] == v for k, v in filters.items()) and _in_dates(r, since, until)
    ]
    metrics = models.public_metrics(by="month")
    chosen = {"borough": "", "use_case": "", **filters, "from": since, "to": until}
    return render(
        request,
        "register.html",
        page="register",
        title="Public register of LFR deployments",
        rows=rows,
        total=len(everything),
        boroughs=sorted({str(r["borough"]) for r in everything}),
        use_cases=[u.value for u in UseCase],
        chosen=chosen,
        metrics=metrics,
        charts=_charts(metrics),
        fingerprint=key_fingerprint(api.ledger().log_key),
        shown=SHOWN_COLUMNS,
    )
