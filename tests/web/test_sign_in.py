"""Signing in to the pages: single sign-on through an OpenID Connect provider (a tiny one
this test runs on loopback) with the authorization-code flow and PKCE, the session shared
by new tabs, the page asked for reached after signing in, and every refused sign-in said
in words; a pasted token still works for scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from api.app import create_app
from api.auth import read_token
from api.web.session import safe_next
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import OPERATOR, Scenario, start_clock
from tests.support.oidc_provider import Account, Provider
from tests.web.browser import Served, console_errors, screenshot, wait

CLIENT_ID = "lfr-web"


@pytest.fixture
def provider() -> Iterator[Provider]:
    provider = Provider()
    served = Served(provider.app("")).__enter__()
    provider.issuer = served.url("")
    try:
        yield provider
    finally:
        served.__exit__()


def _settings(tmp_path: Path, provider: Provider) -> Settings:
    return Settings(
        database_url="memory:",
        data_dir=tmp_path,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
    )


@pytest.mark.slow
def test_an_operator_signs_in_with_single_sign_on_and_returns_to_the_queue_asked_for(
    browser: Any, serve: Any, tmp_path: Path, provider: Provider
) -> None:
    from selenium.webdriver.common.by import By

    settings = _settings(tmp_path, provider)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    deployment = Scenario(services.lfr, clock).live().deployment
    served = serve(create_app(settings, services))
    asked = f"/web/alerts?deployment_id={deployment}"

    browser.get(served.url("/web/sign-in"))
    browser.execute_script("localStorage.clear()")
    browser.get(served.url(asked))
    wait(browser).until(lambda b: "/web/sign-in?next=" in b.current_url)
    nav = browser.find_element(By.CSS_SELECTOR, "nav")
    assert "Sign in" in nav.text and "Sign out" not in nav.text, "no Sign out while signed out"
    screenshot(browser, "sign-in")
    browser.find_element(By.ID, "oidc").click()
    wait(browser).until(lambda b: b.current_url == served.url(asked))
    wait(browser).until(lambda b: b.find_element(By.ID, "working").is_displayed())
    assert provider.authorize_requests[-1]["code_challenge_method"] == "S256"
    assert provider.token_requests[-1]["grant_type"] == "authorization_code"
    who = browser.find_element(By.ID, "who").text
    assert who == f"{OPERATOR.id} (Operator)", "the role in words"
    assert browser.find_element(By.ID, "sign-out").is_displayed()

    first = browser.current_window_handle
    browser.switch_to.new_window("tab")  # a new tab shares the session
    browser.get(served.url("/web/sign-in"))
    wait(browser).until(lambda b: b.find_element(By.ID, "signed-in").is_displayed())
    assert "signed in as Operator" in browser.find_element(By.ID, "identity").text
    assert "Alert queue" in browser.find_element(By.ID, "your-pages").text
    screenshot(browser, "signed-in")
    browser.find_element(By.ID, "sign-out").click()
    wait(browser).until(lambda b: b.find_element(By.ID, "signed-out").is_displayed())
    assert not browser.find_element(By.ID, "sign-out").is_displayed()
    assert provider.sign_outs == [{"client_id": CLIENT_ID, "to": served.url("/web/sign-in")}]
    browser.close()
    browser.switch_to.window(first)
    browser.get(served.url(asked))  # signed out in one tab is signed out in all
    wait(browser).until(lambda b: "/web/sign-in?next=" in b.current_url)
    assert console_errors(browser) == []


def _sign_in(client: Any, next_page: str = "/web/dpo") -> Any:
    """Follows the sign-on from the login to the callback's page (the provider approves)."""
    import httpx

    login = client.get("/web/oidc/login", params={"next": next_page}, follow_redirects=False)
    assert login.status_code == 302, login.text
    to_provider = httpx.get(login.headers["location"], follow_redirects=False)
    assert to_provider.status_code == 307, to_provider.text
    back = urlparse(to_provider.headers["location"])
    return client.get(back.path, params=parse_qs(back.query))


