"""The application and authority pages and the DPO's page in a browser, each showing only
what the signed-in role may see."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.app import create_app
from api.auth import issue_token
from domain.alert import Alert, HoldBasis, HoldRequest
from domain.authorisation import DeploymentApplication
from domain.values import (
    ApplicationSection,
    DecisionArea,
    SensitiveFlag,
    WrittenAuthority,
    approve,
)
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import (
    AO,
    APPLICANT,
    DPO,
    GOLD,
    OPERATOR,
    SYSTEM,
    VERSIONS,
    Scenario,
    entry,
    start_clock,
)
from tests.web.browser import console_errors, screenshot, sign_in, wait

pytestmark = pytest.mark.slow
SENSITIVE_RATIONALE = "Under 18: wanted on warrant for knife robbery; AO reviewed in person."


def _setting(tmp_path: Path) -> tuple[Settings, Any, Any]:
    clock = start_clock()
    settings = Settings(database_url="memory:", data_dir=tmp_path)
    return settings, open_services(settings, clock=clock), clock


def _token(settings: Settings, user: str, role: str) -> str:
    return issue_token(settings.secret("token_secret"), user, [role])


def test_ao_sees_the_8_sections_the_7_decisions_and_sensitive_entries_flagged(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    settings, services, clock = _setting(tmp_path)
    lfr = services.lfr
    s = Scenario(lfr, clock).submitted(sensitive_inclusions=(SensitiveFlag.UNDER_18,))
    decisions = {
        a.value: approve(f"Decision on {a.value}: approved because ...") for a in DecisionArea
    }
    deployment = lfr.grant_authority(
        AO,
        s.application_id,
        WrittenAuthority(decisions, VERSIONS, GOLD.id, {"under_18": SENSITIVE_RATIONALE}),
    )
    for reference, flags in (("WL-0001", ()), ("WL-0002", (SensitiveFlag.UNDER_18,))):
        details = entry(reference, sensitive_flags=flags)
        entry_id = lfr.add_watchlist_entry(
            APPLICANT, deployment, details, b"\xff\xd8", b"\x01" * 16, "dlib-r1"
        )
        if flags:
            lfr.record_entry_rationale(AO, entry_id, SENSITIVE_RATIONALE)
    served = serve(create_app(settings, services))

    sign_in(browser, served, _token(settings, AO.id, "authorising_officer"))
    browser.get(served.url("/web/applications"))
    link = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#list-rows a"))
    link.click()
    wait(browser).until(lambda b: b.find_element(By.ID, "watchlist-section").is_displayed())
    sections = browser.find_elements(By.CSS_SELECTOR, "#sections li")
    assert len(sections) == len(ApplicationSection) == 8
    decided = browser.find_elements(By.CSS_SELECTOR, "#decisions li")
    assert len(decided) == len(DecisionArea) == 7
    assert all("approved because" in d.text for d in decided)
    assert SENSITIVE_RATIONALE in browser.find_element(By.ID, "sensitive-rationale").text
    flagged = browser.find_elements(By.CSS_SELECTOR, "#watchlist-rows tr.sensitive")
    assert len(flagged) == 1  # its reference (a name) is read only under an s.62 record
    assert "WL-0002" not in flagged[0].text and "sealed" in flagged[0].text
    assert "Heightened scrutiny" in flagged[0].text
    assert not browser.find_element(By.ID, "authority-form").is_displayed(), "already granted"
    screenshot(browser, "application-authority")
    assert console_errors(browser) == []

    sign_in(browser, served, _token(settings, OPERATOR.id, "operator"))
    browser.get(served.url("/web/applications"))
    notice = wait(browser).until(lambda b: b.find_element(By.ID, "notice"))
    wait(browser).until(lambda _: "This page is for" in notice.text)
    assert not browser.find_element(By.ID, "applications-page").is_displayed()
    nav = browser.find_element(By.CSS_SELECTOR, "nav").text
    assert "Alert queue" in nav and "Applications" not in nav and "Data protection" not in nav
    assert console_errors(browser) == []


def test_dpo_sees_due_held_and_erased_items_and_checks_an_erasure_proof(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    settings, services, clock = _setting(tmp_path)
    lfr = services.lfr
    s = Scenario(lfr, clock).live(entries=2)
    held, due = s.alert(0, track="t1"), s.alert(1, track="t2")
    lfr.place_legal_hold(
        DPO, held, HoldRequest(HoldBasis.INVESTIGATION, "prosecution", date(2027, 6, 1))
    )
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    lfr.erase_watchlist(SYSTEM, s.deployment, "watchlist within 24 hours of the end")
    clock.advance(days=40)  # past the alerts' 31 days
    served = serve(create_app(settings, services))

    sign_in(browser, served, _token(settings, DPO.id, "dpo"))
    browser.get(served.url("/web/dpo"))
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#erased-rows button"))
    assert str(held)[:8] in browser.find_element(By.ID, "held-rows").text
    assert str(due)[:8] in browser.find_element(By.ID, "due-rows").text
    assert "overdue" in browser.find_element(By.ID, "due-rows").text
    erased = browser.find_elements(By.CSS_SELECTOR, "#erased-rows tr")
    assert len(erased) == 2, "both watchlist entries"
    erased[0].find_element(By.TAG_NAME, "button").click()
    proof = erased[0].find_element(By.TAG_NAME, "output")
    wait(browser).until(lambda _: proof.text not in ("", "checking…"))
    assert proof.text.startswith("key destroyed: yes; erasure event verified"), proof.text
    screenshot(browser, "dpo-retention")
    assert console_errors(browser) == []


def test_dpo_holds_an_alert_chosen_from_the_list_erases_another_and_pages_the_s62_log(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settings, services, clock = _setting(tmp_path)
    lfr = services.lfr
    s = Scenario(lfr, clock).live(entries=2)
    kept, erased = s.alert(0, track="t1"), s.alert(1, track="t2")
    for n in range(60):  # more reads than one page of the log shows
        lfr.consult_probe_image(OPERATOR, kept, f"Adjudicating, look {n + 1}")
    served = serve(create_app(settings, services))

    sign_in(browser, served, _token(settings, DPO.id, "dpo"))
    browser.get(served.url("/web/dpo"))
    live = wait(browser).until(lambda b: b.find_element(By.ID, "live-rows"))
    wait(browser).until(lambda _: str(kept)[:8] in live.text and str(erased)[:8] in live.text)
    assert "watchlist entry" in live.text, "the live entries are listed too"

    row = next(r for r in live.find_elements(By.TAG_NAME, "tr") if str(kept)[:8] in r.text)
    row.find_element(By.XPATH, ".//button[text()='Hold']").click()
    assert Select(browser.find_element(By.ID, "hold-alert")).first_selected_option.get_attribute(
        "value"
    ) == str(kept), "the alert is chosen, not typed"
    browser.find_element(By.ID, "hold-reason").send_keys("Prosecution file 42")
    browser.execute_script("document.getElementById('hold-review').value = '2027-06-01'")
    browser.find_element(By.CSS_SELECTOR, "#hold-form button[type=submit]").click()
    held = browser.find_element(By.ID, "held-rows")
    wait(browser).until(lambda _: str(kept)[:8] in held.text)
    assert lfr.load(Alert, kept).legal_hold["requested_by"] == DPO.id

    row = next(r for r in live.find_elements(By.TAG_NAME, "tr") if str(erased)[:8] in r.text)
    row.find_element(By.XPATH, ".//button[text()='Erase']").click()
    dialog = browser.find_element(By.ID, "confirm")
    assert dialog.is_displayed() and "cannot be undone" in dialog.text
    browser.find_element(By.ID, "confirm-ok").click()
    wait(browser).until(lambda _: lfr.load(Alert, erased).erased)
    wait(browser).until(lambda b: str(erased)[:8] in b.find_element(By.ID, "erased-rows").text)

    log_rows = browser.find_elements(By.CSS_SELECTOR, "#log-rows tr")
    assert len(log_rows) == 50 and "look 1" in log_rows[0].text
    assert "Page 1: entries 1 to 50" in browser.find_element(By.ID, "log-range").text
    screenshot(browser, "dpo-holds-erasure-log")
    browser.find_element(By.ID, "log-next").click()
    range_text = browser.find_element(By.ID, "log-range")
    wait(browser).until(lambda _: "Page 2: entries 51 to 60" in range_text.text)
    assert "look 60" in browser.find_element(By.ID, "log-rows").text
    assert not browser.find_element(By.ID, "log-next").is_enabled()
    browser.find_element(By.ID, "log-prev").click()
    wait(browser).until(lambda _: "Page 1" in range_text.text)
    assert console_errors(browser) == []


def test_applicant_states_the_need_the_intelligence_case_and_the_8_sections_in_order(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    settings, services, _ = _setting(tmp_path)
    served = serve(create_app(settings, services))
    sign_in(browser, served, _token(settings, APPLICANT.id, "applicant"))
    browser.get(served.url("/web/applications"))
    objective = wait(browser).until(lambda b: b.find_element(By.ID, "need-objective"))
    objective.send_keys("Locate wanted offenders near the station")
    browser.find_element(By.CSS_SELECTOR, "#need-form button").click()
    wait(browser).until(
        lambda b: "submit the intelligence case" in b.find_element(By.ID, "next-step").text
    )
    application_id = browser.current_url.rsplit("/", 1)[1]
    screenshot(browser, "applicant-need")

    browser.find_element(By.ID, "intel-ref").send_keys("F3-2026-114")
    browser.find_element(By.ID, "intel-summary").send_keys("Robbery hotspot")
    browser.find_element(By.CSS_SELECTOR, "#intel-form button").click()
    wait(browser).until(lambda b: "write the 8 sections" in b.find_element(By.ID, "next-step").text)
    for field, text in (("p-name", "King's Cross"), ("p-borough", "Camden"), ("p-ao", AO.id)):
        browser.find_element(By.ID, field).send_keys(text)
    set_value = "document.getElementById(arguments[0]).value = arguments[1]"
    browser.execute_script(set_value, "p-start", "2026-12-02T10:00")
    browser.execute_script(set_value, "p-end", "2026-12-02T16:00")
    browser.find_element(By.CSS_SELECTOR, "[name=category][value=wanted_by_courts]").click()
    sections = browser.find_elements(By.CSS_SELECTOR, "#submission-form [data-section]")
    assert len(sections) == len(ApplicationSection) == 8
    for n, area in enumerate(sections):
        area.send_keys(f"Section {n + 1} written for the AO.")
    screenshot(browser, "applicant-sections")
    browser.find_element(By.CSS_SELECTOR, "#submission-form button[type=submit]").click()
    wait(browser).until(
        lambda b: "Authorising officer: grant" in b.find_element(By.ID, "next-step").text
    )
    application = services.lfr.load(DeploymentApplication, UUID(application_id))
    assert application.status == "submitted" and application.assigned_ao_id == AO.id
    assert application.sections["3_echr_and_schedule_8"] == "Section 3 written for the AO."
    assert not browser.find_element(By.ID, "submission-form").is_displayed()
    assert console_errors(browser) == []


def test_auditor_checks_a_deployments_timeline_its_state_then_and_the_whole_ledger(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settings, services, clock = _setting(tmp_path)
    s = Scenario(services.lfr, clock).granted()
    planned_at = clock.now
    clock.advance(minutes=30)
    s.prepare()
    clock.advance(hours=1, minutes=5)
    services.lfr.start_deployment(GOLD, s.deployment)
    s.alert(0, track="t1")
    served = serve(create_app(settings, services))

    sign_in(browser, served, _token(settings, "auditor-1", "auditor"))
    browser.get(served.url("/web/audit"))
    choice = wait(browser).until(
        lambda b: b.find_element(By.CSS_SELECTOR, f'#deployment option[value="{s.deployment}"]')
    )
    Select(browser.find_element(By.ID, "deployment")).select_by_value(choice.get_attribute("value"))
    browser.find_element(By.CSS_SELECTOR, "#picker button").click()
    rows = wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#timeline-rows tr"))
    text = browser.find_element(By.ID, "timeline-rows").text
    assert "deployment started" in text and "alert raised" in text, "events in words"
    last = rows[-1]
    last.find_element(By.TAG_NAME, "button").click()
    proof = last.find_element(By.TAG_NAME, "output")
    wait(browser).until(lambda _: proof.text not in ("", "checking…"))
    assert proof.text.startswith("verified: in the log of"), proof.text

    moment = (planned_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    browser.execute_script("document.getElementById('asof-at').value = arguments[0]", moment)
    browser.find_element(By.CSS_SELECTOR, "#asof-form button").click()
    state = browser.find_element(By.ID, "asof")
    status = wait(browser).until(lambda _: state.find_element(By.CSS_SELECTOR, "[data-key=status]"))
    assert status.text == "planned", "the state then, not now (live)"

    browser.find_element(By.ID, "verify-ledger").click()
    verdict = browser.find_element(By.ID, "ledger-result")
    wait(browser).until(lambda _: verdict.text not in ("", "Verifying…"))
    assert "ok" in verdict.get_attribute("class"), verdict.text
    browser.find_element(By.ID, "export").click()
    fetched = (
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.endsWith('/ledger/export.zip')).map(e => e.responseStatus)"
    )
    wait(browser, 30).until(lambda b: b.execute_script(fetched) == [200])
    screenshot(browser, "auditor")
    assert console_errors(browser) == []
