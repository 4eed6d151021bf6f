"""The public register page in a browser: filters, charts, and each row checked by the page
itself (the figures shown are its signed public entry, in the signed log, signed by the key
whose fingerprint the page prints); a tampered row fails; 1,000 rows are shown a page at a time."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.register_proofs import key_fingerprint
from api.web.register import PAGE_SIZE
from cli.main import main
from domain.deployment import Deployment
from domain.publication import PublicRecord, notice_row
from domain.values import PreDeploymentCheck
from projections.register import counts_of
from runtime.bootstrap import open_read_models, open_services
from runtime.settings import Settings
from tests.scenario import start_clock
from tests.web.browser import console_errors, screenshot, wait
from tests.web.register_data import fill_register

pytestmark = pytest.mark.slow

# A server that tampers: the page's own fetch is wrapped so that one byte of the first
# event of every published row is changed in transit, as a forged row would arrive.
TAMPER = """
const real = window.fetch;
window.fetch = async (...args) => {
  const response = await real(...args);
  if (!String(args[0]).startsWith('/public/register/')) return response;
  const doc = await response.json();
  const event = doc.rows[0].proofs[0].event;
  event.state = (event.state.slice(0, 2) === '7b' ? '5b' : '7b') + event.state.slice(2);
  return new Response(JSON.stringify(doc), {headers: {'Content-Type': 'application/json'}});
};
"""


def _register_app(tmp_path: Path, deployments: int) -> tuple[Any, list[str]]:
    settings = Settings(database_url="memory:", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    ids = fill_register(services.lfr, clock, deployments, live_every=5)
    return create_app(settings, services), ids


def _verdict(browser: Any, deployment_id: str) -> str:
    from selenium.webdriver.common.by import By

    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{deployment_id}"]')
    row.find_element(By.CSS_SELECTOR, "button.verify").click()
    verdict = row.find_element(By.CSS_SELECTOR, ".verdict")
    wait(browser).until(lambda _: verdict.text not in ("", "checking…"))
    return str(verdict.text)


def test_the_public_page_verifies_a_row_in_the_browser_and_fails_a_tampered_one(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    app, ids = _register_app(tmp_path, 40)
    served = serve(app)
    browser.get(served.url("/web/register"))
    assert browser.find_element(By.ID, "row-count").text.startswith("40 of 40")
    live = ids[0]  # went live: its row is built from many events, alerts among them
    verdict = _verdict(browser, live)
    assert verdict.startswith("verified:"), verdict
    assert "signed by" in verdict  # this Chromium has Ed25519 in WebCrypto
    planned = _verdict(browser, ids[1])
    assert planned.startswith("verified:"), planned
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect[fill]")
    assert len(charts) > 10, "the alerts chart has bars"
    screenshot(browser, "public-register")

    browser.execute_script(TAMPER)
    tampered = _verdict(browser, live)
    assert tampered.startswith("FAILED") and "not in the signed log" in tampered, tampered
    assert "failed" in browser.find_element(
        By.CSS_SELECTOR, f'tr[data-id="{live}"] .verdict'
    ).get_attribute("class")
    screenshot(browser, "public-register-tampered")
    assert console_errors(browser) == []


def test_verify_refuses_a_row_whose_figures_were_changed_after_signing(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    database = tmp_path / "lfr.db"
    settings = Settings(database_url=f"sqlite:///{database}", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    ids = fill_register(services.lfr, clock, 10, live_every=5)
    open_read_models(settings, services).catch_up()
    forged, honest = ids[0], ids[5]  # both went live and were published
    with sqlite3.connect(database) as db:  # someone edits the public read model afterwards
        changed = db.execute(
            "UPDATE rm_public_register SET alerts = alerts + 7 WHERE deployment_id = ?", (forged,)
        ).rowcount
    assert changed == 1
    served = serve(create_app(settings, services))
    browser.get(served.url("/web/register"))
    shown = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{forged}"] td:nth-child(7)')
    assert shown.text == "9", "the page shows the edited figure (2 alerts were signed)"

    refused = _verdict(browser, forged)
    assert refused.startswith("FAILED") and "differ from the signed entry" in refused, refused
    assert "alerts served as 9, signed 2" in refused and "alerts shown as 9" in refused, refused
    screenshot(browser, "public-register-figures-changed")
    verdict = _verdict(browser, honest)
    assert verdict.startswith("verified: the figures shown are the signed published entry")

    # A figure changed on the page only (the row as served is the signed one) is refused too.
    browser.execute_script(
        f"document.querySelector('tr[data-id=\"{honest}\"] td:nth-child(9)').textContent = '0'"
    )
    edited = _verdict(browser, honest)
    assert edited.startswith("FAILED") and "arrests shown as 0, signed 1" in edited, edited
    assert console_errors(browser) == []


def test_the_page_prints_the_log_key_fingerprint_that_lfr_ledger_key_prints(
    browser: Any,
    serve: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from selenium.webdriver.common.by import By

    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    settings = Settings(database_url=url, data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    app = create_app(settings, services)
    assert main(["ledger", "key", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["fingerprint"] == key_fingerprint(app.state.api.ledger().log_key)
    served = serve(app)
    browser.get(served.url("/web/register"))
    printed = browser.find_element(By.ID, "log-key-fingerprint").text
    assert printed == published["fingerprint"] and len(printed.replace(" ", "")) == 64

    # A server that signs with another key than the published one is refused by Verify.
    ids = fill_register(services.lfr, clock, 1)

    def shown(driver: Any) -> bool:  # the page may lag a change by the register's staleness
        driver.get(served.url("/web/register"))
        return bool(driver.find_elements(By.CSS_SELECTOR, f'tr[data-id="{ids[0]}"]'))

    wait(browser).until(shown)
    browser.execute_script(
        "document.getElementById('log-key-fingerprint').textContent = '0000 '.repeat(15) + '0000'"
    )
    verdict = _verdict(browser, ids[0])
    assert verdict.startswith("FAILED") and "is not the published key" in verdict, verdict


def test_the_public_page_filters_by_borough_use_case_and_date(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import Select

    app, _ = _register_app(tmp_path, 24)
    served = serve(app)
    browser.get(served.url("/web/register"))
    Select(browser.find_element(By.ID, "f-borough")).select_by_visible_text("Camden")
    old = browser.find_element(By.ID, "register")
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait(browser).until(staleness_of(old))
    assert "borough=Camden" in browser.current_url
    boroughs = {
        td.get_attribute("textContent")
        for td in browser.find_elements(By.CSS_SELECTOR, "#register td:nth-child(3)")
    }
    assert boroughs == {"Camden"}
    browser.get(served.url("/web/register?use_case=Event+PSO&from=2027-01-01"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")
    assert rows and all(
        r.find_element(By.CSS_SELECTOR, "td:nth-child(4)").text == "Event PSO"
        and r.find_element(By.CSS_SELECTOR, "td:nth-child(1)").text >= "2027-01-01"
        for r in rows
    )
    assert console_errors(browser) == []


def test_the_public_page_with_1000_deployments_shows_them_a_page_at_a_time(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    # How long it takes to load shows in `python -m bench.public_page`, not here.
    from selenium.webdriver.common.by import By

    app, _ = _register_app(tmp_path, 1000)
    served = serve(app)
    browser.get(served.url("/web/register"))
    assert browser.find_element(By.ID, "row-count").text.startswith("1000 of 1000")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")) == PAGE_SIZE
    screenshot(browser, "public-register-1000")
    assert console_errors(browser) == []


def test_the_register_shows_how_each_deployment_ended_its_thresholds_and_alerts_left_open(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    """A cancelled deployment reads as cancelled, not ended; a published one lists every
    threshold in force with its alerts and the alerts no one adjudicated; Verify checks
    these cells against the signed entries too."""
    from selenium.webdriver.common.by import By

    from services.report import submit_cancellation_report
    from tests.scenario import AO, GOLD, Scenario

    settings = Settings(database_url="memory:", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    models = open_read_models(settings, services)
    lfr = services.lfr
    ran = Scenario(lfr, clock).live()
    ran.alert(0, track="a")
    clock.advance(minutes=20)
    lfr.authorise_threshold_change(AO, ran.deployment, 0.7, "Too many alerts to adjudicate")
    ran.alert(1, track="b")
    lfr.end_deployment(GOLD, ran.deployment, "planned end")
    submit_cancellation_report(models, GOLD, ran.deployment, {"evaluation": "e", "learning": "l"})
    models.catch_up()
    lfr.publish_register_entry(
        GOLD,
        ran.deployment,
        counts_of(models.register_row(ran.deployment) or {}),
        models.threshold_periods(ran.deployment),
    )
    cancelled = Scenario(lfr, clock).granted()
    lfr.record_pre_deployment(GOLD, cancelled.deployment, PreDeploymentCheck.PUBLIC_NOTICE, "up")
    lfr.cancel_deployment(GOLD, cancelled.deployment, "Intelligence no longer current")

    # A notice published before rows had these columns: its cells are empty and verify.
    older = Scenario(lfr, clock).granted()
    notice = notice_row(lfr.load(Deployment, older.deployment))
    new_columns = ("thresholds", "ending", "unadjudicated")
    lfr.save(PublicRecord(row={k: v for k, v in notice.items() if k not in new_columns}))

    served = serve(create_app(settings, services))
    browser.set_window_size(1366, 900)
    browser.get(served.url("/web/register"))

    def cells(deployment: Any) -> dict[str, str]:
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{deployment}"]')
        return {
            td.get_attribute("data-col"): td.text
            for td in row.find_elements(By.CSS_SELECTOR, "td[data-col]")
        }

    shown = cells(ran.deployment)
    assert shown["ending"] == "ended by the Gold team"
    assert shown["thresholds"] == "0.64: 1 alert; 0.7 from 10:25 UTC: 1 alert"
    assert shown["unadjudicated"] == "2"
    closed = cells(cancelled.deployment)
    assert (closed["status"], closed["ending"]) == (
        "Did not go ahead",  # "closed", in words
        "cancelled before it started",
    )
    assert cells(older.deployment)["ending"] == "–"
    for deployment in (ran.deployment, cancelled.deployment, older.deployment):
        verdict = _verdict(browser, str(deployment))
        assert verdict.startswith("verified:"), verdict
    browser.execute_script(  # a page claiming an ending the older entry never signed
        f"document.querySelector('tr[data-id=\"{older.deployment}\"] td[data-col]');"
        f"[...document.querySelectorAll('#register thead th')].forEach((th, i) => {{"
        f"  if (th.dataset.col === 'ending') document.querySelector("
        f"'tr[data-id=\"{older.deployment}\"]').cells[i].textContent = 'cancelled'; }});"
    )
    claimed = _verdict(browser, str(older.deployment))
    assert claimed.startswith("FAILED") and "ending shown but not signed" in claimed, claimed
    screenshot(browser, "public-register-endings")
    assert console_errors(browser) == []


def test_a_deployments_page_shows_its_figures_times_threshold_and_map_and_checks_them(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    app, ids = _register_app(tmp_path, 10)
    served = serve(app)
    browser.get(served.url("/web/register"))
    browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{ids[0]}"] td[data-col=location] a').click()
    wait(browser).until(lambda b: b.current_url.endswith(f"/web/register/{ids[0]}"))
    summary = browser.find_element(By.ID, "summary").text
    assert "The cameras saw 1,000 faces" in summary and "1 was arrested" in summary
    assert (
        browser.find_element(By.CSS_SELECTOR, "svg.map")
        .get_attribute("aria-label")
        .startswith("Map: Oxford Circus")
    )
    assert "0.64" in browser.find_element(By.TAG_NAME, "table").text  # the threshold history
    browser.find_element(By.ID, "verify").click()
    verdict = browser.find_element(By.ID, "verdict")
    wait(browser).until(lambda _: verdict.text not in ("", "checking…"))
    assert verdict.text.startswith("verified: the figures shown are the signed"), verdict.text
    screenshot(browser, "public-register-deployment")

    browser.execute_script("document.querySelector('dd[data-col=faces_seen]').textContent = '10'")
    browser.find_element(By.ID, "verify").click()
    wait(browser).until(lambda _: verdict.text.startswith("FAILED"))
    assert "faces_seen shown as 10, signed 1000" in verdict.text

    browser.get(served.url("/web/register?q=nowhere-at-all"))
    assert "No deployments match" in browser.find_element(By.ID, "empty-state").text
    screenshot(browser, "public-register-empty")
    browser.get(served.url("/web/about"))
    assert "Asking for your data" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "about-the-register")
    browser.get(served.url("/web/register/00000000-0000-0000-0000-000000000000"))
    assert "no deployment at this address" in browser.find_element(By.TAG_NAME, "main").text
    assert [e for e in console_errors(browser) if "404" not in e] == []


def _table(html: str) -> list[dict[str, str]]:
    """The register table's rows as {column: text}, read from the page as served."""
    from html.parser import HTMLParser

    rows: list[dict[str, str]] = []

    class Cells(HTMLParser):
        column: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            named = dict(attrs)
            if tag == "tr" and "data-id" in named:
                rows.append({})
            if tag == "td" and rows:
                self.column = named.get("data-col")

        def handle_endtag(self, tag: str) -> None:
            if tag == "td":
                self.column = None

        def handle_data(self, data: str) -> None:
            if self.column and rows:
                rows[-1][self.column] = rows[-1].get(self.column, "") + data.strip()

    Cells().feed(html)
    return rows


