"""The operator's alert queue in a browser: a real alert raised by the worker from a video
of real faces is shown live, the images side by side after one justification (logged
under s.62), adjudicated with a key; a second alert arrives without a reload."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.auth import issue_token
from api.routes.dpo import CONSULTED
from domain.alert import Alert
from runtime.bootstrap import open_services
from runtime.live import run_worker_in_process
from runtime.settings import Settings
from tests.scenario import OPERATOR
from tests.support.live import live_deployment, sought_walks_past
from tests.web.browser import console_errors, screenshot, sign_in, wait

pytestmark = pytest.mark.slow
JUSTIFICATION = "Adjudicating alert at Oxford Circus"


def _images_shown(card: Any) -> bool:
    from selenium.webdriver.common.by import By

    images = card.find_elements(By.CSS_SELECTOR, ".faces img")
    return all(img.get_property("naturalWidth") > 0 for img in images) and len(images) == 2


def test_operator_adjudicates_a_live_alert_the_worker_raised(
    browser: Any, serve: Any, tmp_path: Path, shared_dir: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    faces = shared_dir / "faces" / "dev"
    settings = Settings(database_url="memory:", data_dir=tmp_path)
    services = open_services(settings)
    deployment = live_deployment(services, faces)
    first = run_worker_in_process(
        services, deployment, sought_walks_past(faces, tmp_path / "a.avi", -1)
    )
    assert first["alerts"] == 1, first
    served = serve(create_app(settings, services))

    token = issue_token(settings.secret("token_secret"), OPERATOR.id, ["operator"])
    sign_in(browser, served, token)
    browser.get(served.url(f"/web/alerts?deployment_id={deployment}"))
    browser.execute_script("window.stillTheSamePage = true;")
    card = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "article.alert"))
    alert_id = card.get_attribute("data-alert")
    assert "camera-1" in card.text
    assert "Ali_Naimi" not in card.text, "a name is shown only under an s.62 record"
    assert not card.find_element(By.CSS_SELECTOR, ".adjudicate").is_displayed(), (
        "no decision before the images are seen"
    )

    card.find_element(By.NAME, "justification").send_keys(JUSTIFICATION + "\n")
    wait(browser).until(lambda _: _images_shown(card))
    assert "Ali_Naimi" in card.text  # the consultation, now logged, opened the reference

    second_run: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: second_run.update(
            run_worker_in_process(
                services, deployment, sought_walks_past(faces, tmp_path / "b.avi", -2)
            )
        )
    )
    worker.start()
    wait(browser, 60).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "article.alert")) == 2)
    worker.join()
    assert browser.execute_script("return window.stillTheSamePage === true;"), "no reload"
    screenshot(browser, "alert-queue")

    ActionChains(browser).send_keys("e").perform()  # E: engage, on the selected alert
    shown = "return Array.from(document.querySelectorAll('article.alert'), c => c.dataset.alert)"
    wait(browser).until(lambda b: alert_id not in b.execute_script(shown))
    decided = services.lfr.load(Alert, alert_id)
    assert decided.adjudication["decision"] == "engage"
    logged = [
        services.lfr.mapper.to_domain_event(n)
        for n in services.lfr.recorder.select_notifications(1, 1000, topics=[CONSULTED])
    ]
    assert {(e.data_class, e.audit.actor_id, e.audit.justification) for e in logged} == {
        ("probe_image", OPERATOR.id, JUSTIFICATION),
        ("watchlist_entry", OPERATOR.id, JUSTIFICATION),
    }
    remaining = browser.find_element(By.CSS_SELECTOR, "article.alert")
    assert remaining.find_element(By.NAME, "justification").is_displayed(), (
        "the next alert asks for its own justification"
    )
    screenshot(browser, "alert-queue-after-decision")
    assert console_errors(browser) == []
