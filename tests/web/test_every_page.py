"""Every page a person can reach, in the states not covered by the tests of each role's
job, checked by axe-core and saved at desk and phone sizes: the lists before anything is
chosen, the queue's deployment picker, and the register's page for an unknown deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.auth import issue_token
from domain.values import Actor, Role
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import AO, GOLD, OPERATOR, Scenario, start_clock
from tests.web.browser import console_errors, screenshot, sign_in, wait

pytestmark = pytest.mark.slow


def test_every_page_in_its_first_state_passes_axe_and_fits_a_phone(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    settings = Settings(database_url="memory:", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    for _ in range(2):  # two live deployments: the queue asks which one, each list has two
        Scenario(services.lfr, clock).live()
    served = serve(create_app(settings, services))

    chosen = "#deployment option[value]:not([value=''])"
    pages = {
        "alert-queue-picker": (OPERATOR, "/web/alerts", chosen),
        "applications-list": (AO, "/web/applications", "#list-rows a"),
        "deployments-list": (GOLD, "/web/deployments", "#list-rows a"),
        "audit-start": (Actor("auditor-1", Role.AUDITOR), "/web/audit", chosen),
    }
    for name, (who, path, ready) in pages.items():
        token = issue_token(settings.secret("token_secret"), who.id, [who.role.value])
        sign_in(browser, served, token)
        browser.get(served.url(path))
        wait(browser).until(lambda b, css=ready: len(b.find_elements(By.CSS_SELECTOR, css)) == 2)
        screenshot(browser, name)
    browser.get(served.url("/web/audit"))  # leave the picker, then come back to it
    sign_in(
        browser, served, issue_token(settings.secret("token_secret"), OPERATOR.id, ["operator"])
    )
    browser.get(served.url("/web/alerts"))
    wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, chosen)) == 2)
    assert "deployment_id" not in browser.current_url, "two live deployments: it asks which"
    assert console_errors(browser) == []

    browser.get(served.url("/web/register/00000000-0000-0000-0000-000000000000"))
    screenshot(browser, "register-unknown-deployment")
    assert [e for e in console_errors(browser) if "404" not in e] == []