def test_the_register_searches_sorts_and_pages_and_its_charts_and_downloads_follow(
    tmp_path: Path,
) -> None:
    import io

    import pyarrow.parquet as pq
    from fastapi.testclient import TestClient

    app, _ = _register_app(tmp_path, 120)
    with TestClient(app) as client:
        first = client.get("/web/register").text
        assert len(_table(first)) == PAGE_SIZE and "Page 1 of 3" in first
        last = client.get("/web/register", params={"page": 3}).text
        assert len(_table(last)) == 20 and "showing 101 to 120" in last

        by_faces = _table(client.get("/web/register", params={"sort": "faces_seen"}).text)
        figures = [int(r["faces_seen"]) for r in by_faces if r["faces_seen"] != "–"]
        assert figures == sorted(figures, reverse=True) and len(figures) == 24
        assert by_faces[24]["faces_seen"] == "–", "deployments without results come last"
        ascending = _table(client.get("/web/register", params={"sort": "date", "dir": "asc"}).text)
        assert [r["date"] for r in ascending] == sorted(r["date"] for r in ascending)

        camden = client.get("/web/register", params={"q": "camden"}).text
        rows = _table(camden)
        assert rows and all("Camden" in r["location"] + r["borough"] for r in rows)
        assert "No deployments match" in client.get("/web/register", params={"q": "zzz"}).text

        everything = client.get("/web/register.csv").text.splitlines()
        westminster = client.get("/web/register.csv", params={"borough": "Westminster"}).text
        chosen = westminster.splitlines()[1:]
        assert 0 < len(chosen) < len(everything) - 1
        assert all(",Westminster," in line for line in chosen)
        parquet = client.get("/web/register.parquet", params={"borough": "Westminster"})
        assert pq.read_table(io.BytesIO(parquet.content)).num_rows == len(chosen)

        published = client.get("/web/register", params={"status": "published"}).text
        months_all = first.count("<td>20")  # the figures table under the charts: one per month
        one_borough = client.get(
            "/web/register", params={"status": "published", "borough": "Croydon"}
        ).text
        assert "No results have been published yet" in one_borough, "the charts follow"
        assert published.count("<td>20") == months_all

        for bad in ({"sort": "evil"}, {"status": "bogus"}, {"from": "yesterday"}, {"page": 0}):
            refused = client.get("/web/register", params=bad)
            assert refused.status_code == 422, bad


def test_chart_ticks_on_counts_are_whole_numbers_and_end_on_a_tick() -> None:
    from api.web.charts import nice_ticks, stacked_bars

    assert nice_ticks(3, whole=True) == [0, 1, 2, 3]
    assert nice_ticks(7, whole=True) == [0, 2, 4, 6, 8]
    assert nice_ticks(0.37, whole=False)[-1] >= 0.37
    assert all(t == int(t) for t in nice_ticks(0.4, whole=True))
    drawn = str(stacked_bars("Alerts", ["Nov 2026"], {"true": [1], "false": [2]}))
    assert 'width="600"' in drawn and ">0.5<" not in drawn and ">3<" in drawn
