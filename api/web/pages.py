"""The HTML pages of the signed-in roles: shells their scripts fill from the JSON API with
the user's token (the public register is `api.web.register`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.state import ApiState, api_state
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
