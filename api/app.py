"""The FastAPI application: `create_app(settings)` builds it on the configured store.

Every route names the roles it admits (`x-roles` in the OpenAPI, and in its description);
the public routes admit anyone.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api import docs, errors, openapi, web
from api.edge import EdgeLimits
from api.routes import (
    alerts,
    applications,
    auditor,
    deployments,
    dpo,
    equality,
    health,
    ledger_tiles,
    operations,
    public,
    watchlist,
)
from api.state import ApiState
from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from services.upload_jobs import UploadJobs
from services.watchlist_import import UploadLimits

DESCRIPTION = """The accountable Live Facial Recognition API: the MPS deployment process
from application to register. Authenticate with `Authorization: Bearer <token>`
(`lfr token issue --user U --role R`). Refusals are JSON `{detail, errors}`: 401 without
a valid token, 403 for a role the route does not admit, 404 unknown record, 409 a rule of
the process or a concurrent change, 410 erased data, 422 bad input (each field named)."""


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The API on `services` (default: opened from `settings`)."""
    app = FastAPI(
        title="LFR: accountable Live Facial Recognition",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # served by `api.docs` from local files, not from a CDN
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    docs.install(app)
    openapi.install(app)
    app.state.api = ApiState(settings, services or open_services(settings))
    app.state.token_secret = settings.secret("token_secret")
    # Set when the server is asked to stop: endless streams end at once (`lfr api`).
    app.state.stopping = threading.Event()
    app.state.uploads = UploadJobs(settings.data_dir / "upload-jobs", UploadLimits.of(settings))
    errors.install(app)
    app.add_middleware(
        EdgeLimits,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    for module in (
        applications,
        deployments,
        watchlist,
        alerts,
        dpo,
        equality,
        auditor,
        operations,
        public,
        ledger_tiles,
        health,
    ):
        _state_roles(module.router)
        app.include_router(module.router)
    _state_roles(web.data.router)
    web.mount(app)
    return app


def _state_roles(router: APIRouter) -> None:
    """Writes each route's roles into its OpenAPI operation (`x-roles`) and description."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        roles: list[str] = []
        for dependency in route.dependant.dependencies:
            roles.extend(getattr(dependency.call, "roles", []))
        label = ", ".join(roles) if roles else "public (no token)"
        route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": roles}
        if not route.description.startswith("Roles:"):  # routers are shared by every app
            route.description = f"Roles: {label}.\n\n{route.description}".strip()
