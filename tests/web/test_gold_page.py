"""Gold's whole job in the browser, in the order of the process with the next step always
shown: the command structure, the pre-deployment checks, the watchlist uploaded from a zip
of real faces, compiled and reviewed (the operator imports it), start, pause, resume and
end, the cancellation report (opened in the browser) and its publication."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.auth import issue_token
from domain.deployment import Deployment
from domain.values import PreDeploymentCheck
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.api.process import watchlist_zip
from tests.scenario import ENGAGER, GOLD, OPERATOR, Clock, Scenario
from tests.web.browser import console_errors, screenshot, sign_in, wait

pytestmark = pytest.mark.slow


def _next_step(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, "next-step").text)


def _submit(browser: Any, form: str, button: str = "button[type=submit]") -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, f"#{form} {button}").click()


def test_gold_runs_a_deployment_from_command_structure_to_publication(
    browser: Any, serve: Any, tmp_path: Path, shared_dir: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settings = Settings(database_url="memory:", data_dir=tmp_path)
    clock = Clock(datetime.now(UTC))
    services = open_services(settings, clock=clock)
    s = Scenario(services.lfr, clock).granted()
    d = s.deployment
    served = serve(create_app(settings, services))
    zipped = tmp_path / "watchlist.zip"
    zipped.write_bytes(watchlist_zip(shared_dir / "faces" / "dev"))

    sign_in(browser, served, issue_token(settings.secret("token_secret"), GOLD.id, ["gold"]))
    browser.get(served.url("/web/deployments"))
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#list-rows a")).__getitem__(
        0
    ).click()
    wait(browser).until(lambda b: "Next step: Appoint the command structure" in _next_step(b))
    screenshot(browser, "gold-deployment-planned")

    browser.find_element(By.ID, "operators").send_keys(OPERATOR.id)
    browser.find_element(By.ID, "engagers").send_keys(ENGAGER.id)
    _submit(browser, "command-form")
    wait(browser).until(lambda b: "pre-deployment checks (0 of 4" in _next_step(b))
    for check in PreDeploymentCheck:
        Select(browser.find_element(By.ID, "check")).select_by_value(check.value)
        browser.find_element(By.ID, "check-detail").send_keys(f"{check.value} done")
        _submit(browser, "check-form")
        wait(browser).until(
            lambda b: b.find_element(By.ID, "check-detail").get_attribute("value") == ""
        )
    wait(browser).until(lambda b: "Upload the watchlist" in _next_step(b))

    browser.find_element(By.ID, "upload-files").send_keys(str(zipped))
    _submit(browser, "upload-form")
    report = browser.find_element(By.ID, "upload-text")
    wait(browser, 120).until(lambda _: "3 added, 2 refused" in report.text)
    refused = browser.find_element(By.ID, "upload-refused").text
    assert "row 4 refused" in refused and "Art_Howe" not in refused, "names only under s.62"
    browser.find_element(By.ID, "upload-report-why").send_keys("Checking the refused rows")
    _submit(browser, "upload-report-form")
    report = browser.find_element(By.ID, "upload-report-rows")
    wait(browser).until(lambda _: "Art_Howe" in report.text)
    assert "refused:" in report.text and "added" in report.text
    _submit(browser, "compile-form")
    wait(browser).until(lambda b: "Review the compiled watchlist" in _next_step(b))
    browser.find_element(By.ID, "review-notes").send_keys("Matches the intelligence case")
    _submit(browser, "review-form")
    wait(browser).until(lambda b: "The operator imports" in _next_step(b))
    services.lfr.import_watchlist(OPERATOR, d, "encrypted USB 77")  # the operator's step
    clock.advance(hours=1, minutes=5)  # into the authorised window
    browser.refresh()
    wait(browser).until(lambda b: "Start the deployment" in _next_step(b))

    _submit(browser, "start-form")
    wait(browser).until(lambda b: "Pause, resume or end" in _next_step(b))
    browser.find_element(By.ID, "control-reason").send_keys("Crowd too dense")
    _submit(browser, "control-form", "[data-act=pause]")
    wait(browser).until(lambda _: services.lfr.load(Deployment, d).status == "paused")
    wait(browser).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "[data-act=resume]").is_displayed()
    )
    _submit(browser, "control-form", "[data-act=resume]")
    wait(browser).until(lambda _: services.lfr.load(Deployment, d).status == "live")
    clock.advance(hours=2)
    wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "[data-act=end]").is_displayed())
    browser.find_element(By.ID, "control-reason").clear()
    browser.find_element(By.ID, "control-reason").send_keys("Planned end")
    _submit(browser, "control-form", "[data-act=end]")
    wait(browser).until(lambda b: "Submit the cancellation report" in _next_step(b))

    browser.find_element(By.ID, "r-evaluation").send_keys("Objective met: no arrests needed")
    browser.find_element(By.ID, "r-learning").send_keys("Signage worked well")
    _submit(browser, "report-form")
    wait(browser).until(lambda b: "Publish the register entry" in _next_step(b))
    screenshot(browser, "gold-deployment-reported")
    tabs = set(browser.window_handles)
    browser.find_element(By.ID, "open-report").click()
    wait(browser).until(lambda b: len(b.window_handles) == len(tabs) + 1)
    here = browser.current_window_handle
    browser.switch_to.window((set(browser.window_handles) - tabs).pop())
    wait(browser).until(lambda b: "Objective met" in b.find_element(By.TAG_NAME, "body").text)
    browser.close()
    browser.switch_to.window(here)

    _submit(browser, "publish-form")
    wait(browser).until(lambda b: "Every step is done" in _next_step(b))
    assert services.lfr.load(Deployment, d).status == "published"
    assert console_errors(browser) == []
