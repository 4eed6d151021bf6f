"""The operator's alert queue in a browser: a real alert raised by the worker from a video
of real faces is shown live, the images side by side after one justification (logged
under s.62), adjudicated with a key after an undo window; a second alert arrives on top
within a second of the match, without a reload."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from api.app import create_app
from api.auth import issue_token
from domain.alert import Alert
from domain.records import Consultation
from domain.values import Adjudication
from runtime.bootstrap import open_services
from runtime.live import run_worker_in_process
from runtime.settings import Settings
from tests.scenario import ENGAGER, OPERATOR, Clock, Scenario
from tests.support.live import live_deployment, sought_walks_past
from tests.web.browser import console_errors, screenshot, sign_in, wait

CONSULTED = f"{get_topic(Consultation)}.PersonalDataConsulted"

pytestmark = pytest.mark.slow
JUSTIFICATION = "Adjudicating alert at Oxford Circus"
UNDO_S = 1.5


def _images_shown(card: Any) -> bool:
    from selenium.webdriver.common.by import By

    images = card.find_elements(By.CSS_SELECTOR, ".faces img")
    return all(img.get_property("naturalWidth") > 0 for img in images) and len(images) == 2


def _cards(browser: Any) -> list[str]:
    script = "return Array.from(document.querySelectorAll('#queue article'), c => c.dataset.alert)"
    return list(browser.execute_script(script))


def test_operator_adjudicates_a_live_alert_the_worker_raised(
    browser: Any, serve: Any, tmp_path: Path, shared_dir: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    faces = shared_dir / "faces" / "dev"
    settings = Settings(database_url="memory:", data_dir=tmp_path, queue_undo_s=UNDO_S)
    services = open_services(settings)
    deployment = live_deployment(services, faces)
    first = run_worker_in_process(
        services, deployment, sought_walks_past(faces, tmp_path / "a.avi", -1)
    )
    assert first["alerts"] == 1, first
    served = serve(create_app(settings, services))

    token = issue_token(settings.secret("token_secret"), OPERATOR.id, ["operator"])
    sign_in(browser, served, token)
    browser.get(served.url("/web/alerts"))  # the one live deployment is chosen for them
    wait(browser).until(lambda b: f"deployment_id={deployment}" in b.current_url)
    browser.execute_script("window.stillTheSamePage = true;")
    card = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#queue article.alert"))
    alert_id = card.get_attribute("data-alert")
    assert "camera-1" in card.text and "Oxford Circus" in card.text  # camera and location
    assert "Ali_Naimi" not in card.text, "a name is shown only under an s.62 record"
    engage = card.find_element(By.CSS_SELECTOR, "[data-decision=engage]")
    assert not engage.is_enabled(), "no decision before the images are seen"
    assert "once you have seen both faces" in card.text, "the refusal is explained"
    assert browser.title.startswith("(1) Alert queue")
    age = card.find_element(By.CSS_SELECTOR, ".age")
    before = age.text
    wait(browser, 3).until(lambda _: age.text != before)  # the age ticks
    assert age.text.endswith("ago")

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
    wait(browser, 60).until(lambda b: len(_cards(b)) == 2)
    newest = _cards(browser)[0]
    assert newest != alert_id, "the new alert is on top"
    top = browser.find_element(By.CSS_SELECTOR, "#queue article.alert")
    shown_ms = int(top.get_attribute("data-shown-at"))
    raised = services.lfr.load(Alert, newest).created_on  # when the match raised it
    late_s = shown_ms / 1000 - raised.timestamp()
    assert late_s < 1.0, f"the new alert was shown {late_s:.2f} s after the match"
    assert "fresh" in top.get_attribute("class") and "New" in top.text  # the visual cue
    assert browser.execute_script("return document.body.dataset.tones") == "1", "one tone"
    assert browser.title.startswith("(2) Alert queue")
    worker.join()
    assert browser.execute_script("return window.stillTheSamePage === true;"), "no reload"
    screenshot(browser, "alert-queue")

    ActionChains(browser).send_keys("e").perform()  # E: engage, on the selected alert
    wait(browser, 2).until(lambda _: card.find_element(By.CSS_SELECTOR, ".pending").is_displayed())
    assert "sent in" in card.text
    ActionChains(browser).send_keys("u").perform()  # U: undo within the window
    wait(browser, 2).until(lambda _: "Undone" in card.text)
    time.sleep(UNDO_S + 0.5)
    assert not services.lfr.load(Alert, alert_id).adjudication, "undone: nothing was sent"

    ActionChains(browser).send_keys("f").perform()  # F: false alert
    time.sleep(UNDO_S / 3)
    assert not services.lfr.load(Alert, alert_id).adjudication, "not before the window"
    wait(browser, UNDO_S + 5).until(lambda b: alert_id not in _cards(b))
    decided = services.lfr.load(Alert, alert_id)
    assert decided.adjudication["decision"] == "false_alert"
    row = wait(browser).until(
        lambda b: b.find_element(By.CSS_SELECTOR, f'#decided-rows tr[data-alert="{alert_id}"]')
    )
    assert "false alert" in row.text, "the decided list shows it"
    assert browser.title.startswith("(1) Alert queue")
    logged = [
        services.lfr.mapper.to_domain_event(n)
        for n in services.lfr.recorder.select_notifications(1, 1000, topics=[CONSULTED])
    ]
    assert {(e.data_class, e.audit.actor_id, e.audit.justification) for e in logged} == {
        ("probe_image", OPERATOR.id, JUSTIFICATION),
        ("watchlist_entry", OPERATOR.id, JUSTIFICATION),
    }
    remaining = browser.find_element(By.CSS_SELECTOR, "#queue article.alert")
    assert remaining.find_element(By.NAME, "justification").is_displayed(), (
        "the next alert asks for its own justification"
    )
    screenshot(browser, "alert-queue-after-decision")
    assert console_errors(browser) == []


def test_engagement_officer_is_told_why_arrest_is_unavailable_after_a_false_confirmation(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    settings = Settings(database_url="memory:", data_dir=tmp_path, queue_undo_s=0.5)
    clock = Clock(datetime.now(UTC) - timedelta(hours=2))
    services = open_services(settings, clock=clock)
    s = Scenario(services.lfr, clock).live()
    clock.now = datetime.now(UTC)
    engaged = s.alert(0, track="t1")
    services.lfr.adjudicate_alert(OPERATOR, engaged, Adjudication.ENGAGE)
    served = serve(create_app(settings, services))

    token = issue_token(settings.secret("token_secret"), ENGAGER.id, ["engagement_officer"])
    sign_in(browser, served, token)
    browser.get(served.url(f"/web/alerts?deployment_id={s.deployment}"))
    card = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#queue article.alert"))
    wait(browser).until(lambda _: card.find_element(By.CSS_SELECTOR, ".engage").is_displayed())
    ActionChains(browser).send_keys("2").perform()  # confirmed false, with no duration yet
    assert "how many minutes" in card.find_element(By.CSS_SELECTOR, ".result").text
    card.find_element(By.NAME, "minutes").send_keys("4")
    card.find_element(By.NAME, "leaflet_given").click()
    card.click()
    ActionChains(browser).send_keys("2").perform()
    refused = "a person stopped must be told why"
    wait(browser, 5).until(lambda _: refused in card.find_element(By.CSS_SELECTOR, ".result").text)
    assert [e for e in console_errors(browser) if "409" not in e] == []  # the refusal only
    card.find_element(By.NAME, "told_why").click()
    card.click()
    ActionChains(browser).send_keys("2").perform()
    wait(browser, 10).until(lambda _: card.find_element(By.CSS_SELECTOR, ".outcome").is_displayed())
    assert services.lfr.load(Alert, engaged).engagement["duration_s"] == 240
    arrest = card.find_element(By.CSS_SELECTOR, "[data-disposal=arrest]")
    assert not arrest.is_enabled()
    assert "Arrest and other disposals need an engagement confirmed true" in card.text
    screenshot(browser, "alert-queue-engagement-outcome")
    card.find_element(By.NAME, "reason").send_keys("Not the person sought")
    card.find_element(By.CSS_SELECTOR, "[data-disposal=no_further_action]").click()
    wait(browser, 10).until(lambda b: engaged and str(engaged) not in _cards(b))
    assert services.lfr.load(Alert, engaged).outcome["disposal"] == "no_further_action"
    assert console_errors(browser) == []
