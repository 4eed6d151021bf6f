"""The web pages on the API: the operator's alert queue, the application and authority,
the DPO's retention view and the public register, for people rather than programs.

Pages are server-rendered shells (Jinja2) with small vanilla scripts that call the JSON API
with the bearer token of the sign-in (OpenID Connect, or a pasted token; kept in
`localStorage` so every tab shares it); the API
enforces every role, and each page offers only what the signed-in roles may do. The public
register is rendered on the server in full (table and SVG charts) so it loads fast; its
"verify" action checks a row's inclusion proofs against the signed checkpoint in the browser.

`mount(app)` adds the pages under `/web`, their JSON helpers under `/web/api` and the
static files under `/web/static`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import data, pages, register, session


def mount(app: FastAPI) -> None:
    """Adds the web pages, their JSON helpers and static files to `app`."""
    app.include_router(data.router)
    app.include_router(pages.router)
    app.include_router(register.router)
    app.include_router(session.router)
    app.mount("/web/static", StaticFiles(directory=pages.HERE / "static"), name="web-static")