def test_single_sign_on_gives_a_session_token_of_the_account_and_its_roles(
    tmp_path: Path, provider: Provider
) -> None:
    from fastapi.testclient import TestClient

    settings = _settings(tmp_path, provider)
    provider.account = Account("insp-applicant", ["applicant", "cleaner", "worker"])
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        page = _sign_in(client)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        token = page.text.split('data-token="')[1].split('"')[0]
        assert read_token(settings.secret("token_secret"), token) == (
            "insp-applicant",
            ("applicant",),
        ), "only the roles this system knows; a worker never signs in as a person"
        assert 'data-next="/web/dpo"' in page.text
        me = client.get("/web/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"user_id": "insp-applicant", "roles": ["applicant"]}


def test_a_sign_in_is_refused_with_its_reason(tmp_path: Path, provider: Provider) -> None:
    from fastapi.testclient import TestClient

    settings = _settings(tmp_path, provider)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        provider.account = Account("cleaner-1", ["cleaner"])
        page = _sign_in(client)
        assert page.status_code == 400 and "holds no role in this system" in page.text

        provider.account = Account("pc-operator", ["operator"])
        replayed = client.get("/web/oidc/callback", params={"code": "x", "state": "forged"})
        assert replayed.status_code == 400 and "not for the sign-in begun here" in replayed.text

        client.cookies.clear()
        stale = client.get("/web/oidc/callback", params={"code": "x", "state": "y"})
        assert stale.status_code == 400 and "not begun in this browser" in stale.text

        denied = client.get(
            "/web/oidc/callback",
            params={"error": "access_denied", "error_description": "user cancelled"},
        )
        assert denied.status_code == 400 and "access_denied: user cancelled" in denied.text


def test_signing_out_ends_the_providers_session_and_returns_to_the_sign_in_page(
    tmp_path: Path, provider: Provider
) -> None:
    from fastapi.testclient import TestClient

    app = create_app(_settings(tmp_path, provider))
    with TestClient(app, base_url="http://lfr.test") as client:
        out = client.get("/web/sign-out", follow_redirects=False)
        assert out.status_code == 303 and out.headers["cache-control"] == "no-store"
        to_provider = urlparse(out.headers["location"])
        assert out.headers["location"].startswith(f"{provider.issuer}/end-session?")
        assert parse_qs(to_provider.query) == {
            "client_id": [CLIENT_ID],
            "post_logout_redirect_uri": ["http://lfr.test/web/sign-in"],
        }


def test_signing_out_without_single_sign_on_or_its_provider_returns_to_the_sign_in_page(
    tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient

    plain = Settings(database_url="memory:", data_dir=tmp_path)
    away = plain.model_copy(update={"oidc_issuer": "http://127.0.0.1:9", "oidc_client_id": "x"})
    for settings in (plain, away):
        with TestClient(create_app(settings)) as client:
            out = client.get("/web/sign-out", follow_redirects=False)
            assert (out.status_code, out.headers["location"]) == (303, "/web/sign-in")


def test_single_sign_on_is_offered_only_where_an_issuer_is_configured(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(database_url="memory:", data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        page = client.get("/web/sign-in")
        assert 'id="oidc"' not in page.text and 'id="token"' in page.text
        refused = client.get("/web/oidc/login", follow_redirects=False)
        assert refused.status_code == 400 and "not set up here" in refused.text


@pytest.mark.parametrize(
    "asked",
    ["https://evil.example/web", "//evil.example/web", "/\\evil.example", "/api", "/web\r\nX: y"],
)
def test_the_page_to_return_to_after_signing_in_is_a_page_of_this_site(asked: str) -> None:
    assert safe_next(asked) == "/web/sign-in"
    assert safe_next("/web/alerts?deployment_id=1") == "/web/alerts?deployment_id=1"


@pytest.mark.parametrize(
    ("flaw", "said"),
    [
        ("nonce", "not for this sign-in (nonce)"),
        ("audience", "ID token is not valid"),
        ("issuer", "ID token is not valid"),
        ("expired", "ID token is not valid"),
        ("key", "ID token is not valid"),
    ],
)
def test_an_id_token_that_is_forged_misdirected_or_stale_signs_no_one_in(
    tmp_path: Path, provider: Provider, flaw: str, said: str
) -> None:
    from fastapi.testclient import TestClient

    provider.flaw = flaw
    with TestClient(create_app(_settings(tmp_path, provider)), base_url="http://127.0.0.1") as c:
        page = _sign_in(c)
        assert page.status_code == 400 and said in page.text, page.text[-600:]
        assert "data-token" not in page.text


def test_the_pkce_challenge_is_rfc_7636s() -> None:
    from api.oidc import challenge

    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_single_sign_on_settings_that_cannot_work_are_refused_at_start() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="LFR_OIDC_CLIENT_ID must be set"):
        Settings(database_url="memory:", oidc_issuer="https://login.example")
    with pytest.raises(ValidationError, match="https:// URL in production"):
        Settings(
            env="production",
            database_url="memory:",
            oidc_issuer="http://login.example",
            oidc_client_id="lfr",
        )
