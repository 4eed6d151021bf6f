"""Signing in to the pages: the sign-in page (OpenID Connect when an issuer is configured,
a pasted token otherwise and for scripts), and the OpenID Connect login and callback.

A signed-in browser keeps the API token in `localStorage`, so every tab of the site shares
one session until it expires or the person signs out; a page asked for while signed out
sends them here with `next`, and they come back to it after signing in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import TOKEN_ROLES, issue_token
from api.oidc import OidcClient, OidcConfig, SignInError, open_pending, seal_pending
from api.state import ApiState, api_state
from api.web.pages import render
from domain.values import Role

router = APIRouter(prefix="/web", include_in_schema=False)
COOKIE = "lfr_oidc"
HOME = "/web/sign-in"
PERSON_ROLES = frozenset(TOKEN_ROLES - {Role.WORKER.value})  # a worker never signs in here


def safe_next(text: str) -> str:
    """A page of this site to return to; anything else (another host) is refused."""
    bad = not text.startswith("/web") or text.startswith("//") or "\\" in text
    return HOME if bad or any(c in text for c in "\r\n") else text


def _client(request: Request, api: ApiState) -> OidcClient | None:
    settings = api.settings
    if not settings.oidc_issuer:
        return None
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        client = OidcClient(
            OidcConfig(
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                scopes=settings.oidc_scopes,
                user_claim=settings.oidc_user_claim,
                roles_claim=settings.oidc_roles_claim,
            )
        )
        request.app.state.oidc = client
    return client


def _redirect_uri(request: Request, api: ApiState) -> str:
    return api.settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))


def sign_in_page(request: Request, api: ApiState, next_page: str, error: str = "") -> Any:

    return render(
        request,
        "sign_in.html",
        page="sign-in",
        title="Sign in",
        next_page=next_page,
        oidc=bool(api.settings.oidc_issuer),
        error=error,
        status_code=400 if error else 200,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    next_text: str = Query("", alias="next", max_length=2000),
    api: ApiState = Depends(api_state),
) -> Any:
    return sign_in_page(request, api, safe_next(next_text) if next_text else "")


@router.get("/sign-out", response_class=RedirectResponse)
def sign_out(request: Request, api: ApiState = Depends(api_state)) -> Response:
    """Where the Sign out button goes once the browser has dropped its token: through the
    identity provider's end-session endpoint when single sign-on is set up (or the next
    sign-on would pass straight through its still open session), back to the sign-in page."""
    client = _client(request, api)
    ended = client.end_session_url(str(request.url_for("sign_in"))) if client else None
    response = RedirectResponse(ended or HOME, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/oidc/login", response_class=RedirectResponse)
def oidc_login(
    request: Request,
    next_text: str = Query("", alias="next", max_length=2000),
    api: ApiState = Depends(api_state),
) -> Response:
    client = _client(request, api)
    next_page = safe_next(next_text) if next_text else HOME
    if client is None:
        return sign_in_page(request, api, next_page, "Single sign-on is not set up here.")
    try:
        url, pending = client.begin(_redirect_uri(request, api), next_page)
    except SignInError as error:
        return sign_in_page(request, api, next_page, f"Single sign-on failed: {error}.")
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        COOKIE,
        seal_pending(request.app.state.token_secret, pending),
        max_age=600,
        path="/web/oidc",
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level GET
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/oidc/callback", response_class=HTMLResponse, name="oidc_callback")
def oidc_callback(
    request: Request,
    code: str = Query("", max_length=4000),
    state: str = Query("", max_length=400),
    error: str = Query("", max_length=200),
    error_description: str = Query("", max_length=1000),
    api: ApiState = Depends(api_state),
) -> Response:
    client = _client(request, api)
    if client is None:
        return sign_in_page(request, api, "", "Single sign-on is not set up here.")
    if error:
        said = f"{error}: {error_description}" if error_description else error
        return sign_in_page(
            request, api, "", f"The identity provider did not sign you in ({said})."
        )
    try:
        pending = open_pending(request.app.state.token_secret, request.cookies.get(COOKIE), state)
        claims = client.finish(code, _redirect_uri(request, api), pending)
        user, roles = client.person(claims, PERSON_ROLES)
    except SignInError as refused:
        return sign_in_page(request, api, "", f"You are not signed in: {refused}.")
    token = issue_token(
        request.app.state.token_secret, user, roles, hours=api.settings.web_session_hours
    )

    response = render(
        request,
        "signed_in.html",
        page="sign-in",
        title="Signing you in",
        token=token,
        next_page=pending.next_page,
    )
    response.headers["Cache-Control"] = "no-store"  # the page carries the session's token
    response.delete_cookie(COOKIE, path="/web/oidc")
    return response
